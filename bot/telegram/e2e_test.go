package telegram_test

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/bot/telegram"
	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
)

const question = "who actually runs a support group?"

func TestPrivateQuestionGetsItsAnswer(t *testing.T) {
	e := newEnv(t)
	c := e.ask(dm, person, question)
	want := e.coreReply(bot.Message{Text: question})
	if want.Kind != bot.KindAnswer {
		t.Fatalf("core answers %q with kind %q; the test needs an answer", question, want.Kind)
	}
	got := visible(t, c)
	if !strings.HasPrefix(got, firstLine(want.Text)) {
		t.Errorf("private answer starts %.80q, want the core's %q", got, firstLine(want.Text))
	}
	if !strings.Contains(c.Text, "<b>") {
		t.Errorf("answer %.200q has no <b>: markup not rendered", c.Text)
	}
	data, urls := buttons(c)
	var wantData []string
	for _, ch := range want.Choices {
		wantData = append(wantData, ch.Data)
	}
	if !slices.Equal(data, wantData) || len(urls) != 0 {
		t.Errorf("buttons = %v, urls %v; want %v and no private-chat link in a private chat", data, urls, wantData)
	}
	ev := e.rec.Wait(t, "answer", func(ev bot.Event) bool { return ev.Kind == bot.KindAnswer })
	if ev.Platform != "telegram" || ev.Community != bot.CommunityDM {
		t.Errorf("event platform %q community %q, want telegram, dm", ev.Platform, ev.Community)
	}
}

func TestStartWelcomeAndDeepLink(t *testing.T) {
	e := newEnv(t)
	c := e.ask(dm, person, "/start")
	welcome := e.coreReply(bot.Message{Data: bot.DataStart})
	if got := visible(t, c); !strings.HasPrefix(got, firstLine(welcome.Text)) {
		t.Errorf("/start answered %.80q, want the welcome %q", got, firstLine(welcome.Text))
	}
	data, _ := buttons(c)
	if !slices.Contains(data, bot.DataTriage) || !slices.Contains(data, bot.DataTopics) {
		t.Errorf("/start buttons = %v, want the triage and the topic list", data)
	}

	c = e.ask(dm, person, "/start triage")
	triage := e.coreReply(bot.Message{Data: bot.DataTriage, Conversation: "other"})
	if got := visible(t, c); !strings.HasPrefix(got, firstLine(triage.Text)) {
		t.Errorf("/start triage answered %.80q, want the triage's first step %q", got, firstLine(triage.Text))
	}

	// An unknown or hostile payload is the welcome, never echoed.
	c = e.ask(dm, person, "/start <b>x</b>")
	if got := visible(t, c); !strings.HasPrefix(got, firstLine(welcome.Text)) {
		t.Errorf("/start with an unknown payload answered %.80q, want the welcome", got)
	}
}

func TestCommandsRegisteredAtStart(t *testing.T) {
	e := newEnv(t)
	e.api.wait(t, "setMyCommands ok")
	var got []string
	for _, c := range e.srv.Calls() {
		if c.Method == "setMyCommands" {
			for _, cmd := range c.Commands {
				got = append(got, cmd.Command)
			}
		}
	}
	for _, want := range []string{"start", "help", "ask", "triage", "topics", "about", "stats"} {
		if !slices.Contains(got, want) {
			t.Errorf("setMyCommands registered %v, missing %q", got, want)
		}
	}
	for _, cmd := range []string{"/help", "/topics", "/about", "/triage"} {
		d, _ := bot.CommandData(strings.TrimPrefix(cmd, "/"))
		want := e.coreReply(bot.Message{Data: d, Conversation: "cmp" + cmd})
		if got := visible(t, e.ask(dm, person, cmd)); !strings.HasPrefix(got, firstLine(want.Text)) {
			t.Errorf("%s answered %.80q, want %q", cmd, got, firstLine(want.Text))
		}
	}
}

