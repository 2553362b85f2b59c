package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/go-telegram/bot/models"
)

type pendingUpdate struct {
	id  int64
	raw json.RawMessage
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
