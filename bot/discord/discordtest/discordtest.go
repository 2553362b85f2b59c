// Package discordtest provides a fake Discord for tests of bots, the way
// net/http/httptest provides a fake HTTP server: the REST API on an httptest
// server on 127.0.0.1 and a gateway websocket on the same listener.
//
// A [Server] plays the parts of Discord a bot built on slash commands, buttons
// and direct messages uses: GET /gateway/bot, GET /users/@me, the bulk
// overwrite of application commands (global and per guild), interaction
// callbacks, followups and edits through the interaction webhook, channel
// messages and DM channels. The gateway says hello, accepts IDENTIFY (answering
// READY with a session id and a resume_gateway_url) and RESUME (replaying the
// events the bot missed, then RESUMED), acknowledges heartbeats and dispatches
// the events a test injects with sequence numbers.
//
// It also enforces Discord's rules and records every breach as a violation
// (see [Server.Violations]): an interaction must be answered within three
// seconds and only once ([Server.Unanswered] lists those never answered), message content must fit in 2,000 characters,
// components in five rows of five buttons with labels of at most 80 characters
// and unique custom ids of at most 100, command names must be lower case and
// match ^[-_\p{L}\p{N}]{1,32}$, and every message must carry allowed_mentions
// that allows no mention at all.
//
// Tests inject events ([Server.Command], [Server.Press], [Server.SendMessage]),
// wait for what the bot sent with a context deadline ([Server.WaitCalls]),
// script failures ([Server.FailNext]) and cut the gateway
// ([Server.Disconnect]). Nothing here sleeps: waiting is on channels.
package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"

	"github.com/gorilla/websocket"
)

// Token is the bot token the server accepts unless [Options.Token] says otherwise.
const Token = "test-token"

// AnswerDeadline is how long Discord gives a bot to answer an interaction.
const AnswerDeadline = 3 * time.Second

// The routes a [Call] or a [Failure] names.
const (
	RouteGatewayBot  = "gateway_bot"
	RouteUsersMe     = "users_me"
	RouteCommands    = "commands"             // PUT application commands (global or guild)
	RouteCallback    = "interaction_callback" // POST /interactions/{id}/{token}/callback
	RouteFollowup    = "followup"             // POST /webhooks/{app}/{token}
	RouteEditOrig    = "edit_original"        // PATCH /webhooks/{app}/{token}/messages/@original
	RouteEditMessage = "edit_followup"        // PATCH /webhooks/{app}/{token}/messages/{id}
	RouteChannelMsg  = "channel_message"      // POST /channels/{id}/messages
	RouteDMChannel   = "dm_channel"           // POST /users/@me/channels
)

// Interaction callback types (Discord's numbers).
const (
	CallbackMessage        = 4 // CHANNEL_MESSAGE_WITH_SOURCE
	CallbackDeferred       = 5 // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
	CallbackDeferredUpdate = 6 // DEFERRED_UPDATE_MESSAGE
	CallbackUpdate         = 7 // UPDATE_MESSAGE
)

// FlagEphemeral is the message flag that shows a message to its invoker only.
const FlagEphemeral = 1 << 6

// Privileged gateway intents a support bot must not ask for.
const (
	intentGuildMembers   = 1 << 1
	intentGuildPresences = 1 << 8
	intentMessageContent = 1 << 15
)

// Options configure a [Server]. The zero value is usable.
type Options struct {
	Token             string // accepted bot token, without "Bot "; default [Token]
	AppID             string // default "900000000000000001"
	BotUserID         string // default "900000000000000002"
	HeartbeatInterval int    // milliseconds sent in HELLO; default 41250
	// Now replaces time.Now for the three-second rule (tests of the fake).
	Now func() time.Time
}

// Server is a fake Discord. Create it with [NewServer] and Close it.
type Server struct {
	// URL is the REST base, up to and including the version:
	// http://127.0.0.1:PORT/api/v10.
	URL string
	// GatewayURL is the websocket address /gateway/bot answers.
	GatewayURL string

	AppID     string
	BotUserID string

	token     string
	heartbeat int
	now       func() time.Time
	srv       *httptest.Server
	upgrader  websocket.Upgrader

	mu          sync.Mutex
	changed     chan struct{} // closed and replaced whenever anything is recorded
	calls       []Call
	violations  []string
	failures    map[string][]Failure
	attempts    map[string]int
	commands    map[string][]Command // by scope: "" global, else guild id
	interacts   map[string]*interaction
	nextID      int64
	session     *session
	conn        *websocket.Conn
	identifies  int
	resumes     int
	intents     int
	closed      bool
	connections sync.WaitGroup
}

