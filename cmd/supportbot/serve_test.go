package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/bot/discord/discordtest"
	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
	"github.com/supportbot/supportbot/internal/backoff"
	"github.com/supportbot/supportbot/internal/serve"
	"github.com/supportbot/supportbot/store"
)

const secretToken = "123456:SECRET-token-never-printed"

// TestServeConfigErrors runs `supportbot run` with one bad value at a time:
// each gives one line naming the variable, and no token is printed.
func TestServeConfigErrors(t *testing.T) {
	brokenKB := t.TempDir() // a directory, but no knowledge base in it
	tests := []struct {
		name    string
		env     map[string]string
		wantVar string
	}{
		{"admin ids", map[string]string{"TELEGRAM_ADMIN_IDS": "123,abc"}, "TELEGRAM_ADMIN_IDS"},
		{"telegram api url", map[string]string{"TELEGRAM_API_URL": "api.telegram.org"}, "TELEGRAM_API_URL"},
		{"discord api url", map[string]string{"DISCORD_API_URL": "ftp://discord.com/api"}, "DISCORD_API_URL"},
		{"guild id", map[string]string{"DISCORD_GUILD_ID": "my-guild"}, "DISCORD_GUILD_ID"},
		{"kb missing", map[string]string{"SUPPORTBOT_KB": filepath.Join(brokenKB, "nope")}, "SUPPORTBOT_KB"},
		{"http address", map[string]string{"SUPPORTBOT_HTTP": "8080"}, "SUPPORTBOT_HTTP"},
		{"log level", map[string]string{"SUPPORTBOT_LOG_LEVEL": "loud"}, "SUPPORTBOT_LOG_LEVEL"},
		{"log format", map[string]string{"SUPPORTBOT_LOG_FORMAT": "xml"}, "SUPPORTBOT_LOG_FORMAT"},
		{"retention", map[string]string{"SUPPORTBOT_RETENTION": "forever"}, "SUPPORTBOT_RETENTION"},
		{"webhook url", map[string]string{"TELEGRAM_WEBHOOK_URL": "bot.example.org/hook"}, "TELEGRAM_WEBHOOK_URL"},
		{"webhook listen", map[string]string{"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook", "TELEGRAM_WEBHOOK_LISTEN": "8443"}, "TELEGRAM_WEBHOOK_LISTEN"},
		{"webhook secret", map[string]string{"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/hook", "TELEGRAM_WEBHOOK_SECRET": "has spaces " + secretToken}, "TELEGRAM_WEBHOOK_SECRET"},
		{"webhook listen without url", map[string]string{"TELEGRAM_WEBHOOK_LISTEN": ":8443"}, "TELEGRAM_WEBHOOK_LISTEN"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			env := map[string]string{"TELEGRAM_BOT_TOKEN": secretToken, "SUPPORTBOT_DB": filepath.Join(t.TempDir(), "stats.db")}
			for k, v := range tc.env {
				env[k] = v
			}
			var stdout, stderr bytes.Buffer
			err := run(context.Background(), []string{"supportbot", "run"}, getenvFrom(env), strings.NewReader(""), &stdout, &stderr)
			if err == nil {
				t.Fatalf("run with %v: no error", tc.env)
			}
			lines := strings.Split(strings.TrimSpace(err.Error()), "\n")
			if len(lines) != 1 || !strings.Contains(lines[0], tc.wantVar) {
				t.Errorf("run with %v: error %q, want one line naming %s", tc.env, err, tc.wantVar)
			}
			all := err.Error() + stdout.String() + stderr.String()
			if strings.Contains(all, "SECRET-token") {
				t.Errorf("run with %v: output contains the token: %q", tc.env, all)
			}
		})
	}

	t.Run("every problem at once", func(t *testing.T) {
		env := map[string]string{
			"TELEGRAM_BOT_TOKEN": secretToken,
			"TELEGRAM_ADMIN_IDS": "x",
			"TELEGRAM_API_URL":   "nope",
			"SUPPORTBOT_HTTP":    "nope",
		}
		err := run(context.Background(), []string{"supportbot", "run"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil {
			t.Fatal("no error")
		}
		lines := strings.Split(err.Error(), "\n")
		if len(lines) != 3 {
			t.Errorf("got %d lines, want 3 (one per variable):\n%s", len(lines), err)
		}
	})

	t.Run("unreadable knowledge base", func(t *testing.T) {
		env := map[string]string{"TELEGRAM_BOT_TOKEN": secretToken, "SUPPORTBOT_KB": brokenKB, "SUPPORTBOT_DB": filepath.Join(t.TempDir(), "stats.db")}
		err := run(context.Background(), []string{"supportbot", "run"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
		if err == nil || !strings.Contains(strings.Split(err.Error(), "\n")[0], "SUPPORTBOT_KB") {
			t.Errorf("run with an empty SUPPORTBOT_KB: err = %v, want one about the knowledge base", err)
		}
	})
}

func TestServeNoPlatform(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"supportbot", "run"}, getenvFrom(nil), strings.NewReader(""), &stdout, &stderr)
	if !errors.Is(err, errNoPlatform) {
		t.Fatalf("run with no token: err = %v, want errNoPlatform", err)
	}
	for _, want := range []string{"TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "supportbot chat"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("no-platform error %q does not mention %s", err, want)
		}
	}
}

