// Package telegramtest provides a fake Telegram Bot API server for tests, in the
// spirit of net/http/httptest: [NewServer] starts it on 127.0.0.1, a bot pointed at
// its URL talks the real wire protocol (multipart, JSON or form requests to
// /bot<token>/<method>), and the test injects updates ([Server.SendText],
// [Server.Press], [Server.PushUpdate]) and waits for what the bot sent
// ([Server.Next]) on channels with deadlines.
//
// The server enforces the Bot API's documented limits (message text of 1 to 4096
// characters after entity parsing, well-formed HTML for parse_mode HTML, callback
// data of 1 to 64 bytes, button labels present, an edited message must exist) and
// answers Telegram-shaped errors ({"ok":false,"error_code":400,"description":...}).
// Failures can be scripted per method ([Server.FailNext]). It is safe for
// concurrent use and keeps per-chat queues, so a load test can drive thousands of
// conversations at once.
package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

// Token is the bot token the server accepts unless [Options.Token] says otherwise.
const Token = "123456:TEST-token-for-telegramtest"

// Options configures a [Server].
type Options struct {
	Token       string // default [Token]
	BotID       int64  // default 123456
	BotUsername string // default "SupportTestBot"
}

// Call is one request the bot made that changes what people see: a message sent
// or edited, a photo, a callback answer. Fields not used by the method are zero.
type Call struct {
	Method          string // as the bot spelled it, e.g. "sendMessage"
	ChatID          int64
	MessageID       int    // the message sent, or the one edited
	ThreadID        int    // message_thread_id
	ReplyTo         int    // reply_parameters.message_id
	Text            string // text (HTML source as sent) or photo caption
	ParseMode       string
	Keyboard        [][]models.InlineKeyboardButton
	Photo           []byte // sendPhoto's uploaded file
	CallbackQueryID string // answerCallbackQuery
	Commands        []models.BotCommand
}

// Failure is a scripted answer for the next call of a method: an error, a
// delay, or both.
type Failure struct {
	Code        int    // HTTP status and error_code: 429, 500, 502...; 0 = process normally (after Delay)
	RetryAfter  int    // parameters.retry_after, for 429
	Description string // default derived from Code
	// Delay holds the answer back, to make the bot's call time out. If the bot
	// gives up first, the request is not processed (nothing is sent).
	Delay time.Duration
}

// Server is a fake Bot API. Create it with [NewServer]; Close it when done
// (NewServer registers that with t.Cleanup).
type Server struct {
	// URL is the base URL to hand the bot (tgbot.WithServerURL), no trailing slash.
	URL string

	srv      *httptest.Server
	token    string
	me       models.User
	ctx      context.Context // cancelled by Close, ends long polls and deliveries
	cancel   context.CancelFunc
	delivery sync.WaitGroup

	mu            sync.Mutex
	nextUpdate    int64
	pending       []pendingUpdate // updates not yet confirmed by an offset
	updWake       chan struct{}   // closed and replaced when an update arrives
	webhookURL    string
	webhookSecret string
	deliveries    chan int // HTTP status of each webhook delivery
	failures      map[string][]Failure
	members       map[[2]int64]models.ChatMemberType
	msgs          map[int64]map[int]sentMessage // chat → message id → what the bot sent
	nextMsg       map[int64]int
	nextCallback  int64
	callbacks     map[string]bool // callback query id → answered
	boxes         map[int64]*box  // chat → calls not yet taken by Next
	log           []Call
	counts        map[string]int
	rejected      []error
	chatFailures  map[int64]Failure // chat → the answer of every call sending to it
	chatRefused   map[int64]int     // chat → calls answered with its failure
	streamed      int               // requests whose body came without a length
}

type pendingUpdate struct {
	id  int64
	raw json.RawMessage
}

type sentMessage struct {
	text     string
	keyboard string
}

type box struct {
	calls []Call
	wake  chan struct{} // non-nil while someone waits; closed on append
}

