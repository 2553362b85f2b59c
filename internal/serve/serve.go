// Package serve is `supportbot run`: the bot served on every chat platform
// whose token is set, side by side, with the operator's HTTP endpoint, until
// its context ends, then a graceful shutdown. It is the one wiring of the core,
// the stats store and the adapters: cmd/supportbot reads the command line and
// calls [Run], and cmd/loadtest runs the same [Run] in its own process.
//
// It is internal: those two commands are its only users.
package serve

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/internal/backoff"
	"github.com/supportbot/supportbot/store"
)

// Config is what is served and where: the settings `supportbot run` reads
// from its flags and environment, already validated.
type Config struct {
	DB   string // the stats database file (--db, SUPPORTBOT_DB)
	HTTP string // the operator's endpoint, host:port (--http); "" for none

	TelegramToken    string  // TELEGRAM_BOT_TOKEN; "" leaves Telegram off
	TelegramAPIURL   string  // TELEGRAM_API_URL; "" for the public Bot API
	TelegramAdminIDs []int64 // TELEGRAM_ADMIN_IDS: who may see the stats
	// Webhook mode (instead of long polling) when TelegramWebhookURL is set:
	// Telegram POSTs updates to that public HTTPS URL, which a proxy forwards to
	// TelegramWebhookListen; TelegramWebhookSecret authenticates the deliveries.
	TelegramWebhookURL    string
	TelegramWebhookListen string // "" for :8443
	TelegramWebhookSecret string // "" for a random one per process

	DiscordToken   string // DISCORD_BOT_TOKEN; "" leaves Discord off
	DiscordAPIURL  string // DISCORD_API_URL; "" for discord.com
	DiscordGuildID string // DISCORD_GUILD_ID; "" registers commands globally
}

// PlatformNames lists the platforms whose token is set.
func (c Config) PlatformNames() []string {
	var names []string
	if c.TelegramToken != "" {
		names = append(names, "telegram")
	}
	if c.DiscordToken != "" {
		names = append(names, "discord")
	}
	return names
}

// Metrics is what [Run] reports to, for the operator's /metrics.
type Metrics interface {
	// Recorder returns a recorder that counts each usage event, then hands
	// it to next (the stats store).
	Recorder(next bot.Recorder) bot.Recorder
	// APICall counts one call to a platform's API.
	APICall(platform, method string, err error)
	// Handler serves /metrics; nil: not served.
	Handler() http.Handler
}

// Options are how [Run] is wired beyond [Config]. The zero value serves the
// real adapters with no metrics.
type Options struct {
	Logger  *slog.Logger  // nil: discard
	Store   store.Options // the stats store's settings (its logger, retention)
	Version string        // logged at start
	// Metrics builds the metrics once the store is open: platforms are the
	// names served, queue reads the store's queue, connected reports a
	// platform's connection. nil: none.
	Metrics func(platforms []string, queue func() store.QueueStats, connected func(platform string) bool) Metrics
	// Platforms builds the platforms to serve; nil: [Configured], the real
	// adapters of the tokens set. Tests pass fakes.
	Platforms func(Deps) []*Platform
	// Transport wraps each platform API's HTTP transport (nil: as is):
	// cmd/loadtest times replies there.
	Transport func(platform string, rt http.RoundTripper) http.RoundTripper
	// Reconnect is the delay before reconnecting a platform that failed after
	// it started: doubling from Min up to Max (zero: 1 s up to 2 min), back to
	// Min once the platform stayed up for ReconnectReset (zero: a minute).
	Reconnect      backoff.Backoff
	ReconnectReset time.Duration
	// OnShutdown, if set, is called once the shutdown begins: `supportbot run`
	// undoes its signal handling there, so a second signal kills the process
	// at once while replies drain.
	OnShutdown func()
}

// Shutdown budget. Docker sends SIGKILL 10 seconds after SIGTERM: replies in
// flight get drainTimeout to be sent, then the stats store gets flushTimeout to
// write what is queued, and both fit inside those 10 seconds with room to spare.
const (
	drainTimeout = 5 * time.Second
	flushTimeout = 3 * time.Second
)

