package telegram

import (
	"bytes"
	"context"
	"unicode/utf8"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"
)

// stats answers /stats: a group's administrators see that group's numbers, the
// listed admins in a private chat see all Telegram numbers, anyone else a polite
// refusal and no data.
func (a *Adapter) stats(ctx context.Context, in incoming) {
	community, ok := a.isAdmin(ctx, in)
	if !ok {
		refusal := statsRefusedDM
		if in.group {
			refusal = statsRefused
		}
		a.sendChunks(ctx, in, []string{escape(refusal)}, nil, false)
		return
	}
	if a.cfg.Stats == nil {
		a.sendChunks(ctx, in, []string{escape(statsUnavailable)}, nil, false)
		return
	}
	text, png, err := a.cfg.Stats.Summary(ctx, Platform, community, a.cfg.StatsSince)
	if err != nil {
		a.log.Error("stats summary failed", "err", err)
		a.sendChunks(ctx, in, []string{escape(statsUnavailable)}, nil, false)
		return
	}
	var chunks []string
	// The summary is preformatted (aligned columns): send it as <pre>, split on
	// lines so every part stays within the limit with its tags.
	for _, part := range splitPlain(text, MaxText) {
		chunks = append(chunks, "<pre>"+escape(part)+"</pre>")
	}
	if len(chunks) == 0 {
		chunks = []string{escape(statsUnavailable)}
	}
	a.sendChunks(ctx, in, chunks, nil, false)
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

// splitPlain splits plain text into parts of at most max characters, at line
// boundaries where possible.
func splitPlain(text string, max int) []string {
	var parts []string
	var cur []byte
	curLen := 0
	flush := func() {
		if curLen > 0 {
			parts = append(parts, string(cur))
		}
		cur, curLen = nil, 0
	}
	for _, line := range bytes.Split([]byte(text), []byte("\n")) {
		rest := string(line)
		for {
			n := textLen(rest)
			if curLen > 0 && curLen+1+n <= max {
				cur = append(append(cur, '\n'), rest...)
				curLen += 1 + n
				break
			}
			if curLen == 0 && n <= max {
				cur, curLen = append(cur, rest...), n
				break
			}
			if curLen > 0 {
				flush()
				continue
			}
			head, tail := cutText(rest, max)
			if head == "" { // max below one character's width: take one anyway
				_, size := utf8.DecodeRuneInString(rest)
				head, tail = rest[:size], rest[size:]
			}
			cur, curLen = append(cur, head...), textLen(head)
			flush()
			rest = tail
		}
	}
	flush()
	return parts
}
