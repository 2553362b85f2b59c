package discord

import (
	"context"
	"fmt"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/supportbot/supportbot/bot"
)

// Lines the adapter says itself. The core has no message key for these: they
// are about Discord (where to ask, who may see stats), not about the topic.
const (
	// mentionLine answers a mention in a public channel; %s is the /ask command.
	mentionLine       = "I answer questions about support groups and group therapy in private. Use %s here (only you will see my answer), or send me a direct message."
	statsDeniedLine   = "Only members with the Manage Server permission can see this server's stats."
	statsOffLine      = "Usage stats are not enabled for this bot."
	statsFailedLine   = "The stats could not be read just now. Please try again later."
	internalErrorLine = "Sorry, something went wrong on my side. Please try again, or use /ask."
)

// handleInteraction answers one slash command or button press. A panic is
// recovered once here, logged, counted, and answered with a short apology.
func (a *Adapter) handleInteraction(ctx context.Context, i *discordgo.Interaction) {
	req := decodeInteraction(i)
	if req.kind == reqIgnore {
		return
	}
	responded := false
	defer func() {
		if p := recover(); p != nil {
			a.panicked(ctx, req.msg.Community, p)
			if !responded {
				a.respond(ctx, i, req, render(bot.Reply{Text: internalErrorLine}), false, false)
			}
		}
	}()
	switch req.kind {
	case reqStats:
		a.stats(ctx, i, req, &responded)
	default:
		a.answer(ctx, i, req, &responded)
	}
}

// answer asks the core and shows its reply. If the core has not answered after
// deferAfter, the interaction is acknowledged first (deferred) and the reply
// follows, so Discord's three seconds are never missed.
func (a *Adapter) answer(ctx context.Context, i *discordgo.Interaction, req request, responded *bool) {
	replyc := make(chan bot.Reply, 1) // buffered: the worker never blocks on a reader that left
	go func() { replyc <- a.handle(ctx, req.msg) }()
	t := time.NewTimer(deferAfter)
	defer t.Stop()
	select {
	case r := <-replyc:
		parts := render(r) // before responded: a panic here still gets the apology
		*responded = true
		a.respond(ctx, i, req, parts, req.component && r.Replace, false)
		return
	case <-t.C:
	}
	a.acknowledge(ctx, i, req)
	*responded = true
	select {
	case r := <-replyc:
		a.respond(ctx, i, req, render(r), req.component && r.Replace, true)
	case <-ctx.Done():
		a.log.Error("no reply before the event timeout", "err", ctx.Err())
	}
}

// handle calls the core, recovering from a panic in it.
func (a *Adapter) handle(ctx context.Context, m bot.Message) (r bot.Reply) {
	defer func() {
		if p := recover(); p != nil {
			a.panicked(ctx, m.Community, p)
			r = bot.Reply{Kind: bot.KindFallback, Text: internalErrorLine}
		}
	}()
	return a.cfg.Handler.Handle(ctx, m)
}

// handleMessage answers a message from the gateway: a DM is a conversation
// with the core; a mention in a channel gets a short public pointer to /ask,
// never the answer to a personal question in public, except that crisis
// resources are always given where crisis was expressed.
func (a *Adapter) handleMessage(ctx context.Context, m *discordgo.Message) {
	a.mu.Lock()
	botID, askID := a.botID, a.askID
	a.mu.Unlock()
	req := decodeMessage(m, botID)
	if req.kind == reqIgnore {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			a.panicked(ctx, req.msg.Community, p)
			a.send(ctx, m, req, []part{{Content: internalErrorLine}}, req.kind == reqMention)
		}
	}()
	r := a.handle(ctx, req.msg)
	if req.kind == reqMention {
		parts := render(bot.Reply{Text: r.Text}) // crisis resources; no buttons in public
		if r.Kind != bot.KindCrisis {
			ask := "/ask"
			if askID != "" {
				ask = "</ask:" + askID + ">" // Discord shows a clickable command
			}
			// Our own line, not markup: written as Discord markdown directly.
			parts = []part{{Content: fmt.Sprintf(mentionLine, ask), Components: []discordgo.MessageComponent{}}}
		}
		a.send(ctx, m, req, parts, true)
		return
	}
	a.send(ctx, m, req, render(r), false)
}
