package main

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/discord"
	"github.com/supportbot/supportbot/bot/telegram"
	"github.com/supportbot/supportbot/store"
)

// errNoPlatform is returned by `supportbot run` when no platform token is set.
var errNoPlatform = errors.New("no platform configured: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN to serve Telegram or Discord, or try the bot in the terminal with `supportbot chat`")

// Shutdown budget. Docker sends SIGKILL 10 seconds after SIGTERM: replies in
// flight get drainTimeout to be sent, then the stats store gets flushTimeout to
// write what is queued, and both fit inside those 10 seconds with room to spare.
const (
	drainTimeout = 5 * time.Second
	flushTimeout = 3 * time.Second
)

// Reconnection backoff for a platform that fails after it started: doubling
// from backoffMin up to backoffMax, reset once the platform has stayed up for
// backoffReset. Variables so tests can shorten them.
var (
	backoffMin   = 1 * time.Second
	backoffMax   = 2 * time.Minute
	backoffReset = time.Minute
)

// adapter is what `run` needs of a platform adapter (telegram.Adapter,
// discord.Adapter).
type adapter interface {
	// Run serves until ctx ends (then finishes replies in flight and returns
	// nil) or the connection fails for good (then returns why).
	Run(ctx context.Context) error
	// Connected reports whether the platform is reachable right now.
	Connected() bool
}

// platform is one chat platform served by `run`, with its adapter's lifecycle.
type platform struct {
	name     string // "telegram" or "discord", as in logs and metrics
	tokenVar string // the variable holding its token, for error messages
	// connect builds a connected adapter (checking the token).
	connect func(ctx context.Context) (adapter, error)
	// unauthorized is the adapter package's ErrUnauthorized: the token was
	// rejected.
	unauthorized error

	cur        atomic.Pointer[adapterBox] // the adapter running now, nil between attempts
	connecting atomic.Bool                // a connection attempt is under way
}

// adapterBox lets an interface value sit in an atomic.Pointer.
type adapterBox struct{ a adapter }

// connected reports whether the platform's adapter runs and is connected.
func (p *platform) connected() bool {
	b := p.cur.Load()
	return b != nil && b.a.Connected()
}

// dial connects the platform, marking it connecting meanwhile (for /readyz).
func (p *platform) dial(ctx context.Context) (adapter, error) {
	p.connecting.Store(true)
	defer p.connecting.Store(false)
	return p.connect(ctx)
}

// ready is the platform's readiness check: nil when connected, else what it
// is doing.
func (p *platform) ready(context.Context) error {
	switch {
	case p.connected():
		return nil
	case p.connecting.Load():
		return errors.New("connecting")
	}
	return errors.New("not connected")
}

// deps is what every platform adapter is built with.
type deps struct {
	cfg     config
	bot     *bot.Bot
	rec     bot.Recorder
	stats   *store.DB
	log     *slog.Logger
	metrics *metrics
}

// platformFuncs builds the platforms whose token is set. It is a variable so
// tests can serve fake platforms through the real `run`.
var platformFuncs = configuredPlatforms

