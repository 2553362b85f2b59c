package discord_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/bot/discord"
	"github.com/supportbot/supportbot/bot/discord/discordtest"
	"github.com/supportbot/supportbot/store"
)

// Ids the tests use. They are distinctive so that the log check can tell that
// none of them reached a log line.
const (
	guildID   = "771100000000000001"
	channelID = "772200000000000002"
	userID    = "773300000000000003"
	dmChannel = "774400000000000004"
	otherUser = "775500000000000005"
)

var (
	inGuild   = discordtest.Who{GuildID: guildID, ChannelID: channelID, UserID: userID}
	inDM      = discordtest.Who{ChannelID: dmChannel, UserID: userID}
	asManager = discordtest.Who{GuildID: guildID, ChannelID: channelID, UserID: otherUser, Permissions: 1 << 5}
)

// waitTimeout bounds every wait for the bot: bottest's, generous because -race
// on two shared cores is slow, and never a measurement.
const waitTimeout = bottest.Deadline

// tee records into the test's recorder, and also into next once set (the
// store, see withStore).
type tee struct {
	rec  *bottest.Recorder
	next bot.Recorder
}

func (r *tee) Record(ctx context.Context, ev bot.Event) error {
	_ = r.rec.Record(ctx, ev)
	if r.next != nil {
		return r.next.Record(ctx, ev)
	}
	return nil
}

// handlerFunc adapts a function to discord.Handler.
type handlerFunc func(ctx context.Context, m bot.Message) bot.Reply

func (f handlerFunc) Handle(ctx context.Context, m bot.Message) bot.Reply { return f(ctx, m) }

// harness runs the real adapter against the fake Discord, with the real core
// over the embedded knowledge base unless a test swaps the handler.
type harness struct {
	t       *testing.T
	fake    *discordtest.Server
	know    bot.Knowledge
	core    *bot.Bot
	rec     *bottest.Recorder
	tee     *tee
	logs    *bottest.Buffer
	log     *slog.Logger
	cfg     discord.Config
	adapter *discord.Adapter
	cancel  context.CancelFunc
	done    chan error
	// secrets must never appear in a log line.
	secrets []string
	// mayFail holds the tokens of interactions a test lets go unanswered.
	mayFail map[string]bool
}

type option func(*harness)

func withHandler(h discord.Handler) option { return func(x *harness) { x.cfg.Handler = h } }
func withGuild(id string) option           { return func(x *harness) { x.cfg.GuildID = id } }
func withStore() option {
	return func(x *harness) {
		db, err := store.Open(x.t.Context(), filepath.Join(x.t.TempDir(), "stats.db"), store.Options{})
		if err != nil {
			x.t.Fatalf("open store: %v", err)
		}
		x.t.Cleanup(func() { db.Close(context.WithoutCancel(x.t.Context())) })
		x.tee.next = db
		x.cfg.Stats = db
	}
}

