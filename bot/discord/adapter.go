// Package discord connects the supportbot core ([bot.Bot]) to Discord through
// github.com/bwmarrin/discordgo: slash commands (/ask, /triage, /topics, /about,
// /stats), buttons made from a reply's choices, direct-message conversations,
// and a short public pointer when the bot is mentioned in a channel.
//
// Replies to interactions in a server are ephemeral: only the person who asked
// sees them. Every message is sent with allowed_mentions that allows nothing,
// so no text can ping anyone. Every message and button press goes through the
// core with platform "discord", the guild id as community ([bot.CommunityDM]
// in DMs) and an opaque conversation key the core only hashes. Nothing this
// package logs contains message text, an id of a person or a channel, or a
// token.
//
// [Config.APIURL] sends every REST call to another base (a proxy, or the fake
// Discord of package discordtest), and the gateway address is then whatever
// that server's /gateway/bot answers.
package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/internal/logsum"
	"github.com/supportbot/supportbot/internal/backoff"
)

// ErrUnauthorized is returned (wrapped) by [New] and [Adapter.Run] when Discord
// rejects the bot token.
var ErrUnauthorized = errors.New("discord rejected the bot token")

// Handler answers one message: [bot.Bot] implements it.
type Handler interface {
	Handle(ctx context.Context, m bot.Message) bot.Reply
}

// Stats draws a community's usage report: the stats store implements it.
type Stats interface {
	Summary(ctx context.Context, platform, community string, since time.Duration) (text string, png []byte, err error)
}

// Config configures an [Adapter].
type Config struct {
	Token      string       // the bot token, with or without the "Bot " prefix
	APIURL     string       // "" = Discord's; else e.g. http://127.0.0.1:PORT/api/v10
	GuildID    string       // "" = global commands; else registered in this guild only
	Handler    Handler      // required
	Stats      Stats        // may be nil (not an interface holding a nil pointer): /stats then says stats are off
	Recorder   bot.Recorder // may be nil; receives platform API failures
	Logger     *slog.Logger // may be nil
	HTTPClient *http.Client // may be nil
	// OnAPICall, if set, is called after every REST call with its route (ids
	// and tokens replaced by placeholders) and its error (non-nil for a failed
	// request or a status of 400 or more, 429 included).
	OnAPICall func(route string, err error)
	// MaxConcurrent bounds the events (interactions and messages) handled at
	// once; 0 = 64, as for Telegram.
	MaxConcurrent int
}

// statsSince is the period /stats reports on.
const statsSince = 30 * 24 * time.Hour

// deferAfter is how long an interaction waits for the core's reply before it is
// acknowledged with a deferred response, well inside Discord's three seconds.
const deferAfter = 1500 * time.Millisecond

// eventTimeout bounds the work for one event: interaction tokens last fifteen
// minutes, but nobody waits that long for an answer.
const eventTimeout = 2 * time.Minute

// shutdownGrace bounds how long Run waits for in-flight events when it stops.
const shutdownGrace = 30 * time.Second

// Adapter serves one bot on Discord. Create it with [New], then call Run once.
type Adapter struct {
	cfg     Config
	log     *slog.Logger
	rec     bot.Recorder
	session *discordgo.Session

	connected atomic.Bool

	sem chan struct{} // the slots: bounds the events being handled (MaxConcurrent)

	mu       sync.Mutex
	appID    string
	botID    string
	askID    string // the /ask command's id, for a clickable </ask:id>
	inflight int
	drained  chan struct{} // closed when inflight drops to zero, if someone waits

	// Warnings that a burst of traffic repeats (429s, failing calls): one
	// line per interval each, with a count.
	rateLimited, callFailed *logsum.Summary
}

// New checks cfg, prepares the Discord session and verifies the token (GET
// /users/@me). A token Discord rejects gives an error wrapping [ErrUnauthorized].
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	token := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(cfg.Token), "Bot "))
	var problems []error
	if token == "" {
		problems = append(problems, errors.New("discord: no bot token"))
	}
	if cfg.Handler == nil {
		problems = append(problems, errors.New("discord: no handler"))
	}
	if cfg.APIURL == "" {
		cfg.APIURL = DefaultAPIURL
	} else if u, err := url.Parse(cfg.APIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" {
		problems = append(problems, fmt.Errorf("discord: api url %q is not an http(s) base URL", cfg.APIURL))
	}
	if err := errors.Join(problems...); err != nil {
		return nil, err
	}
	a := &Adapter{cfg: cfg, log: cfg.Logger, rec: cfg.Recorder}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("platform", Platform)
	if a.rec == nil {
		a.rec = bot.NopRecorder{}
	}
	if a.cfg.MaxConcurrent <= 0 {
		a.cfg.MaxConcurrent = 64
	}
	a.sem = make(chan struct{}, a.cfg.MaxConcurrent)
	routeLibraryLogs(a.log)

	s, err := discordgo.New("Bot " + token)
	if err != nil {
		return nil, fmt.Errorf("discord: new session: %w", err)
	}
	client := &http.Client{Timeout: 20 * time.Second}
	if cfg.HTTPClient != nil {
		c := *cfg.HTTPClient
		client = &c
	}
	client.Transport = newRewriter(client.Transport, cfg.APIURL, cfg.OnAPICall)
	s.Client = client
	// The gateway address comes from the API's /gateway/bot as it is; the
	// dialer only needs sane timeouts.
	s.Dialer = &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 30 * time.Second}
	// Direct messages, and guild messages for mentions only. The privileged
	// message content intent is not requested: guild messages that do not
	// mention the bot arrive empty, and we ignore them.
	s.Identify.Intents = discordgo.IntentsDirectMessages | discordgo.IntentsGuildMessages
	s.Identify.Compress = false
	s.Compress = false
	s.StateEnabled = false // no cache of messages or members in memory
	s.SyncEvents = true    // our handlers return once the event holds a slot; see track
	s.ShouldRetryOnRateLimit = true
	s.ShouldReconnectOnError = true
	s.LogLevel = discordgo.LogWarning
	a.session = s
	a.rateLimited = logsum.New(a.log, slog.LevelWarn, "rate limited, retrying")
	a.callFailed = logsum.New(a.log, slog.LevelWarn, "discord api call failed")

	me, err := s.User("@me", discordgo.WithContext(ctx))
	if err != nil {
		if httpStatus(err) == http.StatusUnauthorized {
			return nil, fmt.Errorf("discord: check token: %w", ErrUnauthorized)
		}
		return nil, fmt.Errorf("discord: check token: %s", safeErr(err))
	}
	a.botID = me.ID

	s.AddHandler(a.onReady)
	s.AddHandler(func(*discordgo.Session, *discordgo.Connect) { a.connected.Store(true) })
	s.AddHandler(func(*discordgo.Session, *discordgo.Disconnect) {
		a.connected.Store(false)
		a.log.Warn("gateway disconnected")
	})
	s.AddHandler(func(*discordgo.Session, *discordgo.Resumed) { a.log.Info("gateway session resumed") })
	s.AddHandler(func(_ *discordgo.Session, rl *discordgo.RateLimit) {
		a.rateLimited.Add("retry_after_ms", rl.RetryAfter.Milliseconds())
	})
	return a, nil
}