type session struct {
	id     string
	seq    int64
	events []event // every dispatch with its sequence, for replay on RESUME
}

type event struct {
	seq     int64
	payload []byte
}

type interaction struct {
	id, token  string
	component  bool
	created    time.Time
	answered   bool
	answerType int
}

// Call is one request the bot made that Discord would have acted upon.
type Call struct {
	Route         string
	Method        string
	InteractionID string // RouteCallback
	Token         string // the interaction token (callback, followups, edits)
	ChannelID     string // RouteChannelMsg
	MessageID     string // RouteEditMessage
	Scope         string // RouteCommands: "" for global, else the guild id
	Type          int    // RouteCallback: the callback type
	Message       Message
	Commands      []Command // RouteCommands
	Status        int       // the status the fake answered
	At            time.Time
}

// Message is a message body as the bot sent it.
type Message struct {
	Content         string           `json:"content"`
	Flags           int              `json:"flags"`
	Components      []ActionRow      `json:"components"`
	Embeds          []Embed          `json:"embeds"`
	AllowedMentions *AllowedMentions `json:"allowed_mentions"`
	Reference       *struct {
		MessageID string `json:"message_id"`
	} `json:"message_reference"`
	Files []File `json:"-"`
}

// Text is the content followed by each embed's description.
func (m Message) Text() string {
	s := m.Content
	for _, e := range m.Embeds {
		s += "\n" + e.Title + "\n" + e.Description
	}
	return s
}

// Buttons lists the message's buttons row by row.
func (m Message) Buttons() []Button {
	var bs []Button
	for _, r := range m.Components {
		bs = append(bs, r.Components...)
	}
	return bs
}

// ActionRow is a row of components.
type ActionRow struct {
	Type       int      `json:"type"`
	Components []Button `json:"components"`
}

// Button is a button component.
type Button struct {
	Type     int    `json:"type"`
	Style    int    `json:"style"`
	Label    string `json:"label"`
	CustomID string `json:"custom_id"`
	URL      string `json:"url"`
	Disabled bool   `json:"disabled"`
}

// Embed is the part of an embed the fake checks.
type Embed struct {
	Title       string `json:"title"`
	Description string `json:"description"`
}

// AllowedMentions is what a message allows to ping.
type AllowedMentions struct {
	Parse       *[]string `json:"parse"`
	Users       []string  `json:"users"`
	Roles       []string  `json:"roles"`
	RepliedUser bool      `json:"replied_user"`
}

// File is an uploaded attachment.
type File struct {
	Name        string
	ContentType string
	Data        []byte
}

// Command is an application command as registered.
type Command struct {
	ID                       string          `json:"id,omitempty"`
	Name                     string          `json:"name"`
	Description              string          `json:"description"`
	Type                     int             `json:"type,omitempty"`
	Options                  []CommandOption `json:"options,omitempty"`
	DefaultMemberPermissions *string         `json:"default_member_permissions"`
	DMPermission             *bool           `json:"dm_permission,omitempty"`
}

