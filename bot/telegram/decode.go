package telegram

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
)

// Platform is the platform name the adapter reports to the core and the stats.
const Platform = "telegram"

// requestKind is what the adapter does with an update.
type requestKind int

const (
	reqIgnore requestKind = iota // not for us: stay silent
	reqCore                      // hand msg to the core and send its reply
	reqStats                     // the /stats command
)

// request is one update decoded into what the adapter needs. It holds the ids
// only to address replies; they never reach the logs or the stats.
type request struct {
	kind       requestKind
	msg        bot.Message
	chatID     int64
	userID     int64
	threadID   int    // forum topic, so the reply lands in the same topic
	messageID  int    // the person's message, or the bot message carrying the pressed button
	group      bool   // a group or supergroup: answer briefly, offer the private chat
	callbackID string // set for a button press, which must be answered
}

// decodeUpdate turns a Bot API update into what the adapter does with it. me is
// the bot's own user (for mentions and replies to the bot). It is a pure
// function: it trusts nothing in the update, and a button's data is passed to the
// core, which validates it, never echoed.
func decodeUpdate(u *models.Update, me models.User, isCrisis func(string) bool) request {
	switch {
	case u == nil:
		return request{}
	case u.CallbackQuery != nil:
		return decodeCallback(u.CallbackQuery)
	case u.Message != nil:
		return decodeMessage(u.Message, me, isCrisis)
	}
	return request{} // edits, channel posts, reactions, members joining…
}

func decodeCallback(q *models.CallbackQuery) request {
	in := request{callbackID: q.ID, userID: q.From.ID}
	var chat models.Chat
	switch {
	case q.Message.Message != nil:
		chat, in.messageID = q.Message.Message.Chat, q.Message.Message.ID
		if q.Message.Message.IsTopicMessage {
			in.threadID = q.Message.Message.MessageThreadID
		}
	case q.Message.InaccessibleMessage != nil:
		chat, in.messageID = q.Message.InaccessibleMessage.Chat, q.Message.InaccessibleMessage.MessageID
	default:
		// An inline message: no chat to answer in. The query is still answered.
		return in
	}
	if q.ID == "" || chat.ID == 0 || q.From.ID == 0 || q.From.IsBot {
		return in
	}
	in.chatID = chat.ID
	community, group, ok := communityOf(chat)
	if !ok {
		return in
	}
	in.group = group
	in.kind = reqCore
	in.msg = bot.Message{Platform: Platform, Community: community, Conversation: conversation(chat.ID, q.From.ID), Data: q.Data}
	if in.msg.Data == "" {
		// An empty press is not something the bot made; the core treats unknown
		// data as forged, so give it something that cannot match.
		in.msg.Data = "\x00"
	}
	return in
}

func decodeMessage(m *models.Message, me models.User, isCrisis func(string) bool) request {
	if m.From == nil || m.From.IsBot || m.Chat.ID == 0 {
		return request{}
	}
	community, group, ok := communityOf(m.Chat)
	if !ok {
		return request{}
	}
	in := request{
		chatID:    m.Chat.ID,
		userID:    m.From.ID,
		messageID: m.ID,
		group:     group,
		msg:       bot.Message{Platform: Platform, Community: community, Conversation: conversation(m.Chat.ID, m.From.ID)},
	}
	if m.IsTopicMessage {
		in.threadID = m.MessageThreadID
	}
	text := m.Text
	if text == "" {
		text = m.Caption
	}
	if name, args, target, ok := parseCommand(text); ok {
		if target != "" && !strings.EqualFold(target, me.Username) {
			return request{} // addressed to another bot
		}
		switch name {
		case "stats":
			in.kind = reqStats
			return in
		case "ask":
			in.kind = reqCore
			if strings.TrimSpace(args) == "" {
				in.msg.Data = bot.DataHelp
			} else {
				in.msg.Text = args
			}
			return in
		case "start":
			in.kind = reqCore
			in.msg.Data = bot.DataStart
			// A deep link (t.me/<bot>?start=triage) may open a part directly; any
			// other payload is the welcome. The payload is never echoed.
			if d, ok := bot.CommandData(strings.TrimSpace(args)); ok {
				in.msg.Data = d
			}
			return in
		}
		if d, ok := bot.CommandData(name); ok {
			in.kind = reqCore
			in.msg.Data = d
			return in
		}
		if group {
			return request{} // somebody else's command
		}
	}
	if group {
		stripped, addressed := addressedToBot(m, text, me)
		if !addressed && (isCrisis == nil || !isCrisis(text)) {
			// Chatter not for the bot stays unanswered and uncounted; a sign of
			// crisis is answered wherever it was written (Telegram delivers such
			// messages only when the group turned the bot's privacy mode off).
			return request{}
		}
		text = stripped
	}
	in.kind = reqCore
	in.msg.Text = text
	return in
}