// cmdServe is `supportbot run`: serve every platform whose token is set, side
// by side, until SIGTERM or SIGINT, then shut down gracefully.
func cmdServe(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("run")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	if err := e.cfg.validate(); err != nil {
		return err
	}
	if e.cfg.TelegramToken == "" && e.cfg.DiscordToken == "" {
		return errNoPlatform
	}
	log := e.logger()

	// Loaded before the store is opened: a bad knowledge base is a
	// configuration error, reported before anything is touched.
	k, err := e.loadKnowledge()
	if err != nil {
		return err
	}

	// A database that cannot be used now (a full disk, a read-only or missing
	// directory, a damaged file) never stops the replies: the counts are kept
	// in memory, /readyz says so, and they are written once it can be opened.
	db, err := store.OpenDeferred(ctx, e.cfg.DB, e.storeOptions(log.With("component", "stats")))
	if err != nil {
		log.Warn("stats database unusable; serving anyway, counting in memory until it can be written",
			"err", err, "setting", "--db / SUPPORTBOT_DB")
	}
	closeDB := func() error {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
		defer cancel()
		return db.Close(cctx)
	}

	var platforms []*platform
	m := newMetrics(e.cfg.platformNames(), db.QueueStats, func(name string) bool {
		for _, p := range platforms {
			if p.name == name {
				return p.connected()
			}
		}
		return false
	})
	rec := metricsRecorder{m: m, next: db}
	b, err := bot.New(k, bot.WithRecorder(rec), bot.WithLogger(log))
	if err != nil {
		return errors.Join(fmt.Errorf("start bot: %w", err), closeDB())
	}
	platforms = platformFuncs(deps{cfg: e.cfg, bot: b, rec: rec, stats: db, log: log, metrics: m})

	// The HTTP endpoint serves from the start: /healthz answers while the
	// platforms connect (which may take a minute against an API that hangs,
	// far beyond a HEALTHCHECK's patience), and /readyz says which are still
	// connecting. It outlives the platforms, so /metrics and /healthz answer
	// while replies drain; it stops after the store is flushed.
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHTTP()
	httpDone := make(chan error, 1) // the server's one result
	var srv *httpServer
	if e.cfg.HTTP != "" {
		checks := []check{{"knowledge", func(context.Context) error { return nil }}}
		for _, p := range platforms {
			checks = append(checks, check{p.name, p.ready})
		}
		checks = append(checks, check{"stats", db.Ping})
		srv, err = listenHTTP(e.cfg.HTTP, newHTTPHandler(m, checks, log))
		if err != nil {
			return errors.Join(err, closeDB())
		}
		go func() { httpDone <- srv.serve(httpCtx) }()
	}
	stopEarly := func(err error) error {
		stopHTTP()
		if srv != nil {
			err = errors.Join(err, <-httpDone)
		}
		return errors.Join(err, closeDB())
	}

	// Connect every platform first, side by side: a token rejected at start is
	// a configuration error, reported (naming the platform) before serving.
	adapters := make([]adapter, len(platforms))
	connErrs := make([]error, len(platforms))
	var wg sync.WaitGroup
	for _, p := range platforms {
		p.connecting.Store(true) // before /readyz can ask
	}
	for i, p := range platforms {
		wg.Go(func() { adapters[i], connErrs[i] = p.dial(ctx) })
	}
	wg.Wait()
	var errs []error
	for i, p := range platforms {
		err := connErrs[i]
		switch {
		case err == nil:
		case errors.Is(err, p.unauthorized):
			errs = append(errs, fmt.Errorf("%s: %s was rejected: %w", p.name, p.tokenVar, err))
		case ctx.Err() != nil:
			// Stopped while starting: nothing was served, nothing to drain.
		default:
			// The platform is unreachable for now; its supervisor retries.
			log.Warn("platform not reachable at start, retrying", "platform", p.name, "err", err)
		}
	}
	if len(errs) > 0 || ctx.Err() != nil {
		return stopEarly(errors.Join(errs...))
	}
	log.Info("supportbot started", "version", version, "platforms", e.cfg.platformNames(),
		"http", e.cfg.HTTP, "topics", len(k.Topics))

	// The platforms run under one errgroup; each supervisor returns only when
	// its context ends, so one platform failing never stops the other.
	pctx, stopPlatforms := context.WithCancel(ctx)
	defer stopPlatforms()
	g, gctx := errgroup.WithContext(pctx)
	for i, p := range platforms {
		g.Go(func() error { return p.supervise(gctx, adapters[i], log) })
	}

	var runErr error
	select {
	case runErr = <-httpDone:
		// The endpoint failed while serving: stop everything.
		log.Error("http endpoint failed", "err", runErr)
		httpDone <- nil
	case <-ctx.Done():
		// The first signal cancelled ctx. Undoing the signal handling lets a
		// second one kill the process at once, by the default action.
		e.stop()
		log.Info("shutting down", "drain_timeout", drainTimeout.String())
	}
	stopPlatforms()
	drained := make(chan error, 1) // g.Wait's one result
	go func() { drained <- g.Wait() }()
	select {
	case err := <-drained:
		runErr = errors.Join(runErr, err)
	case <-time.After(drainTimeout):
		runErr = errors.Join(runErr, fmt.Errorf("replies still in flight after %s; shutting down anyway", drainTimeout))
	}
	if err := closeDB(); err != nil {
		runErr = errors.Join(runErr, err)
	} else {
		qs := db.QueueStats()
		log.Info("stats flushed", "written", qs.Written, "dropped", qs.Dropped)
	}
	stopHTTP()
	if srv != nil {
		runErr = errors.Join(runErr, <-httpDone)
	}
	if runErr != nil {
		return runErr
	}
	log.Info("supportbot stopped")
	return nil
}