// CommandOption is an option of a command.
type CommandOption struct {
	Type        int    `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Required    bool   `json:"required,omitempty"`
}

// Failure is a scripted answer to the next call of a route.
type Failure struct {
	Status     int     // e.g. 429 or 500
	RetryAfter float64 // seconds, for 429
	Global     bool    // a global rate limit
}

// NewServer starts a fake Discord on 127.0.0.1.
func NewServer(o Options) *Server {
	s := &Server{
		AppID:     or(o.AppID, "900000000000000001"),
		BotUserID: or(o.BotUserID, "900000000000000002"),
		token:     or(o.Token, Token),
		heartbeat: o.HeartbeatInterval,
		now:       o.Now,
		changed:   make(chan struct{}),
		failures:  map[string][]Failure{},
		attempts:  map[string]int{},
		commands:  map[string][]Command{},
		interacts: map[string]*interaction{},
		nextID:    1000,
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.heartbeat <= 0 {
		s.heartbeat = 41250
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v10/", s.serveREST)
	mux.HandleFunc("/gateway", s.serveGateway)
	mux.HandleFunc("/gateway/", s.serveGateway) // clients add a slash before ?v=
	s.srv = httptest.NewServer(mux)
	s.URL = s.srv.URL + "/api/v10"
	s.GatewayURL = "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gateway"
	return s
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Close shuts the server down, the gateway included.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	if s.conn != nil {
		s.conn.Close()
	}
	s.mu.Unlock()
	s.srv.CloseClientConnections()
	s.srv.Close()
	s.connections.Wait()
}

// newID returns a fresh snowflake-like id.
func (s *Server) newID() string {
	s.nextID++
	return strconv.FormatInt(900000000000000000+s.nextID, 10)
}

// notify wakes every waiter. Callers hold s.mu.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *Server) violate(format string, args ...any) {
	s.violations = append(s.violations, fmt.Sprintf(format, args...))
	s.notify()
}

// Violations returns every breach of Discord's rules seen so far.
func (s *Server) Violations() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.violations...)
}

// Unanswered returns the tokens of the interactions injected but never
// answered: on Discord each would show "This interaction failed".
func (s *Server) Unanswered() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, in := range s.interacts {
		if !in.answered {
			out = append(out, in.token)
		}
	}
	return out
}

// FailNext makes the next call to route answer with f instead (queued: calling
// it twice fails the next two calls).
func (s *Server) FailNext(route string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failures[route] = append(s.failures[route], f)
}

// Attempts returns how many requests reached route, failed ones included.
func (s *Server) Attempts(route string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.attempts[route]
}

// Commands returns the commands registered in scope ("" for global).
func (s *Server) Commands(scope string) []Command {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Command(nil), s.commands[scope]...)
}

// SetCommands pretends commands were registered in scope before, as by an
// older version of the bot.
func (s *Server) SetCommands(scope string, cmds []Command) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.commands[scope] = append([]Command(nil), cmds...)
}

// Calls returns every successful call so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Call(nil), s.calls...)
}

// WaitCalls waits until at least n successful calls match and returns the
// matching calls in order, or fails when ctx is done.
func (s *Server) WaitCalls(ctx context.Context, n int, match func(Call) bool) ([]Call, error) {
	for {
		s.mu.Lock()
		var got []Call
		for _, c := range s.calls {
			if match(c) {
				got = append(got, c)
			}
		}
		ch := s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return got, fmt.Errorf("waited for %d calls, got %d: %w", n, len(got), ctx.Err())
		}
	}
}

// ForInteraction matches the calls answering the interaction with this token.
func ForInteraction(token string) func(Call) bool {
	return func(c Call) bool { return c.Token == token }
}

// ForChannel matches the messages sent to a channel.
func ForChannel(id string) func(Call) bool {
	return func(c Call) bool { return c.Route == RouteChannelMsg && c.ChannelID == id }
}

// WaitFor waits until cond, evaluated under the server's lock on every change,
// holds.
func (s *Server) waitFor(ctx context.Context, what string, cond func() bool) error {
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		}
	}
}

// WaitCommands waits until the bot has registered commands in scope (a bulk
// overwrite reached the fake) and returns them.
func (s *Server) WaitCommands(ctx context.Context, scope string) ([]Command, error) {
	err := s.waitFor(ctx, "commands", func() bool {
		for _, c := range s.calls {
			if c.Route == RouteCommands && c.Scope == scope {
				return true
			}
		}
		return false
	})
	return s.Commands(scope), err
}

// --- REST ---

func (s *Server) serveREST(w http.ResponseWriter, r *http.Request) {
	path := strings.TrimPrefix(r.URL.Path, "/api/v10")
	seg := strings.Split(strings.Trim(path, "/"), "/")
	route, call := s.route(r.Method, seg)
	if route == "" {
		writeError(w, http.StatusNotFound, 0, "404: Not Found")
		return
	}
	call.Route, call.Method = route, r.Method
	// Interaction webhooks are authorised by their token, everything else by
	// the bot token.
	if route != RouteFollowup && route != RouteEditOrig && route != RouteEditMessage && route != RouteCallback {
		if r.Header.Get("Authorization") != "Bot "+s.token {
			s.count(route)
			writeError(w, http.StatusUnauthorized, 0, "401: Unauthorized")
			return
		}
	}
	if f, ok := s.takeFailure(route); ok {
		if f.Status == http.StatusTooManyRequests {
			ra := strconv.FormatFloat(f.RetryAfter, 'f', 3, 64)
			w.Header().Set("X-RateLimit-Limit", "5")
			w.Header().Set("X-RateLimit-Remaining", "0")
			w.Header().Set("X-RateLimit-Reset-After", ra)
			w.Header().Set("X-RateLimit-Bucket", "fake-"+route)
			w.Header().Set("Retry-After", strconv.Itoa(int(f.RetryAfter+0.999)))
			if f.Global {
				w.Header().Set("X-RateLimit-Global", "true")
				w.Header().Set("X-RateLimit-Scope", "global")
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(f.Status)
			json.NewEncoder(w).Encode(map[string]any{"message": "You are being rate limited.", "retry_after": f.RetryAfter, "global": f.Global})
			return
		}
		writeError(w, f.Status, 0, http.StatusText(f.Status))
		return
	}
	switch route {
	case RouteGatewayBot:
		writeJSON(w, map[string]any{"url": s.GatewayURL, "shards": 1, "session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 14400000, "max_concurrency": 1}})
		return
	case RouteUsersMe:
		writeJSON(w, map[string]any{"id": s.BotUserID, "username": "supportbot", "discriminator": "0", "bot": true})
		return
	case RouteDMChannel:
		var body struct {
			RecipientID string `json:"recipient_id"`
		}
		json.NewDecoder(r.Body).Decode(&body)
		writeJSON(w, map[string]any{"id": "dm-" + body.RecipientID, "type": 1})
		return
	case RouteCommands:
		s.putCommands(w, r, call)
		return
	}
	msg, err := readMessage(r)
	if err != nil {
		s.mu.Lock()
		s.violate("%s: unreadable body: %v", route, err)
		s.mu.Unlock()
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return
	}
	call.Message = msg.Message
	call.Type = msg.Type
	status, code, text := s.accept(call)
	if status != http.StatusOK {
		writeError(w, status, code, text)
		return
	}
	switch route {
	case RouteCallback:
		w.WriteHeader(http.StatusNoContent)
	default:
		writeJSON(w, map[string]any{"id": call.MessageID, "channel_id": call.ChannelID, "content": call.Message.Content})
	}
}

// route names the request and extracts its ids.
func (s *Server) route(method string, seg []string) (string, Call) {
	var c Call
	n := len(seg)
	switch {
	case method == "GET" && n == 2 && seg[0] == "gateway" && seg[1] == "bot":
		return RouteGatewayBot, c
	case method == "GET" && n == 2 && seg[0] == "users" && seg[1] == "@me":
		return RouteUsersMe, c
	case method == "POST" && n == 3 && seg[0] == "users" && seg[1] == "@me" && seg[2] == "channels":
		return RouteDMChannel, c
	case method == "PUT" && n == 3 && seg[0] == "applications" && seg[2] == "commands":
		return RouteCommands, c
	case method == "PUT" && n == 5 && seg[0] == "applications" && seg[2] == "guilds" && seg[4] == "commands":
		c.Scope = seg[3]
		return RouteCommands, c
	case method == "POST" && n == 4 && seg[0] == "interactions" && seg[3] == "callback":
		c.InteractionID, c.Token = seg[1], seg[2]
		return RouteCallback, c
	case method == "POST" && n == 3 && seg[0] == "webhooks":
		c.Token = seg[2]
		return RouteFollowup, c
	case method == "PATCH" && n == 5 && seg[0] == "webhooks" && seg[3] == "messages" && seg[4] == "@original":
		c.Token = seg[2]
		return RouteEditOrig, c
	case method == "PATCH" && n == 5 && seg[0] == "webhooks" && seg[3] == "messages":
		c.Token, c.MessageID = seg[2], seg[4]
		return RouteEditMessage, c
	case method == "POST" && n == 3 && seg[0] == "channels" && seg[2] == "messages":
		c.ChannelID = seg[1]
		return RouteChannelMsg, c
	}
	return "", c
}

func (s *Server) count(route string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[route]++
}

func (s *Server) takeFailure(route string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.attempts[route]++
	q := s.failures[route]
	if len(q) == 0 {
		return Failure{}, false
	}
	s.failures[route] = q[1:]
	return q[0], true
}

var commandName = regexp.MustCompile(`^[-_\p{L}\p{N}]{1,32}$`)

func (s *Server) putCommands(w http.ResponseWriter, r *http.Request, call Call) {
	var cmds []Command
	if err := json.NewDecoder(r.Body).Decode(&cmds); err != nil {
		writeError(w, http.StatusBadRequest, 50109, "The request body contains invalid JSON.")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	seen := map[string]bool{}
	for i := range cmds {
		c := &cmds[i]
		if !commandName.MatchString(c.Name) || strings.ToLower(c.Name) != c.Name {
			s.violate("command name %q is not a valid lower-case name", c.Name)
		}
		if seen[c.Name] {
			s.violate("command %q registered twice", c.Name)
		}
		seen[c.Name] = true
		if n := len([]rune(c.Description)); n < 1 || n > 100 {
			s.violate("command %q: description of %d characters", c.Name, n)
		}
		for _, o := range c.Options {
			if !commandName.MatchString(o.Name) || strings.ToLower(o.Name) != o.Name {
				s.violate("command %q: option name %q is invalid", c.Name, o.Name)
			}
			if n := len([]rune(o.Description)); n < 1 || n > 100 {
				s.violate("command %q option %q: description of %d characters", c.Name, o.Name, n)
			}
		}
		c.ID = s.newID()
	}
	// A bulk overwrite replaces the whole set: commands not in it are gone.
	s.commands[call.Scope] = cmds
	call.Commands = cmds
	call.Status = http.StatusOK
	call.At = s.now()
	s.calls = append(s.calls, call)
	s.notify()
	writeJSON(w, cmds)
}

type body struct {
	Type int `json:"type"` // interaction callback type
	Message
}

// readMessage decodes a JSON or multipart (payload_json + files[n]) body. An
// interaction callback wraps the message in "data".
func readMessage(r *http.Request) (body, error) {
	var b body
	raw, files, err := readPayload(r)
	if err != nil {
		return b, err
	}
	if strings.Contains(r.URL.Path, "/interactions/") {
		var cb struct {
			Type int              `json:"type"`
			Data *json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(raw, &cb); err != nil {
			return b, err
		}
		b.Type = cb.Type
		if cb.Data != nil {
			if err := json.Unmarshal(*cb.Data, &b.Message); err != nil {
				return b, err
			}
		}
	} else if err := json.Unmarshal(raw, &b.Message); err != nil {
		return b, err
	}
	b.Files = files
	return b, nil
}

func readPayload(r *http.Request) ([]byte, []File, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		raw, err := io.ReadAll(r.Body)
		return raw, nil, err
	}
	mr := multipart.NewReader(r.Body, params["boundary"])
	var raw []byte
	var files []File
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(p)
		if err != nil {
			return nil, nil, err
		}
		if p.FormName() == "payload_json" {
			raw = data
			continue
		}
		files = append(files, File{Name: p.FileName(), ContentType: p.Header.Get("Content-Type"), Data: data})
	}
	if raw == nil {
		return nil, nil, fmt.Errorf("multipart body without payload_json")
	}
	return raw, files, nil
}

// accept checks a message-carrying call against Discord's rules, records it and
// says how Discord would answer.
func (s *Server) accept(c Call) (status, code int, text string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.At = s.now()
	var in *interaction
	if c.Token != "" {
		for _, x := range s.interacts {
			if x.token == c.Token {
				in = x
			}
		}
		if in == nil {
			return http.StatusNotFound, 10015, "Unknown Webhook"
		}
	}
	switch c.Route {
	case RouteCallback:
		if in.id != c.InteractionID {
			return http.StatusNotFound, 10062, "Unknown interaction"
		}
		if in.answered {
			s.violate("interaction %s answered twice", in.id)
			return http.StatusBadRequest, 40060, "Interaction has already been acknowledged."
		}
		if d := c.At.Sub(in.created); d > AnswerDeadline {
			s.violate("interaction %s answered after %v", in.id, d.Round(time.Millisecond))
			return http.StatusNotFound, 10062, "Unknown interaction"
		}
		switch c.Type {
		case CallbackMessage, CallbackDeferred:
		case CallbackDeferredUpdate, CallbackUpdate:
			if !in.component {
				s.violate("interaction %s: callback type %d is for components only", in.id, c.Type)
				return http.StatusBadRequest, 50035, "Invalid Form Body"
			}
		default:
			s.violate("interaction %s: callback type %d", in.id, c.Type)
			return http.StatusBadRequest, 50035, "Invalid Form Body"
		}
		in.answered, in.answerType = true, c.Type
		if c.Type == CallbackDeferred || c.Type == CallbackDeferredUpdate {
			// The deferred response has no content yet.
			break
		}
		s.checkMessage(c, true)
	case RouteFollowup, RouteEditOrig, RouteEditMessage:
		if !in.answered {
			s.violate("interaction %s: %s before the interaction was answered", in.id, c.Route)
			return http.StatusNotFound, 10015, "Unknown Webhook"
		}
		if c.Route == RouteFollowup {
			c.MessageID = s.newID()
		}
		s.checkMessage(c, c.Route == RouteFollowup)
	case RouteChannelMsg:
		c.MessageID = s.newID()
		s.checkMessage(c, true)
	}
	c.Status = http.StatusOK
	s.calls = append(s.calls, c)
	s.notify()
	return http.StatusOK, 0, ""
}

// utf16Len counts characters the way Discord's limits do (JavaScript string
// length), which is never less than the count of code points.
func utf16Len(s string) int { return len(utf16.Encode([]rune(s))) }

// checkMessage records every rule the message breaks. create is true for a
// new message (which must not be empty).
func (s *Server) checkMessage(c Call, create bool) {
	m := c.Message
	where := c.Route
	if n := utf16Len(m.Content); n > 2000 {
		s.violate("%s: content of %d characters", where, n)
	}
	if create && strings.TrimSpace(m.Content) == "" && len(m.Embeds) == 0 && len(m.Files) == 0 && len(m.Components) == 0 {
		s.violate("%s: empty message", where)
	}
	if len(m.Embeds) > 10 {
		s.violate("%s: %d embeds", where, len(m.Embeds))
	}
	total := 0
	for _, e := range m.Embeds {
		if n := utf16Len(e.Description); n > 4096 {
			s.violate("%s: embed description of %d characters", where, n)
		}
		if n := utf16Len(e.Title); n > 256 {
			s.violate("%s: embed title of %d characters", where, n)
		}
		total += utf16Len(e.Description) + utf16Len(e.Title)
	}
	if total > 6000 {
		s.violate("%s: embeds of %d characters in all", where, total)
	}
	if len(m.Components) > 5 {
		s.violate("%s: %d component rows", where, len(m.Components))
	}
	ids := map[string]bool{}
	for _, row := range m.Components {
		if row.Type != 1 {
			s.violate("%s: top-level component of type %d", where, row.Type)
		}
		if len(row.Components) == 0 || len(row.Components) > 5 {
			s.violate("%s: a row of %d buttons", where, len(row.Components))
		}
		for _, b := range row.Components {
			if b.Type != 2 {
				s.violate("%s: component of type %d in a row", where, b.Type)
			}
			if n := utf16Len(b.Label); n < 1 || n > 80 {
				s.violate("%s: button label of %d characters", where, n)
			}
			if b.Style == 5 {
				continue // a link button has a url, no custom id
			}
			if n := len(b.CustomID); n < 1 || n > 100 {
				s.violate("%s: custom_id of %d characters", where, n)
			}
			if ids[b.CustomID] {
				s.violate("%s: duplicate custom_id", where)
			}
			ids[b.CustomID] = true
		}
	}
	am := m.AllowedMentions
	switch {
	case am == nil:
		s.violate("%s: no allowed_mentions", where)
	case am.Parse == nil || len(*am.Parse) > 0 || len(am.Users) > 0 || len(am.Roles) > 0 || am.RepliedUser:
		s.violate("%s: allowed_mentions allows pings", where)
	}
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
}
