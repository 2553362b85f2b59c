package telegram

import (
	"bytes"
	"context"
	"slices"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot/internal/textsplit"
)

// stats answers /stats: a group's administrators see that group's numbers, the
// listed admins in a private chat see all Telegram numbers, anyone else a polite
// refusal and no data.
func (a *Adapter) stats(ctx context.Context, in request) {
	community, ok := a.isAdmin(ctx, in)
	if !ok {
		refusal := statsRefusedDM
		if in.group {
			refusal = statsRefused
		}
		a.send(ctx, in, []string{escape(refusal)}, nil, false)
		return
	}
	if a.cfg.Stats == nil {
		a.send(ctx, in, []string{escape(statsUnavailable)}, nil, false)
		return
	}
	text, png, err := a.cfg.Stats.Summary(ctx, Platform, community, a.cfg.StatsSince)
	if err != nil {
		a.log.Error("stats summary failed", "err", err)
		a.send(ctx, in, []string{escape(statsUnavailable)}, nil, false)
		return
	}
	var chunks []string
	// The summary is preformatted (aligned columns): send it as <pre>, split on
	// lines so every part stays within the limit with its tags.
	for _, part := range textsplit.Lines(text, MaxText) {
		chunks = append(chunks, "<pre>"+escape(part)+"</pre>")
	}
	if len(chunks) == 0 {
		chunks = []string{escape(statsUnavailable)}
	}
	a.send(ctx, in, chunks, nil, false)
	if len(png) == 0 {
		return
	}
	_ = a.call(ctx, "sendPhoto", in.msg.Community, func(ctx context.Context) error {
		_, err := a.tg.SendPhoto(ctx, &tgbot.SendPhotoParams{
			ChatID:          in.chatID,
			MessageThreadID: in.threadID,
			// A fresh reader per attempt: a retry must upload the whole picture.
			Photo: &models.InputFileUpload{Filename: "stats.png", Data: bytes.NewReader(png)},
		})
		return err
	})
}

// isAdmin reports whether the /stats sender may see this chat's stats, and
// which community those are ("" = all Telegram numbers, for listed admins in a
// private chat).
func (a *Adapter) isAdmin(ctx context.Context, in request) (community string, ok bool) {
	if !in.group {
		return "", a.admins[in.userID]
	}
	var member *models.ChatMember
	err := a.call(ctx, "getChatMember", in.msg.Community, func(ctx context.Context) error {
		var err error
		member, err = a.tg.GetChatMember(ctx, &tgbot.GetChatMemberParams{ChatID: in.chatID, UserID: in.userID})
		return err
	})
	if err != nil || member == nil {
		return "", false
	}
	ok = slices.Contains([]models.ChatMemberType{models.ChatMemberTypeOwner, models.ChatMemberTypeAdministrator}, member.Type)
	return in.msg.Community, ok
}
