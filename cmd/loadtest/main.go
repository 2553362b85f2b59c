// Command loadtest drives `supportbot run` with thousands of simulated people
// talking to it at once through the real Telegram adapter, against the fake Bot
// API of bot/telegram/telegramtest, with the stats store on a real file. It is a
// program, not a test: run it by hand or in CI when a number is wanted.
//
//	go run ./cmd/loadtest -people 10000
//
// It builds cmd/supportbot (or takes -bin), starts it as a child process pointed
// at the fake, and lets every person hold a conversation: the question "should
// I join a support group or do I need group therapy?", then the triage buttons,
// then a question typed. Each person waits for the bot's reply before the next
// step, as a person does. It prints:
//
//   - replies/s over the whole run;
//   - reply latency inside the bot process, p50/p99/max: from the moment the
//     fake's getUpdates answer carrying the update is handed to the bot to the
//     moment the bot's reply request reaches the fake (a proxy between them
//     takes both times), so it is the adapter, core and store, not the fake;
//   - the latency a person sees (update queued at the fake → reply stored there);
//   - the bot's peak RSS (VmHWM of the child), its stats events written and
//     dropped (from its /metrics), and replies lost (messages without a reply,
//     and messages missing from the stats database after SIGTERM).
//
// With -inprocess the bot runs inside the load test instead (internal/serve,
// the code of `supportbot run` itself) and the adapter's HTTP transport takes
// the two times, so the latency is the bot's alone, with no proxy or second
// process in between; the RSS is then the whole process's.
//
// Every person is in a private chat: Telegram's per-group flood limit (which the
// adapter enforces) does not apply there, so it does not cap the numbers.
// -rate paces the messages of all people together (0: as fast as the bot goes).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
	"github.com/supportbot/supportbot/internal/serve"
	"github.com/supportbot/supportbot/knowledge"
	"github.com/supportbot/supportbot/store"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

type options struct {
	bin       string
	people    int
	presses   int
	rate      float64
	timeout   time.Duration
	keepLogs  bool
	inProcess bool
	metrics   bool
	// scenario runs one of issue 13's scenarios (scenarios.go) instead of the
	// load test; retryAfter is its 429's retry_after.
	scenario   string
	retryAfter int
}