// TestTriageByButtonsAcrossRestart presses through the whole triage; in the
// middle the adapter is stopped and a new one started, and the button of the
// message shown before the restart is pressed.
func TestTriageByButtonsAcrossRestart(t *testing.T) {
	e := newEnv(t)
	c := e.ask(dm, person, "/triage")
	first := c
	outcome := func() string {
		for _, ev := range e.rec.Events() {
			if ev.TriageOutcome != "" {
				return ev.TriageOutcome
			}
		}
		return ""
	}
	steps, restarted := 0, false
	for ; steps < 10 && outcome() == ""; steps++ {
		data, _ := buttons(c)
		// Each question's answers come first, then Back and Start again; the
		// second answer never leads to the urgent-help outcome (the first
		// question's first answer does).
		if len(data) < 3 {
			t.Fatalf("triage step %d offers %v: %q", steps, data, visible(t, c))
		}
		if steps == 1 {
			e.stop()
			e.start()
			restarted = true
		}
		id := e.srv.Press(dm, person, c, data[1])
		next := e.next(dm)
		if !e.srv.CallbackAnswered(id) {
			t.Errorf("step %d: callback query not answered", steps)
		}
		if next.Method != "editMessageText" || next.MessageID != c.MessageID {
			t.Errorf("step %d: %s of message %d, want the pressed message %d edited in place", steps, next.Method, next.MessageID, c.MessageID)
		}
		c = next
	}
	if !restarted || outcome() == "" {
		t.Fatalf("after %d presses: restarted %v, outcome %q; want a restart and an outcome", steps, restarted, outcome())
	}
	if outcome() == "urgent-help" {
		t.Errorf("the safe path ended in urgent-help")
	}
	edits := 0
	for _, call := range e.srv.Calls() {
		if call.Method == "editMessageText" {
			edits++
			if call.MessageID != first.MessageID {
				t.Errorf("an edit changed message %d, want the triage's message %d", call.MessageID, first.MessageID)
			}
		}
	}
	if edits == 0 {
		t.Errorf("no triage step edited the message in place")
	}
	e.rec.Wait(t, "triage outcome", func(ev bot.Event) bool { return ev.TriageOutcome != "" })
	// Nothing was answered twice across the restart.
	if p := e.srv.Pending(dm.ID); len(p) != 0 {
		t.Errorf("unexpected extra messages after the triage: %+v", p)
	}
}

// TestTriageStepOnUneditableMessageSentAnew presses a triage button on a message
// Telegram no longer lets the bot edit: the step arrives as a new message, and
// nothing is counted as a failure.
func TestTriageStepOnUneditableMessageSentAnew(t *testing.T) {
	e := newEnv(t)
	e.allowRejected = []string{"message to edit not found"}
	c := e.ask(dm, person, "/triage")
	data, _ := buttons(c)
	if len(data) < 2 {
		t.Fatalf("triage offers %v", data)
	}
	gone := c
	gone.MessageID += 1000 // deleted, or too old
	e.srv.Press(dm, person, gone, data[1])
	next := e.next(dm)
	if next.Method != "sendMessage" || len(next.Keyboard) == 0 {
		t.Errorf("got %s with %d button rows, want the next step as a new message", next.Method, len(next.Keyboard))
	}
	e.rec.Wait(t, "triage step 2", func(ev bot.Event) bool { return ev.TriageStep == 2 })
	for _, ev := range e.rec.Events() {
		if ev.Err == bot.ErrorKindPlatformAPI {
			t.Errorf("a stale message counted as an API failure: %+v", ev)
		}
	}
}

func TestGroupSilenceMentionCommandReply(t *testing.T) {
	// One update at a time, so a reply to a later message proves the earlier
	// ones were handled (and stayed silent).
	e := newEnv(t, func(c *telegram.Config) { c.MaxConcurrent, c.FloodPerMinute = 1, -1 })
	me := e.srv.Me()
	cases := []struct {
		name   string
		text   string
		silent bool
	}{
		{"plain chatter", question, true},
		{"other bot's command", "/ask@SomeOtherBot " + question, true},
		{"unknown command", "/weather", true},
		{"mention", "@" + me.Username + " " + question, false},
		{"command", "/topics", false},
		{"command to us by name", "/ask@" + me.Username + " " + question, false},
		{"ask", "/ask " + question, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m := e.srv.SendText(group, person, tc.text)
			if tc.silent {
				return // checked by the next addressed message's reply being to it
			}
			c := e.next(group)
			if c.ReplyTo != m.ID {
				t.Fatalf("reply is to message %d, want %d (%q); an earlier message was answered?", c.ReplyTo, m.ID, tc.text)
			}
			if c.ChatID != groupID {
				t.Errorf("answered in chat %d, want the group", c.ChatID)
			}
			_, urls := buttons(c)
			if len(urls) != 1 || !strings.HasPrefix(urls[0], "https://t.me/"+me.Username+"?start=") {
				t.Errorf("group reply URL buttons %v, want one deep link to the private chat", urls)
			}
			if !strings.Contains(visible(t, c), "privately") {
				t.Errorf("group reply %q lacks the line about talking privately", visible(t, c))
			}
		})
	}
	// A reply to the bot's own message is for the bot.
	c := e.ask(group, person, "@"+me.Username+" "+question)
	m := e.srv.SendText(group, person, "how much does it cost?", telegramtest.MessageOpts{ReplyTo: &c})
	if got := e.next(group); got.ReplyTo != m.ID {
		t.Errorf("reply to the bot: answer replies to %d, want %d", got.ReplyTo, m.ID)
	}
	e.rec.Wait(t, "group event", func(ev bot.Event) bool { return ev.Community == strconv.FormatInt(groupID, 10) })
	for _, ev := range e.rec.Events() {
		if ev.Community != strconv.FormatInt(groupID, 10) && ev.Err == "" {
			t.Errorf("event community %q, want the group id", ev.Community)
		}
	}
}

