package telegram

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
)

var testMe = models.User{ID: 123456, IsBot: true, FirstName: "Support", Username: "SupportTestBot"}

const (
	tUser  = 700111222
	tGroup = -1009876543210
)

func loadUpdate(t *testing.T, name string) *models.Update {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "updates", name))
	if err != nil {
		t.Fatal(err)
	}
	var u models.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return &u
}

func TestDecodeUpdate(t *testing.T) {
	dmConv := "700111222:700111222"
	grConv := "-1009876543210:700111222"
	gr := "-1009876543210"
	cases := []struct {
		file string
		want request
	}{
		{"private_text.json", request{kind: reqCore, chatID: tUser, userID: tUser, messageID: 10,
			msg: bot.Message{Platform: "telegram", Community: "dm", Conversation: dmConv, Text: "who runs a support group?"}}},
		{"private_sticker.json", request{kind: reqCore, chatID: tUser, userID: tUser, messageID: 11,
			msg: bot.Message{Platform: "telegram", Community: "dm", Conversation: dmConv}}},
		{"photo_caption_private.json", request{kind: reqCore, chatID: tUser, userID: tUser, messageID: 26,
			msg: bot.Message{Platform: "telegram", Community: "dm", Conversation: dmConv, Text: "what is this group like?"}}},
		{"group_plain.json", request{}},
		{"group_crisis_unaddressed.json", request{kind: reqCore, chatID: tGroup, userID: tUser, messageID: 40, group: true,
			msg: bot.Message{Platform: "telegram", Community: gr, Conversation: grConv, Text: "honestly i want to kill myself, nothing helps"}}},
		{"group_mention.json", request{kind: reqCore, chatID: tGroup, userID: tUser, messageID: 13, group: true,
			msg: bot.Message{Platform: "telegram", Community: gr, Conversation: grConv, Text: "hey who runs a support group?"}}},
		{"group_mention_emoji.json", request{kind: reqCore, chatID: tGroup, userID: tUser, messageID: 14, group: true,
			msg: bot.Message{Platform: "telegram", Community: gr, Conversation: grConv, Text: "😀 cost?"}}},
		{"group_other_mention.json", request{}},
		{"group_ask_at_bot.json", request{kind: reqCore, chatID: tGroup, userID: tUser, messageID: 16, group: true,
			msg: bot.Message{Platform: "telegram", Community: gr, Conversation: grConv, Text: "how long does it last"}}},
		{"group_ask_other_bot.json", request{}},
		{"group_reply_to_bot.json", request{kind: reqCore, chatID: tGroup, userID: tUser, messageID: 18, group: true,
			msg: bot.Message{Platform: "telegram", Community: gr, Conversation: grConv, Text: "and the cost?"}}},
		{"group_text_mention.json", request{kind: reqCore, chatID: tGroup, userID: tUser, messageID: 19, group: true,
			msg: bot.Message{Platform: "telegram", Community: gr, Conversation: grConv, Text: "Support what is group therapy"}}},
		{"group_stats.json", request{kind: reqStats, chatID: tGroup, userID: tUser, messageID: 20, group: true,
			msg: bot.Message{Platform: "telegram", Community: gr, Conversation: grConv}}},
		{"private_start_payload.json", request{kind: reqCore, chatID: tUser, userID: tUser, messageID: 21,
			msg: bot.Message{Platform: "telegram", Community: "dm", Conversation: dmConv, Data: bot.DataTriage}}},
		{"private_ask_empty.json", request{kind: reqCore, chatID: tUser, userID: tUser, messageID: 22,
			msg: bot.Message{Platform: "telegram", Community: "dm", Conversation: dmConv, Data: bot.DataHelp}}},
		{"callback_private.json", request{kind: reqCore, chatID: tUser, userID: tUser, messageID: 30, callbackID: "q1",
			msg: bot.Message{Platform: "telegram", Community: "dm", Conversation: dmConv, Data: "topics"}}},
		{"callback_group_forged.json", request{kind: reqCore, chatID: tGroup, userID: tUser, messageID: 31, group: true, callbackID: "q2",
			msg: bot.Message{Platform: "telegram", Community: gr, Conversation: grConv, Data: "<i>t9.deadbeef.9999999999</i>"}}},
		{"callback_inaccessible.json", request{kind: reqCore, chatID: tUser, userID: tUser, messageID: 32, callbackID: "q3",
			msg: bot.Message{Platform: "telegram", Community: "dm", Conversation: dmConv, Data: "help"}}},
		{"callback_inline.json", request{userID: tUser, callbackID: "q4"}},
		{"callback_no_data.json", request{kind: reqCore, chatID: tUser, userID: tUser, messageID: 33, callbackID: "q5",
			msg: bot.Message{Platform: "telegram", Community: "dm", Conversation: dmConv, Data: "\x00"}}},
		{"edited_message.json", request{}},
		{"channel_post.json", request{}},
		{"from_bot.json", request{}},
		{"malformed_entities.json", request{}},
		{"forum_topic_mention.json", request{kind: reqCore, chatID: tGroup, userID: tUser, messageID: 25, threadID: 7, group: true,
			msg: bot.Message{Platform: "telegram", Community: gr, Conversation: grConv, Text: "is it free?"}}},
		{"member_joined.json", request{}},
	}
	seen := map[string]bool{}
	for _, tc := range cases {
		seen[tc.file] = true
		t.Run(strings.TrimSuffix(tc.file, ".json"), func(t *testing.T) {
			got := decodeUpdate(loadUpdate(t, tc.file), testMe, testIsCrisis)
			if got != tc.want {
				t.Errorf("decodeUpdate(%s)\n got %+v\nwant %+v", tc.file, got, tc.want)
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join("testdata", "updates", "*.json"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("testdata payload %s has no expectation in TestDecodeUpdate", f)
		}
	}
}

func TestParseCommand(t *testing.T) {
	cases := []struct {
		in                 string
		name, args, target string
		ok                 bool
	}{
		{"/start", "start", "", "", true},
		{"/START@Bot payload", "start", "payload", "Bot", true},
		{"/ask  who runs it? ", "ask", "who runs it?", "", true},
		{"/ask\nwho runs it?", "ask", "who runs it?", "", true},
		{"/", "", "", "", false},
		{"/ask-me", "", "", "", false},
		{"/" + strings.Repeat("a", 33), "", "", "", false},
		{"hello /start", "", "", "", false},
		{"/тест", "", "", "", false},
	}
	for _, tc := range cases {
		name, args, target, ok := parseCommand(tc.in)
		if name != tc.name || args != tc.args || target != tc.target || ok != tc.ok {
			t.Errorf("parseCommand(%q) = %q, %q, %q, %v; want %q, %q, %q, %v", tc.in, name, args, target, ok, tc.name, tc.args, tc.target, tc.ok)
		}
	}
}

func FuzzDecodeUpdate(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "updates", "*.json"))
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var u models.Update
		if json.Unmarshal(raw, &u) != nil {
			return
		}
		in := decodeUpdate(&u, testMe, testIsCrisis)
		switch in.kind {
		case reqIgnore:
			return
		case reqCore, reqStats:
		default:
			t.Fatalf("unknown action %d", in.kind)
		}
		if in.chatID == 0 {
			t.Fatalf("action %d without a chat: %+v", in.kind, in)
		}
		m := in.msg
		if m.Platform != Platform || m.Conversation == "" {
			t.Fatalf("message %+v lacks platform or conversation", m)
		}
		if in.group == (m.Community == bot.CommunityDM) {
			t.Fatalf("group %v with community %q", in.group, m.Community)
		}
		if in.callbackID != "" && m.Text != "" {
			t.Fatalf("a button press became text %q", m.Text)
		}
		// Whatever came in, the reply renders to HTML Telegram accepts.
		for _, c := range renderHTML(m.Text+m.Data, MaxText) {
			if err := checkHTML(c); err != nil {
				t.Fatalf("render of %q: %v", m.Text+m.Data, err)
			}
		}
	})
}

// testIsCrisis stands in for the core's crisis check in decoding tests, which
// test where a message goes, not what it means (the end-to-end tests use the
// real core).
func testIsCrisis(text string) bool { return strings.Contains(strings.ToLower(text), "kill myself") }