func run() error {
	var o options
	flag.StringVar(&o.bin, "bin", "", "the supportbot binary (default: build ./cmd/supportbot)")
	flag.IntVar(&o.people, "people", 10000, "simulated people, each in a conversation of its own, all at once")
	flag.IntVar(&o.presses, "presses", 3, "triage buttons each person presses after the first question")
	flag.Float64Var(&o.rate, "rate", 0, "messages per second of all people together (0: no pacing)")
	flag.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up after this long")
	flag.BoolVar(&o.keepLogs, "v", false, "print the bot's log")
	flag.BoolVar(&o.metrics, "metrics", false, "print the supportbot_ series of the bot's /metrics at the end")
	flag.BoolVar(&o.inProcess, "inprocess", false, "run the bot in this process and time replies inside it (RSS is then the whole process's)")
	flag.StringVar(&o.scenario, "scenario", "", "run a scenario of issue 13 instead: health, throttle, webhook or crash")
	flag.IntVar(&o.retryAfter, "retry-after", 20, "the throttle scenario's retry_after, in seconds")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()

	dir, err := os.MkdirTemp("", "supportbot-loadtest-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.bin == "" && !o.inProcess {
		o.bin = filepath.Join(dir, "supportbot")
		fmt.Println("building ./cmd/supportbot")
		build := exec.CommandContext(ctx, "go", "build", "-o", o.bin, "./cmd/supportbot")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build supportbot (run from the repository root, or pass -bin): %w", err)
		}
	}

	if o.scenario != "" {
		return runScenario(ctx, o, dir)
	}
	fake := telegramtest.NewServer(nil)
	defer fake.Close()
	if o.inProcess {
		return runInProcess(ctx, fake, o, dir)
	}
	px, err := newProxy(fake.URL)
	if err != nil {
		return err
	}
	defer px.close()

	httpAddr, err := freeAddr()
	if err != nil {
		return err
	}
	db := filepath.Join(dir, "stats.db")
	child := exec.Command(o.bin, "--http", httpAddr, "--db", db, "--log-format", "json", "run")
	child.Env = append(os.Environ(),
		"TELEGRAM_BOT_TOKEN="+fake.Token(),
		"TELEGRAM_API_URL="+px.url,
		"DISCORD_BOT_TOKEN=", "SUPPORTBOT_KB=", "TELEGRAM_WEBHOOK_URL=",
	)
	var logs lockedBuffer
	child.Stderr = &logs
	if err := child.Start(); err != nil {
		return fmt.Errorf("start supportbot: %w", err)
	}
	defer func() {
		if child.ProcessState == nil {
			child.Process.Kill()
			child.Wait()
		}
		if o.keepLogs {
			fmt.Print(logs.String())
		}
	}()
	if err := waitReady(ctx, httpAddr); err != nil {
		return fmt.Errorf("%w\nbot log:\n%s", err, logs.String())
	}
	rssIdle := peakRSS(child.Process.Pid)
	fmt.Printf("bot ready (pid %d, RSS %.1f MB idle); %d people, %d presses each, rate %s\n",
		child.Process.Pid, float64(rssIdle)/1e6, o.people, o.presses, rateString(o.rate))

	res := drive(ctx, fake, o)

	metrics, raw, merr := scrape(httpAddr)
	if o.metrics && merr == nil {
		fmt.Println()
		for _, l := range strings.Split(raw, "\n") {
			if strings.Contains(l, "supportbot_") {
				fmt.Println(l)
			}
		}
	}
	rss := peakRSS(child.Process.Pid)
	if err := child.Process.Signal(syscall.SIGTERM); err != nil {
		return err
	}
	exitErr := child.Wait()
	inDB, dbErr := messagesIn(db)

	r := report{o: o, res: res, t: px.timer, rss: rss, rssWhat: "bot process peak RSS (VmHWM)",
		inDB: inDB, dbErr: dbErr, exitErr: exitErr, fake: fake}
	if ps := child.ProcessState; ps != nil {
		// The whole life of the process, start and shutdown included: per reply
		// this is what a reply costs the host, idle polling amortised in.
		r.cpu = ps.UserTime() + ps.SystemTime()
		r.sysCPU = ps.SystemTime()
	}
	if merr != nil {
		r.notes = append(r.notes, fmt.Sprintf("bot /metrics: %v", merr))
	} else {
		r.core = meanLatency(metrics)
		r.written, r.dropped = metrics["supportbot_stats_events_written_total"], metrics["supportbot_stats_events_dropped_total"]
	}
	return r.print()
}

// report is the outcome of one run.
type report struct {
	o       options
	res     *result
	t       *timer
	core    string // the core's mean latency
	rss     int64
	rssWhat string
	written string // stats events written before the shutdown
	dropped string // stats events dropped before the shutdown
	inDB    int64  // messages in the stats database after the shutdown
	dbErr   error
	exitErr error
	fake    *telegramtest.Server
	notes   []string
	cpu     time.Duration // the bot process's CPU time, user + system (0: not measured)
	sysCPU  time.Duration // of which in the kernel (system calls)
}

