package telegram_test

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/bot/telegram"
	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
)

// Ids distinctive enough that finding them in the logs means a leak.
const (
	userID    int64 = 700111222
	adminID   int64 = 700333444
	groupID   int64 = -1009876543210
	waitLimit       = bottest.Deadline
)

var (
	person = telegramtest.User(userID)
	admin  = telegramtest.User(adminID)
	dm     = telegramtest.Private(person)
	group  = telegramtest.Group(groupID)
)

// apiCalls records OnAPICall reports.
type apiCalls struct {
	mu    sync.Mutex
	calls []string // "method ok" or "method err"
}

func (a *apiCalls) report(method string, err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := method + " ok"
	if err != nil {
		s = method + " err"
	}
	a.calls = append(a.calls, s)
}

func (a *apiCalls) list() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.calls...)
}

func (a *apiCalls) wait(t *testing.T, want string) {
	t.Helper()
	bottest.WaitFor(t, "API call "+want, func() bool { return slices.Contains(a.list(), want) })
}

// env is one adapter running against a fake Bot API.
type env struct {
	t    *testing.T
	srv  *telegramtest.Server
	core telegram.Handler
	rec  *bottest.Recorder
	logs *bottest.Buffer
	api  *apiCalls
	cfg  telegram.Config
	a    *telegram.Adapter
	stop func()
	// cancel cancels the running adapter's context without waiting for Run.
	cancel context.CancelFunc
	// secrets must never appear in the logs.
	secrets []string
	// allowRejected are substrings of fake-server rejections the test provokes.
	allowRejected []string
}

// newEnv starts a fake server and an adapter over the real core (or the handler
// set by configure), running until the test ends.
func newEnv(t *testing.T, configure ...func(*telegram.Config)) *env {
	t.Helper()
	e := &env{t: t, srv: telegramtest.NewServer(t), rec: bottest.NewRecorder(), logs: &bottest.Buffer{}, api: &apiCalls{}}
	e.cfg = telegram.Config{
		Token:     e.srv.Token(),
		APIURL:    e.srv.URL,
		AdminIDs:  []int64{adminID},
		Recorder:  e.rec,
		Logger:    slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		OnAPICall: e.api.report,
	}
	for _, c := range configure {
		c(&e.cfg)
	}
	if e.cfg.Handler == nil {
		e.cfg.Handler = bottest.New(t, bot.WithRecorder(e.rec))
	}
	e.core = e.cfg.Handler
	e.secrets = []string{e.srv.Token(), strconv.FormatInt(userID, 10), strconv.FormatInt(adminID, 10), strconv.FormatInt(groupID, 10),
		question, "kill myself", "tell me everything", "<script>"}
	t.Cleanup(e.checkLogs)
	e.start()
	return e
}

// start creates a new Adapter and runs it.
func (e *env) start() {
	t := e.t
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, err := telegram.New(ctx, e.cfg)
	if err != nil {
		cancel()
		t.Fatalf("telegram.New: %v", err)
	}
	done := make(chan error, 1) // buffered: Run's result is read by stop, or dropped
	go func() { done <- a.Run(ctx) }()
	var once sync.Once
	e.a = a
	e.cancel = cancel
	e.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(waitLimit):
				t.Errorf("Run did not return within %v of cancel", waitLimit)
			}
		})
	}
	t.Cleanup(e.stop)
}

// checkLogs fails the test if a secret or an id reached the logs.
func (e *env) checkLogs() {
	if e.stop != nil {
		e.stop()
	}
	logs := e.logs.String()
	for _, s := range e.secrets {
		if s != "" && strings.Contains(logs, s) {
			e.t.Errorf("logs contain %q:\n%s", s, logs)
		}
	}
	for _, err := range e.srv.Rejected() {
		if !slices.ContainsFunc(e.allowRejected, func(s string) bool { return strings.Contains(err.Error(), s) }) {
			e.t.Errorf("the fake Bot API rejected a request: %v", err)
		}
	}
}

// next waits for the next message the bot sent (or edited) in chat.
func (e *env) next(chat models.Chat) telegramtest.Call {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	c, err := e.srv.Next(ctx, chat.ID)
	if err != nil {
		e.t.Fatalf("%v (rejected: %v; log:\n%s)", err, e.srv.Rejected(), e.logs.String())
	}
	return c
}

// ask sends text from user in chat and returns the bot's answer.
func (e *env) ask(chat models.Chat, user models.User, text string) telegramtest.Call {
	e.t.Helper()
	e.srv.SendText(chat, user, text)
	return e.next(chat)
}

// visible is the text a person sees: the HTML parsed as Telegram does.
func visible(t *testing.T, c telegramtest.Call) string {
	t.Helper()
	if c.ParseMode != "HTML" {
		t.Fatalf("parse_mode = %q, want HTML", c.ParseMode)
	}
	v, err := telegramtest.ParseHTML(c.Text)
	if err != nil {
		t.Fatalf("bad HTML %q: %v", c.Text, err)
	}
	return v
}

// buttons lists the callback data of a keyboard, and the URLs of URL buttons.
func buttons(c telegramtest.Call) (data, urls []string) {
	for _, row := range c.Keyboard {
		for _, b := range row {
			if b.URL != "" {
				urls = append(urls, b.URL)
			} else {
				data = append(data, b.CallbackData)
			}
		}
	}
	return data, urls
}

// coreReply is what the real core answers m with, for comparison (only for
// stateless messages: it records an event like any other message).
func (e *env) coreReply(m bot.Message) bot.Reply {
	m.Platform = telegram.Platform
	if m.Community == "" {
		m.Community = bot.CommunityDM
	}
	return e.core.Handle(context.Background(), m)
}

// firstLine is the first line of the plain rendering of markup.
func firstLine(markup string) string {
	l, _, _ := strings.Cut(bot.Plain(strings.TrimSpace(markup)), "\n")
	return l
}

var errBoom = errors.New("stats store down")