// Run serves k on every platform of cfg until ctx ends, then shuts down
// gracefully: replies in flight are sent, the stats are flushed, and the
// endpoint stops last. It returns nil after a clean shutdown. A token
// rejected at start is an error naming the platform and its variable; a
// platform that cannot be reached is retried, and one that fails later is
// reconnected, without stopping the others.
func Run(ctx context.Context, k bot.Knowledge, cfg Config, o Options) error {
	s, err := start(ctx, k, cfg, o)
	if err != nil {
		return err
	}
	defer s.stopHTTP()
	adapters, err := s.connectAll(ctx)
	if err != nil || ctx.Err() != nil {
		// Stopped or refused while starting: nothing was served, nothing
		// to drain.
		return errors.Join(s.stopEndpoint(err), s.closeStore(ctx))
	}
	s.log.Info("supportbot started", "version", s.o.Version, "platforms", cfg.PlatformNames(),
		"http", cfg.HTTP, "topics", len(k.Topics))
	err = s.serve(ctx, adapters)
	err = errors.Join(err, s.flush(ctx))
	if err := s.stopEndpoint(err); err != nil {
		return err
	}
	s.log.Info("supportbot stopped")
	return nil
}

// server is one [Run] under way.
type server struct {
	cfg       Config
	o         Options
	log       *slog.Logger
	db        *store.DB
	platforms []*Platform
	endpoint  *endpoint          // nil without cfg.HTTP
	httpDone  chan error         // the endpoint's one result
	stopHTTP  context.CancelFunc // ends the endpoint
}

// start opens the stats store, builds the core and the platforms over it, and
// starts the endpoint: everything before connecting.
func start(ctx context.Context, k bot.Knowledge, cfg Config, o Options) (*server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Reconnect.Min == 0 && o.Reconnect.Max == 0 {
		o.Reconnect = backoff.Backoff{Min: time.Second, Max: 2 * time.Minute}
	}
	if o.ReconnectReset == 0 {
		o.ReconnectReset = time.Minute
	}
	if o.Platforms == nil {
		o.Platforms = Configured
	}
	s := &server{cfg: cfg, o: o, log: o.Logger, httpDone: make(chan error, 1), stopHTTP: func() {}}

	// A database that cannot be used now (a full disk, a read-only or missing
	// directory, a damaged file) never stops the replies: the counts are kept
	// in memory, /readyz says so, and they are written once it can be opened.
	var err error
	s.db, err = store.OpenDeferred(ctx, cfg.DB, o.Store)
	if err != nil {
		s.log.Warn("stats database unusable; serving anyway, counting in memory until it can be written",
			"err", err, "setting", "--db / SUPPORTBOT_DB")
	}

	var m Metrics = noMetrics{}
	if o.Metrics != nil {
		m = o.Metrics(cfg.PlatformNames(), s.db.QueueStats, s.connected)
	}
	rec := m.Recorder(s.db)
	b, err := bot.New(k, bot.WithRecorder(rec), bot.WithLogger(s.log))
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start bot: %w", err), s.closeStore(ctx))
	}
	s.platforms = o.Platforms(Deps{Config: cfg, Bot: b, Recorder: rec, Stats: s.db, Logger: s.log,
		APICall: m.APICall, Transport: o.Transport})
	// Each platform is connecting from here on: the endpoint answers before
	// connectAll has begun, and /readyz must not say "not connected" then.
	for _, p := range s.platforms {
		p.connecting.Store(true)
	}
	if err := s.startEndpoint(ctx, m.Handler()); err != nil {
		return nil, errors.Join(err, s.closeStore(ctx))
	}
	return s, nil
}

// connected reports whether the platform named so is connected, for the
// metrics.
func (s *server) connected(name string) bool {
	for _, p := range s.platforms {
		if p.Name == name {
			return p.connected()
		}
	}
	return false
}

