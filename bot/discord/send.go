package discord

import (
	"context"
	"errors"
	"io"
	"net"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/supportbot/supportbot/internal/backoff"
)

// acknowledge defers an interaction: "thinking…" for a command, a silent
// acknowledgement for a button.
func (a *Adapter) acknowledge(ctx context.Context, i *discordgo.Interaction, req request) {
	resp := &discordgo.InteractionResponse{Type: discordgo.InteractionResponseDeferredChannelMessageWithSource}
	if req.component {
		resp.Type = discordgo.InteractionResponseDeferredMessageUpdate
	} else if req.ephemeral {
		resp.Data = &discordgo.InteractionResponseData{Flags: discordgo.MessageFlagsEphemeral, AllowedMentions: noMentions()}
	}
	_ = a.call(ctx, "defer interaction", req.msg.Community, func(ctx context.Context) error {
		return a.session.InteractionRespond(i, resp, discordgo.WithContext(ctx))
	})
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
	err := a.call(ctx, "answer interaction", req.msg.Community, func(ctx context.Context) error {
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
		return
	}
	a.followups(ctx, i, req, rest, flags, nil)
}

// followups sends further parts of a reply; files go with the first of them.
func (a *Adapter) followups(ctx context.Context, i *discordgo.Interaction, req request, parts []part, flags discordgo.MessageFlags, files []*discordgo.File) {
	for _, p := range parts {
		err := a.call(ctx, "interaction followup", req.msg.Community, func(ctx context.Context) error {
			_, err := a.session.FollowupMessageCreate(i, true, &discordgo.WebhookParams{
				Content: p.Content, Components: p.Components, Flags: flags, AllowedMentions: noMentions(), Files: files,
			}, discordgo.WithContext(ctx))
			return err
		})
		files = nil
		if err != nil {
			return
		}
	}
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

// call runs one interaction call until it succeeds, fails for a reason a retry
// cannot fix, or has been tried retryAttempts times; a call that fails for good
// is logged (what, never text or ids) and counted as
// [bot.ErrorKindPlatformAPI] under community. Rate limits (429) are already
// waited out and retried inside discordgo; this covers server errors (5xx)
// and connections that broke. An answer that Discord reports as already given
// was delivered by an earlier try whose reply was lost, so it counts as
// success.
func (a *Adapter) call(ctx context.Context, what, community string, fn func(ctx context.Context) error) error {
	b := backoff.Backoff{Min: retryBackoff, Max: retryBackoff << (retryAttempts - 2)}
	var err error
	for attempt := 1; ; attempt++ {
		err = fn(ctx)
		if err == nil || alreadyAcknowledged(err) {
			return nil
		}
		if attempt == retryAttempts {
			break
		}
		wait, retry := retryDelay(err, &b)
		if !retry || !backoff.Sleep(ctx, wait) {
			break
		}
	}
	a.apiFailed(ctx, community, what, err)
	return err
}

// retryDelay decides whether a failed call may succeed if repeated, and how
// long to wait first: the next delay of b.
func retryDelay(err error, b *backoff.Backoff) (time.Duration, bool) {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) {
		if rest.Response != nil && rest.Response.StatusCode >= 500 {
			return b.Next(), true
		}
		return 0, false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) {
		return b.Next(), true
	}
	return 0, false
}

func alreadyAcknowledged(err error) bool {
	var rest *discordgo.RESTError
	return errors.As(err, &rest) && rest.Message != nil && rest.Message.Code == discordgo.ErrCodeInteractionHasAlreadyBeenAcknowledged
}