// print prints the report and returns an error naming every target missed
// that the run can judge by itself (lost replies, dropped or missing events,
// an unclean exit).
func (r report) print() error {
	res := r.res
	lat, latText, latPress := r.t.latencies()
	e2e := res.e2e
	fmt.Println()
	fmt.Printf("messages sent          %d (%d people × up to %d steps)\n", res.sent.Load(), r.o.people, r.o.presses+2)
	fmt.Printf("replies received       %d\n", res.replies.Load())
	fmt.Printf("replies lost           %d (messages without a reply)\n", res.sent.Load()-res.replies.Load())
	fmt.Printf("duration               %s\n", res.elapsed.Round(time.Millisecond))
	fmt.Printf("replies/s              %.0f\n", float64(res.replies.Load())/res.elapsed.Seconds())
	fmt.Printf("latency in the bot     p50 %s  p99 %s  max %s  (%d replies timed)\n", pct(lat, 50), pct(lat, 99), pct(lat, 100), len(lat))
	fmt.Printf("  typed messages       p50 %s  p99 %s  max %s\n", pct(latText, 50), pct(latText, 99), pct(latText, 100))
	fmt.Printf("  button presses       p50 %s  p99 %s  max %s\n", pct(latPress, 50), pct(latPress, 99), pct(latPress, 100))
	if r.core != "" {
		fmt.Printf("  core (Bot.Handle)    mean %s\n", r.core)
	}
	fmt.Printf("latency a person sees  p50 %s  p99 %s  max %s\n", pct(e2e, 50), pct(e2e, 99), pct(e2e, 100))
	fmt.Printf("peak RSS               %.1f MB (%s)\n", float64(r.rss)/1e6, r.rssWhat)
	if n := res.replies.Load(); r.cpu > 0 && n > 0 {
		fmt.Printf("bot CPU                %s (%s system): %.0f µs per reply\n",
			r.cpu.Round(time.Millisecond), r.sysCPU.Round(time.Millisecond), float64(r.cpu.Microseconds())/float64(n))
	}
	if r.written != "" {
		fmt.Printf("stats events           written %s, dropped %s (before shutdown)\n", r.written, r.dropped)
	}
	if r.dbErr != nil {
		fmt.Printf("stats database         %v\n", r.dbErr)
	} else {
		fmt.Printf("stats database         %d messages counted after shutdown (%d replied)\n", r.inDB, res.replies.Load())
	}
	fmt.Printf("bot exit               %v\n", exitOf(r.exitErr))
	if n := res.replies.Load(); n > 0 {
		polls := r.fake.Count("getUpdates")
		fmt.Printf("getUpdates calls       %d (%.2f per reply)\n", polls, float64(polls)/float64(n))
	}
	if rej := r.fake.Rejected(); len(rej) > 0 {
		fmt.Printf("fake Bot API rejected  %d requests, first: %v\n", len(rej), rej[0])
	}
	for _, n := range r.notes {
		fmt.Println(n)
	}

	var problems []string
	if res.err != nil {
		problems = append(problems, res.err.Error())
	}
	if lost := res.sent.Load() - res.replies.Load(); lost != 0 {
		problems = append(problems, fmt.Sprintf("%d replies lost", lost))
	}
	if r.dbErr == nil && r.inDB != res.replies.Load() {
		problems = append(problems, fmt.Sprintf("stats database counts %d messages, want %d", r.inDB, res.replies.Load()))
	}
	if r.dropped != "" && r.dropped != "0" {
		problems = append(problems, "stats events dropped: "+r.dropped)
	}
	if r.exitErr != nil {
		problems = append(problems, "bot exit: "+r.exitErr.Error())
	}
	if len(problems) > 0 {
		return errors.New(strings.Join(problems, "; "))
	}
	return nil
}

