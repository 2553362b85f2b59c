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
	"strconv"
	"strings"
	"sync"
	"time"

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

// Rejected returns the errors the server answered to bad requests (limits,
// malformed HTML, unknown messages), so a test can assert there were none.
func (s *Server) Rejected() []error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]error(nil), s.rejected...)
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

// Streamed is how many requests came with a body of unknown length (chunked),
// which costs the bot a write system call per piece.
func (s *Server) Streamed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streamed
}
