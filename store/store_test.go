package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/store"
)

var update = flag.Bool("update", false, "rewrite the golden files and samples in testdata")

var _ bot.Recorder = (*store.DB)(nil)

// dbPath is a fresh database file for one test.
func dbPath(t testing.TB) string { return filepath.Join(t.TempDir(), "stats.db") }

// openStore opens a store and closes it at the end of the test (flushing).
func openStore(t testing.TB, path string, opts store.Options) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), path, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", path, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		db.Close(ctx)
	})
	return db
}

// closeStore closes db, failing the test on error.
func closeStore(t testing.TB, db *store.DB) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := db.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// report opens path read-only and builds the report for f.
func report(t testing.TB, path string, f store.Filter) *store.Report {
	t.Helper()
	db, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatalf("Open read-only: %v", err)
	}
	defer db.Close(context.Background())
	r, err := db.Report(context.Background(), f)
	if err != nil {
		t.Fatalf("Report(%+v): %v", f, err)
	}
	return r
}

// tee passes every event to both recorders: the store under test, and a
// bottest.Recorder keeping them so that a test can compare the report with
// what the core actually emitted.
type tee [2]bot.Recorder

func (r tee) Record(ctx context.Context, e bot.Event) error {
	r[1].Record(ctx, e)
	return r[0].Record(ctx, e)
}

