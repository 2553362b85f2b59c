package discordtest

import (
	"net/http"
	"strconv"
	"time"
)

// Interaction callback types (Discord's numbers).
const (
	CallbackMessage        = 4 // CHANNEL_MESSAGE_WITH_SOURCE
	CallbackDeferred       = 5 // DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE
	CallbackDeferredUpdate = 6 // DEFERRED_UPDATE_MESSAGE
	CallbackUpdate         = 7 // UPDATE_MESSAGE
)

type interaction struct {
	id, token  string
	component  bool
	created    time.Time
	answered   bool
	answerType int
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

// Who invoked an interaction or wrote a message, and where.
type Who struct {
	GuildID     string // "" for a DM
	ChannelID   string
	UserID      string
	Permissions int64 // the member's permissions in the channel (guild only)
}

func (w Who) fill(in map[string]any) {
	user := map[string]any{"id": w.UserID, "username": "person" + w.UserID, "discriminator": "0"}
	in["channel_id"] = w.ChannelID
	if w.GuildID == "" {
		in["user"] = user
		in["context"] = 1
		return
	}
	in["guild_id"] = w.GuildID
	in["context"] = 0
	in["member"] = map[string]any{"user": user, "roles": []string{}, "permissions": strconv.FormatInt(w.Permissions, 10)}
}

// Sent is an injected interaction: its id and the token its answers carry.
type Sent struct {
	ID, Token string
}

func (s *Server) newInteraction(component bool) Sent {
	s.mu.Lock()
	defer s.mu.Unlock()
	in := &interaction{id: s.newID(), component: component, created: s.now()}
	in.token = "itoken-" + in.id
	s.interacts[in.id] = in
	return Sent{ID: in.id, Token: in.token}
}

// Command dispatches a slash command invocation. options maps string option
// names to values.
func (s *Server) Command(w Who, name string, options map[string]string) (Sent, error) {
	in := s.newInteraction(false)
	opts := []map[string]any{}
	for k, v := range options {
		opts = append(opts, map[string]any{"name": k, "type": 3, "value": v})
	}
	payload := map[string]any{
		"id": in.ID, "application_id": s.AppID, "type": 2, "token": in.Token, "version": 1,
		"data": map[string]any{"id": "cmd-" + name, "name": name, "type": 1, "options": opts},
	}
	w.fill(payload)
	return in, s.Dispatch("INTERACTION_CREATE", payload)
}

// Press dispatches a button press on the message messageID.
func (s *Server) Press(w Who, messageID, customID string) (Sent, error) {
	in := s.newInteraction(true)
	payload := map[string]any{
		"id": in.ID, "application_id": s.AppID, "type": 3, "token": in.Token, "version": 1,
		"data":    map[string]any{"custom_id": customID, "component_type": 2},
		"message": map[string]any{"id": or(messageID, s.newIDLocked()), "channel_id": w.ChannelID, "content": "", "flags": 0},
	}
	w.fill(payload)
	return in, s.Dispatch("INTERACTION_CREATE", payload)
}