// newHarness starts a fake Discord and a core, and an adapter on them.
func newHarness(t *testing.T, opts ...option) *harness {
	t.Helper()
	h := &harness{t: t, fake: discordtest.NewServer(discordtest.Options{}), rec: bottest.NewRecorder(), logs: &bottest.Buffer{}, mayFail: map[string]bool{}}
	h.tee = &tee{rec: h.rec}
	t.Cleanup(h.fake.Close)
	h.log = slog.New(slog.NewJSONHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	h.know = bottest.Knowledge(t)
	h.core = bottest.New(t, bot.WithRecorder(h.tee), bot.WithLogger(h.log))
	h.cfg = discord.Config{
		Token:    discordtest.Token,
		APIURL:   h.fake.URL,
		GuildID:  guildID,
		Handler:  h.core,
		Recorder: h.tee,
		Logger:   h.log,
	}
	for _, o := range opts {
		o(h)
	}
	h.secrets = []string{discordtest.Token, guildID, channelID, userID, dmChannel, otherUser, "itoken-"}
	h.start()
	t.Cleanup(func() {
		h.stop()
		for _, v := range h.fake.Violations() {
			t.Errorf("Discord rule broken: %s", v)
		}
		for _, tok := range h.fake.Unanswered() {
			if !h.mayFail[tok] {
				t.Errorf("an interaction was never answered")
			}
		}
		logs := h.logs.String()
		for _, s := range h.secrets {
			if strings.Contains(logs, s) {
				t.Errorf("the log holds %q:\n%s", s, logs)
			}
		}
	})
	return h
}

// secret adds text that must never be logged (a question, say).
func (h *harness) secret(s string) string {
	h.secrets = append(h.secrets, s)
	return s
}

// start runs a new adapter and waits until it is connected and has registered
// its commands: until the adapter has logged so, not only until the fake has
// seen the request, for a stop right after start would otherwise cancel the
// registration while its answer is still on the way (and count it failed).
func (h *harness) start() {
	h.t.Helper()
	identifies := h.fake.Identifies()
	const done = `"msg":"slash commands registered"`
	logged := strings.Count(h.logs.String(), done)
	registered := func(c discordtest.Call) bool { return c.Route == discordtest.RouteCommands }
	before := len(filter(h.fake.Calls(), registered))
	a, err := discord.New(h.t.Context(), h.cfg)
	if err != nil {
		h.t.Fatalf("discord.New: %v", err)
	}
	ctx, cancel := context.WithCancel(h.t.Context())
	h.adapter, h.cancel, h.done = a, cancel, make(chan error, 1)
	go func() { h.done <- a.Run(ctx) }()
	wctx, wcancel := context.WithTimeout(h.t.Context(), waitTimeout)
	defer wcancel()
	if err := h.fake.WaitConnected(wctx, identifies+1, 0); err != nil {
		h.t.Fatalf("adapter did not connect: %v\nlog:\n%s", err, h.logs)
	}
	if _, err := h.fake.WaitCalls(wctx, before+1, registered); err != nil {
		h.t.Fatalf("commands not registered: %v", err)
	}
	bottest.WaitFor(h.t, "the adapter to log its commands registered", func() bool {
		return strings.Count(h.logs.String(), done) > logged
	})
}

// stop cancels Run and waits for it to return.
func (h *harness) stop() {
	h.t.Helper()
	if h.cancel == nil {
		return
	}
	h.cancel()
	select {
	case err := <-h.done:
		if err != nil {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(waitTimeout + 35*time.Second):
		h.t.Errorf("Run did not return after its context was cancelled")
	}
	h.cancel = nil
}

func filter(cs []discordtest.Call, match func(discordtest.Call) bool) []discordtest.Call {
	var out []discordtest.Call
	for _, c := range cs {
		if match(c) {
			out = append(out, c)
		}
	}
	return out
}

// wait waits for n calls matching match.
func (h *harness) wait(n int, match func(discordtest.Call) bool) []discordtest.Call {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(h.t.Context(), waitTimeout)
	defer cancel()
	got, err := h.fake.WaitCalls(ctx, n, match)
	if err != nil {
		h.t.Fatalf("%v; calls so far: %+v", err, h.fake.Calls())
	}
	return got
}

// command invokes a slash command and returns the first call answering it.
func (h *harness) command(who discordtest.Who, name string, opts map[string]string) (discordtest.Sent, discordtest.Call) {
	h.t.Helper()
	in, err := h.fake.Command(who, name, opts)
	if err != nil {
		h.t.Fatal(err)
	}
	return in, h.wait(1, discordtest.ForInteraction(in.Token))[0]
}

// press presses a button and returns the first call answering it.
func (h *harness) press(who discordtest.Who, customID string) (discordtest.Sent, discordtest.Call) {
	h.t.Helper()
	in, err := h.fake.Press(who, "", customID)
	if err != nil {
		h.t.Fatal(err)
	}
	return in, h.wait(1, discordtest.ForInteraction(in.Token))[0]
}

func isErr(kind bot.ErrorKind) func(bot.Event) bool {
	return func(e bot.Event) bool { return e.Err == kind }
}
