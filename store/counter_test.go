package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/store"
)

// TestCountersDeclared checks what the writer, the report and /metrics rely on
// in every entry of store.Counters.
func TestCountersDeclared(t *testing.T) {
	metricName := regexp.MustCompile(`^supportbot_[a-z_]+_total$`)
	seen := map[string]bool{}
	for _, c := range store.Counters {
		if c.Name == "" || seen[c.Name] {
			t.Errorf("counter %q: the name is empty or used twice", c.Name)
		}
		seen[c.Name] = true
		if !strings.HasSuffix(c.Help, ".") {
			t.Errorf("counter %q: help %q, want one sentence ending in a period", c.Name, c.Help)
		}
		if c.Metric == "" {
			continue
		}
		if !metricName.MatchString(c.Metric) {
			t.Errorf("counter %q: metric %q, want supportbot_…_total", c.Name, c.Metric)
		}
		if c.Of == nil {
			t.Errorf("counter %q is on /metrics but has no Of to count events with", c.Name)
		}
		if c.Label != "" && len(c.Keys) == 0 {
			t.Errorf("counter %q is on /metrics with label %q but no known keys: the label could grow without bound", c.Name, c.Label)
		}
	}
}

// addCounter adds c to store.Counters for the rest of the test, as a developer
// adding a counter would.
func addCounter(t *testing.T, c store.Counter) {
	saved := store.Counters
	t.Cleanup(func() { store.Counters = saved })
	store.Counters = append(slices.Clip(saved), c)
}

// TestNewCounter: one entry in store.Counters is counted by the writer and
// shown by the report, in JSON and in text, with nothing else to change.
func TestNewCounter(t *testing.T) {
	addCounter(t, store.Counter{
		Name:  "test_pressed",
		Help:  "Buttons pressed, by reply kind.",
		Label: "kind",
		Of:    func(e bot.Event) (string, bool) { return string(e.Kind), e.TriageStep > 0 || e.Topic != "" },
	})
	path := dbPath(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	f := store.Filter{Since: now.Add(-24 * time.Hour), Until: now}

	if c := store.EmptyReport(f).Counters["test_pressed"]; c == nil || c.Total != 0 {
		t.Errorf("empty report: counters[test_pressed] = %+v, want a zero count", c)
	}

	db := openStore(t, path, store.Options{Now: func() time.Time { return now }})
	for _, e := range []bot.Event{
		{Kind: bot.KindAnswer, Topic: "cost"},
		{Kind: bot.KindAnswer, Topic: "cost"},
		{Kind: bot.KindTriage, TriageStep: 1},
		{Kind: bot.KindSmalltalk},
	} {
		e.Time, e.Platform, e.Community, e.Session = now.Add(-time.Hour), "telegram", "dm", 1
		db.Record(context.Background(), e)
	}
	closeStore(t, db)
	r := report(t, path, f)

	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Messages int64                  `json:"messages"`
		Counters map[string]store.Count `json:"counters"`
	}
	if err := json.Unmarshal(js, &got); err != nil {
		t.Fatal(err)
	}
	c := got.Counters["test_pressed"]
	if got.Messages != 4 || c.Total != 3 || c.ByKey["answer"] != 2 || c.ByKey["triage"] != 1 || len(c.ByKey) != 2 {
		t.Errorf("JSON: messages %d, counters[test_pressed] %+v; want 4 messages, total 3 {answer 2, triage 1}\n%s", got.Messages, c, js)
	}
	var text bytes.Buffer
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	if want := "  Buttons pressed, by reply kind: 3 (answer 2, triage 1)\n"; !strings.Contains(text.String(), want) {
		t.Errorf("text report lacks %q:\n%s", want, text.String())
	}
}

// TestOldLatencyRowsDropped: a database written before reply latency left the
// store (it is /metrics's to measure) loses those rows when opened: nothing
// reads them any more, and they would be kept for ever.
func TestOldLatencyRowsDropped(t *testing.T) {
	path := dbPath(t)
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	old, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile("migrations/0001_counts.sql")
	if err != nil {
		t.Fatal(err)
	}
	hour := now.Add(-time.Hour).Truncate(time.Hour).Unix()
	for _, q := range []string{
		`CREATE TABLE migrations (name TEXT PRIMARY KEY)`,
		string(schema),
		`INSERT INTO migrations (name) VALUES ('migrations/0001_counts.sql')`,
		fmt.Sprintf(`INSERT INTO counts VALUES (%d, 3600, 'telegram', 'dm', 'latency', '50ms', 3)`, hour),
		fmt.Sprintf(`INSERT INTO counts VALUES (%d, 3600, 'telegram', 'dm', 'kind', 'answer', 3)`, hour),
	} {
		if _, err := old.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()

	db := openStore(t, path, store.Options{Now: func() time.Time { return now }})
	r, err := db.Report(context.Background(), store.Filter{Since: now.Add(-24 * time.Hour), Until: now})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Counters["latency"]; ok {
		t.Errorf("the old latency rows are reported: %+v", r.Counters["latency"])
	}
	check, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer check.Close()
	var n int
	if err := check.QueryRow(`SELECT COUNT(*) FROM counts WHERE metric = 'latency'`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("%d latency rows left in the database, want none", n)
	}
	if r.ByKind["answer"] != 3 {
		t.Errorf("answers: %d, want the 3 written before", r.ByKind["answer"])
	}
}
