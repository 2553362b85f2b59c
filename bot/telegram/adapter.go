// Package telegram is the Telegram adapter of supportbot, over
// github.com/go-telegram/bot (imported as tgbot). It receives updates by long
// polling or by webhook, turns each into a [bot.Message] for the core, and sends
// the core's [bot.Reply] back as Telegram HTML with an inline keyboard.
//
// In private chats every text is a question. In groups the bot answers only
// commands, messages that mention it and replies to its own messages, and offers
// the private chat with a deep link. Crisis replies are always sent where the
// crisis message was. Button presses are always answered; a triage step edits
// the message in place.
//
// Nothing the adapter logs or counts holds message text, a user or chat id, a
// user name or the token: logs carry the method, the HTTP status and a redacted
// error; stats carry the platform and the community (a group's id, or
// [bot.CommunityDM] for every private chat).
package telegram

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/internal/logsum"
)

// ErrUnauthorized is returned (wrapped) by [New] when Telegram rejects the token.
var ErrUnauthorized = errors.New("telegram rejected the bot token")

// ErrFlooded is reported to [Config.OnAPICall] (method "flood_limit") for each
// reply dropped because its chat is over the flood limit.
var ErrFlooded = errors.New("chat over the flood limit")

// Handler is what the adapter needs of the core: [bot.Bot] implements it.
type Handler interface {
	Handle(ctx context.Context, m bot.Message) bot.Reply
}

// Stats is the moderators' usage report: the stats store implements it.
type Stats interface {
	Summary(ctx context.Context, platform, community string, since time.Duration) (text string, png []byte, err error)
}

// Config configures an [Adapter]. Token and Handler are required.
type Config struct {
	Token    string
	APIURL   string  // "" = Telegram's; a self-hosted Bot API server or a test server
	AdminIDs []int64 // users who may see all Telegram stats in a private chat
	Handler  Handler
	Stats    Stats        // may be nil: /stats then says the stats are unavailable
	Recorder bot.Recorder // may be nil: failures are then only logged
	Logger   *slog.Logger // may be nil: discard
	Webhook  *Webhook     // nil = long polling
	// HTTPClient sends the Bot API requests; nil = a client with timeouts suited
	// to long polling. A client's Timeout must exceed PollTimeout.
	HTTPClient *http.Client
	// OnAPICall, if set, is told the result of every Bot API call attempt (for
	// /metrics). err is nil on success.
	OnAPICall func(method string, err error)
	// FloodPerMinute and FloodBurst are the per-group reply limit: a token bucket
	// of FloodBurst replies refilled at FloodPerMinute. 0 = 20 per minute, burst 5;
	// a negative FloodPerMinute turns the limit off (all three limits).
	FloodPerMinute float64
	FloodBurst     int
	// DMFloodPerMinute and DMFloodBurst are the same for a private chat; 0 =
	// 30 per minute, burst 10 (a person reads slower than that).
	DMFloodPerMinute float64
	DMFloodBurst     int
	// Crisis replies are never held back by the limits above; they have their
	// own per chat, so that the resources come at once but a thousand crisis
	// messages do not buy a thousand replies: CrisisPerMinute (0 = 1) and
	// CrisisBurst (0 = 3).
	CrisisPerMinute float64
	CrisisBurst     int
	// StatsSince is the period /stats reports on; 0 = 30 days.
	StatsSince time.Duration
	// PollTimeout is the long-poll timeout; 0 = 50 seconds.
	PollTimeout time.Duration
	// MaxConcurrent bounds the updates handled at once; 0 = 64.
	MaxConcurrent int
	// CallTimeout bounds one attempt of one Bot API call (not the long poll);
	// 0 = 15 seconds.
	CallTimeout time.Duration
}

// Webhook configures webhook mode: the adapter listens on Listen and registers
// PublicURL (the address Telegram reaches, https) with Secret, which Telegram
// then sends in the X-Telegram-Bot-Api-Secret-Token header of every request;
// a request without it is answered 401 and not processed. The listener speaks
// plain HTTP and serves PublicURL's path: terminate TLS in front of it.
type Webhook struct {
	Listen    string // e.g. ":8443"
	PublicURL string // e.g. "https://bot.example.org/telegram"
	Secret    string // 1-256 characters A-Z a-z 0-9 _ -
}

// Adapter connects the core to Telegram. Create it with [New]; [Adapter.Run]
// serves until its context is done.
type Adapter struct {
	cfg       Config
	isCrisis  func(string) bool // the core's crisis check, for group chatter not addressed to the bot
	log       *slog.Logger
	tg        *tgbot.Bot
	me        models.User
	admins    map[int64]bool
	flood     *floodLimit   // groups
	floodDM   *floodLimit   // private chats
	crisis    *floodLimit   // crisis replies, per chat, apart from the others
	sem       chan struct{} // the slots: bounds the updates being handled (MaxConcurrent)
	queues    *queues
	acks      *acks
	connected atomic.Bool
	inflight  sync.WaitGroup
	dropped   atomic.Uint64
	client    *client
	running   atomic.Bool
	// stopping is closed when Run's context ends: a reply waiting to retry
	// gives up rather than hold the shutdown.
	stopping chan struct{}

	throttle    throttle      // chats Telegram asked (429) not to send to for now
	undecodable atomic.Uint64 // updates skipped because they could not be decoded
	// Warnings an outsider can repeat at will, one line per interval each.
	retryWarn, callFailed, floodWarn, skipped, pollFailed, webhookDenied, webhookBad *logsum.Summary
}