// runInProcess runs the bot in this process: [serve.Run], the very wiring of
// `supportbot run` (core, store, Telegram adapter, supervisor, /readyz), with
// the adapter's HTTP transport timing each reply, so the latency is the bot's
// alone (no proxy, no second process to schedule). The RSS is then this whole
// process's: the bot, the fake and the people.
func runInProcess(ctx context.Context, fake *telegramtest.Server, o options, dir string) error {
	k, err := knowledge.Load(knowledge.Embedded())
	if err != nil {
		return err
	}
	httpAddr, err := freeAddr()
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "stats.db")
	cfg := serve.Config{DB: path, HTTP: httpAddr, TelegramToken: fake.Token(), TelegramAPIURL: fake.URL}
	var logs lockedBuffer
	log := slog.New(slog.NewJSONHandler(&logs, nil))
	defer func() {
		if o.keepLogs {
			fmt.Print(logs.String())
		}
	}()
	tm := newTimer()
	queues := make(chan func() store.QueueStats, 1) // the one the store hands over at start
	opts := serve.Options{
		Logger: log,
		Store:  store.Options{Logger: log.With("component", "stats")},
		Metrics: func(_ []string, queue func() store.QueueStats, _ func(string) bool) serve.Metrics {
			queues <- queue
			return queueMetrics{}
		},
		Transport: func(_ string, rt http.RoundTripper) http.RoundTripper { return timingTransport{next: rt, t: tm} },
	}
	botCtx, stopBot := context.WithCancel(ctx)
	defer stopBot()
	runDone := make(chan error, 1) // Run's one result
	go func() { runDone <- serve.Run(botCtx, k, cfg, opts) }()
	if err := waitReady(ctx, httpAddr); err != nil {
		stopBot()
		return errors.Join(fmt.Errorf("%w\nbot log:\n%s", err, logs.String()), <-runDone)
	}
	queue := <-queues
	fmt.Printf("bot running in-process (RSS %.1f MB idle); %d people, %d presses each, rate %s\n",
		float64(peakRSS(os.Getpid()))/1e6, o.people, o.presses, rateString(o.rate))

	res := drive(ctx, fake, o)
	rss := peakRSS(os.Getpid())
	qs := queue()
	stopBot() // as SIGTERM does to `supportbot run`
	exitErr := <-runDone
	inDB, dbErr := messagesIn(path)
	r := report{o: o, res: res, t: tm, rss: rss, rssWhat: "the whole load test process: bot, fake Bot API and people",
		inDB: inDB, dbErr: dbErr, exitErr: exitErr, fake: fake,
		written: strconv.FormatInt(qs.Written, 10), dropped: strconv.FormatInt(qs.Dropped, 10)}
	return r.print()
}

// queueMetrics counts nothing: the in-process run reads the stats store's
// queue instead of a /metrics.
type queueMetrics struct{}

func (queueMetrics) Recorder(next bot.Recorder) bot.Recorder { return next }
func (queueMetrics) APICall(string, string, error)           {}
func (queueMetrics) Handler() http.Handler                   { return nil }

// result is what the people saw.
type result struct {
	sent, replies atomic.Int64
	elapsed       time.Duration
	e2e           []time.Duration
	err           error
}

