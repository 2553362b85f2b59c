package store_test

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/store"
)

// TestOpenDeferred: a database that cannot be opened at start (its directory
// missing, a directory at its path, a damaged file) still gives a store that
// counts: Ping says what is wrong, the failure is logged once, and the counts
// are written once the database can be opened.
func TestOpenDeferred(t *testing.T) {
	for _, tc := range []struct {
		name  string
		spoil func(t *testing.T, path string)
		fix   func(t *testing.T, path string)
	}{
		{"directory missing",
			func(*testing.T, string) {},
			func(t *testing.T, path string) { mustDo(t, os.MkdirAll(filepath.Dir(path), 0o755)) }},
		{"a directory at the path",
			func(t *testing.T, path string) { mustDo(t, os.MkdirAll(path, 0o755)) },
			func(t *testing.T, path string) { mustDo(t, os.Remove(path)) }},
		{"a damaged file",
			func(t *testing.T, path string) {
				mustDo(t, os.WriteFile(path, []byte(strings.Repeat("not a database ", 1000)), 0o644))
			},
			func(t *testing.T, path string) { mustDo(t, os.Remove(path)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "data", "stats.db")
			if tc.name != "directory missing" {
				mustDo(t, os.MkdirAll(filepath.Dir(path), 0o755))
			}
			tc.spoil(t, path)
			logs := &bottest.Buffer{}
			ctx := context.Background()
			db, err := store.OpenDeferred(ctx, path, store.Options{
				Logger:        slog.New(slog.NewTextHandler(logs, nil)),
				FlushInterval: 5 * time.Millisecond,
			})
			if err == nil {
				t.Fatal("OpenDeferred on an unusable path: got no error, want the reason")
			}
			if db == nil {
				t.Fatal("OpenDeferred returned no store")
			}
			for range 5 {
				if err := db.Record(ctx, bot.Event{Time: time.Now(), Platform: "telegram", Community: "dm", Session: 1, Kind: bot.KindAnswer, Topic: "cost"}); err != nil {
					t.Fatalf("Record while the database is unusable: %v", err)
				}
			}
			bottest.WaitFor(t, "three failed attempts", func() bool { return db.QueueStats().Errors >= 3 })
			if err := db.Ping(ctx); err == nil {
				t.Error("Ping while the database cannot be opened: got nil, want the reason")
			}
			if _, err := db.Report(ctx, store.Filter{}); err == nil {
				t.Error("Report while the database cannot be opened: got nil error")
			}
			if n := strings.Count(logs.String(), "write failed"); n != 1 {
				t.Errorf("failures logged %d times within a minute, want once:\n%s", n, logs.String())
			}
			tc.fix(t, path)
			bottest.WaitFor(t, "the counts written", func() bool { return db.QueueStats().Written == 5 })
			bottest.WaitFor(t, "Ping to succeed", func() bool { return db.Ping(ctx) == nil })
			closeStore(t, db)
			r := report(t, path, store.Filter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
			if r.Messages != 5 || r.ByTopic["cost"] != 5 {
				t.Errorf("after the fix: messages %d, cost %d; want 5 and 5", r.Messages, r.ByTopic["cost"])
			}
		})
	}
}

// TestOpenDirectory: a directory at the path is told as such, not as SQLite's
// "disk I/O error".
func TestOpenDirectory(t *testing.T) {
	dir := t.TempDir()
	for _, ro := range []bool{false, true} {
		_, err := store.Open(context.Background(), dir, store.Options{ReadOnly: ro})
		if !errors.Is(err, store.ErrIsDirectory) {
			t.Errorf("Open(a directory, ReadOnly %v): %v, want ErrIsDirectory", ro, err)
		}
	}
}

func mustDo(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