// Commands are the commands registered with setMyCommands.
var Commands = []models.BotCommand{
	{Command: "start", Description: "Welcome and what I can do"},
	{Command: "ask", Description: "Ask a question: /ask who runs a support group?"},
	{Command: "triage", Description: "A few questions to help you choose"},
	{Command: "topics", Description: "Browse all topics"},
	{Command: "help", Description: "What I can help with"},
	{Command: "about", Description: "What I am and what I keep (privacy)"},
	{Command: "stats", Description: "Usage stats (moderators only)"},
}

// Texts of the adapter's own replies: not answers (those are the knowledge
// base's), but Telegram-specific interface lines.
const (
	privateHint      = "You can also talk to me privately."
	privateButton    = "Talk privately"
	statsRefused     = "Sorry, the usage stats are only for this group's administrators."
	statsRefusedDM   = "Sorry, the usage stats are only for the bot's moderators."
	statsUnavailable = "Sorry, the usage stats are unavailable right now."
	adapterFallback  = "Sorry, something went wrong on my side. Please try again, or type /help."
)

// New checks the token with getMe (on ctx) and prepares the adapter. A token
// Telegram rejects gives an error wrapping [ErrUnauthorized]; errors never
// contain the token.
func New(ctx context.Context, cfg Config) (*Adapter, error) {
	if strings.TrimSpace(cfg.Token) == "" {
		return nil, errors.New("telegram: no bot token")
	}
	if cfg.Handler == nil {
		return nil, errors.New("telegram: no handler")
	}
	if w := cfg.Webhook; w != nil && (w.Listen == "" || w.PublicURL == "" || w.Secret == "") {
		return nil, errors.New("telegram: webhook mode needs a listen address, a public URL and a secret")
	}
	a := &Adapter{cfg: cfg, log: cfg.Logger, admins: map[int64]bool{}}
	if c, ok := cfg.Handler.(interface{ IsCrisis(string) bool }); ok {
		// A core that can tell (bot.Bot can) answers a sign of crisis in a
		// group even when the message was not addressed to the bot.
		a.isCrisis = c.IsCrisis
	}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("platform", Platform)
	for _, id := range cfg.AdminIDs {
		a.admins[id] = true
	}
	if cfg.FloodPerMinute >= 0 {
		a.flood = newFloodLimit(cmp.Or(cfg.FloodPerMinute, 20), cmp.Or(cfg.FloodBurst, 5), time.Now)
		a.floodDM = newFloodLimit(cmp.Or(cfg.DMFloodPerMinute, 30), cmp.Or(cfg.DMFloodBurst, 10), time.Now)
		a.crisis = newFloodLimit(cmp.Or(cfg.CrisisPerMinute, 1), cmp.Or(cfg.CrisisBurst, 3), time.Now)
	}
	a.retryWarn = logsum.New(a.log, slog.LevelWarn, "telegram call failed, retrying")
	a.callFailed = logsum.New(a.log, slog.LevelError, "telegram call failed")
	a.floodWarn = logsum.New(a.log, slog.LevelWarn, "chat over the flood limit, dropping replies")
	a.skipped = logsum.New(a.log, slog.LevelWarn, "update undecodable, skipped")
	a.pollFailed = logsum.New(a.log, slog.LevelWarn, "getUpdates failed, retrying")
	a.webhookDenied = logsum.New(a.log, slog.LevelWarn, "webhook request without the right secret")
	a.webhookBad = logsum.New(a.log, slog.LevelWarn, "webhook update undecodable")
	a.queues = newQueues()
	a.acks = newAcks()
	a.stopping = make(chan struct{})
	if a.cfg.StatsSince <= 0 {
		a.cfg.StatsSince = 30 * 24 * time.Hour
	}
	if a.cfg.PollTimeout <= 0 {
		a.cfg.PollTimeout = 50 * time.Second
	}
	if a.cfg.CallTimeout <= 0 {
		a.cfg.CallTimeout = callTimeout
	}
	if a.cfg.MaxConcurrent <= 0 {
		a.cfg.MaxConcurrent = 64
	}
	a.sem = make(chan struct{}, a.cfg.MaxConcurrent)
	var hc tgbot.HttpClient = cfg.HTTPClient
	if cfg.HTTPClient == nil {
		// The long poll holds a request open for PollTimeout; every other call
		// has its own context deadline (callTimeout).
		hc = &http.Client{Timeout: a.cfg.PollTimeout + 15*time.Second}
	}
	a.client = &client{next: hc}
	opts := []tgbot.Option{
		tgbot.WithSkipGetMe(), // we call getMe ourselves, on the caller's context
		tgbot.WithHTTPClient(a.cfg.PollTimeout, a.client),
		// The library only calls methods: updates come from our own poll
		// (poll.go) or webhook, never from its loop.
		tgbot.WithDefaultHandler(func(context.Context, *tgbot.Bot, *models.Update) {}),
		tgbot.WithErrorsHandler(func(err error) {
			if !errors.Is(err, context.Canceled) {
				a.log.Warn("telegram library error", "err", safeErr(err))
			}
		}),
		tgbot.WithDebugHandler(func(format string, args ...any) {
			// Debug output may quote payloads; never enabled (no WithDebug), and
			// if it ever is, only the format (no arguments) is logged.
			a.log.Debug("telegram library debug", "format", format)
		}),
		tgbot.WithAllowedUpdates(tgbot.AllowedUpdates{"message", "callback_query"}),
	}
	if cfg.APIURL != "" {
		opts = append(opts, tgbot.WithServerURL(strings.TrimRight(cfg.APIURL, "/")))
	}
	tg, err := tgbot.New(cfg.Token, opts...)
	if err != nil {
		return nil, fmt.Errorf("telegram: %w", err) // only an empty token, checked above
	}
	a.tg = tg
	var me *models.User
	err = a.call(ctx, "getMe", "", func(ctx context.Context) error {
		var err error
		me, err = tg.GetMe(ctx)
		return err
	})
	if err != nil {
		if errors.Is(err, tgbot.ErrorUnauthorized) {
			return nil, fmt.Errorf("telegram getMe: %w", ErrUnauthorized)
		}
		return nil, fmt.Errorf("telegram getMe: %w", err) // the library's errors hold no token
	}
	a.me = *me
	a.connected.Store(true)
	return a, nil
}