// errFakeUnauthorized plays an adapter package's ErrUnauthorized.
var errFakeUnauthorized = errors.New("fake: token rejected")

// fakeAdapter is a platform that hands messages to the bot. Each Run fails
// with runErr (if set) once, the way a dropped connection does.
type fakeAdapter struct {
	b         *bot.Bot
	name      string
	in        chan string // texts people send
	replies   chan bot.Reply
	connected atomic.Bool
	runErr    error
}

func (f *fakeAdapter) Connected() bool { return f.connected.Load() }

func (f *fakeAdapter) Run(ctx context.Context) error {
	f.connected.Store(true)
	defer f.connected.Store(false)
	if f.runErr != nil {
		return f.runErr
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case text := <-f.in:
			f.replies <- f.b.Handle(context.WithoutCancel(ctx), bot.Message{Platform: f.name, Community: bot.CommunityDM, Conversation: "c1", Text: text})
		}
	}
}

// fakePlatforms replaces the real adapters for one test.
func fakePlatforms(t *testing.T, mk func(d serve.Deps) []*serve.Platform) {
	t.Helper()
	old := platformFuncs
	platformFuncs = mk
	t.Cleanup(func() { platformFuncs = old })
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// TestServeFakePlatforms runs `supportbot run` with two fake platforms, one of
// which drops its connection at first: the other keeps serving, the dropped one
// is reconnected, /readyz says which is not connected, and after cancellation
// run returns nil with every reply's event in the stats database.
func TestServeFakePlatforms(t *testing.T) {
	reconnect = backoff.Backoff{Min: 20 * time.Millisecond, Max: time.Second}
	t.Cleanup(func() { reconnect = backoff.Backoff{} })

	good := &fakeAdapter{name: "telegram", in: make(chan string), replies: make(chan bot.Reply)}
	var flakyRuns atomic.Int32
	flakyRelease := make(chan struct{})
	flaky := &fakeAdapter{name: "discord", in: make(chan string), replies: make(chan bot.Reply)}
	fakePlatforms(t, func(d serve.Deps) []*serve.Platform {
		good.b, flaky.b = d.Bot, d.Bot
		return []*serve.Platform{
			{Name: "telegram", TokenVar: "TELEGRAM_BOT_TOKEN", Unauthorized: errFakeUnauthorized,
				Connect: func(context.Context) (serve.Adapter, error) { return good, nil }},
			{Name: "discord", TokenVar: "DISCORD_BOT_TOKEN", Unauthorized: errFakeUnauthorized,
				Connect: func(ctx context.Context) (serve.Adapter, error) {
					if flakyRuns.Add(1) == 1 {
						// The first connection drops at once; the test holds
						// the reconnection until it has seen /readyz say so.
						return &fakeAdapter{runErr: errors.New("gateway closed")}, nil
					}
					select {
					case <-flakyRelease:
					case <-ctx.Done():
						return nil, ctx.Err()
					}
					return flaky, nil
				}},
		}
	})

	db := filepath.Join(t.TempDir(), "stats.db")
	addr := freeAddr(t)
	env := map[string]string{"TELEGRAM_BOT_TOKEN": secretToken, "DISCORD_BOT_TOKEN": secretToken, "SUPPORTBOT_DB": db, "SUPPORTBOT_HTTP": addr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr bottest.Buffer
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"supportbot", "run"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, &stderr)
	}()

	readyz := func() (int, string) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		var b bytes.Buffer
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	bottest.WaitFor(t, "/readyz to report discord down and telegram up", func() bool {
		code, body := readyz()
		return code == 503 && strings.Contains(body, "discord: not connected") && strings.Contains(body, "telegram: ok")
	})
	// Telegram serves while Discord is down.
	good.in <- "hello"
	if r := <-good.replies; r.Text == "" {
		t.Error("telegram: empty reply while discord was down")
	}
	close(flakyRelease)
	bottest.WaitFor(t, "/readyz to report ready", func() bool { code, _ := readyz(); return code == 200 })
	flaky.in <- "what does a support group cost?"
	<-flaky.replies
	good.in <- "thanks"
	<-good.replies

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run after cancel: %v\nlog:\n%s", err, stderr.String())
	}
	log := stderr.String()
	for _, want := range []string{"supportbot started", "platform connected", "platform disconnected", "gateway closed", "stats flushed", "supportbot stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "SECRET-token") || strings.Contains(log, "support group cost") {
		t.Errorf("log holds a token or message text:\n%s", log)
	}
	if got := messagesInDB(t, db); got != 3 {
		t.Errorf("the stats database counts %d messages, want 3", got)
	}
}