func TestAskAtBotNameAnswersTheQuestion(t *testing.T) {
	e := newEnv(t)
	want := e.coreReply(bot.Message{Text: question, Conversation: "cmp"})
	c := e.ask(group, person, "/ask@"+e.srv.Me().Username+" "+question)
	if got := visible(t, c); !strings.HasPrefix(got, firstLine(want.Text)) {
		t.Errorf("/ask@bot answered %.80q, want %q", got, firstLine(want.Text))
	}
}

func TestCrisisInGroupAnsweredInGroup(t *testing.T) {
	e := newEnv(t, func(c *telegram.Config) { c.FloodPerMinute, c.FloodBurst, c.MaxConcurrent = 0.001, 1, 1 })
	me := e.srv.Me()
	// Use up the group's flood allowance: a crisis reply must still go out.
	e.ask(group, person, "@"+me.Username+" "+question)
	e.srv.SendText(group, person, "@"+me.Username+" "+question) // dropped by the flood limit
	m := e.srv.SendText(group, person, "@"+me.Username+" I want to kill myself")
	c := e.next(group)
	if c.ChatID != groupID || c.ReplyTo != m.ID {
		t.Fatalf("crisis reply went to chat %d replying to %d, want the group, message %d", c.ChatID, c.ReplyTo, m.ID)
	}
	want := e.coreReply(bot.Message{Text: "I want to kill myself", Conversation: "cmp"})
	if want.Kind != bot.KindCrisis {
		t.Fatalf("core kind %q for crisis text", want.Kind)
	}
	if got := visible(t, c); !strings.HasPrefix(got, firstLine(want.Text)) {
		t.Errorf("crisis reply %.80q, want the crisis resources %q", got, firstLine(want.Text))
	}
	if e.a.FloodDropped() != 1 {
		t.Errorf("FloodDropped = %d, want 1", e.a.FloodDropped())
	}
	e.rec.Wait(t, "crisis event", func(ev bot.Event) bool { return ev.Kind == bot.KindCrisis })
}

func TestForgedCallbackIsExpiredAndCounted(t *testing.T) {
	e := newEnv(t)
	c := e.ask(dm, person, "/start")
	forged := "t1:<b>forged</b>&zzz"
	id := e.srv.Press(dm, person, c, forged)
	got := e.next(dm)
	if !e.srv.CallbackAnswered(id) {
		t.Errorf("forged callback not answered")
	}
	want := e.coreReply(bot.Message{Data: "definitely-not-valid", Conversation: "cmp"})
	if v := visible(t, got); !strings.HasPrefix(v, firstLine(want.Text)) || strings.Contains(got.Text, "forged") {
		t.Errorf("forged press answered %q, want the expired reply %q without the data", v, firstLine(want.Text))
	}
	e.rec.Wait(t, "forged payload", func(ev bot.Event) bool { return ev.Err == bot.ErrorKindForgedPayload && ev.Platform == "telegram" })

	// An inline-message press has no chat: answered, nothing sent.
	e.srv.PushRaw([]byte(`{"callback_query":{"id":"inline1","from":{"id":5,"is_bot":false,"first_name":"x"},"inline_message_id":"abc","chat_instance":"1","data":"start"}}`))
	// and a press on a message too old to be accessible still gets its answer.
	e.srv.PushRaw([]byte(`{"callback_query":{"id":"old1","from":{"id":` + strconv.FormatInt(userID, 10) + `,"is_bot":false,"first_name":"x"},"message":{"message_id":` + strconv.Itoa(c.MessageID) + `,"chat":{"id":` + strconv.FormatInt(userID, 10) + `,"type":"private"},"date":0},"chat_instance":"1","data":"start"}}`))
	if got := e.next(dm); !strings.HasPrefix(visible(t, got), firstLine(e.coreReply(bot.Message{Data: bot.DataStart}).Text)) {
		t.Errorf("press on an inaccessible message answered %q, want the welcome", visible(t, got))
	}
	e.api.wait(t, "answerCallbackQuery ok")
	for _, id := range []string{"inline1", "old1"} {
		bottest.WaitFor(t, "callback "+id+" answered", func() bool { return e.srv.CallbackAnswered(id) })
	}
}