// clock is a settable clock for the bot and the store.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestCounts drives a scripted conversation through the real bot with the store
// attached and checks the report's numbers: hard facts of the script (messages,
// sessions, platforms, pressed topics, a forged button) exactly, and every other
// figure against the events the core emitted.
func TestCounts(t *testing.T) {
	path := dbPath(t)
	clk := &clock{t: time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)}
	db := openStore(t, path, store.Options{Now: clk.Now})
	rec := bottest.NewRecorder()
	b := bottest.New(t, bot.WithRecorder(tee{db, rec}), bot.WithClock(clk.Now))
	ctx := context.Background()
	topics := b.Topics()
	if len(topics) < 2 {
		t.Fatalf("knowledge base has %d topics, want at least 2", len(topics))
	}
	t1, t2 := topics[0].ID, topics[1].ID

	send := func(platform, community, conv, text, data string) bot.Reply {
		clk.Add(time.Minute)
		return b.Handle(ctx, bot.Message{Platform: platform, Community: community, Conversation: conv, Text: text, Data: data})
	}
	// A: a Telegram group; two sessions (a 31-minute silence in between).
	send("telegram", "-100200", "a", "", bot.DataStart)
	send("telegram", "-100200", "a", "", bot.DataTopics)
	send("telegram", "-100200", "a", "", bot.DataTopicPrefix+t1)
	send("telegram", "-100200", "a", "", bot.DataTopicPrefix+t2)
	send("telegram", "-100200", "a", "hello", "")
	clk.Add(31 * time.Minute)
	send("telegram", "-100200", "a", "", bot.DataTopicPrefix+t1)
	// B: a private Telegram chat going through the triage, pressing the last
	// answer button each time ("No, I'm safe" first) until the triage ends.
	r := send("telegram", bot.CommunityDM, "b", "", bot.DataTriage)
	triageMsgs := 1
	for i := 0; i < 20 && r.Kind == bot.KindTriage && len(r.Choices) > 0; i++ {
		if evs := rec.Events(); evs[len(evs)-1].TriageOutcome != "" {
			break
		}
		pick := -1
		for j, c := range r.Choices {
			if c.Label != "Back" && c.Label != "Start again" {
				pick = j
			}
		}
		if pick < 0 {
			break
		}
		r = send("telegram", bot.CommunityDM, "b", "", r.Choices[pick].Data)
		triageMsgs++
	}
	if triageMsgs < 3 {
		t.Errorf("the triage ended after %d messages; the script wants a path through several questions", triageMsgs)
	}
	// C: a Discord guild: a forged button, a crisis message, gibberish.
	send("discord", "g1", "c", "", "v9:forged-button")
	send("discord", "g1", "c", "I want to end my life", "")
	send("discord", "g1", "c", "qwxz vbnm plok", "")
	// D: the console.
	send("console", bot.CommunityDM, "d", "what does a support group cost?", "")
	closeStore(t, db)

	const wantMessages = 6 + 3 + 1
	got := report(t, path, store.Filter{Since: clk.Now().Add(-24 * time.Hour), Until: clk.Now().Add(time.Hour)})
	if got.Messages != int64(wantMessages+triageMsgs) {
		t.Errorf("messages: got %d, want %d", got.Messages, wantMessages+triageMsgs)
	}
	if got.Sessions != 5 {
		t.Errorf("sessions: got %d, want 5 (A twice, B, C, D)", got.Sessions)
	}
	wantPlatform := map[string]int64{"telegram": int64(6 + triageMsgs), "discord": 3, "console": 1}
	for p, n := range wantPlatform {
		if got.ByPlatform[p] != n {
			t.Errorf("by_platform[%s]: got %d, want %d", p, got.ByPlatform[p], n)
		}
	}
	if got.Errors[string(bot.ErrorKindForgedPayload)] != 1 {
		t.Errorf("errors[forged_payload]: got %d, want 1", got.Errors[string(bot.ErrorKindForgedPayload)])
	}
	if got.ByTopic[t1] < 2 || got.ByTopic[t2] < 1 {
		t.Errorf("by_topic: got %v, want %s ≥ 2 and %s ≥ 1 (pressed)", got.ByTopic, t1, t2)
	}
	if got.Triage.Started < 1 {
		t.Errorf("triage started: got %d, want ≥ 1", got.Triage.Started)
	}

	// Everything else must match the events the core emitted, one by one.
	want := map[string]int64{}
	steps := map[int]int64{}
	outcomes := map[string]int64{}
	for _, e := range rec.Events() {
		want["kind "+string(e.Kind)]++
		if e.Topic != "" {
			want["topic "+e.Topic]++
		}
		if e.Clarify {
			want["clarify"]++
		}
		if e.TriageStarted {
			want["started"]++
		}
		if e.TriageStep > 0 {
			steps[e.TriageStep]++
		}
		if e.TriageOutcome != "" {
			outcomes[e.TriageOutcome]++
			want["completed"]++
		}
		if e.Err != "" {
			want["err "+string(e.Err)]++
		}
	}
	for _, k := range bot.Kinds {
		if g, w := got.ByKind[string(k)], want["kind "+string(k)]; g != w {
			t.Errorf("by_kind[%s]: got %d, want %d", k, g, w)
		}
	}
	for id, n := range got.ByTopic {
		if n != want["topic "+id] {
			t.Errorf("by_topic[%s]: got %d, want %d", id, n, want["topic "+id])
		}
	}
	if got.Clarifications != want["clarify"] {
		t.Errorf("clarifications: got %d, want %d", got.Clarifications, want["clarify"])
	}
	if got.Triage.Started != want["started"] || got.Triage.Completed != want["completed"] {
		t.Errorf("triage: got started %d completed %d, want %d and %d", got.Triage.Started, got.Triage.Completed, want["started"], want["completed"])
	}
	for i, n := range got.Triage.Steps {
		if n != steps[i+1] {
			t.Errorf("triage step %d: got %d, want %d", i+1, n, steps[i+1])
		}
	}
	if len(got.Triage.Steps) < len(steps) {
		t.Errorf("triage steps: got %v, want %v", got.Triage.Steps, steps)
	}
	for o, n := range outcomes {
		if got.Triage.Outcomes[o] != n {
			t.Errorf("triage outcome %s: got %d, want %d", o, got.Triage.Outcomes[o], n)
		}
	}
	if got.CrisisShown != want["kind crisis"] || got.Fallbacks != want["kind fallback"] {
		t.Errorf("crisis %d fallback %d, want %d and %d", got.CrisisShown, got.Fallbacks, want["kind crisis"], want["kind fallback"])
	}
	var daySum int64
	for _, d := range got.Days {
		daySum += d.Messages
	}
	if daySum != got.Messages {
		t.Errorf("days sum to %d messages, want %d", daySum, got.Messages)
	}

	// Narrowed to community A.
	a := report(t, path, store.Filter{Since: clk.Now().Add(-24 * time.Hour), Until: clk.Now().Add(time.Hour), Platform: "telegram", Community: "-100200"})
	if a.Messages != 6 || a.Sessions != 2 || a.ByTopic[t1] != 2 || a.ByTopic[t2] != 1 {
		t.Errorf("community -100200: got messages %d sessions %d topics %v, want 6, 2, {%s:2 %s:1}", a.Messages, a.Sessions, a.ByTopic, t1, t2)
	}
	var text bytes.Buffer
	if err := got.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), fmt.Sprintf("Messages %18d", got.Messages)) {
		t.Errorf("text report lacks the message total %d:\n%s", got.Messages, text.String())
	}
	t.Logf("report:\n%s", text.String())
}