// TestServeUnauthorized: a token rejected at start fails run, naming the
// platform and the variable, never the token.
func TestServeUnauthorized(t *testing.T) {
	fakePlatforms(t, func(d serve.Deps) []*serve.Platform {
		return []*serve.Platform{
			{Name: "discord", TokenVar: "DISCORD_BOT_TOKEN", Unauthorized: errFakeUnauthorized,
				Connect: func(context.Context) (serve.Adapter, error) {
					return nil, fmt.Errorf("get gateway: %w", errFakeUnauthorized)
				}},
		}
	})
	env := map[string]string{"DISCORD_BOT_TOKEN": secretToken, "SUPPORTBOT_DB": filepath.Join(t.TempDir(), "stats.db")}
	var stderr bytes.Buffer
	err := run(context.Background(), []string{"supportbot", "run"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, &stderr)
	if !errors.Is(err, errFakeUnauthorized) || !strings.Contains(err.Error(), "discord") || !strings.Contains(err.Error(), "DISCORD_BOT_TOKEN") {
		t.Errorf("run with a rejected token: err = %v, want one naming discord and DISCORD_BOT_TOKEN", err)
	}
	if strings.Contains(err.Error()+stderr.String(), "SECRET-token") {
		t.Error("the token was printed")
	}
}

// messagesInDB reads the stats database the way `supportbot stats` does.
func messagesInDB(t *testing.T, path string) int64 {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer db.Close(ctx)
	rep, err := db.Report(ctx, store.Filter{Since: time.Now().Add(-24 * time.Hour), Until: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatalf("report: %v", err)
	}
	return rep.Messages
}

// helperEnv marks the test binary re-executed as `supportbot run` by
// TestServeSIGTERM and TestServeSecondSignal.
const helperEnv = "SUPPORTBOT_TEST_HELPER"

// TestServeHelperProcess is not a test: it is `supportbot run` inside a child
// process, so that the tests can send it real signals.
func TestServeHelperProcess(t *testing.T) {
	mode := os.Getenv(helperEnv)
	if mode == "" {
		t.Skip("the child process of TestServeSIGTERM and TestServeSecondSignal")
	}
	if mode == "stuck" {
		// A platform that never finishes its replies in flight.
		platformFuncs = func(d serve.Deps) []*serve.Platform {
			return []*serve.Platform{{Name: "telegram", TokenVar: "TELEGRAM_BOT_TOKEN", Unauthorized: errFakeUnauthorized,
				Connect: func(context.Context) (serve.Adapter, error) { return stuckAdapter{}, nil }}}
		}
	}
	err := run(context.Background(), []string{"supportbot", "--log-format", "json", "run"}, os.Getenv, os.Stdin, os.Stdout, os.Stderr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "supportbot:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// stuckAdapter's Run never returns, as if a reply hung forever.
type stuckAdapter struct{}

func (stuckAdapter) Connected() bool { return true }
func (stuckAdapter) Run(context.Context) error {
	select {}
}

// startHelper starts the child process in mode with env, its stderr going to
// the returned buffer.
func startHelper(t *testing.T, mode string, env ...string) (*exec.Cmd, *bottest.Buffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestServeHelperProcess$")
	cmd.Env = append(os.Environ(), helperEnv+"="+mode)
	cmd.Env = append(cmd.Env, env...)
	stderr := &bottest.Buffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return cmd, stderr
}

// TestServeSIGTERM sends SIGTERM to `supportbot run` while 50 people talk to it
// through the real Telegram adapter and the fake Bot API: it exits 0, every
// message it took got its reply, and every reply is counted in the stats
// database (nothing lost in the queue).
func TestServeSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	fake := telegramtest.NewServer(t)
	db := filepath.Join(t.TempDir(), "stats.db")
	cmd, stderr := startHelper(t, "telegram",
		"TELEGRAM_BOT_TOKEN="+fake.Token(), "TELEGRAM_API_URL="+fake.URL, "SUPPORTBOT_DB="+db,
		"DISCORD_BOT_TOKEN=", "SUPPORTBOT_HTTP=", "SUPPORTBOT_KB=")

	const people = 50
	texts := []string{"hello", "thanks", "what are you?", "hi there"}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var replies atomic.Int64
	var wg sync.WaitGroup
	for i := range people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := telegramtest.User(int64(1000 + i))
			chat := telegramtest.Private(user)
			for n := 0; ctx.Err() == nil; n++ {
				fake.SendText(chat, user, texts[(i+n)%len(texts)])
				if _, err := fake.Next(ctx, chat.ID); err != nil {
					return // the child stopped taking messages
				}
				replies.Add(1)
			}
		}()
	}
	bottest.WaitFor(t, "300 replies", func() bool { return replies.Load() >= 300 })
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	cancel()
	wg.Wait()
	if err != nil {
		t.Fatalf("supportbot run after SIGTERM: %v\nlog:\n%s", err, stderr.String())
	}
	sent := int64(fake.Count("sendMessage"))
	if sent < 300 {
		t.Errorf("the bot sent %d replies, want at least 300", sent)
	}
	if got := messagesInDB(t, db); got != sent {
		t.Errorf("the stats database counts %d messages, but the bot replied to %d\nlog:\n%s", got, sent, stderr.String())
	}
	if rej := fake.Rejected(); len(rej) > 0 {
		t.Errorf("the fake Bot API rejected %d requests, first: %v", len(rej), rej[0])
	}
	log := stderr.String()
	for _, want := range []string{`"msg":"shutting down"`, `"msg":"stats flushed"`, `"msg":"supportbot stopped"`} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %s:\n%s", want, log)
		}
	}
	if strings.Contains(log, fake.Token()) {
		t.Error("the log contains the token")
	}
}

