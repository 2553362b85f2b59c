package discord

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
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
	req := interactionRequest(i)
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

// acknowledge defers an interaction: "thinking…" for a command, a silent
// acknowledgement for a button.
func (a *Adapter) acknowledge(ctx context.Context, i *discordgo.Interaction, req request) {
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	if req.component {
		resp.Type = discordgo.InteractionResponseDeferredMessageUpdate
	} else if req.ephemeral {
		resp.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}
	}
	if err := retry(ctx, func() error {
		return a.session.InteractionRespond(i, resp, discordgo.WithContext(ctx))
	}); err != nil {
		a.apiFailed(ctx, req.msg.Community, "defer interaction", err)
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

func (a *Adapter) panicked(ctx context.Context, community string, p any) {
	// The panic value is an internal error, not a payload; its type is enough
	// to find it and cannot carry a person's words.
	a.log.Error("recovered from panic", "panic_type", fmt.Sprintf("%T", p))
	ev := bot.Event{Time: time.Now(), Platform: Platform, Community: community, Err: bot.ErrorKindPanic}
	if err := a.rec.Record(ctx, ev); err != nil {
		a.log.Warn("record usage event", "err", err)
	}
}

// respond shows a reply to an interaction. The first part answers the
// interaction (or, once deferred, follows up on it); a triage step pressed on
// a button replaces the message that carried the button. Further parts of a
// long reply are followups.
func (a *Adapter) respond(ctx context.Context, i *discordgo.Interaction, req request, parts []part, replace, deferred bool) {
	var flags discordgo.MessageFlags
	if req.ephemeral {
		flags = discordgo.MessageFlagsEphemeral
	}
	first, rest := parts[0], parts[1:]
	err := retry(ctx, func() error {
		var err error
		switch {
		case deferred && replace:
			_, err = a.session.InteractionResponseEdit(i, &discordgo.WebhookEdit{
				Content: &first.Content, Components: &first.Components, AllowedMentions: noMentions(),
			}, discordgo.WithContext(ctx))
		case deferred:
			_, err = a.session.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
				Content: first.Content, Components: first.Components, Flags: flags, AllowedMentions: noMentions(),
			}, discordgo.WithContext(ctx))
		default:
			typ := discordgo.InteractionResponseChannelMessageWithSource
			data := &discordgo.InteractionResponseData{
				Content: first.Content, Components: first.Components, Flags: flags, AllowedMentions: noMentions(),
			}
			if replace {
				typ = discordgo.InteractionResponseUpdateMessage
				data.Flags = 0 // an update keeps the message's flags
			}
			err = a.session.InteractionRespond(i, &discordgo.InteractionResponse{Type: typ, Data: data}, discordgo.WithContext(ctx))
		}
		return err
	})
	if err != nil {
		a.apiFailed(ctx, req.msg.Community, "answer interaction", err)
		return
	}
	a.followups(ctx, i, req, rest, flags, nil)
}

// followups sends further parts of a reply; files go with the first of them.
func (a *Adapter) followups(ctx context.Context, i *discordgo.Interaction, req request, parts []part, flags discordgo.MessageFlags, files []*discordgo.File) {
	for _, p := range parts {
		err := retry(ctx, func() error {
			_, err := a.session.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
				Content: p.Content, Components: p.Components, Flags: flags, AllowedMentions: noMentions(), Files: files,
			}, discordgo.WithContext(ctx))
			return err
		})
		files = nil
		if err != nil {
			a.apiFailed(ctx, req.msg.Community, "interaction followup", err)
			return
		}
	}
}

// stats answers /stats: only in a guild, only for members with Manage Server
// (checked here again, whatever the command's default permissions say), only
// that guild's numbers. Drawing the chart may take a while, so the interaction
// is deferred first and the report, picture attached, follows.
func (a *Adapter) stats(ctx context.Context, i *discordgo.Interaction, req request, responded *bool) {
	reply := func(text string) {
		*responded = true
		a.respond(ctx, i, req, render(bot.Reply{Text: text}), false, false)
	}
	switch {
	case !req.manager:
		reply(statsDeniedLine)
		return
	case a.cfg.Stats == nil:
		reply(statsOffLine)
		return
	}
	a.acknowledge(ctx, i, req)
	*responded = true
	text, png, err := a.cfg.Stats.Summary(ctx, Platform, i.GuildID, statsSince)
	if err != nil {
		a.log.Error("stats summary", "err", err)
		a.followups(ctx, i, req, render(bot.Reply{Text: statsFailedLine}), discordgo.MessageFlagsEphemeral, nil)
		return
	}
	var parts []part
	for _, c := range splitContent(text, maxContent-len("```\n\n```")) {
		parts = append(parts, part{Content: "```\n" + c + "\n```", Components: []discordgo.MessageComponent{}})
	}
	var files []*discordgo.File
	if len(png) > 0 {
		files = []*discordgo.File{{Name: "stats.png", ContentType: "image/png", Reader: bytes.NewReader(png)}}
	}
	a.followups(ctx, i, req, parts, discordgo.MessageFlagsEphemeral, files)
}

// handleMessage answers a message from the gateway: a DM is a conversation
// with the core; a mention in a channel gets a short public pointer to /ask,
// never the answer to a personal question in public, except that crisis
// resources are always given where crisis was expressed.
func (a *Adapter) handleMessage(ctx context.Context, m *discordgo.Message) {
	a.mu.Lock()
	botID, askID := a.botID, a.askID
	a.mu.Unlock()
	req := messageRequest(m, botID)
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

// send posts parts to the message's channel; as a reply to it when reference.
func (a *Adapter) send(ctx context.Context, m *discordgo.Message, req request, parts []part, reference bool) {
	for k, p := range parts {
		ms := &discordgo.MessageSend{Content: p.Content, Components: p.Components, AllowedMentions: noMentions()}
		if reference && k == 0 {
			no := false
			ms.Reference = &discordgo.MessageReference{MessageID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID, FailIfNotExists: &no}
		}
		if _, err := a.session.ChannelMessageSendComplex(m.ChannelID, ms, discordgo.WithContext(ctx)); err != nil {
			a.apiFailed(ctx, req.msg.Community, "send message", err)
			return
		}
	}
}

// retryAttempts and retryBackoff bound the retries of a call that failed on
// Discord's side: three tries, 150 ms then 300 ms apart, so even an interaction
// answer retried twice stays well inside its three seconds.
const (
	retryAttempts = 3
	retryBackoff  = 150 * time.Millisecond
)

// retry calls call until it succeeds, fails for a reason a retry cannot fix,
// or has been tried retryAttempts times. Rate limits (429) are already waited
// out and retried inside discordgo; this covers server errors (5xx) and
// connections that broke. An answer that Discord reports as already given was
// delivered by an earlier try whose reply was lost, so it counts as success.
func retry(ctx context.Context, call func() error) error {
	backoff := retryBackoff
	var err error
	for attempt := 1; ; attempt++ {
		err = call()
		if err == nil || alreadyAcknowledged(err) {
			return nil
		}
		if attempt == retryAttempts || !retryable(err) {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff *= 2
	}
}

// retryable reports whether a failed call may succeed if repeated.
func retryable(err error) bool {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) {
		return rest.Response != nil && rest.Response.StatusCode >= 500
	}
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF)
}

func alreadyAcknowledged(err error) bool {
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Message != nil && rest.Message.Code == discordgo.ErrCodeInteractionHasAlreadyBeenAcknowledged
}