// Connected reports whether the gateway connection is up.
func (a *Adapter) Connected() bool { return a.connected.Load() }

// Run opens the gateway (retrying while Discord cannot be reached), registers
// the slash commands, and serves until ctx is done; then it closes the gateway
// and waits for the interactions in flight to be answered. It returns an error
// only if Discord rejects the token.
func (a *Adapter) Run(ctx context.Context) error {
	// Events are handled on work, Run's context without its cancellation, so
	// a shutdown does not cut an answer in half. The handlers are added here,
	// where that context exists, and no event arrives before the gateway opens.
	work := context.WithoutCancel(ctx)
	removeInteractions := a.session.AddHandler(func(_ *discordgo.Session, ic *discordgo.InteractionCreate) {
		if ic.Interaction != nil {
			a.track(ctx, work, func(ctx context.Context) { a.handleInteraction(ctx, ic.Interaction) })
		}
	})
	defer removeInteractions()
	removeMessages := a.session.AddHandler(func(_ *discordgo.Session, mc *discordgo.MessageCreate) {
		if mc.Message != nil {
			a.track(ctx, work, func(ctx context.Context) { a.handleMessage(ctx, mc.Message) })
		}
	})
	defer removeMessages()

	if err := a.open(ctx); err != nil {
		return err
	}
	if ctx.Err() == nil {
		a.registerCommands(ctx)
		<-ctx.Done()
	}
	if err := a.session.Close(); err != nil {
		a.log.Warn("close gateway", "err", safeErr(err))
	}
	a.connected.Store(false)
	a.waitIdle()
	a.rateLimited.Flush()
	a.callFailed.Flush()
	return nil
}

// open connects the gateway, retrying with backoff until ctx is done.
func (a *Adapter) open(ctx context.Context) error {
	b := backoff.Backoff{Min: time.Second, Max: time.Minute}
	for {
		err := a.session.Open()
		if err == nil || errors.Is(err, discordgo.ErrWSAlreadyOpen) {
			return nil
		}
		if httpStatus(err) == http.StatusUnauthorized || websocket.IsCloseError(err, 4004) {
			return fmt.Errorf("discord: open gateway: %w", ErrUnauthorized)
		}
		wait := b.Next()
		a.log.Error("open gateway", "err", safeErr(err), "retry_in_ms", wait.Milliseconds())
		if !backoff.Sleep(ctx, wait) {
			return nil
		}
	}
}

func (a *Adapter) onReady(_ *discordgo.Session, r *discordgo.Ready) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if r.Application != nil && r.Application.ID != "" {
		a.appID = r.Application.ID
	}
	if r.User != nil && r.User.ID != "" {
		a.botID = r.User.ID
	}
	a.log.Info("gateway ready")
}

// registerCommands replaces the bot's slash commands with ours (a bulk
// overwrite, so renamed or removed commands disappear), in the configured
// guild or globally.
func (a *Adapter) registerCommands(ctx context.Context) {
	a.mu.Lock()
	appID := a.appID
	a.mu.Unlock()
	if appID == "" {
		a.apiFailed(ctx, "", "register commands", errors.New("no application id in READY"))
		return
	}
	cmds, err := a.session.ApplicationCommandBulkOverwrite(appID, a.cfg.GuildID, commands(), discordgo.WithContext(ctx))
	if err != nil {
		a.apiFailed(ctx, "", "register commands", err)
		return
	}
	for _, c := range cmds {
		if c != nil && c.Name == "ask" {
			a.mu.Lock()
			a.askID = c.ID
			a.mu.Unlock()
		}
	}
	scope := "global"
	if a.cfg.GuildID != "" {
		scope = "guild"
	}
	a.log.Info("slash commands registered", "count", len(cmds), "scope", scope)
}