// TestServeSecondSignal: while a graceful shutdown waits on a reply that never
// finishes, a second SIGTERM kills the process at once (by the signal, not by
// the drain deadline running out and run returning).
func TestServeSecondSignal(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	db := filepath.Join(t.TempDir(), "stats.db")
	cmd, stderr := startHelper(t, "stuck", "TELEGRAM_BOT_TOKEN=x", "SUPPORTBOT_DB="+db, "SUPPORTBOT_HTTP=", "SUPPORTBOT_KB=", "DISCORD_BOT_TOKEN=")
	bottest.WaitFor(t, "the start", func() bool { return strings.Contains(stderr.String(), `"msg":"supportbot started"`) })
	cmd.Process.Signal(syscall.SIGTERM)
	bottest.WaitFor(t, "the shutdown to begin", func() bool { return strings.Contains(stderr.String(), `"msg":"shutting down"`) })
	cmd.Process.Signal(syscall.SIGTERM)
	err := cmd.Wait()
	var exit *exec.ExitError
	if !errors.As(err, &exit) {
		t.Fatalf("after two SIGTERMs: err = %v, want the process killed by SIGTERM\nlog:\n%s", err, stderr.String())
	}
	ws, ok := exit.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGTERM {
		t.Errorf("after two SIGTERMs: %v, want killed by SIGTERM\nlog:\n%s", err, stderr.String())
	}
	if strings.Contains(stderr.String(), "still in flight") {
		t.Error("the process waited for the drain deadline instead of dying at once")
	}
}