// handlerFunc adapts a function to telegram.Handler.
type handlerFunc func(ctx context.Context, m bot.Message) bot.Reply

func (f handlerFunc) Handle(ctx context.Context, m bot.Message) bot.Reply { return f(ctx, m) }

func TestLongAnswerSplitAtParagraphs(t *testing.T) {
	long, err := os.ReadFile(filepath.Join("testdata", "long_answer.md"))
	if err != nil {
		t.Fatal(err)
	}
	if n := len([]rune(string(long))); n < 10000 {
		t.Fatalf("testdata/long_answer.md has %d characters, want at least 10,000", n)
	}
	tooLong := strings.Repeat("x", bot.MaxDataLen+1)
	e := newEnv(t, func(c *telegram.Config) {
		c.Handler = handlerFunc(func(context.Context, bot.Message) bot.Reply {
			return bot.Reply{Kind: bot.KindAnswer, Text: string(long), Choices: []bot.Choice{
				{Label: "Too long to send", Data: tooLong},
				{Label: "More", Data: "topic:cost"},
			}}
		})
	})
	e.srv.SendText(dm, person, "tell me everything")
	var parts []telegramtest.Call
	var got strings.Builder
	for got.Len() < len(bot.Plain(string(long)))-100 {
		c := e.next(dm)
		v := visible(t, c)
		if n := len(utf16.Encode([]rune(v))); n > telegram.MaxText {
			t.Errorf("part %d has %d characters, over %d", len(parts), n, telegram.MaxText)
		}
		if got.Len() > 0 {
			got.WriteString("\n\n")
		}
		got.WriteString(v)
		parts = append(parts, c)
	}
	if len(parts) < 3 {
		t.Errorf("a %d-character answer came in %d parts, want at least 3", len(long), len(parts))
	}
	if want := strings.TrimSpace(bot.Plain(string(long))); got.String() != want {
		t.Errorf("the parts joined differ from the answer (%d vs %d bytes)", got.Len(), len(want))
	}
	for i, p := range parts {
		data, _ := buttons(p)
		if i < len(parts)-1 && len(data) != 0 {
			t.Errorf("part %d carries buttons; only the last should", i)
		}
		if i == len(parts)-1 && !slices.Equal(data, []string{"topic:cost"}) {
			t.Errorf("last part's buttons = %v, want only the valid choice", data)
		}
		// Split at paragraph boundaries: no part starts or ends mid-paragraph.
		v := visible(t, p)
		if !strings.Contains("\n\n"+string(long), firstWords(v)) {
			t.Errorf("part %d starts %q, not at a paragraph of the answer", i, firstWords(v))
		}
	}
	if !strings.Contains(e.logs.String(), "button dropped") {
		t.Errorf("the dropped button was not logged")
	}
}

func firstWords(s string) string {
	if len(s) > 40 {
		s = s[:40]
	}
	return "\n\n" + strings.TrimPrefix(s, "• ")
}

func TestHTMLInQuestionIsEscaped(t *testing.T) {
	nasty := `<b>bold?</b> <a href="javascript:x">x</a> & &amp; <script>alert(1)</script> **not closed [l](https://e.org/?a=1&b="2") </pre>`
	e := newEnv(t, func(c *telegram.Config) {
		c.Handler = handlerFunc(func(_ context.Context, m bot.Message) bot.Reply {
			return bot.Reply{Kind: bot.KindFallback, Text: "You said: " + m.Text}
		})
	})
	c := e.ask(dm, person, nasty)
	// Only the light markup's link becomes a link; everything else shows as typed.
	want := `You said: <b>bold?</b> <a href="javascript:x">x</a> & &amp; <script>alert(1)</script> **not closed l </pre>`
	if got := visible(t, c); got != want {
		t.Errorf("echo shows %q, want %q", got, want)
	}
	if href := `<a href="https://e.org/?a=1&amp;b=&#34;2&#34;">l</a>`; !strings.Contains(c.Text, href) {
		t.Errorf("echo HTML %q lacks the quoted link %q", c.Text, href)
	}
	// And the real core answers such a question without breaking the HTML.
	e2 := newEnv(t)
	visible(t, e2.ask(dm, person, nasty+" "+question))
}