// NewServer starts a fake Bot API on 127.0.0.1 and closes it at the end of the
// test.
func NewServer(t TB, opts ...Options) *Server {
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Token == "" {
		o.Token = Token
	}
	if o.BotID == 0 {
		o.BotID = 123456
	}
	if o.BotUsername == "" {
		o.BotUsername = "SupportTestBot"
	}
	ctx, cancel := context.WithCancel(context.Background())
	s := &Server{
		token:        o.Token,
		me:           models.User{ID: o.BotID, IsBot: true, FirstName: "Support", Username: o.BotUsername},
		ctx:          ctx,
		cancel:       cancel,
		updWake:      make(chan struct{}),
		deliveries:   make(chan int, 1024), // generous: tests read a few; extra statuses are dropped
		failures:     map[string][]Failure{},
		members:      map[[2]int64]models.ChatMemberType{},
		msgs:         map[int64]map[int]sentMessage{},
		nextMsg:      map[int64]int{},
		callbacks:    map[string]bool{},
		boxes:        map[int64]*box{},
		counts:       map[string]int{},
		chatFailures: map[int64]Failure{},
		chatRefused:  map[int64]int{},
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serveHTTP))
	s.URL = s.srv.URL
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// TB is the part of testing.TB the server needs (a *testing.T or *testing.B), so
// that this package, like net/http/httptest, does not import testing. It may be
// nil: then the caller closes the server.
type TB interface{ Cleanup(func()) }

// Close ends long polls and webhook deliveries and shuts the server down.
func (s *Server) Close() {
	s.cancel()
	s.delivery.Wait()
	s.srv.Close()
}

// Me is the bot's own user, as getMe answers it.
func (s *Server) Me() models.User { return s.me }

// Token is the token the server accepts.
func (s *Server) Token() string { return s.token }

// FailNext makes the next call of method (case-insensitive) answer f instead of
// being processed. Several calls queue failures in order.
func (s *Server) FailNext(method string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := strings.ToLower(method)
	s.failures[m] = append(s.failures[m], f)
}

// FailChat makes every call that sends to or edits in chatID answer f (a 429
// storm, say) until FailChat is called again with a zero Failure. Only Code
// and RetryAfter are used.
func (s *Server) FailChat(chatID int64, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Code == 0 {
		delete(s.chatFailures, chatID)
		return
	}
	s.chatFailures[chatID] = f
}

// Refused is how many calls to chatID were answered with its FailChat failure.
func (s *Server) Refused(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chatRefused[chatID]
}

// Unconfirmed lists the ids of the updates not yet confirmed by a getUpdates
// offset: the ones a bot that crashed now would receive again.
func (s *Server) Unconfirmed() []int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]int64, len(s.pending))
	for i, p := range s.pending {
		ids[i] = p.id
	}
	return ids
}

// Streamed is how many requests came with a body of unknown length (chunked),
// which costs the bot a write system call per piece.
func (s *Server) Streamed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streamed
}

// SetMember sets userID's status in chatID for getChatMember (default "member").
func (s *Server) SetMember(chatID, userID int64, status models.ChatMemberType) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.members[[2]int64{chatID, userID}] = status
}

// Count is how many successful calls of method (case-insensitive) the server
// answered.
func (s *Server) Count(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[strings.ToLower(method)]
}

// Calls returns every successful visible call so far (see [Call]), in order,
// including setMyCommands and answerCallbackQuery.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.log...)
}

// Rejected returns the errors the server answered to bad requests (limits,
// malformed HTML, unknown messages), so a test can assert there were none.
func (s *Server) Rejected() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.rejected...)
}

// CallbackAnswered reports whether the callback query id was answered.
func (s *Server) CallbackAnswered(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.callbacks[id]
}