// supervise runs the platform until ctx ends, reconnecting with backoff
// whenever the adapter fails. a is the adapter connected at start, or nil.
func (p *platform) supervise(ctx context.Context, a adapter, log *slog.Logger) error {
	log = log.With("platform", p.name)
	delay := backoffMin
	for {
		if a == nil {
			var err error
			a, err = p.dial(ctx)
			if err != nil {
				a = nil
				if ctx.Err() != nil {
					return nil
				}
				log.Error("platform connect failed", "err", err, "retry_in", delay.String())
				if !sleep(ctx, delay) {
					return nil
				}
				delay = min(2*delay, backoffMax)
				continue
			}
		}
		p.cur.Store(&adapterBox{a})
		log.Info("platform connected")
		started := time.Now()
		err := a.Run(ctx)
		p.cur.Store(nil)
		a = nil
		if ctx.Err() != nil {
			if err != nil {
				log.Warn("platform stopped with an error", "err", err)
			}
			log.Info("platform disconnected")
			return nil
		}
		if time.Since(started) >= backoffReset {
			delay = backoffMin
		}
		if err == nil {
			err = errors.New("adapter stopped unexpectedly")
		}
		log.Error("platform disconnected", "err", err, "retry_in", delay.String())
		if !sleep(ctx, delay) {
			return nil
		}
		delay = min(2*delay, backoffMax)
	}
}

// sleep waits d or until ctx ends, reporting whether the full wait passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// configuredPlatforms builds the platforms whose token is set, over the real
// adapters.
func configuredPlatforms(d deps) []*platform {
	var ps []*platform
	c := d.cfg
	if c.TelegramToken != "" {
		admins, _ := c.adminIDs() // validated at start
		tc := telegram.Config{
			Token:    c.TelegramToken,
			APIURL:   c.TelegramAPIURL,
			AdminIDs: admins,
			Handler:  d.bot,
			Stats:    d.stats,
			Recorder: d.rec,
			Logger:   d.log,
			// Every reply is its own HTTPS request: keep enough connections
			// open for the replies in flight, or each would pay a new TCP and
			// TLS handshake under load. The timeout covers the 50s long poll.
			HTTPClient: &http.Client{Timeout: 70 * time.Second, Transport: apiTransport()},
			OnAPICall:  func(method string, err error) { d.metrics.apiCall("telegram", method, err) },
		}
		if c.TelegramWebhookURL != "" {
			tc.Webhook = &telegram.Webhook{
				Listen:    cmp.Or(c.TelegramWebhookListen, ":8443"),
				PublicURL: c.TelegramWebhookURL,
				Secret:    cmp.Or(c.TelegramWebhookSecret, randomSecret()),
			}
		}
		ps = append(ps, &platform{
			name:         "telegram",
			tokenVar:     "TELEGRAM_BOT_TOKEN",
			unauthorized: telegram.ErrUnauthorized,
			connect: func(ctx context.Context) (adapter, error) {
				a, err := telegram.New(ctx, tc)
				if err != nil {
					return nil, err // not a typed nil in the interface
				}
				return a, nil
			},
		})
	}
	if c.DiscordToken != "" {
		dc := discord.Config{
			Token:      c.DiscordToken,
			APIURL:     c.DiscordAPIURL,
			GuildID:    c.DiscordGuildID,
			Handler:    d.bot,
			Stats:      d.stats,
			Recorder:   d.rec,
			Logger:     d.log,
			HTTPClient: &http.Client{Timeout: 20 * time.Second, Transport: apiTransport()},
			OnAPICall:  func(route string, err error) { d.metrics.apiCall("discord", route, err) },
		}
		ps = append(ps, &platform{
			name:         "discord",
			tokenVar:     "DISCORD_BOT_TOKEN",
			unauthorized: discord.ErrUnauthorized,
			connect: func(ctx context.Context) (adapter, error) {
				a, err := discord.New(ctx, dc)
				if err != nil {
					return nil, err
				}
				return a, nil
			},
		})
	}
	return ps
}

// apiTransport is the HTTP transport for a platform's API: the default one, but
// keeping up to 128 idle connections to the API host instead of 2 (the
// adapters run up to 64 replies at once).
func apiTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	return t
}

// randomSecret is the webhook secret when TELEGRAM_WEBHOOK_SECRET is not set:
// the webhook is registered anew at every start, so a fresh secret per process
// works and is never written anywhere.
func randomSecret() string {
	return rand.Text() // 26 characters of A-Z and 2-7, as Telegram allows
}

// platformNames lists the platforms whose token is set.
func (c config) platformNames() []string {
	var names []string
	if c.TelegramToken != "" {
		names = append(names, "telegram")
	}
	if c.DiscordToken != "" {
		names = append(names, "discord")
	}
	return names
}
