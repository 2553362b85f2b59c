package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/store"
)

// recorderCloseTimeout bounds the final flush of `chat` and `ask`: long enough
// for a busy database, short enough that leaving the terminal never hangs.
const recorderCloseTimeout = 3 * time.Second

// openRecorder opens the stats store at --db for recording `chat` and `ask`
// (platform console). A store that cannot be opened never stops a conversation:
// one warning, and the bot records nothing. The returned func flushes and
// closes the store within a few seconds.
func (e *env) openRecorder(ctx context.Context, log *slog.Logger) (bot.Recorder, func()) {
	slog := log.With("component", "stats")
	db, err := store.Open(ctx, e.cfg.DB, e.storeOptions(slog))
	if err != nil {
		slog.Warn("stats store unavailable; usage is not recorded", "err", err)
		return bot.NopRecorder{}, func() {}
	}
	return db, func() {
		// The conversation may have ended because ctx was cancelled (Ctrl-C):
		// the flush still gets its few seconds.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recorderCloseTimeout)
		defer cancel()
		if err := db.Close(ctx); err != nil {
			slog.Warn("stats store close", "err", err)
		}
	}
}
