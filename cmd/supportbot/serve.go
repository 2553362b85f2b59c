package main

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/internal/backoff"
	"github.com/supportbot/supportbot/internal/serve"
	"github.com/supportbot/supportbot/store"
)

// errNoPlatform is returned by `supportbot run` when no platform token is set.
var errNoPlatform = errors.New("no platform configured: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN to serve Telegram or Discord, or try the bot in the terminal with `supportbot chat`")

// Variables so that tests serve fake platforms through the real `run`, and
// reconnect them without waiting seconds.
var (
	platformFuncs func(serve.Deps) []*serve.Platform // nil: the real adapters
	reconnect     backoff.Backoff                    // zero: serve's default
)

// cmdServe is `supportbot run`: serve every platform whose token is set, side
// by side, until SIGTERM or SIGINT, then shut down gracefully ([serve.Run]).
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
	return serve.Run(ctx, k, e.cfg.serveConfig(), serve.Options{
		Logger:    log,
		Store:     e.storeOptions(log.With("component", "stats")),
		Version:   version,
		Metrics:   prometheusMetrics(log),
		Platforms: platformFuncs,
		Reconnect: reconnect,
		// The first signal cancelled ctx. Undoing the signal handling lets a
		// second one kill the process at once, by the default action.
		OnShutdown: e.stop,
	})
}

// serveConfig is what `supportbot run` serves, from a validated config.
func (c config) serveConfig() serve.Config {
	admins, _ := c.adminIDs() // validated already
	return serve.Config{
		DB:                    c.DB,
		HTTP:                  c.HTTP,
		TelegramToken:         c.TelegramToken,
		TelegramAPIURL:        c.TelegramAPIURL,
		TelegramAdminIDs:      admins,
		TelegramWebhookURL:    c.TelegramWebhookURL,
		TelegramWebhookListen: c.TelegramWebhookListen,
		TelegramWebhookSecret: c.TelegramWebhookSecret,
		DiscordToken:          c.DiscordToken,
		DiscordAPIURL:         c.DiscordAPIURL,
		DiscordGuildID:        c.DiscordGuildID,
	}
}

// prometheusMetrics builds the Prometheus metrics of /metrics for serve.Run.
func prometheusMetrics(log *slog.Logger) func([]string, func() store.QueueStats, func(string) bool) serve.Metrics {
	return func(platforms []string, queue func() store.QueueStats, connected func(string) bool) serve.Metrics {
		return promMetrics{m: newMetrics(platforms, queue, connected), log: log}
	}
}

// promMetrics is [metrics] as serve.Run uses it.
type promMetrics struct {
	m   *metrics
	log *slog.Logger
}

func (p promMetrics) Recorder(next bot.Recorder) bot.Recorder {
	return metricsRecorder{m: p.m, next: next}
}

func (p promMetrics) APICall(platform, method string, err error) { p.m.apiCall(platform, method, err) }

func (p promMetrics) Handler() http.Handler { return metricsHandler(p.m, p.log) }