func TestStatsPermissions(t *testing.T) {
	type call struct{ platform, community string }
	var mu sync.Mutex
	var calls []call
	stats := statsFunc(func(_ context.Context, platform, community string, since time.Duration) (string, []byte, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, call{platform, community})
		return "messages  12\n<answer>  7 & more", []byte("\x89PNG fake chart"), nil
	})
	e := newEnv(t, func(c *telegram.Config) { c.Stats = stats })
	e.srv.SetMember(groupID, adminID, models.ChatMemberTypeAdministrator)
	owner := telegramtest.User(700555666)
	e.secrets = append(e.secrets, "700555666")
	e.srv.SetMember(groupID, owner.ID, models.ChatMemberTypeOwner)

	for _, who := range []models.User{admin, owner} {
		c := e.ask(group, who, "/stats")
		if !strings.HasPrefix(c.Text, "<pre>") || visible(t, c) != "messages  12\n<answer>  7 & more" {
			t.Errorf("group admin stats text %q", c.Text)
		}
		if p := e.next(group); p.Method != "sendPhoto" || string(p.Photo) != "\x89PNG fake chart" {
			t.Errorf("after the stats text got %s with %d bytes, want the chart photo", p.Method, len(p.Photo))
		}
	}
	refused := e.ask(group, person, "/stats")
	if strings.Contains(refused.Text, "12") || refused.Method != "sendMessage" {
		t.Errorf("non-admin got %q", refused.Text)
	}
	c := e.ask(telegramtest.Private(admin), admin, "/stats")
	if visible(t, c) != "messages  12\n<answer>  7 & more" {
		t.Errorf("listed admin in private got %q", c.Text)
	}
	e.next(telegramtest.Private(admin)) // the chart
	c = e.ask(dm, person, "/stats")
	if strings.Contains(c.Text, "12") {
		t.Errorf("unlisted user in private got %q", c.Text)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []call{{"telegram", strconv.FormatInt(groupID, 10)}, {"telegram", strconv.FormatInt(groupID, 10)}, {"telegram", ""}}
	if !slices.Equal(calls, want) {
		t.Errorf("Summary calls = %v, want %v (refused users must not reach the data)", calls, want)
	}
	if p := e.srv.Pending(groupID); len(p) != 0 {
		t.Errorf("refusal followed by %d more messages", len(p))
	}
}

type statsFunc func(ctx context.Context, platform, community string, since time.Duration) (string, []byte, error)

func (f statsFunc) Summary(ctx context.Context, platform, community string, since time.Duration) (string, []byte, error) {
	return f(ctx, platform, community, since)
}

func TestStatsUnavailable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stats telegram.Stats
	}{
		{"nil", nil},
		{"failing", statsFunc(func(context.Context, string, string, time.Duration) (string, []byte, error) { return "", nil, errBoom })},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *telegram.Config) { c.Stats = tc.stats })
			c := e.ask(telegramtest.Private(admin), admin, "/stats")
			if !strings.Contains(visible(t, c), "unavailable") {
				t.Errorf("stats %s: got %q, want a plain 'unavailable'", tc.name, visible(t, c))
			}
		})
	}
}

func TestRetryAfter429ThenSuccess(t *testing.T) {
	e := newEnv(t)
	e.api.wait(t, "setMyCommands ok")
	e.srv.FailNext("sendMessage", telegramtest.Failure{Code: 429, RetryAfter: 1})
	c := e.ask(dm, person, question)
	if c.Method != "sendMessage" {
		t.Fatalf("got %s", c.Method)
	}
	// The adapter waited retry_after before the retry (its log says how long;
	// no clock is read here).
	if logs := e.logs.String(); !strings.Contains(logs, "method=sendMessage status=429 attempt=1 wait_ms=1000") {
		t.Errorf("no retry after retry_after=1s in the log:\n%s", logs)
	}
	e.api.wait(t, "sendMessage ok")
	calls := e.api.list()
	if i := slices.Index(calls, "sendMessage err"); i < 0 || !slices.Contains(calls[i:], "sendMessage ok") {
		t.Errorf("API calls %v, want a failed sendMessage then a successful one", calls)
	}
	for _, ev := range e.rec.Events() {
		if ev.Err == bot.ErrorKindPlatformAPI {
			t.Errorf("a retried 429 was counted as a failure: %+v", ev)
		}
	}
}

