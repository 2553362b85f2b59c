package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/console"
)

// cmdChat is `supportbot chat`: a conversation in the terminal.
func cmdChat(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("chat")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	log := e.logger()
	rec, closeStats := e.openRecorder(ctx, log)
	defer closeStats()
	// The greeting is the bot's own opening, not a message of the person's:
	// it must not count in the stats (nor add a small-talk reply there).
	rec = unrecordedRecorder{rec}
	b, err := e.newBot(bot.WithRecorder(rec), bot.WithLogger(log))
	if err != nil {
		return err
	}
	opts := console.Options{Greet: true}
	if isTerminal(e.stdin) {
		opts.Prompt = "> "
		fmt.Fprintln(e.stdout, "(Type a message and press Enter; type a button's number to press it; Ctrl-D to leave.)")
	}
	return console.Run(ctx, &greeter{h: b}, e.stdin, e.stdout, opts)
}

// greeter hands messages to the bot, the first one (console.Run's greeting,
// the welcome asked for with [bot.DataStart]) marked as not to be recorded. A
// /start the person types later is theirs, and counts.
type greeter struct {
	h       console.Handler
	greeted bool // only Run's goroutine calls Handle
}

// Handle implements [console.Handler].
func (g *greeter) Handle(ctx context.Context, m bot.Message) bot.Reply {
	if !g.greeted {
		g.greeted = true
		if m.Data == bot.DataStart {
			ctx = context.WithValue(ctx, unrecordedKey{}, true)
		}
	}
	return g.h.Handle(ctx, m)
}

// unrecordedKey marks the context of a [bot.Bot.Handle] whose event must not
// be recorded.
type unrecordedKey struct{}

// unrecordedRecorder passes events on to next, except those of a Handle whose
// context carries unrecordedKey.
type unrecordedRecorder struct{ next bot.Recorder }

// Record implements [bot.Recorder].
func (r unrecordedRecorder) Record(ctx context.Context, ev bot.Event) error {
	if ctx.Value(unrecordedKey{}) != nil {
		return nil
	}
	return r.next.Record(ctx, ev)
}

// cmdAsk is `supportbot ask [--json] TEXT...`: one message, one reply.
func cmdAsk(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("ask")
	asJSON := fl.Bool("json", false, "print the reply as one JSON object")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	text := strings.Join(fl.Args(), " ")
	b, closeStats, err := e.consoleBot(ctx)
	if err != nil {
		return err
	}
	defer closeStats()
	r := b.Handle(ctx, bot.Message{
		Platform:     console.Platform,
		Community:    bot.CommunityDM,
		Conversation: "ask",
		Text:         text,
	})
	if !*asJSON {
		_, err := fmt.Fprint(e.stdout, console.Render(r))
		return err
	}
	r.Text = bot.Plain(r.Text)
	if r.Choices == nil {
		r.Choices = []bot.Choice{} // the contract shows a list, never null
	}
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// consoleBot builds the bot for chat and ask, recording usage under platform
// "console" when the stats store can be opened. A stats store that cannot be
// opened never stops a conversation: the bot says nothing of it and runs without.
func (e *env) consoleBot(ctx context.Context) (*bot.Bot, func(), error) {
	log := e.logger()
	rec, closeStats := e.openRecorder(ctx, log)
	b, err := e.newBot(bot.WithRecorder(rec), bot.WithLogger(log))
	if err != nil {
		closeStats()
		return nil, nil, err
	}
	return b, closeStats, nil
}

// isTerminal reports whether r is an interactive terminal.
func isTerminal(r any) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