// TestSessions checks the 30-minute session gap.
func TestSessions(t *testing.T) {
	path := dbPath(t)
	db := openStore(t, path, store.Options{})
	t0 := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	for _, e := range []struct {
		session uint64
		at      time.Duration
	}{
		{1, 0},                // new
		{1, 29 * time.Minute}, // same
		{1, 58 * time.Minute}, // same: 29 minutes after the last
		{1, 88 * time.Minute}, // new: 30 minutes of silence
		{2, 88 * time.Minute}, // new: another conversation
		{1, 89 * time.Minute}, // same
	} {
		db.Record(context.Background(), bot.Event{Time: t0.Add(e.at), Platform: "telegram", Community: "dm", Session: e.session, Kind: bot.KindAnswer, Topic: "cost"})
	}
	closeStore(t, db)
	r := report(t, path, store.Filter{Since: t0, Until: t0.Add(3 * time.Hour)})
	if r.Sessions != 3 || r.Messages != 6 {
		t.Errorf("got %d sessions, %d messages; want 3 and 6", r.Sessions, r.Messages)
	}
}

// TestCloseFlushes records events just before Close, with no flush due: the
// report has them.
func TestCloseFlushes(t *testing.T) {
	path := dbPath(t)
	db, err := store.Open(context.Background(), path, store.Options{FlushInterval: time.Hour, BatchSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for i := range 500 {
		db.Record(context.Background(), bot.Event{Time: now, Platform: "discord", Community: "g", Session: uint64(i % 7), Kind: bot.KindSmalltalk})
	}
	closeStore(t, db)
	if err := db.Record(context.Background(), bot.Event{Kind: bot.KindAnswer}); !errors.Is(err, store.ErrClosed) {
		t.Errorf("Record after Close: got %v, want ErrClosed", err)
	}
	r := report(t, path, store.Filter{Since: now.Add(-time.Hour), Until: now.Add(time.Hour)})
	if r.Messages != 500 || r.Sessions != 7 || r.ByKind["smalltalk"] != 500 {
		t.Errorf("got messages %d sessions %d smalltalk %d, want 500, 7, 500", r.Messages, r.Sessions, r.ByKind["smalltalk"])
	}
}

// TestReadOnlyMissing: a report on a missing file says there is no data and
// does not create the file.
func TestReadOnlyMissing(t *testing.T) {
	path := dbPath(t)
	_, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if !errors.Is(err, store.ErrNoDatabase) {
		t.Errorf("Open read-only of a missing file: got %v, want ErrNoDatabase", err)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the missing file was created (stat: %v)", err)
	}
	// An existing file that is not a stats database yet reads as empty.
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r := report(t, path, store.Filter{})
	if !r.Empty() {
		t.Errorf("report of an empty file: got %+v, want empty", r)
	}
	db, err := store.Open(context.Background(), path, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close(context.Background())
	if err := db.Ping(context.Background()); !errors.Is(err, store.ErrReadOnly) {
		t.Errorf("Ping read-only: got %v, want ErrReadOnly", err)
	}
}

// TestRetention rolls hourly rows older than the retention age into daily
// rows, keeping the totals.
func TestRetention(t *testing.T) {
	path := dbPath(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	db := openStore(t, path, store.Options{Now: func() time.Time { return now }, Retention: 48 * time.Hour})
	old := now.Add(-5 * 24 * time.Hour).Truncate(24 * time.Hour)
	for h := range 24 {
		for i := range 3 {
			db.Record(context.Background(), bot.Event{Time: old.Add(time.Duration(h) * time.Hour), Platform: "telegram", Community: "-1", Session: uint64(h*10 + i), Kind: bot.KindAnswer, Topic: "cost"})
		}
	}
	db.Record(context.Background(), bot.Event{Time: now.Add(-time.Hour), Platform: "telegram", Community: "-1", Session: 999, Kind: bot.KindFallback})
	closeStore(t, db)

	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var hourly, daily int
	if err := raw.QueryRow(`SELECT COUNT(*) FROM counts WHERE span = 3600 AND bucket < ?`, now.Add(-48*time.Hour).Unix()).Scan(&hourly); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow(`SELECT COUNT(*) FROM counts WHERE span = 86400 AND bucket = ?`, old.Unix()).Scan(&daily); err != nil {
		t.Fatal(err)
	}
	if hourly != 0 || daily == 0 {
		t.Errorf("after roll-up: %d old hourly rows (want 0), %d daily rows (want > 0)", hourly, daily)
	}
	r := report(t, path, store.Filter{Since: now.Add(-7 * 24 * time.Hour), Until: now})
	if r.Messages != 73 || r.ByTopic["cost"] != 72 || r.Sessions != 73 || r.Fallbacks != 1 {
		t.Errorf("got messages %d cost %d sessions %d fallbacks %d, want 73, 72, 73, 1", r.Messages, r.ByTopic["cost"], r.Sessions, r.Fallbacks)
	}
	if d := r.Days[2]; d.Date != old.Format(time.DateOnly) || d.Messages != 72 {
		t.Errorf("day 2: got %+v, want %s with 72 messages", d, old.Format(time.DateOnly))
	}
}

// TestRecordDoesNotAllocate: the reply path's hand-off is allocation-free.
func TestRecordDoesNotAllocate(t *testing.T) {
	db := openStore(t, dbPath(t), store.Options{QueueSize: 64})
	e := bot.Event{Time: time.Now(), Platform: "telegram", Community: "dm", Session: 1, Kind: bot.KindAnswer, Topic: "cost"}
	ctx := context.Background()
	if n := testing.AllocsPerRun(10000, func() { db.Record(ctx, e) }); n != 0 {
		t.Errorf("Record allocates %v times per call, want 0", n)
	}
}

// TestQueueFullDrops: a full queue drops and counts, never blocks.
func TestQueueFullDrops(t *testing.T) {
	path := dbPath(t)
	db := openStore(t, path, store.Options{QueueSize: 1})
	ctx := context.Background()
	now := time.Now()
	for range 10000 {
		db.Record(ctx, bot.Event{Time: now, Platform: "telegram", Community: "dm", Session: 1, Kind: bot.KindAnswer})
	}
	closeStore(t, db)
	qs := db.QueueStats()
	if qs.Dropped == 0 || qs.Dropped+qs.Written != 10000 {
		t.Errorf("queue stats %+v: want some dropped, dropped+written = 10000", qs)
	}
	r := report(t, path, store.Filter{Since: now.Add(-time.Hour), Until: now.Add(time.Hour)})
	if r.Dropped != qs.Dropped || r.Messages != qs.Written {
		t.Errorf("report: dropped %d messages %d, want %d and %d", r.Dropped, r.Messages, qs.Dropped, qs.Written)
	}
}

// goldenEvents records a fixed week of usage.
func goldenEvents(db *store.DB, now time.Time) {
	ctx := context.Background()
	rec := func(daysAgo, hour int, e bot.Event) {
		e.Time = now.Truncate(24*time.Hour).AddDate(0, 0, -daysAgo).Add(time.Duration(hour) * time.Hour)
		db.Record(ctx, e)
	}
	topics := []string{"difference", "cost", "leadership", "confidentiality", "what-to-expect", "finding-a-group"}
	session := uint64(0)
	for d := 6; d >= 0; d-- {
		people := 3 + (6-d)*2
		if d == 3 {
			people = 1
		}
		for p := range people {
			session++
			pl, comm := "telegram", "-1001234"
			switch {
			case p%4 == 1:
				pl, comm = "discord", "8812"
			case p%5 == 2:
				pl, comm = "telegram", "dm"
			}
			base := bot.Event{Platform: pl, Community: comm, Session: session, Latency: time.Duration(p%7) * 20 * time.Millisecond}
			e := base
			e.Kind, e.Topic = bot.KindAnswer, topics[(p+d)%len(topics)%(1+p%len(topics))]
			rec(d, 9+p%8, e)
			if p%3 == 0 {
				e := base
				e.Kind = bot.KindTriage
				e.TriageStarted = true
				rec(d, 9+p%8, e)
				for step := 1; step <= 3-p%2; step++ {
					e := base
					e.Kind, e.TriageStep = bot.KindTriage, step
					rec(d, 9+p%8, e)
				}
				if p%2 == 0 {
					e := base
					e.Kind, e.TriageOutcome = bot.KindTriage, []string{"support-group", "group-therapy", "both"}[p%3+d%2]
					rec(d, 9+p%8, e)
				}
			}
			if p%4 == 3 {
				e := base
				e.Kind = bot.KindFallback
				rec(d, 10, e)
				e.Kind, e.Topic, e.Clarify = bot.KindAnswer, "cost", true
				rec(d, 10, e)
			}
			if p%5 == 0 {
				e := base
				e.Kind = bot.KindSmalltalk
				rec(d, 11, e)
			}
		}
	}
	rec(2, 14, bot.Event{Platform: "telegram", Community: "dm", Session: 9999, Kind: bot.KindCrisis})
	rec(1, 8, bot.Event{Platform: "discord", Community: "8812", Session: 10000, Kind: bot.KindFallback, Err: bot.ErrorKindForgedPayload})
	rec(1, 8, bot.Event{Platform: "discord", Err: bot.ErrorKindPlatformAPI})
}

// TestGolden checks the text report against testdata/report.golden, and writes
// the samples the README links to (testdata/sample-report.txt and .png) with
// -update.
func TestGolden(t *testing.T) {
	path := dbPath(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	db := openStore(t, path, store.Options{Now: func() time.Time { return now }})
	goldenEvents(db, now)
	closeStore(t, db)

	for _, tc := range []struct {
		name   string
		filter store.Filter
	}{
		{"report", store.Filter{Since: now.Add(-7 * 24 * time.Hour), Until: now}},
		{"report-discord", store.Filter{Since: now.Add(-7 * 24 * time.Hour), Until: now, Platform: "discord", Community: "8812"}},
		{"report-90d", store.Filter{Since: now.Add(-90 * 24 * time.Hour), Until: now}},
		{"report-empty", store.Filter{Since: now.Add(-30 * 24 * time.Hour), Until: now.Add(-20 * 24 * time.Hour)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := report(t, path, tc.filter)
			var buf bytes.Buffer
			if err := r.WriteText(&buf); err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", tc.name+".golden")
			if *update {
				if err := os.WriteFile(golden, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("read golden (run with -update to create it): %v", err)
			}
			if got := buf.String(); got != string(want) {
				t.Errorf("text report differs from %s (run with -update and review the diff)\ngot:\n%s\nwant:\n%s", golden, got, want)
			}
		})
	}

	r := report(t, path, store.Filter{Since: now.Add(-7 * 24 * time.Hour), Until: now})
	img, err := r.PNG()
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(img))
	if err != nil {
		t.Fatalf("PNG() is not a PNG: %v", err)
	}
	if cfg.Width < 400 || cfg.Height < 400 {
		t.Errorf("chart is %dx%d, want at least 400x400", cfg.Width, cfg.Height)
	}
	if *update {
		var text bytes.Buffer
		r.WriteText(&text)
		if err := os.WriteFile(filepath.Join("testdata", "sample-report.txt"), text.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join("testdata", "sample-report.png"), img, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestSummary is what /stats calls: text and picture for one community.
func TestSummary(t *testing.T) {
	path := dbPath(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	db := openStore(t, path, store.Options{Now: func() time.Time { return now }})
	goldenEvents(db, now)
	bottest.WaitFor(t, "the events to be written", func() bool {
		return db.QueueStats().Depth == 0 && db.QueueStats().Written > 0 && db.Ping(context.Background()) == nil
	})
	closeStore(t, db)
	db = openStore(t, path, store.Options{Now: func() time.Time { return now }})
	text, img, err := db.Summary(context.Background(), "discord", "", 7*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "platform discord, all communities") || strings.Contains(text, "telegram") {
		t.Errorf("summary for discord:\n%s", text)
	}
	if _, err := png.DecodeConfig(bytes.NewReader(img)); err != nil {
		t.Errorf("summary picture is not a PNG: %v", err)
	}
}