// drive runs every person's conversation at once and waits for all of them.
func drive(ctx context.Context, fake *telegramtest.Server, o options) *result {
	res := &result{}
	var pace <-chan time.Time
	if o.rate > 0 {
		t := time.NewTicker(time.Duration(float64(time.Second) / o.rate))
		defer t.Stop()
		pace = t.C
	}
	wait := func() bool {
		if pace == nil {
			return ctx.Err() == nil
		}
		select {
		case <-pace:
			return true
		case <-ctx.Done():
			return false
		}
	}
	var (
		mu    sync.Mutex
		e2e   = make([]time.Duration, 0, o.people*(o.presses+2))
		first error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if first == nil {
			first = err
		}
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range o.people {
		wg.Add(1)
		go func() {
			defer wg.Done()
			user := telegramtest.User(int64(1_000_000 + i))
			chat := telegramtest.Private(user)
			var lat [16]time.Duration
			n := 0
			step := func(send func()) (telegramtest.Call, bool) {
				if !wait() {
					return telegramtest.Call{}, false
				}
				t0 := time.Now()
				send()
				res.sent.Add(1)
				c, err := fake.Next(ctx, chat.ID)
				if err != nil {
					fail(fmt.Errorf("person %d: %w", i, err))
					return c, false
				}
				res.replies.Add(1)
				if n < len(lat) {
					lat[n] = time.Since(t0)
					n++
				}
				return c, true
			}
			defer func() {
				mu.Lock()
				e2e = append(e2e, lat[:n]...)
				mu.Unlock()
			}()
			c, ok := step(func() { fake.SendText(chat, user, "should I join a support group, or do I need group therapy?") })
			for p := 0; ok && p < o.presses; p++ {
				data := button(c, i+p)
				if data == "" {
					break // the triage ended: no more buttons
				}
				c, ok = step(func() { fake.Press(chat, user, c, data) })
			}
			if ok {
				step(func() { fake.SendText(chat, user, "how much does a support group cost?") })
			}
		}()
	}
	wg.Wait()
	res.elapsed = time.Since(start)
	res.e2e = e2e
	res.err = first
	return res
}

// button is the data of one of the reply's callback buttons, the n-th (modulo
// their number) so that people take different paths; "" if there is none.
func button(c telegramtest.Call, n int) string {
	var data []string
	for _, row := range c.Keyboard {
		for _, b := range row {
			if b.CallbackData != "" {
				data = append(data, b.CallbackData)
			}
		}
	}
	if len(data) == 0 {
		return ""
	}
	return data[n%len(data)]
}

// timer times, per chat, from the getUpdates answer that hands the bot an
// update to the request carrying its reply (the first sendMessage or
// editMessageText to that chat after it).
type timer struct {
	mu       sync.Mutex
	received map[int64]handed // chat → its update handed to the bot, not yet answered
	lat      []time.Duration  // every reply
	latText  []time.Duration  // replies to typed messages
	latPress []time.Duration  // replies to button presses (after answerCallbackQuery)
}

func newTimer() *timer { return &timer{received: map[int64]handed{}} }

// proxy sits between the bot process and the fake Bot API and times the bot's
// replies as they cross it.
type proxy struct {
	*timer
	url string
	srv *http.Server
	ln  net.Listener
}

func newProxy(target string) (*proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &proxy{timer: newTimer(), url: "http://" + ln.Addr().String(), ln: ln}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) },
		// Long polls answer as soon as an update arrives; do not buffer them.
		FlushInterval:  -1,
		ModifyResponse: p.response,
		// The bot's last long poll is cut off at its shutdown: not worth a line.
		ErrorHandler: func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) },
		Transport:    &http.Transport{MaxIdleConnsPerHost: 256},
	}
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.request(r)
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	return p, nil
}

func (p *proxy) close() { p.srv.Close() }

// method is the Bot API method of a request path /bot<token>/<method>.
func method(path string) string { return strings.ToLower(path[strings.LastIndexByte(path, '/')+1:]) }

// request times a reply: the first sendMessage or editMessageText to a chat
// after its update was handed over.
func (p *timer) request(r *http.Request) {
	m := method(r.URL.Path)
	if m != "sendmessage" && m != "editmessagetext" {
		return
	}
	now := time.Now()
	body, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return
	}
	chat := chatID(r.Header.Get("Content-Type"), body)
	p.mu.Lock()
	defer p.mu.Unlock()
	if h, ok := p.received[chat]; ok {
		d := now.Sub(h.at)
		p.lat = append(p.lat, d)
		if h.press {
			p.latPress = append(p.latPress, d)
		} else {
			p.latText = append(p.latText, d)
		}
		delete(p.received, chat)
	}
}

// chatID reads chat_id from a multipart, form or JSON request body.
func chatID(contentType string, body []byte) int64 {
	ct, params, _ := mime.ParseMediaType(contentType)
	switch ct {
	case "multipart/form-data":
		req := &http.Request{Method: http.MethodPost, Header: http.Header{"Content-Type": {contentType}}, Body: io.NopCloser(bytes.NewReader(body))}
		if req.ParseMultipartForm(1<<20) == nil {
			id, _ := strconv.ParseInt(req.FormValue("chat_id"), 10, 64)
			return id
		}
	case "application/x-www-form-urlencoded":
		v, _ := url.ParseQuery(string(body))
		id, _ := strconv.ParseInt(v.Get("chat_id"), 10, 64)
		return id
	default:
		_ = params
		var v struct {
			ChatID json.Number `json:"chat_id"`
		}
		if json.Unmarshal(body, &v) == nil {
			id, _ := v.ChatID.Int64()
			return id
		}
	}
	return 0
}

