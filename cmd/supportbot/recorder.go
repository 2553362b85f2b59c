package main

import (
	"context"
	"log/slog"

	"github.com/supportbot/supportbot/bot"
)

// openRecorder opens the stats store at --db for recording. STUB until the store
// exists (issue 5): records nothing.
func (e *env) openRecorder(ctx context.Context, log *slog.Logger) (bot.Recorder, func()) {
	return bot.NopRecorder{}, func() {}
}
