package discordtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/gorilla/websocket"
)

// frame is a gateway payload.
type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d,omitempty"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return
	}
	s.connections.Add(1)
	s.mu.Unlock()
	defer s.connections.Done()
	c, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer c.Close()
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	if s.open == nil {
		s.open = map[*websocket.Conn]bool{}
	}
	s.open[c] = true
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.open, c)
		s.mu.Unlock()
	}()
	hello, _ := json.Marshal(map[string]int{"heartbeat_interval": s.heartbeat})
	if c.WriteJSON(frame{Op: 10, D: hello}) != nil {
		return
	}
	// The first frame after HELLO that matters is IDENTIFY or RESUME;
	// heartbeats may come before it.
	for {
		var f frame
		if err := c.ReadJSON(&f); err != nil {
			return
		}
		switch f.Op {
		case 1:
			if c.WriteJSON(frame{Op: 11}) != nil {
				return
			}
			continue
		case 2:
			if !s.identify(c, f.D) {
				return
			}
		case 6:
			if !s.resume(c, f.D) {
				return
			}
		default:
			c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4003, "Not authenticated."))
			return
		}
		break
	}
	s.readLoop(c)
}

// authorized reports whether token, from an IDENTIFY or a RESUME, is the bot's
// (with or without "Bot "); if not, it closes c with 4004, as Discord does.
func (s *Server) authorized(c *websocket.Conn, token string) bool {
	if token == "Bot "+s.token || token == s.token {
		return true
	}
	c.WriteMessage(websocket.CloseMessage, websocket.FormatCloseMessage(4004, "Authentication failed."))
	return false
}

func (s *Server) identify(c *websocket.Conn, d json.RawMessage) bool {
	var id struct {
		Token   string `json:"token"`
		Intents int    `json:"intents"`
	}
	json.Unmarshal(d, &id)
	if !s.authorized(c, id.Token) {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if id.Intents&(intentMessageContent|intentGuildMembers|intentGuildPresences) != 0 {
		s.violate("identify asks for privileged intents %d", id.Intents)
	}
	s.intents = id.Intents
	s.identifies++
	s.session = &session{id: "session-" + s.newID()}
	ready, _ := json.Marshal(map[string]any{
		"v":                  10,
		"session_id":         s.session.id,
		"resume_gateway_url": s.GatewayURL,
		"user":               map[string]any{"id": s.BotUserID, "username": "supportbot", "bot": true},
		"application":        map[string]any{"id": s.AppID, "flags": 0},
		"guilds":             []any{},
	})
	if err := s.sendLocked(c, "READY", ready); err != nil {
		return false
	}
	s.conn = c
	s.notify()
	return true
}

func (s *Server) resume(c *websocket.Conn, d json.RawMessage) bool {
	var rs struct {
		Token     string `json:"token"`
		SessionID string `json:"session_id"`
		Seq       int64  `json:"seq"`
	}
	json.Unmarshal(d, &rs)
	if !s.authorized(c, rs.Token) {
		return false
	}
	s.mu.Lock()
	resumable := s.session != nil && rs.SessionID == s.session.id
	s.mu.Unlock()
	if !resumable {
		// Invalid session, not resumable: the client identifies again.
		if c.WriteJSON(frame{Op: 9, D: json.RawMessage("false")}) != nil {
			return false
		}
		var f frame
		for f.Op != 2 {
			if err := c.ReadJSON(&f); err != nil {
				return false
			}
		}
		return s.identify(c, f.D)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == nil || rs.SessionID != s.session.id {
		return false // invalidated meanwhile; the client will try again
	}
	// Replay what the client missed, then RESUMED, as Discord does.
	for _, e := range s.session.events {
		if e.seq > rs.Seq {
			if c.WriteMessage(websocket.TextMessage, e.payload) != nil {
				return false
			}
		}
	}
	s.session.seq++
	seq := s.session.seq
	if c.WriteJSON(frame{Op: 0, T: "RESUMED", S: &seq, D: json.RawMessage("{}")}) != nil {
		return false
	}
	s.resumes++
	s.conn = c
	s.notify()
	return true
}

// sendLocked dispatches an event on c with the next sequence number and keeps
// it for replay. Callers hold s.mu.
func (s *Server) sendLocked(c *websocket.Conn, t string, d json.RawMessage) error {
	s.session.seq++
	seq := s.session.seq
	payload, _ := json.Marshal(frame{Op: 0, T: t, S: &seq, D: d})
	s.session.events = append(s.session.events, event{seq: seq, payload: payload})
	if c == nil {
		return nil
	}
	return c.WriteMessage(websocket.TextMessage, payload)
}

func (s *Server) readLoop(c *websocket.Conn) {
	defer func() {
		s.mu.Lock()
		if s.conn == c {
			s.conn = nil
			s.notify()
		}
		s.mu.Unlock()
	}()
	for {
		var f frame
		if err := c.ReadJSON(&f); err != nil {
			return
		}
		if f.Op == 1 {
			s.mu.Lock()
			err := c.WriteJSON(frame{Op: 11})
			s.mu.Unlock()
			if err != nil {
				return
			}
		}
	}
}

// Connected reports whether a bot holds an identified gateway connection.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// Intents returns the intents of the last IDENTIFY.
func (s *Server) Intents() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.intents
}

// Identifies and Resumes count the sessions started and resumed.
func (s *Server) Identifies() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.identifies
}

// Resumes counts the sessions resumed.
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}

// WaitConnected waits until a bot holds a gateway connection and has started
// at least identifies sessions and resumed at least resumes times.
func (s *Server) WaitConnected(ctx context.Context, identifies, resumes int) error {
	return s.waitFor(ctx, "gateway connection", func() bool {
		return s.conn != nil && s.identifies >= identifies && s.resumes >= resumes
	})
}

// Disconnect cuts the gateway connection without a close frame, as a network
// failure would. The session stays resumable; events dispatched until the bot
// resumes are replayed then.
func (s *Server) Disconnect() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn != nil {
		s.conn.UnderlyingConn().Close()
		s.conn = nil
		s.notify()
	}
}

// RequestReconnect sends op 7 (Reconnect), as Discord does before moving a
// session: the bot should close, reconnect and resume.
func (s *Server) RequestReconnect() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return fmt.Errorf("reconnect: no gateway connection")
	}
	return s.conn.WriteJSON(frame{Op: 7})
}

// InvalidateSession forgets the gateway session and cuts the connection: the
// bot's RESUME is refused (op 9, not resumable) and it must identify again.
// Events dispatched to the old session are lost, as on Discord.
func (s *Server) InvalidateSession() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.session = nil
	if s.conn != nil {
		s.conn.UnderlyingConn().Close()
		s.conn = nil
	}
	s.notify()
}

// Dispatch sends an event to the bot (or keeps it for replay if the bot is
// disconnected). It fails if no session was ever identified.
func (s *Server) Dispatch(t string, d any) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.session == nil {
		return fmt.Errorf("dispatch %s: no gateway session", t)
	}
	if err := s.sendLocked(s.conn, t, raw); err != nil {
		// The connection broke under us: the event is kept for replay.
		s.conn = nil
	}
	return nil
}

func (s *Server) newIDLocked() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.newID()
}