// response notes when each chat's update is handed to the bot.
func (p *timer) response(resp *http.Response) error {
	if method(resp.Request.URL.Path) != "getupdates" {
		return nil
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return err
	}
	var v struct {
		Result []models.Update `json:"result"`
	}
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, u := range v.Result {
		switch {
		case u.Message != nil:
			p.received[u.Message.Chat.ID] = handed{at: now}
		case u.CallbackQuery != nil && u.CallbackQuery.Message.Message != nil:
			p.received[u.CallbackQuery.Message.Message.Chat.ID] = handed{at: now, press: true}
		}
	}
	return nil
}

// handed is an update handed to the bot.
type handed struct {
	at    time.Time
	press bool // a callback query: the bot answers it before replying
}

func (p *timer) latencies() (all, text, press []time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.lat), slices.Clone(p.latText), slices.Clone(p.latPress)
}

// pct is the q-th percentile (100: the maximum).
func pct(ds []time.Duration, q float64) string {
	if len(ds) == 0 {
		return "n/a"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(float64(len(s)-1) * q / 100)
	return s[i].Round(time.Microsecond).String()
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// waitReady polls /readyz until it answers 200.
func waitReady(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		resp, err := http.Get("http://" + addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the bot did not become ready: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// scrape reads the bot's /metrics into series → value, and as text.
func scrape(addr string) (map[string]string, string, error) {
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, "", err
	}
	m := map[string]string{}
	for _, l := range strings.Split(string(body), "\n") {
		name, val, ok := strings.Cut(l, " ")
		if ok && !strings.HasPrefix(name, "#") {
			m[name] = val
		}
	}
	return m, string(body), nil
}

// peakRSS is the process's peak resident set (VmHWM), in bytes.
func peakRSS(pid int) int64 {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb * 1024
		}
	}
	return 0
}

// messagesIn counts the messages in the stats database, as `supportbot stats` does.
func messagesIn(path string) (int64, error) {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer db.Close(ctx)
	rep, err := db.Report(ctx, store.Filter{Since: time.Now().Add(-24 * time.Hour), Until: time.Now().Add(time.Hour)})
	if err != nil {
		return 0, err
	}
	return rep.Messages, nil
}

func rateString(r float64) string {
	if r <= 0 {
		return "unpaced"
	}
	return fmt.Sprintf("%.0f/s", r)
}

func exitOf(err error) string {
	if err == nil {
		return "0 (clean)"
	}
	return err.Error()
}

// lockedBuffer collects the child's log from its copying goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// meanLatency is the core's mean reply latency, from the bot's histogram.
func meanLatency(m map[string]string) string {
	sum, err1 := strconv.ParseFloat(m[`supportbot_reply_latency_seconds_sum{platform="telegram"}`], 64)
	n, err2 := strconv.ParseFloat(m[`supportbot_reply_latency_seconds_count{platform="telegram"}`], 64)
	if err1 != nil || err2 != nil || n == 0 {
		return "n/a"
	}
	return time.Duration(sum / n * float64(time.Second)).Round(time.Microsecond / 10).String()
}

// timingTransport is the in-process bot's HTTP transport: it times each reply
// between the moment the getUpdates answer reached the bot and the moment the
// reply's request leaves it.
type timingTransport struct {
	next http.RoundTripper
	t    *timer
}

func (tt timingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	tt.t.request(r)
	resp, err := tt.next.RoundTrip(r)
	if err == nil {
		err = tt.t.response(resp)
	}
	return resp, err
}
