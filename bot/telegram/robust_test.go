package telegram_test

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/bot/telegram"
	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
)

// Tests of issue 13: keep serving, whatever one person, one update or the
// API does.

// freeAddr is a free 127.0.0.1 address to listen on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// count is how many API call reports equal want.
func (a *apiCalls) count(want string) int {
	n := 0
	for _, c := range a.list() {
		if c == want {
			n++
		}
	}
	return n
}

// TestUndecodableUpdateSkipped: an update whose fields have the wrong JSON
// types (which made the library's getUpdates fail on every poll, for good) is
// skipped, counted and logged once, and what comes after it is answered.
func TestUndecodableUpdateSkipped(t *testing.T) {
	e := newEnv(t)
	bad := `{"message":{"message_id":"not a number","date":1,"chat":{"id":` + strconv.FormatInt(userID, 10) +
		`,"type":"private"},"from":{"id":true,"is_bot":false,"first_name":"x"},"text":"tell me everything"}}`
	for range 2 {
		if err := e.srv.PushRaw([]byte(bad)); err != nil {
			t.Fatal(err)
		}
	}
	c := e.ask(dm, person, question)
	if !strings.HasPrefix(visible(t, c), firstLine(e.coreReply(bot.Message{Text: question, Conversation: "cmp"}).Text)) {
		t.Errorf("after two undecodable updates the question got %q", visible(t, c))
	}
	if n := e.api.count("undecodable_update err"); n != 2 {
		t.Errorf("undecodable updates reported: %d, want 2", n)
	}
	if n := strings.Count(e.logs.String(), "update undecodable"); n != 1 {
		t.Errorf("undecodable updates logged in %d lines, want 1:\n%s", n, e.logs.String())
	}
	bottest.WaitFor(t, "every update confirmed", func() bool { return len(e.srv.Unconfirmed()) == 0 })
}

// TestThrottledChatDoesNotDelayOthers: a private chat sends 200 messages while
// Telegram answers every message to it with 429 (retry_after 20). Another
// person's question is answered at once (before, it waited for the 64 slots
// the throttled chat held while sleeping out retry_after), and the adapter
// stops at once when asked (before, it waited out the retries).
func TestThrottledChatDoesNotDelayOthers(t *testing.T) {
	e := newEnv(t)
	flooder := telegramtest.User(700555666)
	chat := telegramtest.Private(flooder)
	e.srv.FailChat(chat.ID, telegramtest.Failure{Code: 429, RetryAfter: 20})
	for i := range 200 {
		e.srv.SendText(chat, flooder, "hello "+strconv.Itoa(i))
	}
	c := e.ask(dm, person, question)
	if c.ChatID != userID {
		t.Fatalf("answer went to %d", c.ChatID)
	}
	// The other 199 wait behind the first or were dropped: a chat holds at
	// most 16 waiting.
	if d := e.a.FloodDropped(); d < 200-1-16 {
		t.Errorf("FloodDropped = %d, want at least %d", d, 200-1-16)
	}
	e.stop() // fails the test if Run does not return promptly
	// Telegram said to wait 20 s: nothing else goes to that chat before,
	// neither a retry nor the next message (before: 776 requests).
	if n := e.srv.Refused(chat.ID); n != 1 {
		t.Errorf("%d messages to the throttled chat were tried, want 1", n)
	}
}

// TestFloodLimits: replies to one chat are limited, private chats included,
// and crisis replies have their own limit: the first ones go out at once
// whatever the chat's other limit says, but a thousand crisis messages do not
// buy a thousand replies.
func TestFloodLimits(t *testing.T) {
	for _, tc := range []struct {
		name    string
		group   bool
		kind    bot.Kind
		maxSent int
	}{
		{"private chat", false, bot.KindSmalltalk, 10 + 1},
		{"crisis in a private chat", false, bot.KindCrisis, 3 + 1},
		{"crisis in a group", true, bot.KindCrisis, 3 + 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *telegram.Config) {
				c.Handler = handlerFunc(func(context.Context, bot.Message) bot.Reply {
					return bot.Reply{Kind: tc.kind, Text: "a reply"}
				})
				c.MaxConcurrent = 1
			})
			chat, text := dm, "help"
			if tc.group {
				chat, text = group, "@"+e.srv.Me().Username+" help"
			}
			const n = 60
			for range n {
				e.srv.SendText(chat, person, text)
			}
			// Each message is either answered (one part) or dropped.
			bottest.WaitFor(t, "every message answered or dropped", func() bool {
				return e.api.count("sendMessage ok")+e.api.count("flood_limit err") == n
			})
			sent := e.api.count("sendMessage ok")
			if sent < 1 || sent > tc.maxSent {
				t.Errorf("%d of %d replies sent, want 1 to %d", sent, n, tc.maxSent)
			}
			if lines := strings.Count(e.logs.String(), "over the flood limit"); lines != 1 {
				t.Errorf("flood drops logged in %d lines, want 1", lines)
			}
		})
	}
}

