package telegramtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
)

func TestParseHTML(t *testing.T) {
	cases := []struct {
		in, want string
		ok       bool
	}{
		{"plain", "plain", true},
		{"<b>bold</b> &lt;&gt;&amp;&quot;&#39;&#x41;", `bold <>&"'A`, true},
		{`<a href="https://e.org/?a=1&amp;b=2">x</a>`, "x", true},
		{"<pre>a\nb</pre><blockquote>q</blockquote>", "a\nbq", true},
		{`<span class="tg-spoiler">s</span>`, "s", true},
		{"<b>unclosed", "", false},
		{"<b><i>crossed</b></i>", "", false},
		{"<script>x</script>", "", false},
		{"a < b", "", false},
		{"a > b", "", false},
		{"fish & chips", "", false},
		{"&nbsp;", "", false},
		{"<a>no href</a>", "", false},
		{`<a href=https://e.org>unquoted</a>`, "", false},
		{"bad \xff utf8", "", false},
	}
	for _, tc := range cases {
		got, err := telegramtest.ParseHTML(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseHTML(%q) = %q, %v; want %q, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

// client is the real library pointed at the fake.
func client(t *testing.T, s *telegramtest.Server) *tgbot.Bot {
	t.Helper()
	b, err := tgbot.New(s.Token(), tgbot.WithServerURL(s.URL), tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(error) {}), tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestLimitsEnforced(t *testing.T) {
	s := telegramtest.NewServer(t)
	b := client(t, s)
	ctx := context.Background()
	const chat = 42
	kb := func(data string) *models.InlineKeyboardMarkup {
		return &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{Text: "x", CallbackData: data}}}}
	}
	cases := []struct {
		name string
		p    *tgbot.SendMessageParams
		ok   bool
	}{
		{"4096 characters", &tgbot.SendMessageParams{ChatID: chat, Text: strings.Repeat("a", 4096)}, true},
		{"4097 characters", &tgbot.SendMessageParams{ChatID: chat, Text: strings.Repeat("a", 4097)}, false},
		{"4096 after entities", &tgbot.SendMessageParams{ChatID: chat, Text: "<b>" + strings.Repeat("&amp;", 4096) + "</b>", ParseMode: models.ParseModeHTML}, true},
		{"emoji count twice", &tgbot.SendMessageParams{ChatID: chat, Text: strings.Repeat("😀", 2049)}, false},
		{"empty", &tgbot.SendMessageParams{ChatID: chat, Text: " "}, false},
		{"bad HTML", &tgbot.SendMessageParams{ChatID: chat, Text: "a < b", ParseMode: models.ParseModeHTML}, false},
		{"64-byte data", &tgbot.SendMessageParams{ChatID: chat, Text: "x", ReplyMarkup: kb(strings.Repeat("d", 64))}, true},
		{"65-byte data", &tgbot.SendMessageParams{ChatID: chat, Text: "x", ReplyMarkup: kb(strings.Repeat("d", 65))}, false},
		{"no label", &tgbot.SendMessageParams{ChatID: chat, Text: "x", ReplyMarkup: &models.InlineKeyboardMarkup{InlineKeyboard: [][]models.InlineKeyboardButton{{{CallbackData: "d"}}}}}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.SendMessage(ctx, tc.p)
			if (err == nil) != tc.ok {
				t.Errorf("SendMessage: %v, want ok %v", err, tc.ok)
			}
			if err != nil && !errors.Is(err, tgbot.ErrorBadRequest) {
				t.Errorf("error %v is not a Telegram 400", err)
			}
		})
	}
	if _, err := b.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: chat, MessageID: 999, Text: "x"}); !errors.Is(err, tgbot.ErrorBadRequest) {
		t.Errorf("editing an unknown message: %v, want 400", err)
	}
	if _, err := b.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: "nope"}); !errors.Is(err, tgbot.ErrorBadRequest) {
		t.Errorf("answering an unknown callback: %v, want 400", err)
	}
	if len(s.Rejected()) == 0 {
		t.Errorf("Rejected() is empty after rejected requests")
	}
}

func TestScriptedFailuresAndQueues(t *testing.T) {
	s := telegramtest.NewServer(t)
	b := client(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	s.FailNext("sendMessage", telegramtest.Failure{Code: 429, RetryAfter: 3})
	s.FailNext("sendMessage", telegramtest.Failure{Code: 500})
	_, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 1, Text: "x"})
	var tooMany *tgbot.TooManyRequestsError
	if !errors.As(err, &tooMany) || tooMany.RetryAfter != 3 {
		t.Errorf("first call: %v, want 429 with retry_after 3", err)
	}
	if _, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 1, Text: "x"}); err == nil || !strings.Contains(err.Error(), "500") {
		t.Errorf("second call: %v, want a 500", err)
	}
	m, err := b.SendMessage(ctx, &tgbot.SendMessageParams{ChatID: 1, Text: "third"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Next(ctx, 1)
	if err != nil || c.Text != "third" || c.MessageID != m.ID {
		t.Fatalf("Next = %+v, %v; want the third message", c, err)
	}
	if _, err := b.EditMessageText(ctx, &tgbot.EditMessageTextParams{ChatID: 1, MessageID: m.ID, Text: "third"}); err == nil || !strings.Contains(err.Error(), "not modified") {
		t.Errorf("an edit to the same text: %v, want 'message is not modified'", err)
	}
	short, cancelShort := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancelShort()
	if _, err := s.Next(short, 2); err == nil {
		t.Errorf("Next on a silent chat returned without an error")
	}
}

func TestGetUpdatesHonoursOffset(t *testing.T) {
	s := telegramtest.NewServer(t)
	got := make(chan int64, 10) // more than the test sends
	user := telegramtest.User(5)
	ctx, cancel := context.WithCancel(context.Background())
	s.SendText(telegramtest.Private(user), user, "one")
	s.SendText(telegramtest.Private(user), user, "two")
	b, err := tgbot.New(s.Token(), tgbot.WithServerURL(s.URL), tgbot.WithSkipGetMe(),
		tgbot.WithErrorsHandler(func(error) {}),
		tgbot.WithDefaultHandler(func(_ context.Context, _ *tgbot.Bot, u *models.Update) { got <- u.ID }),
		tgbot.WithNotAsyncHandlers())
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { b.Start(ctx); close(done) }()
	deadline := time.After(10 * time.Second)
	for _, want := range []int64{1, 2} {
		select {
		case id := <-got:
			if id != want {
				t.Errorf("update %d, want %d", id, want)
			}
		case <-deadline:
			t.Fatalf("update %d not delivered", want)
		}
	}
	// A third arrives while the poll is waiting.
	s.SendText(telegramtest.Private(user), user, "three")
	select {
	case id := <-got:
		if id != 3 {
			t.Errorf("update %d, want 3 (confirmed updates must not come back)", id)
		}
	case <-deadline:
		t.Fatal("update 3 not delivered to the waiting long poll")
	}
	cancel()
	<-done
}