// startRun runs `supportbot run` in-process with env until the test ends, and
// returns its /readyz address, a stop function returning run's error, and its log.
func startRun(t *testing.T, env map[string]string) (addr string, stop func() error, log *bottest.Buffer) {
	t.Helper()
	addr = freeAddr(t)
	env["SUPPORTBOT_HTTP"] = addr
	ctx, cancel := context.WithCancel(context.Background())
	log = &bottest.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"supportbot", "run"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, log)
	}()
	stopped := false
	var runErr error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = <-done
		}
		return runErr
	}
	t.Cleanup(func() { stop() })
	bottest.WaitFor(t, "/readyz to answer 200", func() bool {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return addr, stop, log
}

// TestServeBothPlatforms serves Telegram and Discord side by side through the
// real adapters and their fakes: each answers, /metrics counts both, and after
// the stop both messages are in the stats database.
func TestServeBothPlatforms(t *testing.T) {
	tg := telegramtest.NewServer(t)
	dc := discordtest.NewServer(discordtest.Options{})
	defer dc.Close()
	db := filepath.Join(t.TempDir(), "stats.db")
	addr, stop, log := startRun(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL,
		"DISCORD_BOT_TOKEN": discordtest.Token, "DISCORD_API_URL": dc.URL,
		"SUPPORTBOT_DB": db,
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	user := telegramtest.User(7046329118)
	tg.SendText(telegramtest.Private(user), user, "what is group therapy?")
	if c, err := tg.Next(ctx, user.ID); err != nil || c.Text == "" {
		t.Fatalf("telegram: reply %+v, %v", c, err)
	}
	in, err := dc.Command(discordtest.Who{ChannelID: "700000000000000001", UserID: "700000000000000002"}, "ask", map[string]string{"question": "what is group therapy?"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dc.WaitCalls(ctx, 1, discordtest.ForInteraction(in.Token)); err != nil {
		t.Fatalf("discord: no reply: %v", err)
	}

	wants := []string{
		`supportbot_replies_total{kind="answer",platform="telegram"} 1`,
		`supportbot_replies_total{kind="answer",platform="discord"} 1`,
		`supportbot_platform_api_calls_total{method="sendMessage",platform="telegram"} 1`,
		`supportbot_platform_connected{platform="discord"} 1`,
		`supportbot_platform_connected{platform="telegram"} 1`,
	}
	// The fake has the reply before the adapter has read the API's answer and
	// counted the call, so the counters may trail the replies by a moment.
	var body string
	bottest.WaitFor(t, "/metrics to count both replies", func() bool {
		var code int
		code, body = get(t, "http://"+addr+"/metrics")
		if code != http.StatusOK {
			return false
		}
		for _, want := range wants {
			if !strings.Contains(body, want) {
				return false
			}
		}
		return true
	})
	if !strings.Contains(body, `platform="discord"`) || !strings.Contains(body, "supportbot_platform_api_calls_total{method=") {
		t.Error("/metrics has no Discord API calls")
	}
	for _, id := range []string{"7046329118", "700000000000000001", "700000000000000002", "itoken"} {
		if strings.Contains(body, id) {
			t.Errorf("/metrics contains the id %s", id)
		}
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, log.String())
	}
	if got := messagesInDB(t, db); got != 2 {
		t.Errorf("stats database counts %d messages, want 2", got)
	}
	if v := dc.Violations(); len(v) > 0 {
		t.Errorf("discord fake saw violations: %v", v)
	}
	for _, secret := range []string{tg.Token(), discordtest.Token, "group therapy"} {
		if strings.Contains(log.String(), secret) {
			t.Errorf("the log contains %q:\n%s", secret, log.String())
		}
	}
}

// TestServeTelegramWebhook serves Telegram in webhook mode from the
// TELEGRAM_WEBHOOK_* variables: the fake posts the update to the bot's
// listener with the secret, and the reply comes back.
func TestServeTelegramWebhook(t *testing.T) {
	tg := telegramtest.NewServer(t)
	hook := freeAddr(t)
	_, stop, log := startRun(t, map[string]string{
		"TELEGRAM_BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL,
		"TELEGRAM_WEBHOOK_URL": "http://" + hook + "/telegram", "TELEGRAM_WEBHOOK_LISTEN": hook,
		"TELEGRAM_WEBHOOK_SECRET": "s3cret-for-the-test",
		"SUPPORTBOT_DB":           filepath.Join(t.TempDir(), "stats.db"),
	})
	// Ready means connected (getMe); the webhook is registered right after.
	bottest.WaitFor(t, "the webhook to be registered", func() bool { url, _ := tg.Webhook(); return url != "" })
	if url, secret := tg.Webhook(); url != "http://"+hook+"/telegram" || secret != "s3cret-for-the-test" {
		t.Fatalf("webhook registered as %q with secret %q", url, secret)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	user := telegramtest.User(77)
	tg.SendText(telegramtest.Private(user), user, "hello")
	if c, err := tg.Next(ctx, user.ID); err != nil || c.Text == "" {
		t.Fatalf("reply %+v, %v\nlog:\n%s", c, err, log.String())
	}
	if err := stop(); err != nil {
		t.Fatalf("run: %v\nlog:\n%s", err, log.String())
	}
	if strings.Contains(log.String(), "s3cret") {
		t.Error("the log contains the webhook secret")
	}
}

// hangingAPI accepts connections and never answers, like an API behind a
// broken proxy.
func hangingAPI(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var conns []net.Conn
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c) // held open, never read, never answered
			mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	return "http://" + ln.Addr().String()
}

// TestServeHealthWhileConnecting: against an API that accepts connections and
// never answers, `supportbot health` succeeds from the start (before, /healthz
// was served only once every platform had connected: 61 s for Telegram, 19 s
// for Discord, against Docker's 5 s), /readyz says the platform is connecting,
// and a stop while connecting ends run at once.
func TestServeHealthWhileConnecting(t *testing.T) {
	for _, tc := range []struct{ name, tokenVar, urlVar, path string }{
		{"telegram", "TELEGRAM_BOT_TOKEN", "TELEGRAM_API_URL", ""},
		{"discord", "DISCORD_BOT_TOKEN", "DISCORD_API_URL", "/api/v10"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr := freeAddr(t)
			env := map[string]string{
				tc.tokenVar: secretToken, tc.urlVar: hangingAPI(t) + tc.path,
				"SUPPORTBOT_DB": filepath.Join(t.TempDir(), "stats.db"), "SUPPORTBOT_HTTP": addr,
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			log := &bottest.Buffer{}
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, []string{"supportbot", "run"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, log)
			}()
			health := func() error {
				return run(context.Background(), []string{"supportbot", "health"}, getenvFrom(map[string]string{"SUPPORTBOT_HTTP": addr}),
					strings.NewReader(""), &bytes.Buffer{}, &bytes.Buffer{})
			}
			bottest.WaitFor(t, "supportbot health to succeed", func() bool { return health() == nil })
			resp, err := http.Get("http://" + addr + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			body := new(bytes.Buffer)
			body.ReadFrom(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body.String(), tc.name+": connecting") {
				t.Errorf("/readyz while connecting: %d %q, want 503 with %q", resp.StatusCode, body, tc.name+": connecting")
			}
			if strings.Contains(log.String(), "supportbot started") {
				t.Fatal("started against an API that never answers")
			}
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("run stopped while connecting: %v, want nil", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("run did not return within 10s of the stop while connecting")
			}
		})
	}
}

// TestServeWithUnusableDatabase: `supportbot run` with a database it cannot
// open (here a directory at the path; a full disk, a read-only directory or a
// damaged file are the same to it) starts and answers, /readyz and the log
// say so, and the counts are written once the path is usable.
func TestServeWithUnusableDatabase(t *testing.T) {
	tg := telegramtest.NewServer(t)
	db := filepath.Join(t.TempDir(), "stats.db")
	if err := os.Mkdir(db, 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	env := map[string]string{"TELEGRAM_BOT_TOKEN": tg.Token(), "TELEGRAM_API_URL": tg.URL, "SUPPORTBOT_DB": db, "SUPPORTBOT_HTTP": addr}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	log := &bottest.Buffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"supportbot", "run"}, getenvFrom(env), strings.NewReader(""), &bytes.Buffer{}, log)
	}()
	user := telegramtest.User(7046329118)
	tg.SendText(telegramtest.Private(user), user, "what is group therapy?")
	wctx, wcancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer wcancel()
	if _, err := tg.Next(wctx, user.ID); err != nil {
		t.Fatalf("no answer with an unusable database: %v\nlog:\n%s", err, log.String())
	}
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err != nil {
			return 0, ""
		}
		defer resp.Body.Close()
		b := new(bytes.Buffer)
		b.ReadFrom(resp.Body)
		return resp.StatusCode, b.String()
	}
	if code, body := readyz(); code != http.StatusServiceUnavailable || !strings.Contains(body, "stats: ") || !strings.Contains(body, "directory") {
		t.Errorf("/readyz with the database unusable: %d %q, want 503 and a stats line saying why", code, body)
	}
	if !strings.Contains(log.String(), "stats database unusable") {
		t.Errorf("the log does not say the database is unusable:\n%s", log.String())
	}
	if err := os.Remove(db); err != nil {
		t.Fatal(err)
	}
	bottest.WaitFor(t, "/readyz to report the stats store writable", func() bool {
		_, body := readyz()
		return strings.Contains(body, "stats: ok")
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("run: %v", err)
	}
	if got := messagesInDB(t, db); got != 1 {
		t.Errorf("the stats database counts %d messages, want 1", got)
	}
}
