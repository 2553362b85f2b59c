package serve_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/internal/backoff"
	"github.com/supportbot/supportbot/internal/serve"
)

var errRejected = errors.New("fake: token rejected")

// flaky is an adapter whose connection drops once, then serves until stopped.
type flaky struct {
	runs      atomic.Int32
	connected atomic.Bool
}

func (f *flaky) Connected() bool { return f.connected.Load() }

func (f *flaky) Run(ctx context.Context) error {
	if f.runs.Add(1) == 1 {
		return errors.New("connection dropped")
	}
	f.connected.Store(true)
	defer f.connected.Store(false)
	<-ctx.Done()
	return nil
}

// TestRunReconnects: a platform whose connection drops is reconnected by its
// supervisor, and Run returns nil once its context ends, the store flushed.
func TestRunReconnects(t *testing.T) {
	a := &flaky{}
	var log bottest.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- serve.Run(ctx, bottest.Knowledge(t), serve.Config{DB: filepath.Join(t.TempDir(), "stats.db"), TelegramToken: "x"}, serve.Options{
			Logger:    slog.New(slog.NewTextHandler(&log, nil)),
			Reconnect: backoff.Backoff{Min: time.Millisecond, Max: time.Millisecond},
			Platforms: func(d serve.Deps) []*serve.Platform {
				return []*serve.Platform{{Name: "telegram", TokenVar: "TELEGRAM_BOT_TOKEN", Unauthorized: errRejected,
					Connect: func(context.Context) (serve.Adapter, error) { return a, nil }}}
			},
		})
	}()
	bottest.WaitFor(t, "the second connection", a.Connected)
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run after cancel: %v\nlog:\n%s", err, log.String())
	}
	for _, want := range []string{"connection dropped", "supportbot stopped"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, log.String())
		}
	}
}

// TestRunTokenRejected: a token rejected at start fails Run, naming the
// platform and its variable.
func TestRunTokenRejected(t *testing.T) {
	err := serve.Run(context.Background(), bottest.Knowledge(t), serve.Config{DB: filepath.Join(t.TempDir(), "stats.db"), DiscordToken: "x"}, serve.Options{
		Platforms: func(serve.Deps) []*serve.Platform {
			return []*serve.Platform{{Name: "discord", TokenVar: "DISCORD_BOT_TOKEN", Unauthorized: errRejected,
				Connect: func(context.Context) (serve.Adapter, error) { return nil, errRejected }}}
		},
	})
	if !errors.Is(err, errRejected) || !strings.Contains(err.Error(), "discord: DISCORD_BOT_TOKEN") {
		t.Errorf("Run with a rejected token: err = %v, want one naming discord and DISCORD_BOT_TOKEN", err)
	}
}