// startEndpoint serves the HTTP endpoint from the start, if there is one:
// /healthz answers while the platforms connect (which may take a minute
// against an API that hangs, far beyond a HEALTHCHECK's patience), and /readyz
// says which are still connecting. It outlives the platforms, so /metrics and
// /healthz answer while replies drain; it stops after the store is flushed.
func (s *server) startEndpoint(ctx context.Context, metrics http.Handler) error {
	if s.cfg.HTTP == "" {
		return nil
	}
	checks := []Check{{"knowledge", func(context.Context) error { return nil }}}
	for _, p := range s.platforms {
		checks = append(checks, Check{p.Name, p.ready})
	}
	checks = append(checks, Check{"stats", s.db.Ping})
	ep, err := listen(s.cfg.HTTP, Handler(checks, metrics))
	if err != nil {
		return err
	}
	httpCtx, stopHTTP := context.WithCancel(context.WithoutCancel(ctx))
	s.endpoint, s.stopHTTP = ep, stopHTTP
	go func() { s.httpDone <- ep.serve(httpCtx) }()
	return nil
}

// connectAll connects every platform, side by side. A token rejected at start
// is a configuration error, reported (naming the platform) before serving; a
// platform unreachable for now gets a nil adapter, for its supervisor to
// retry.
func (s *server) connectAll(ctx context.Context) ([]Adapter, error) {
	adapters := make([]Adapter, len(s.platforms))
	errs := make([]error, len(s.platforms))
	var wg sync.WaitGroup
	for i, p := range s.platforms {
		wg.Go(func() { adapters[i], errs[i] = p.dial(ctx) })
	}
	wg.Wait()
	var refused []error
	for i, p := range s.platforms {
		switch err := errs[i]; {
		case err == nil:
		case errors.Is(err, p.Unauthorized):
			refused = append(refused, fmt.Errorf("%s: %s was rejected: %w", p.Name, p.TokenVar, err))
		case ctx.Err() != nil:
		default:
			s.log.Warn("platform not reachable at start, retrying", "platform", p.Name, "err", err)
		}
	}
	return adapters, errors.Join(refused...)
}

// serve runs every platform under its supervisor until ctx ends or the
// endpoint fails, then stops them and waits up to drainTimeout for the replies
// in flight. Each supervisor returns only when its context ends, so one
// platform failing never stops the other.
func (s *server) serve(ctx context.Context, adapters []Adapter) error {
	pctx, stopPlatforms := context.WithCancel(ctx)
	defer stopPlatforms()
	g, gctx := errgroup.WithContext(pctx)
	for i, p := range s.platforms {
		g.Go(func() error { return p.supervise(gctx, adapters[i], s.o.Reconnect, s.o.ReconnectReset, s.log) })
	}

	var err error
	select {
	case err = <-s.httpDone:
		// The endpoint failed while serving: stop everything.
		s.log.Error("http endpoint failed", "err", err)
		s.httpDone <- nil // for stop, which waits on it
	case <-ctx.Done():
		if s.o.OnShutdown != nil {
			s.o.OnShutdown()
		}
		s.log.Info("shutting down", "drain_timeout", drainTimeout.String())
	}
	stopPlatforms()
	drained := make(chan error, 1) // g.Wait's one result
	go func() { drained <- g.Wait() }()
	select {
	case derr := <-drained:
		return errors.Join(err, derr)
	case <-time.After(drainTimeout):
		return errors.Join(err, fmt.Errorf("replies still in flight after %s; shutting down anyway", drainTimeout))
	}
}

// flush writes what the stats store holds and closes it, logging the counts.
func (s *server) flush(ctx context.Context) error {
	if err := s.closeStore(ctx); err != nil {
		return err
	}
	qs := s.db.QueueStats()
	s.log.Info("stats flushed", "written", qs.Written, "dropped", qs.Dropped)
	return nil
}

// stopEndpoint stops the endpoint, if there is one, and returns err joined
// with the endpoint's own.
func (s *server) stopEndpoint(err error) error {
	s.stopHTTP()
	if s.endpoint != nil {
		err = errors.Join(err, <-s.httpDone)
	}
	return err
}

// closeStore writes what the stats store holds, within flushTimeout even once
// ctx has ended.
func (s *server) closeStore(ctx context.Context) error {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), flushTimeout)
	defer cancel()
	return s.db.Close(cctx)
}

// noMetrics counts nothing.
type noMetrics struct{}

func (noMetrics) Recorder(next bot.Recorder) bot.Recorder { return next }
func (noMetrics) APICall(string, string, error)           {}
func (noMetrics) Handler() http.Handler                   { return nil }