// Next waits for the next message the bot sent, edited or photo it sent to chatID
// (sendMessage, editMessageText, sendPhoto), and takes it from that chat's queue.
// It fails when ctx ends first.
func (s *Server) Next(ctx context.Context, chatID int64) (Call, error) {
	for {
		s.mu.Lock()
		b := s.box(chatID)
		if len(b.calls) > 0 {
			c := b.calls[0]
			b.calls = b.calls[1:]
			s.mu.Unlock()
			return c, nil
		}
		if b.wake == nil {
			b.wake = make(chan struct{})
		}
		wake := b.wake
		s.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return Call{}, fmt.Errorf("telegramtest: waiting for a message to chat %d: %w", chatID, ctx.Err())
		}
	}
}

// Pending returns the calls to chatID not yet taken by [Server.Next], without
// taking them.
func (s *Server) Pending(chatID int64) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.box(chatID).calls...)
}

func (s *Server) box(chatID int64) *box {
	b := s.boxes[chatID]
	if b == nil {
		b = &box{}
		s.boxes[chatID] = b
	}
	return b
}

// Deliveries yields the HTTP status the bot's webhook answered to each delivery.
func (s *Server) Deliveries() <-chan int { return s.deliveries }

// Private is a private chat with user.
func Private(user models.User) models.Chat {
	return models.Chat{ID: user.ID, Type: models.ChatTypePrivate, FirstName: user.FirstName}
}

// Group is a supergroup chat; Telegram's group ids are negative.
func Group(id int64) models.Chat {
	return models.Chat{ID: id, Type: models.ChatTypeSupergroup, Title: "Test group"}
}

// User is a person with id.
func User(id int64) models.User {
	return models.User{ID: id, FirstName: "Person" + strconv.FormatInt(id, 10)}
}

// MessageOpts adds details to a message injected with [Server.SendText].
type MessageOpts struct {
	ReplyTo *Call // the message replied to (a bot message the test received)
}

var mentionRe = regexp.MustCompile(`@[A-Za-z0-9_]{3,32}`)
var commandRe = regexp.MustCompile(`^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?`)

// SendText injects a text message from user in chat, with the entities Telegram
// would compute (a bot_command at the start, @mentions), and returns the update's
// message.
func (s *Server) SendText(chat models.Chat, user models.User, text string, opts ...MessageOpts) models.Message {
	s.mu.Lock()
	s.nextMsg[chat.ID]++
	id := s.nextMsg[chat.ID]
	s.mu.Unlock()
	from := user
	m := models.Message{ID: id, From: &from, Date: int(time.Now().Unix()), Chat: chat, Text: text}
	if loc := commandRe.FindStringIndex(text); loc != nil {
		m.Entities = append(m.Entities, models.MessageEntity{Type: models.MessageEntityTypeBotCommand, Offset: 0, Length: utf16Len(text[:loc[1]])})
	}
	for _, loc := range mentionRe.FindAllStringIndex(text, -1) {
		if loc[0] > 0 && text[loc[0]-1] != ' ' && text[loc[0]-1] != '\n' {
			continue // part of a command or a word, not a mention
		}
		m.Entities = append(m.Entities, models.MessageEntity{Type: models.MessageEntityTypeMention, Offset: utf16Len(text[:loc[0]]), Length: utf16Len(text[loc[0]:loc[1]])})
	}
	if len(opts) > 0 && opts[0].ReplyTo != nil {
		r := opts[0].ReplyTo
		me := s.me
		m.ReplyToMessage = &models.Message{ID: r.MessageID, From: &me, Date: m.Date, Chat: chat, Text: "…"}
	}
	s.PushUpdate(models.Update{Message: &m})
	return m
}

