package discordtest

import (
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"time"
	"unicode/utf16"
)

// FlagEphemeral is the message flag that shows a message to its invoker only.
const FlagEphemeral = 1 << 6

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

// SendMessage dispatches MESSAGE_CREATE for a person's message. mention says
// whether it mentions the bot. As on Discord without the privileged message
// content intent, a guild message that does not mention the bot arrives with
// empty content.
func (s *Server) SendMessage(w Who, content string, mention bool) (string, error) {
	id := s.newIDLocked()
	mentions := []any{}
	if mention {
		mentions = append(mentions, map[string]any{"id": s.BotUserID, "username": "supportbot", "bot": true})
	}
	s.mu.Lock()
	hasContent := s.intents&intentMessageContent != 0
	s.mu.Unlock()
	if w.GuildID != "" && !mention && !hasContent {
		content = ""
	}
	payload := map[string]any{
		"id": id, "channel_id": w.ChannelID, "content": content, "type": 0,
		"author":    map[string]any{"id": w.UserID, "username": "person" + w.UserID, "discriminator": "0"},
		"mentions":  mentions,
		"timestamp": s.now().UTC().Format(time.RFC3339),
	}
	if w.GuildID != "" {
		payload["guild_id"] = w.GuildID
		payload["member"] = map[string]any{"roles": []string{}}
	}
	return id, s.Dispatch("MESSAGE_CREATE", payload)
}
