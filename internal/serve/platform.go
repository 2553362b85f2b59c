package serve

import (
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/discord"
	"github.com/supportbot/supportbot/bot/telegram"
	"github.com/supportbot/supportbot/internal/backoff"
	"github.com/supportbot/supportbot/store"
)

// Adapter is what [Run] needs of a platform adapter ([telegram.Adapter],
// [discord.Adapter]).
type Adapter interface {
	// Run serves until ctx ends (then finishes replies in flight and returns
	// nil) or the connection fails for good (then returns why).
	Run(ctx context.Context) error
	// Connected reports whether the platform is reachable right now.
	Connected() bool
}

// Platform is one chat platform served by [Run], with its adapter's lifecycle.
type Platform struct {
	Name     string // "telegram" or "discord", as in logs and metrics
	TokenVar string // the variable holding its token, for error messages
	// Connect builds a connected adapter (checking the token).
	Connect func(ctx context.Context) (Adapter, error)
	// Unauthorized is the adapter package's ErrUnauthorized: the token was
	// rejected.
	Unauthorized error

	cur        atomic.Pointer[adapterBox] // the adapter running now, nil between attempts
	connecting atomic.Bool                // a connection attempt is under way
}

// adapterBox lets an interface value sit in an atomic.Pointer.
type adapterBox struct{ a Adapter }

// connected reports whether the platform's adapter runs and is connected.
func (p *Platform) connected() bool {
	b := p.cur.Load()
	return b != nil && b.a.Connected()
}

// dial connects the platform, marking it connecting meanwhile (for /readyz).
func (p *Platform) dial(ctx context.Context) (Adapter, error) {
	p.connecting.Store(true)
	defer p.connecting.Store(false)
	return p.Connect(ctx)
}

// ready is the platform's readiness check: nil when connected, else what it
// is doing.
func (p *Platform) ready(context.Context) error {
	switch {
	case p.connected():
		return nil
	case p.connecting.Load():
		return errors.New("connecting")
	}
	return errors.New("not connected")
}

// supervise runs the platform until ctx ends, reconnecting with backoff
// whenever the adapter fails. a is the adapter connected at start, or nil.
// Delays double from bo.Min up to bo.Max, and start again from bo.Min once the
// platform has stayed up for reset.
func (p *Platform) supervise(ctx context.Context, a Adapter, bo backoff.Backoff, reset time.Duration, log *slog.Logger) error {
	log = log.With("platform", p.Name)
	for {
		if a == nil {
			var err error
			a, err = p.dial(ctx)
			if err != nil {
				a = nil
				if ctx.Err() != nil {
					return nil
				}
				d := bo.Next()
				log.Error("platform connect failed", "err", err, "retry_in", d.String())
				if !backoff.Sleep(ctx, d) {
					return nil
				}
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
		if time.Since(started) >= reset {
			bo.Reset()
		}
		if err == nil {
			err = errors.New("adapter stopped unexpectedly")
		}
		d := bo.Next()
		log.Error("platform disconnected", "err", err, "retry_in", d.String())
		if !backoff.Sleep(ctx, d) {
			return nil
		}
	}
}

// Deps is what every platform adapter is built with.
type Deps struct {
	Config   Config
	Bot      *bot.Bot
	Recorder bot.Recorder // the stats store behind the metrics
	Stats    *store.DB
	Logger   *slog.Logger
	// APICall counts one call to a platform's API (the adapters' OnAPICall).
	APICall func(platform, method string, err error)
	// Transport wraps each platform API's HTTP transport; nil leaves it as is.
	Transport func(platform string, rt http.RoundTripper) http.RoundTripper
}

// Configured builds the platforms whose token is set, over the real adapters.
func Configured(d Deps) []*Platform {
	var ps []*Platform
	c := d.Config
	if c.TelegramToken != "" {
		tc := telegram.Config{
			Token:    c.TelegramToken,
			APIURL:   c.TelegramAPIURL,
			AdminIDs: c.TelegramAdminIDs,
			Handler:  d.Bot,
			Stats:    d.Stats,
			Recorder: d.Recorder,
			Logger:   d.Logger,
			// Every reply is its own HTTPS request: keep enough connections
			// open for the replies in flight, or each would pay a new TCP and
			// TLS handshake under load. The timeout covers the 50s long poll.
			HTTPClient: &http.Client{Timeout: 70 * time.Second, Transport: d.transport("telegram")},
			OnAPICall:  func(method string, err error) { d.APICall("telegram", method, err) },
		}
		if c.TelegramWebhookURL != "" {
			tc.Webhook = &telegram.Webhook{
				Listen:    cmp.Or(c.TelegramWebhookListen, ":8443"),
				PublicURL: c.TelegramWebhookURL,
				Secret:    cmp.Or(c.TelegramWebhookSecret, randomSecret()),
			}
		}
		ps = append(ps, &Platform{
			Name:         "telegram",
			TokenVar:     "TELEGRAM_BOT_TOKEN",
			Unauthorized: telegram.ErrUnauthorized,
			Connect:      func(ctx context.Context) (Adapter, error) { return asAdapter(telegram.New(ctx, tc)) },
		})
	}
	if c.DiscordToken != "" {
		dc := discord.Config{
			Token:      c.DiscordToken,
			APIURL:     c.DiscordAPIURL,
			GuildID:    c.DiscordGuildID,
			Handler:    d.Bot,
			Stats:      d.Stats,
			Recorder:   d.Recorder,
			Logger:     d.Logger,
			HTTPClient: &http.Client{Timeout: 20 * time.Second, Transport: d.transport("discord")},
			OnAPICall:  func(route string, err error) { d.APICall("discord", route, err) },
		}
		ps = append(ps, &Platform{
			Name:         "discord",
			TokenVar:     "DISCORD_BOT_TOKEN",
			Unauthorized: discord.ErrUnauthorized,
			Connect:      func(ctx context.Context) (Adapter, error) { return asAdapter(discord.New(ctx, dc)) },
		})
	}
	return ps
}

// transport is the HTTP transport for a platform's API: the default one, but
// keeping up to 128 idle connections to the API host instead of 2 (the
// adapters run up to 64 replies at once), wrapped by d.Transport if set.
func (d Deps) transport(platform string) http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	if d.Transport != nil {
		return d.Transport(platform, t)
	}
	return t
}

// randomSecret is the webhook secret when TELEGRAM_WEBHOOK_SECRET is not set:
// the webhook is registered anew at every start, so a fresh secret per process
// works and is never written anywhere.
func randomSecret() string {
	return rand.Text() // 26 characters of A-Z and 2-7, as Telegram allows
}

// asAdapter returns an adapter constructor's result as an [Adapter], with a
// nil interface (not a typed nil) when the constructor failed.
func asAdapter[A Adapter](a A, err error) (Adapter, error) {
	if err != nil {
		return nil, err
	}
	return a, nil
}