// communityOf is the stats community of a chat: the group id, or [bot.CommunityDM]
// for private chats. Channels are not served.
func communityOf(c models.Chat) (community string, group, ok bool) {
	switch c.Type {
	case models.ChatTypePrivate:
		return bot.CommunityDM, false, true
	case models.ChatTypeGroup, models.ChatTypeSupergroup:
		return strconv.FormatInt(c.ID, 10), true, true
	}
	return "", false, false
}

// conversation is the opaque key of one person in one chat; the core only hashes it.
func conversation(chatID, userID int64) string {
	return strconv.FormatInt(chatID, 10) + ":" + strconv.FormatInt(userID, 10)
}

// parseCommand reads "/name[@bot] args". name is lower case.
func parseCommand(text string) (name, args, target string, ok bool) {
	if !strings.HasPrefix(text, "/") {
		return "", "", "", false
	}
	head, args, _ := strings.Cut(text[1:], " ")
	if h, rest, found := strings.Cut(head, "\n"); found {
		head, args = h, rest+" "+args
	}
	head, target, _ = strings.Cut(head, "@")
	if head == "" || len(head) > 32 {
		return "", "", "", false
	}
	for _, r := range head {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_') {
			return "", "", "", false
		}
	}
	return strings.ToLower(head), strings.TrimSpace(args), target, true
}

// addressedToBot reports whether a group message is for the bot: it mentions
// @me, text-mentions the bot, or replies to one of the bot's messages. The
// mention is removed from the text handed to the core.
func addressedToBot(m *models.Message, text string, me models.User) (string, bool) {
	addressed := m.ReplyToMessage != nil && m.ReplyToMessage.From != nil && m.ReplyToMessage.From.ID == me.ID && me.ID != 0
	entities := m.Entities
	if m.Text == "" {
		entities = m.CaptionEntities
	}
	units := utf16.Encode([]rune(text))
	var cut [][2]int
	for _, e := range entities {
		if e.Offset < 0 || e.Length <= 0 || e.Offset+e.Length > len(units) {
			continue // a malformed entity: ignore it
		}
		switch e.Type {
		case models.MessageEntityTypeMention:
			word := string(utf16.Decode(units[e.Offset : e.Offset+e.Length]))
			if me.Username != "" && strings.EqualFold(word, "@"+me.Username) {
				addressed = true
				cut = append(cut, [2]int{e.Offset, e.Offset + e.Length})
			}
		case models.MessageEntityTypeTextMention:
			if e.User != nil && e.User.ID == me.ID && me.ID != 0 {
				addressed = true
			}
		}
	}
	if len(cut) == 0 {
		return text, addressed
	}
	var out []uint16
	prev := 0
	for _, c := range cut {
		if c[0] < prev {
			continue // overlapping entities
		}
		out = append(out, units[prev:c[0]]...)
		prev = c[1]
	}
	out = append(out, units[prev:]...)
	return strings.Join(strings.Fields(string(utf16.Decode(out))), " "), addressed
}

// updateID reads the update_id of one update of a getUpdates answer. The Bot
// API writes it first; reading it there spares decoding the whole update again
// each time a poll returns the updates in hand.
func updateID(raw json.RawMessage) (int64, error) {
	const prefix = `{"update_id":`
	if rest, ok := bytes.CutPrefix(raw, []byte(prefix)); ok {
		n := 0
		for n < len(rest) && n < 19 && rest[n] >= '0' && rest[n] <= '9' {
			n++
		}
		if n > 0 && n < len(rest) && (rest[n] == ',' || rest[n] == '}') {
			if id, err := strconv.ParseInt(string(rest[:n]), 10, 64); err == nil && id > 0 {
				return id, nil
			}
		}
	}
	var head struct {
		ID json.RawMessage `json:"update_id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return 0, err
	}
	// An integer, or one written as a string: either way it confirms.
	id, err := strconv.ParseInt(strings.Trim(string(head.ID), `"`), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("update_id %w", ErrUndecodable)
	}
	return id, nil
}

// decodeUpdateJSON decodes one update of a getUpdates answer whose id is id.
func decodeUpdateJSON(raw json.RawMessage, id int64) (*models.Update, error) {
	var u models.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		return nil, err
	}
	u.ID = id
	return &u, nil
}
