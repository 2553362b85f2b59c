package telegram

import (
	"context"
	"errors"
	"fmt"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/internal/textsplit"
)

// handleUpdate handles one update: decode, ask the core, reply. A panic is
// recovered once here, logged and answered with the fallback. It reports false
// if the reply was abandoned because the adapter is stopping (the update is
// then left unconfirmed, for the next process).
func (a *Adapter) handleUpdate(ctx context.Context, u *models.Update) (finished bool) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var in request
	finished = true
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("panic handling update", "panic", fmt.Sprint(p))
			a.record(ctx, in.msg.Community, bot.ErrorKindPanic)
			if in.chatID != 0 {
				a.send(ctx, in, []string{escape(adapterFallback)}, nil, false)
			}
		}
	}()
	in = decodeUpdate(u, a.me, a.isCrisis)
	if in.callbackID != "" {
		// Answer first: it stops the button's spinner, and must happen even for
		// data we will not act on.
		_ = a.call(ctx, "answerCallbackQuery", in.msg.Community, func(ctx context.Context) error {
			_, err := a.tg.AnswerCallbackQuery(ctx, &tgbot.AnswerCallbackQueryParams{CallbackQueryID: in.callbackID})
			return err
		})
	}
	var err error
	switch in.kind {
	case reqCore:
		start := time.Now()
		r := a.cfg.Handler.Handle(ctx, in.msg)
		err = a.reply(ctx, in, r)
		a.log.Debug("update handled", "kind", string(r.Kind), "latency_ms", time.Since(start).Milliseconds())
	case reqStats:
		a.stats(ctx, in)
	}
	return !errors.Is(err, errStopping)
}

// reply sends the core's reply where the message was: rendered, split, with its
// keyboard on the last part, edited in place for a triage step.
func (a *Adapter) reply(ctx context.Context, in request, r bot.Reply) error {
	chunks := renderHTML(r.Text, MaxText)
	if len(chunks) == 0 {
		chunks = []string{escape(adapterFallback)}
	}
	var extra []models.InlineKeyboardButton
	if in.group && a.me.Username != "" {
		hint := escape(privateHint)
		last := chunks[len(chunks)-1]
		if textsplit.Len(last)+2+textsplit.Len(privateHint) <= MaxText { // visible length is ≤ HTML length
			chunks[len(chunks)-1] = last + "\n\n" + hint
		} else {
			chunks = append(chunks, hint)
		}
		extra = append(extra, models.InlineKeyboardButton{Text: privateButton, URL: "https://t.me/" + a.me.Username + "?start=group"})
	}
	kb := keyboard(r.Choices, func(reason string) {
		a.log.Warn("button dropped", "reason", reason, "kind", string(r.Kind))
	}, extra...)
	// Safety first: a crisis reply is never held back by the chat's flood
	// limit, only by its own, which lets the first ones through at once.
	limit := a.floodDM
	switch {
	case r.Kind == bot.KindCrisis:
		limit = a.crisis
	case in.group:
		limit = a.flood
	}
	if ok, _ := limit.allow(in.chatID); !ok {
		a.dropped.Add(1)
		if a.cfg.OnAPICall != nil {
			a.cfg.OnAPICall("flood_limit", ErrFlooded)
		}
		a.floodWarn.Add("kind", string(r.Kind), "group", in.group)
		return nil
	}
	edit := r.Replace && in.callbackID != "" && in.messageID != 0 && len(chunks) == 1
	return a.send(ctx, in, chunks, kb, edit)
}
