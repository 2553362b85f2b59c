package telegram_test

import (
	"context"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/bot/telegram"
	"github.com/supportbot/supportbot/bot/telegram/telegramtest"
	"github.com/supportbot/supportbot/store"
)

// teeRecorder records into the store and the test's recorder.
type teeRecorder []bot.Recorder

func (t teeRecorder) Record(ctx context.Context, e bot.Event) error {
	for _, r := range t {
		if err := r.Record(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// TestStatsFromTheRealStore runs /stats over the real stats store: the core
// records a group question and a private one, and the group's administrator
// sees that group's report and chart, the listed admin all of Telegram's.
func TestStatsFromTheRealStore(t *testing.T) {
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "stats.db"), store.Options{FlushInterval: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close(ctx) })
	e := newEnv(t, func(c *telegram.Config) {
		c.Stats = db
		c.Recorder = teeRecorder{db, c.Recorder}
		c.Handler = bottest.New(t, bot.WithRecorder(c.Recorder))
	})
	e.srv.SetMember(groupID, adminID, models.ChatMemberTypeOwner)
	e.ask(group, person, "@"+e.srv.Me().Username+" "+question)
	e.ask(dm, person, question)
	bottest.WaitFor(t, "the store to commit both messages", func() bool { return db.QueueStats().Written >= 2 })

	c := e.ask(group, admin, "/stats")
	text := visible(t, c)
	if !strings.HasPrefix(c.Text, "<pre>") || !strings.Contains(text, "platform telegram, community "+strconv.FormatInt(groupID, 10)) {
		t.Errorf("group admin's /stats shows %q, want the group's report as <pre>", text)
	}
	if p := e.next(group); p.Method != "sendPhoto" || !strings.HasPrefix(string(p.Photo), "\x89PNG") {
		t.Errorf("after the report got %s of %d bytes, want the chart as a PNG", p.Method, len(p.Photo))
	}
	c = e.ask(telegramtest.Private(admin), admin, "/stats")
	if text := visible(t, c); !strings.Contains(text, "platform telegram, all communities") {
		t.Errorf("listed admin's private /stats shows %q, want all of Telegram", text)
	}
}
