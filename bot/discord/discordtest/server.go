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
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"time"

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
	// open holds every gateway connection being served: the test server
	// forgets a connection once it is upgraded (hijacked), so Close closes
	// them itself, the current one and any a reconnecting bot left behind.
	open map[*websocket.Conn]bool
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
	for c := range s.open {
		c.Close()
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

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"code": code, "message": msg})
}