// Connected reports whether the last contact with Telegram worked: getMe, the
// last long poll, or the webhook registration. For /readyz.
func (a *Adapter) Connected() bool { return a.connected.Load() }

// Username is the bot's username, as getMe answered it.
func (a *Adapter) Username() string { return a.me.Username }

// FloodDropped is how many replies the flood limit dropped so far.
func (a *Adapter) FloodDropped() uint64 { return a.dropped.Load() }

// Run registers the commands and serves updates (long polling, or the webhook
// if configured) until ctx is done. It then stops taking updates, finishes the
// replies in flight and returns. It returns an error only if it cannot start
// (the webhook listener or its registration).
func (a *Adapter) Run(ctx context.Context) error {
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("telegram: Run called twice")
	}
	// Replies in flight finish on work, a context that outlives ctx, so a
	// shutdown does not cut a reply in half; but a retry wait is not waited
	// out (stopping), and a call still running stopGrace after ctx ends is
	// cut off (work is cancelled with errStopping; its update is left
	// unconfirmed, for the next process).
	work, abandon := context.WithCancelCause(context.WithoutCancel(ctx))
	var graceMu sync.Mutex
	var grace *time.Timer
	stopWatch := context.AfterFunc(ctx, func() {
		close(a.stopping)
		graceMu.Lock()
		grace = time.AfterFunc(stopGrace, func() { abandon(errStopping) })
		graceMu.Unlock()
	})
	defer func() {
		stopWatch()
		graceMu.Lock()
		if grace != nil {
			grace.Stop()
		}
		graceMu.Unlock()
		abandon(errStopping)
	}()
	dispatched := make(chan struct{}) // closed when the dispatcher returns
	stopDispatch := make(chan struct{})
	go func() {
		defer close(dispatched)
		a.dispatch(work, stopDispatch)
	}()
	_ = a.call(ctx, "setMyCommands", "", func(ctx context.Context) error {
		_, err := a.tg.SetMyCommands(ctx, &tgbot.SetMyCommandsParams{Commands: Commands})
		return err
	})
	var err error
	if a.cfg.Webhook != nil {
		err = a.runWebhook(ctx)
	} else {
		// getUpdates fails while a webhook is set; a previous webhook
		// deployment may have left one.
		_ = a.call(ctx, "deleteWebhook", "", func(ctx context.Context) error {
			_, err := a.tg.DeleteWebhook(ctx, &tgbot.DeleteWebhookParams{})
			return err
		})
		a.poll(ctx)
	}
	a.inflight.Wait()
	close(stopDispatch)
	<-dispatched
	if a.cfg.Webhook == nil {
		// Not on work: it may be cut off by now, and this one call is short.
		a.confirm(context.WithoutCancel(ctx))
	}
	for _, s := range []*logsum.Summary{a.retryWarn, a.callFailed, a.floodWarn, a.skipped, a.pollFailed, a.webhookDenied, a.webhookBad} {
		s.Flush()
	}
	a.connected.Store(false)
	return err
}