func TestRetry5xxThenSuccess(t *testing.T) {
	e := newEnv(t)
	e.srv.FailNext("sendMessage", telegramtest.Failure{Code: 500})
	e.srv.FailNext("sendMessage", telegramtest.Failure{Code: 502})
	if c := e.ask(dm, person, question); c.Method != "sendMessage" {
		t.Fatalf("got %s", c.Method)
	}
	if n := strings.Count(strings.Join(e.api.list(), ","), "sendMessage err"); n != 2 {
		t.Errorf("%d failed sendMessage attempts reported, want 2", n)
	}
}

func TestTimeoutRetried(t *testing.T) {
	e := newEnv(t, func(c *telegram.Config) { c.CallTimeout = 200 * time.Millisecond })
	// The first attempt hangs past the call timeout (and is then not processed
	// by the server); the retry goes through.
	e.srv.FailNext("sendMessage", telegramtest.Failure{Delay: time.Minute})
	if c := e.ask(dm, person, question); c.Method != "sendMessage" {
		t.Fatalf("got %s", c.Method)
	}
	e.api.wait(t, "sendMessage ok")
	if calls := e.api.list(); !slices.Contains(calls, "sendMessage err") {
		t.Errorf("API calls %v, want a timed-out sendMessage before the success", calls)
	}
	if p := e.srv.Pending(dm.ID); len(p) != 0 {
		t.Errorf("the answer was sent %d extra times", len(p))
	}
}

func TestPersistentFailureLoggedAndCounted(t *testing.T) {
	e := newEnv(t)
	for range 4 { // the first attempt and 3 retries
		e.srv.FailNext("sendMessage", telegramtest.Failure{Code: 500})
	}
	e.srv.SendText(dm, person, question)
	ev := e.rec.Wait(t, "platform_api failure", func(ev bot.Event) bool { return ev.Err == bot.ErrorKindPlatformAPI })
	if ev.Platform != "telegram" || ev.Community != bot.CommunityDM || ev.Kind != "" {
		t.Errorf("failure event %+v, want platform telegram, community dm, no kind", ev)
	}
	if !strings.Contains(e.logs.String(), "method=sendMessage") || !strings.Contains(e.logs.String(), "status=500") {
		t.Errorf("failure not logged with method and status:\n%s", e.logs.String())
	}
	// The bot keeps answering.
	if c := e.ask(dm, person, question); c.Method != "sendMessage" {
		t.Errorf("after a failure got %s", c.Method)
	}
}

func TestPanicRecoveredWithFallback(t *testing.T) {
	e := newEnv(t, func(c *telegram.Config) {
		c.Handler = handlerFunc(func(_ context.Context, m bot.Message) bot.Reply {
			if m.Text == "boom" {
				panic("handler exploded")
			}
			return bot.Reply{Kind: bot.KindSmalltalk, Text: "fine"}
		})
	})
	c := e.ask(dm, person, "boom")
	if !strings.Contains(visible(t, c), "Sorry") {
		t.Errorf("after a panic got %q, want the fallback", visible(t, c))
	}
	e.rec.Wait(t, "panic", func(ev bot.Event) bool { return ev.Err == bot.ErrorKindPanic })
	if got := visible(t, e.ask(dm, person, "hello")); got != "fine" {
		t.Errorf("after a panic the next message got %q", got)
	}
}