// TestRepeatedWarningsSummarised: what outsiders can repeat at will (requests
// to the webhook without the secret, 429 answers) writes one line per
// interval, with a count, never one line each.
func TestRepeatedWarningsSummarised(t *testing.T) {
	addr := freeAddr(t)
	const secret = "s3cret_Webhook-value"
	e := newEnv(t, func(c *telegram.Config) {
		c.Webhook = &telegram.Webhook{Listen: addr, PublicURL: "https://bot.example.org/hook", Secret: secret}
	})
	e.secrets = append(e.secrets, secret)
	e.api.wait(t, "setWebhook ok")
	target := "http://" + addr + "/hook"
	e.srv.SetWebhookTarget(target)
	ctx := context.Background()
	for i := range 300 {
		if st := e.srv.Deliver(ctx, target, "wrong", []byte("{}")); st != 401 {
			t.Fatalf("request %d without the secret: status %d, want 401", i, st)
		}
		if st := e.srv.Deliver(ctx, target, secret, []byte("{not json")); st != 400 {
			t.Fatalf("undecodable request %d: status %d, want 400", i, st)
		}
	}
	// Three replies that each meet a 429 once.
	users := []int64{700600001, 700600002, 700600003}
	for range users {
		e.srv.FailNext("sendMessage", telegramtest.Failure{Code: 429, RetryAfter: 1})
	}
	for _, id := range users {
		u := telegramtest.User(id)
		e.srv.SendText(telegramtest.Private(u), u, question)
	}
	for _, id := range users {
		e.next(telegramtest.Private(telegramtest.User(id)))
	}
	e.stop()
	logs := e.logs.String()
	for _, msg := range []string{"webhook request without the right secret", "webhook update undecodable", "telegram call failed, retrying"} {
		// The first at once, and the rest counted in one more line at stop.
		if n := strings.Count(logs, msg); n < 1 || n > 2 {
			t.Errorf("%q logged %d times, want 1 or 2:\n%s", msg, n, logs)
		}
	}
	if !strings.Contains(logs, "repeated=299") {
		t.Errorf("no line counting the 299 repeated requests:\n%s", logs)
	}
}

// TestUpdateConfirmedOnlyOnceAnswered: an update is confirmed to the Bot API
// by the first poll after its reply was sent, never before (a crash would lose
// it) and never much later (a crash would answer it twice): before, a whole
// batch was confirmed at once, when the last of it had been handed over.
func TestUpdateConfirmedOnlyOnceAnswered(t *testing.T) {
	var mu sync.Mutex
	release := map[string]chan struct{}{"one": make(chan struct{}), "two": make(chan struct{}), "three": make(chan struct{})}
	entered := make(chan string, len(release)) // each handler says once that it runs
	e := newEnv(t, func(c *telegram.Config) {
		c.Handler = handlerFunc(func(_ context.Context, m bot.Message) bot.Reply {
			mu.Lock()
			ch := release[m.Text]
			mu.Unlock()
			entered <- m.Text
			<-ch
			return bot.Reply{Kind: bot.KindSmalltalk, Text: "re: " + m.Text}
		})
	})
	users := map[string]int64{"one": 700700001, "two": 700700002, "three": 700700003}
	ids := map[string]int64{"one": 1, "two": 2, "three": 3} // the fake numbers updates from 1
	for _, text := range []string{"one", "two", "three"} {
		u := telegramtest.User(users[text])
		e.srv.SendText(telegramtest.Private(u), u, text)
	}
	for range release {
		select {
		case <-entered:
		case <-time.After(waitLimit):
			t.Fatal("the three messages were not handled side by side")
		}
	}
	unconfirmed := func(want ...string) func() bool {
		return func() bool {
			var w []int64
			for _, s := range want {
				w = append(w, ids[s])
			}
			return slices.Equal(e.srv.Unconfirmed(), w)
		}
	}
	answer := func(text string) {
		t.Helper()
		close(release[text])
		c := e.next(telegramtest.Private(telegramtest.User(users[text])))
		if got := visible(t, c); got != "re: "+text {
			t.Fatalf("answer %q, want %q", got, "re: "+text)
		}
	}
	if !unconfirmed("one", "two", "three")() {
		t.Errorf("unconfirmed while none is answered: %v, want all three %v", e.srv.Unconfirmed(), ids)
	}
	answer("one")
	bottest.WaitFor(t, fmt.Sprintf("only one confirmed (unconfirmed %v)", e.srv.Unconfirmed()), unconfirmed("two", "three"))
	answer("three") // "two" still holds the offset: confirming "three" would lose "two" in a crash
	if !unconfirmed("two", "three")() {
		t.Errorf("after three's answer, unconfirmed %v, want two and three", e.srv.Unconfirmed())
	}
	answer("two")
	bottest.WaitFor(t, "all confirmed", unconfirmed())
}

// TestRequestBodiesHaveALength: every request goes out with its length, in one
// piece, not streamed in chunks (a third of the process's CPU under load).
func TestRequestBodiesHaveALength(t *testing.T) {
	e := newEnv(t)
	e.ask(dm, person, question)
	if n := e.srv.Streamed(); n != 0 {
		t.Errorf("%d requests streamed without a length, want 0", n)
	}
}

// TestHangingReplyDoesNotHoldOthers: a reply whose request hangs does not keep
// the next people's messages from being taken (updates are taken at most a
// few past the oldest unanswered one, so that a crash answers few twice; a
// reply that hangs stops counting as unanswered after a second).
func TestHangingReplyDoesNotHoldOthers(t *testing.T) {
	e := newEnv(t, func(c *telegram.Config) { c.CallTimeout = time.Minute })
	e.api.wait(t, "setMyCommands ok")
	e.srv.FailNext("sendMessage", telegramtest.Failure{Delay: time.Minute})
	first := telegramtest.User(700800000)
	e.srv.SendText(telegramtest.Private(first), first, question)
	bottest.WaitFor(t, "the first reply to hang", func() bool { return e.srv.Count("getUpdates") > 0 && len(e.srv.Unconfirmed()) == 1 })
	const n = 40 // more than the window of updates in hand
	for i := range n {
		u := telegramtest.User(int64(700800001 + i))
		e.srv.SendText(telegramtest.Private(u), u, question)
	}
	for i := range n {
		e.next(telegramtest.Private(telegramtest.User(int64(700800001 + i))))
	}
}