// Press injects a callback query: user pressed the button carrying data under
// the bot message c (as received from [Server.Next]) in chat. It returns the
// callback query id, which the bot must answer.
func (s *Server) Press(chat models.Chat, user models.User, c Call, data string) string {
	s.mu.Lock()
	s.nextCallback++
	id := "cb" + strconv.FormatInt(s.nextCallback, 10)
	s.callbacks[id] = false
	s.mu.Unlock()
	me := s.me
	q := models.CallbackQuery{
		ID:           id,
		From:         user,
		ChatInstance: "ci" + strconv.FormatInt(chat.ID, 10),
		Data:         data,
		Message: models.MaybeInaccessibleMessage{
			Type:    models.MaybeInaccessibleMessageTypeMessage,
			Message: &models.Message{ID: c.MessageID, From: &me, Date: int(time.Now().Unix()), Chat: chat, Text: "…"},
		},
	}
	s.PushUpdate(models.Update{CallbackQuery: &q})
	return id
}

// PushUpdate queues u (its ID is assigned by the server) for getUpdates, or
// delivers it to the webhook if one is set.
func (s *Server) PushUpdate(u models.Update) {
	raw, err := json.Marshal(u)
	if err != nil {
		panic(fmt.Sprintf("telegramtest: marshal update: %v", err)) // a test bug
	}
	if err := s.PushRaw(raw); err != nil {
		panic(err.Error())
	}
}

// PushRaw queues a raw JSON update object, as a platform payload from testdata;
// its update_id is replaced by the server's next id. It fails if raw is not a
// JSON object.
func (s *Server) PushRaw(raw []byte) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return fmt.Errorf("telegramtest: update is not a JSON object: %w", err)
	}
	// Register a callback query so answering it is valid.
	if cq, ok := obj["callback_query"]; ok {
		var q struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(cq, &q) == nil && q.ID != "" {
			s.mu.Lock()
			if _, seen := s.callbacks[q.ID]; !seen {
				s.callbacks[q.ID] = false
			}
			s.mu.Unlock()
		}
	}
	s.mu.Lock()
	s.nextUpdate++
	id := s.nextUpdate
	obj["update_id"] = json.RawMessage(strconv.FormatInt(id, 10))
	body, _ := json.Marshal(obj)
	hook, secret := s.webhookURL, s.webhookSecret
	if hook == "" {
		s.pending = append(s.pending, pendingUpdate{id: id, raw: body})
		close(s.updWake)
		s.updWake = make(chan struct{})
	}
	s.mu.Unlock()
	if hook != "" {
		s.deliver(hook, secret, body)
	}
	return nil
}

// deliver posts one update to the webhook in the background, as Telegram does.
func (s *Server) deliver(url, secret string, body []byte) {
	s.delivery.Add(1)
	go func() {
		defer s.delivery.Done()
		status := s.Deliver(s.ctx, url, secret, body)
		select {
		case s.deliveries <- status:
		default: // nobody is reading; the status is not needed
		}
	}()
}

// Deliver posts body to a webhook url with secret in the
// X-Telegram-Bot-Api-Secret-Token header (none when secret is empty) and returns
// the HTTP status, or 0 if the request failed. Tests use it to try wrong secrets.
func (s *Server) Deliver(ctx context.Context, url, secret string, body []byte) int {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	return resp.StatusCode
}