// TestRunFinishesRepliesInFlight cancels Run while the core is still working on
// a message: the reply must still be sent, and before Run returns.
func TestRunFinishesRepliesInFlight(t *testing.T) {
	entered := make(chan struct{}, 1) // the handler signals once without blocking
	release := make(chan struct{})
	e := newEnv(t, func(c *telegram.Config) {
		c.Handler = handlerFunc(func(ctx context.Context, m bot.Message) bot.Reply {
			entered <- struct{}{}
			<-release
			return bot.Reply{Kind: bot.KindSmalltalk, Text: "still here"}
		})
	})
	// A slow Bot API keeps the reply in flight a while after the core is done.
	e.srv.FailNext("sendMessage", telegramtest.Failure{Delay: 300 * time.Millisecond})
	e.srv.SendText(dm, person, "hello")
	select {
	case <-entered:
	case <-time.After(waitLimit):
		t.Fatal("the handler was not called")
	}
	e.cancel()
	close(release)
	e.stop() // waits for Run to return
	p := e.srv.Pending(dm.ID)
	if len(p) != 1 || p[0].Text != "still here" {
		t.Fatalf("when Run returned the chat had %+v, want the reply in flight", p)
	}
}

func TestNewRejectedToken(t *testing.T) {
	srv := telegramtest.NewServer(t)
	const bad = "999:wrong-secret-token-value"
	_, err := telegram.New(context.Background(), telegram.Config{Token: bad, APIURL: srv.URL, Handler: handlerFunc(nil)})
	if !errors.Is(err, telegram.ErrUnauthorized) {
		t.Fatalf("New with a rejected token: %v, want ErrUnauthorized", err)
	}
	if strings.Contains(err.Error(), "wrong-secret") {
		t.Errorf("error %q contains the token", err)
	}
}

func TestConnectedFollowsTheAPI(t *testing.T) {
	e := newEnv(t)
	if !e.a.Connected() {
		t.Errorf("Connected() = false after a successful getMe")
	}
	e.stop()
	if e.a.Connected() {
		t.Errorf("Connected() = true after Run returned")
	}
}

func TestWebhookSecret(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	const secret = "s3cret_Webhook-value"
	e := newEnv(t, func(c *telegram.Config) {
		c.Webhook = &telegram.Webhook{Listen: addr, PublicURL: "https://bot.example.org/tg/hook", Secret: secret}
	})
	e.secrets = append(e.secrets, secret)
	e.api.wait(t, "setWebhook ok")
	url, gotSecret := e.srv.Webhook()
	if url != "https://bot.example.org/tg/hook" || gotSecret != secret {
		t.Fatalf("registered webhook %q with secret %q", url, gotSecret)
	}
	target := "http://" + addr + "/tg/hook"
	e.srv.SetWebhookTarget(target)
	body := []byte(`{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":` + strconv.FormatInt(userID, 10) + `,"type":"private"},"from":{"id":` + strconv.FormatInt(userID, 10) + `,"is_bot":false,"first_name":"x"},"text":"/start"}}`)
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for _, wrong := range []string{"", "wrong", secret + "x"} {
		if st := e.srv.Deliver(ctx, target, wrong, body); st != 401 {
			t.Errorf("delivery with secret %q: status %d, want 401", wrong, st)
		}
	}
	if st := e.srv.Deliver(ctx, target, secret, []byte("{not json")); st != 400 {
		t.Errorf("undecodable update: status %d, want 400", st)
	}
	m := e.srv.SendText(dm, person, question) // delivered by the fake with the registered secret
	select {
	case st := <-e.srv.Deliveries():
		if st != 200 {
			t.Errorf("delivery with the right secret: status %d, want 200", st)
		}
	case <-ctx.Done():
		t.Fatal("no webhook delivery")
	}
	c := e.next(dm)
	if c.ChatID != userID || !strings.HasPrefix(visible(t, c), firstLine(e.coreReply(bot.Message{Text: question, Conversation: "cmp"}).Text)) {
		t.Errorf("webhook answer to message %d: %q", m.ID, visible(t, c))
	}
	// The wrongly authenticated /start was never processed.
	if p := e.srv.Pending(dm.ID); len(p) != 0 {
		t.Errorf("extra messages %v: a request without the secret was processed", p)
	}
}

// TestEveryPayloadAnswersOrStaysSilent feeds the recorded platform payloads in
// testdata/updates through the adapter: none may crash it or make the fake
// server reject a request, and the bot keeps answering afterwards.
func TestEveryPayloadAnswersOrStaysSilent(t *testing.T) {
	e := newEnv(t, func(c *telegram.Config) { c.MaxConcurrent = 1 })
	files, err := filepath.Glob(filepath.Join("testdata", "updates", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no testdata/updates/*.json: %v", err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.srv.PushRaw(raw); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	// A last message from someone else: when its answer arrives, every payload
	// before it has been handled (one at a time).
	last := telegramtest.User(4242)
	e.ask(telegramtest.Private(last), last, question)
}
