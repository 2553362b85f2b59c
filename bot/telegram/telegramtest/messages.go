package telegramtest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"
)

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

type sentMessage struct {
	text     string
	keyboard string
}

type box struct {
	calls []Call
	wake  chan struct{} // non-nil while someone waits; closed on append
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