// apiError is a Telegram-shaped error answer.
type apiError struct {
	Code        int
	Description string
	RetryAfter  int
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s", e.Code, e.Description) }

func badRequest(format string, args ...any) *apiError {
	return &apiError{Code: 400, Description: "Bad Request: " + fmt.Sprintf(format, args...)}
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	rest, ok := strings.CutPrefix(r.URL.Path, "/bot")
	token, method, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		writeError(w, &apiError{Code: 404, Description: "Not Found"})
		return
	}
	if token != s.token {
		writeError(w, &apiError{Code: 401, Description: "Unauthorized"})
		return
	}
	if r.ContentLength < 0 {
		s.mu.Lock()
		s.streamed++
		s.mu.Unlock()
	}
	p, err := readParams(r)
	if err != nil {
		writeError(w, badRequest("%v", err))
		return
	}
	lower := strings.ToLower(method)
	if f, ok := s.chatFailure(lower, p); ok {
		writeError(w, &apiError{Code: f.Code, Description: "Too Many Requests: retry after " + strconv.Itoa(f.RetryAfter), RetryAfter: f.RetryAfter})
		return
	}
	if f, ok := s.takeFailure(lower); ok {
		if f.Delay > 0 {
			t := time.NewTimer(f.Delay)
			select {
			case <-t.C:
			case <-r.Context().Done():
				t.Stop()
				return // the bot gave up: nothing is processed
			case <-s.ctx.Done():
				t.Stop()
				return
			}
		}
		if f.Code != 0 {
			if f.Description == "" {
				f.Description = http.StatusText(f.Code)
				if f.Code == 429 {
					f.Description = "Too Many Requests: retry after " + strconv.Itoa(f.RetryAfter)
				}
			}
			writeError(w, &apiError{Code: f.Code, Description: f.Description, RetryAfter: f.RetryAfter})
			return
		}
	}
	var result any
	switch lower {
	case "getme":
		result = s.me
	case "getupdates":
		result, err = s.getUpdates(r.Context(), p)
	case "deletewebhook":
		s.mu.Lock()
		s.webhookURL, s.webhookSecret = "", ""
		s.mu.Unlock()
		result = true
	case "setwebhook":
		result, err = s.setWebhook(p)
	case "sendmessage":
		result, err = s.sendMessage(method, p)
	case "editmessagetext":
		result, err = s.editMessageText(method, p)
	case "answercallbackquery":
		result, err = s.answerCallback(method, p)
	case "setmycommands":
		result, err = s.setMyCommands(method, p)
	case "getchatmember":
		result, err = s.getChatMember(p)
	case "sendphoto":
		result, err = s.sendPhoto(method, p)
	default:
		writeError(w, &apiError{Code: 404, Description: "Not Found: method not found"})
		return
	}
	if err != nil {
		var ae *apiError
		if !errors.As(err, &ae) {
			ae = &apiError{Code: 500, Description: "Internal Server Error: " + err.Error()}
		}
		if ae.Code == 400 {
			s.mu.Lock()
			s.rejected = append(s.rejected, fmt.Errorf("%s: %w", method, ae))
			s.mu.Unlock()
		}
		writeError(w, ae)
		return
	}
	s.mu.Lock()
	s.counts[lower]++
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "result": result})
}

// chatFailure is the FailChat failure for a call that sends to a chat.
func (s *Server) chatFailure(method string, p params) (Failure, bool) {
	switch method {
	case "sendmessage", "editmessagetext", "sendphoto":
	default:
		return Failure{}, false
	}
	id, err := p.int64("chat_id")
	if err != nil {
		return Failure{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.chatFailures[id]
	if ok {
		s.chatRefused[id]++
	}
	return f, ok
}

// takeFailure pops the next scripted failure of method.
func (s *Server) takeFailure(method string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.failures[method]
	if len(fs) == 0 {
		return Failure{}, false
	}
	s.failures[method] = fs[1:]
	return fs[0], true
}

func writeError(w http.ResponseWriter, e *apiError) {
	body := map[string]any{"ok": false, "error_code": e.Code, "description": e.Description}
	if e.RetryAfter > 0 {
		body["parameters"] = map[string]any{"retry_after": e.RetryAfter}
	}
	writeJSON(w, e.Code, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// params are a request's parameters as the Bot API accepts them: query string,
// form, multipart form or JSON body. Values of JSON bodies are kept as their JSON
// text; strings are unquoted.
type params struct {
	values map[string]string
	files  map[string][]byte
}

func (p params) get(k string) string { return p.values[k] }

func readParams(r *http.Request) (params, error) {
	p := params{values: map[string]string{}, files: map[string][]byte{}}
	for k, v := range r.URL.Query() {
		p.values[k] = v[0]
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 20<<20))
	if err != nil {
		return p, fmt.Errorf("read body: %w", err)
	}
	if len(body) == 0 {
		return p, nil // a method without parameters (the library sends no parts)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "multipart/form-data":
		if err := r.ParseMultipartForm(10 << 20); err != nil {
			return p, fmt.Errorf("bad multipart body: %w", err)
		}
		for k, v := range r.MultipartForm.Value {
			p.values[k] = v[0]
		}
		for k, fhs := range r.MultipartForm.File {
			f, err := fhs[0].Open()
			if err != nil {
				return p, err
			}
			b, err := io.ReadAll(f)
			_ = f.Close()
			if err != nil {
				return p, err
			}
			p.files[k] = b
		}
	case "application/json":
		var obj map[string]json.RawMessage
		if err := json.NewDecoder(io.LimitReader(r.Body, 10<<20)).Decode(&obj); err != nil && !errors.Is(err, io.EOF) {
			return p, fmt.Errorf("bad JSON body: %w", err)
		}
		for k, v := range obj {
			var s string
			if json.Unmarshal(v, &s) == nil {
				p.values[k] = s
			} else {
				p.values[k] = string(v)
			}
		}
	default:
		if err := r.ParseForm(); err != nil {
			return p, err
		}
		for k, v := range r.PostForm {
			p.values[k] = v[0]
		}
	}
	return p, nil
}

func (p params) int64(k string) (int64, error) {
	v := strings.Trim(p.values[k], `"`)
	if v == "" {
		return 0, badRequest("%s is empty", k)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, badRequest("%s is invalid", k)
	}
	return n, nil
}

func (p params) optInt(k string) int {
	n, _ := strconv.Atoi(strings.Trim(p.values[k], `"`))
	return n
}

func (s *Server) getUpdates(ctx context.Context, p params) ([]json.RawMessage, error) {
	offset := int64(p.optInt("offset"))
	limit := p.optInt("limit")
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout := time.Duration(p.optInt("timeout")) * time.Second
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.webhookURL != "" {
			s.mu.Unlock()
			return nil, &apiError{Code: 409, Description: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		// An offset confirms every update before it, as in Telegram.
		i := 0
		for i < len(s.pending) && s.pending[i].id < offset {
			i++
		}
		s.pending = s.pending[i:]
		if len(s.pending) > 0 {
			n := min(limit, len(s.pending))
			out := make([]json.RawMessage, n)
			for j := range n {
				out[j] = s.pending[j].raw
			}
			s.mu.Unlock()
			return out, nil
		}
		wake := s.updWake
		s.mu.Unlock()
		if timeout <= 0 {
			return []json.RawMessage{}, nil
		}
		select {
		case <-wake:
		case <-deadline.C:
			return []json.RawMessage{}, nil
		case <-ctx.Done():
			return []json.RawMessage{}, nil
		case <-s.ctx.Done():
			return []json.RawMessage{}, nil
		}
	}
}

var secretRe = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(p params) (bool, error) {
	url := p.get("url")
	secret := p.get("secret_token")
	if url != "" && !strings.HasPrefix(url, "https://") && !strings.HasPrefix(url, "http://127.0.0.1") {
		return false, badRequest("bad webhook: An HTTPS URL must be provided for webhook")
	}
	if secret != "" && !secretRe.MatchString(secret) {
		return false, badRequest("secret token contains unallowed characters")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL, s.webhookSecret = url, secret
	return true, nil
}

// SetWebhookTarget overrides where webhook updates go: the bot registers its
// public URL (https), but in a test the listener is on 127.0.0.1. Call it after
// the bot has called setWebhook.
func (s *Server) SetWebhookTarget(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL = url
}

// Webhook returns the URL and secret the bot registered with setWebhook.
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.webhookURL, s.webhookSecret
}

// MaxText is the most characters (UTF-16 code units, as Telegram counts) a
// message may hold after entity parsing.
const MaxText = 4096

// MaxCaption is the most characters of a photo caption after entity parsing.
const MaxCaption = 1024

// checkText validates text under parse mode and returns its visible length.
func checkText(text, parseMode string, max int) error {
	visible := text
	switch strings.ToLower(parseMode) {
	case "":
	case "html":
		v, err := ParseHTML(text)
		if err != nil {
			return badRequest("can't parse entities: %v", err)
		}
		visible = v
	default:
		return badRequest("unsupported parse_mode %q in this fake", parseMode)
	}
	if strings.TrimSpace(visible) == "" {
		return badRequest("message text is empty")
	}
	if utf16Len(visible) > max {
		return badRequest("message is too long")
	}
	return nil
}

func utf16Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

func checkKeyboard(raw string) ([][]models.InlineKeyboardButton, error) {
	if raw == "" {
		return nil, nil
	}
	var m struct {
		InlineKeyboard *[][]models.InlineKeyboardButton `json:"inline_keyboard"`
	}
	if err := json.Unmarshal([]byte(raw), &m); err != nil {
		return nil, badRequest("can't parse reply keyboard markup JSON object")
	}
	if m.InlineKeyboard == nil {
		return nil, badRequest("field \"inline_keyboard\" must be an Array")
	}
	for _, row := range *m.InlineKeyboard {
		for _, b := range row {
			if strings.TrimSpace(b.Text) == "" {
				return nil, badRequest("BUTTON_TEXT_INVALID")
			}
			switch {
			case b.CallbackData != "" && b.URL != "":
				return nil, badRequest("can't parse inline keyboard button: exactly one of the optional fields must be used")
			case b.URL != "":
				if !strings.HasPrefix(b.URL, "https://") && !strings.HasPrefix(b.URL, "http://") && !strings.HasPrefix(b.URL, "tg://") {
					return nil, badRequest("BUTTON_URL_INVALID")
				}
			case len(b.CallbackData) > 64 || !utf8.ValidString(b.CallbackData):
				return nil, badRequest("BUTTON_DATA_INVALID")
			case b.CallbackData == "":
				return nil, badRequest("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
			}
		}
	}
	return *m.InlineKeyboard, nil
}

// record stores a visible call and wakes whoever waits on its chat.
func (s *Server) record(c Call, queue bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = append(s.log, c)
	if !queue {
		return
	}
	b := s.box(c.ChatID)
	b.calls = append(b.calls, c)
	if b.wake != nil {
		close(b.wake)
		b.wake = nil
	}
}

func (s *Server) newMessage(chatID int64, text, keyboard string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextMsg[chatID]++
	id := s.nextMsg[chatID]
	if s.msgs[chatID] == nil {
		s.msgs[chatID] = map[int]sentMessage{}
	}
	s.msgs[chatID][id] = sentMessage{text: text, keyboard: keyboard}
	return id
}

func (s *Server) sendMessage(method string, p params) (*models.Message, error) {
	chatID, err := p.int64("chat_id")
	if err != nil {
		return nil, err
	}
	if err := checkText(p.get("text"), p.get("parse_mode"), MaxText); err != nil {
		return nil, err
	}
	kb, err := checkKeyboard(p.get("reply_markup"))
	if err != nil {
		return nil, err
	}
	c := Call{Method: method, ChatID: chatID, Text: p.get("text"), ParseMode: p.get("parse_mode"), Keyboard: kb, ThreadID: p.optInt("message_thread_id")}
	if rp := p.get("reply_parameters"); rp != "" {
		var r models.ReplyParameters
		if json.Unmarshal([]byte(rp), &r) != nil {
			return nil, badRequest("can't parse reply parameters JSON object")
		}
		c.ReplyTo = r.MessageID
	}
	c.MessageID = s.newMessage(chatID, c.Text, p.get("reply_markup"))
	s.record(c, true)
	me := s.me
	return &models.Message{ID: c.MessageID, From: &me, Date: int(time.Now().Unix()), Chat: models.Chat{ID: chatID}, Text: c.Text}, nil
}

func (s *Server) editMessageText(method string, p params) (*models.Message, error) {
	chatID, err := p.int64("chat_id")
	if err != nil {
		return nil, err
	}
	msgID := p.optInt("message_id")
	if err := checkText(p.get("text"), p.get("parse_mode"), MaxText); err != nil {
		return nil, err
	}
	kb, err := checkKeyboard(p.get("reply_markup"))
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	old, ok := s.msgs[chatID][msgID]
	if ok && old.text == p.get("text") && old.keyboard == p.get("reply_markup") {
		s.mu.Unlock()
		return nil, badRequest("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	if ok {
		s.msgs[chatID][msgID] = sentMessage{text: p.get("text"), keyboard: p.get("reply_markup")}
	}
	s.mu.Unlock()
	if !ok {
		return nil, badRequest("message to edit not found")
	}
	c := Call{Method: method, ChatID: chatID, MessageID: msgID, Text: p.get("text"), ParseMode: p.get("parse_mode"), Keyboard: kb}
	s.record(c, true)
	me := s.me
	return &models.Message{ID: msgID, From: &me, Date: int(time.Now().Unix()), Chat: models.Chat{ID: chatID}, Text: c.Text}, nil
}

func (s *Server) answerCallback(method string, p params) (bool, error) {
	id := p.get("callback_query_id")
	s.mu.Lock()
	answered, known := s.callbacks[id]
	if known && !answered {
		s.callbacks[id] = true
	}
	s.mu.Unlock()
	if !known || answered {
		return false, badRequest("query is too old and response timeout expired or query ID is invalid")
	}
	if len(p.get("text")) > 200 {
		return false, badRequest("MESSAGE_TOO_LONG")
	}
	s.record(Call{Method: method, CallbackQueryID: id, Text: p.get("text")}, false)
	return true, nil
}

var commandNameRe = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)

func (s *Server) setMyCommands(method string, p params) (bool, error) {
	var cmds []models.BotCommand
	if err := json.Unmarshal([]byte(p.get("commands")), &cmds); err != nil {
		return false, badRequest("can't parse commands JSON object")
	}
	if len(cmds) > 100 {
		return false, badRequest("too many commands")
	}
	for _, c := range cmds {
		if !commandNameRe.MatchString(c.Command) {
			return false, badRequest("BOT_COMMAND_INVALID")
		}
		if n := utf8.RuneCountInString(c.Description); n < 1 || n > 256 {
			return false, badRequest("BOT_COMMAND_DESCRIPTION_INVALID")
		}
	}
	s.record(Call{Method: method, Commands: cmds}, false)
	return true, nil
}

func (s *Server) getChatMember(p params) (any, error) {
	chatID, err := p.int64("chat_id")
	if err != nil {
		return nil, err
	}
	userID, err := p.int64("user_id")
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	status, ok := s.members[[2]int64{chatID, userID}]
	s.mu.Unlock()
	if !ok {
		status = models.ChatMemberTypeMember
	}
	user := User(userID)
	return map[string]any{"status": status, "user": user}, nil
}

func (s *Server) sendPhoto(method string, p params) (*models.Message, error) {
	chatID, err := p.int64("chat_id")
	if err != nil {
		return nil, err
	}
	photo := p.files["photo"]
	if len(photo) == 0 {
		return nil, badRequest("there is no photo in the request")
	}
	if cap := p.get("caption"); cap != "" {
		if err := checkText(cap, p.get("parse_mode"), MaxCaption); err != nil {
			return nil, err
		}
	}
	kb, err := checkKeyboard(p.get("reply_markup"))
	if err != nil {
		return nil, err
	}
	c := Call{Method: method, ChatID: chatID, Text: p.get("caption"), ParseMode: p.get("parse_mode"), Photo: photo, Keyboard: kb}
	c.MessageID = s.newMessage(chatID, c.Text, p.get("reply_markup"))
	s.record(c, true)
	me := s.me
	return &models.Message{ID: c.MessageID, From: &me, Date: int(time.Now().Unix()), Chat: models.Chat{ID: chatID}}, nil
}
