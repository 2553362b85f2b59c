package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image/png"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/store"
)

// statsRun runs the whole program with args and a clean environment.
func statsRun(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{}
	err = run(context.Background(), append([]string{"supportbot"}, args...), func(k string) string { return env[k] }, strings.NewReader(""), &out, &errb)
	return out.String(), errb.String(), err
}

// statsFill records a few events into a fresh database at path.
func statsFill(t *testing.T, path string) {
	t.Helper()
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	ctx := context.Background()
	for _, e := range []bot.Event{
		{Platform: "telegram", Community: "-100", Session: 1, Kind: bot.KindAnswer, Topic: "cost"},
		{Platform: "telegram", Community: "-100", Session: 1, Kind: bot.KindAnswer, Topic: "leadership"},
		{Platform: "telegram", Community: "dm", Session: 2, Kind: bot.KindTriage, TriageStarted: true},
		{Platform: "telegram", Community: "dm", Session: 2, Kind: bot.KindTriage, TriageStep: 1},
		{Platform: "telegram", Community: "dm", Session: 2, Kind: bot.KindTriage, TriageOutcome: "support-group"},
		{Platform: "discord", Community: "g1", Session: 3, Kind: bot.KindFallback},
		{Platform: "discord", Community: "g1", Session: 3, Kind: bot.KindCrisis},
	} {
		e.Time = now.Add(-time.Hour)
		db.Record(ctx, e)
	}
	// Ten days ago: outside the default week, inside --since 30d.
	db.Record(ctx, bot.Event{Time: now.Add(-10 * 24 * time.Hour), Platform: "console", Community: "dm", Session: 4, Kind: bot.KindSmalltalk})
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := db.Close(cctx); err != nil {
		t.Fatal(err)
	}
}

func TestStatsNoDatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.db")
	out, errOut, err := statsRun(t, "--db", path, "stats")
	if err != nil {
		t.Fatalf("stats on a missing database: %v", err)
	}
	if !strings.Contains(errOut, "No usage data yet") || !strings.Contains(out, "No usage recorded") {
		t.Errorf("stats on a missing database: stdout %q stderr %q, want a plain 'no data yet'", out, errOut)
	}
	if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("stats created the missing database (stat: %v)", err)
	}
	out, _, err = statsRun(t, "--db", path, "stats", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		t.Fatalf("stats --json on a missing database is not JSON: %v\n%s", err, out)
	}
	if m["messages"] != 0.0 {
		t.Errorf("messages: got %v, want 0", m["messages"])
	}
}

// TestStatsWrongPath: a directory or a file that is not a database at --db
// is told in a plain sentence naming the setting, not as an SQLite error code
// (before: "disk I/O error (10)").
func TestStatsWrongPath(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(notDB, []byte(strings.Repeat("not a database\n", 100)), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, path, want string }{
		{"a directory", dir, "is a directory, not a stats database"},
		{"not a database", notDB, "is not a stats database"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := statsRun(t, "--db", tc.path, "stats")
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "SUPPORTBOT_DB") {
				t.Fatalf("stats --db %s: got %v, want an error saying %q and naming SUPPORTBOT_DB", tc.path, err, tc.want)
			}
			if regexp.MustCompile(`\(\d+\)`).MatchString(err.Error()) {
				t.Errorf("stats --db %s: %q quotes an error code", tc.path, err)
			}
		})
	}
}

func TestStatsJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.db")
	statsFill(t, path)
	for _, tc := range []struct {
		name     string
		args     []string
		messages float64
		sessions float64
	}{
		{"default week", nil, 7, 3},
		{"30 days", []string{"--since", "30d"}, 8, 4},
		{"weeks", []string{"--since", "2w"}, 8, 4},
		{"Go duration", []string{"--since", "2h"}, 7, 3},
		{"platform", []string{"--platform", "telegram"}, 5, 2},
		{"community", []string{"--platform", "telegram", "--community", "-100"}, 2, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, err := statsRun(t, append([]string{"--db", path, "stats", "--json"}, tc.args...)...)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(out), &m); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			for _, k := range []string{"since", "until", "sessions", "messages", "by_kind", "by_topic", "triage", "by_platform"} {
				if _, ok := m[k]; !ok {
					t.Errorf("key %q missing from %s", k, out)
				}
			}
			if m["messages"] != tc.messages || m["sessions"] != tc.sessions {
				t.Errorf("stats --json %v: messages %v sessions %v, want %v and %v", tc.args, m["messages"], m["sessions"], tc.messages, tc.sessions)
			}
		})
	}

	out, _, err := statsRun(t, "--db", path, "stats", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		ByKind  map[string]int `json:"by_kind"`
		ByTopic map[string]int `json:"by_topic"`
		Triage  struct {
			Started, Completed int
			Outcomes           map[string]int
		} `json:"triage"`
		ByPlatform map[string]int `json:"by_platform"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.ByKind["answer"] != 2 || r.ByKind["triage"] != 3 || r.ByKind["crisis"] != 1 || r.ByKind["fallback"] != 1 ||
		r.ByTopic["cost"] != 1 || r.Triage.Started != 1 || r.Triage.Completed != 1 || r.Triage.Outcomes["support-group"] != 1 ||
		r.ByPlatform["telegram"] != 5 || r.ByPlatform["discord"] != 2 {
		t.Errorf("stats --json: got %+v", r)
	}
}

func TestStatsTextAndPNG(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stats.db")
	statsFill(t, path)
	chart := filepath.Join(dir, "chart.png")
	out, _, err := statsRun(t, "--db", path, "stats", "--png", chart)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Messages", "Top topics", "cost", "Triage", "Crisis resources shown: 1", "By platform: telegram 5, discord 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	f, err := os.Open(chart)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := png.DecodeConfig(f); err != nil {
		t.Errorf("--png wrote no PNG: %v", err)
	}
}

func TestStatsBadFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.db")
	for _, since := range []string{"soon", "-3d", "0", "3x"} {
		if _, _, err := statsRun(t, "--db", path, "stats", "--since", since); err == nil {
			t.Errorf("stats --since %q: got no error", since)
		}
	}
}

func TestParseSince(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"7d", 7 * 24 * time.Hour},
		{"30d", 30 * 24 * time.Hour},
		{"2w", 14 * 24 * time.Hour},
		{"1d12h", 36 * time.Hour},
		{"72h", 72 * time.Hour},
		{"90m", 90 * time.Minute},
	} {
		got, err := parseSince(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("parseSince(%q): got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

// TestStatsAfterAsk: `ask` records under platform console, and the report
// shows it.
func TestStatsAfterAsk(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.db")
	if _, _, err := statsRun(t, "--db", path, "ask", "what does a support group cost?"); err != nil {
		t.Fatalf("ask: %v", err)
	}
	out, _, err := statsRun(t, "--db", path, "stats", "--json", "--platform", "console")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Messages   int            `json:"messages"`
		ByPlatform map[string]int `json:"by_platform"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.Messages != 1 || r.ByPlatform["console"] != 1 {
		t.Errorf("after one ask: %+v, want one console message", r)
	}
}

// TestAskWithoutStore: a stats database that cannot be opened never stops a
// conversation: one warning, and the answer.
func TestAskWithoutStore(t *testing.T) {
	path := filepath.Join(t.TempDir(), "no-such-dir", "stats.db")
	out, errOut, err := statsRun(t, "--db", path, "ask", "hello")
	if err != nil {
		t.Fatalf("ask with an unopenable stats database: %v", err)
	}
	if out == "" {
		t.Error("ask gave no reply")
	}
	if got := strings.Count(errOut, "stats store unavailable"); got != 1 {
		t.Errorf("warnings: got %d, want 1:\n%s", got, errOut)
	}
}

// TestNewCounterOnMetrics: one entry in store.Counters with a Metric is on
// /metrics (at zero from the start, unknown keys folded into "other") and in
// `stats --json`, with nothing else to change.
func TestNewCounterOnMetrics(t *testing.T) {
	saved := store.Counters
	t.Cleanup(func() { store.Counters = saved })
	store.Counters = append(slices.Clip(saved), store.Counter{
		Name:   "test_outcomes",
		Help:   "Triages completed, by outcome.",
		Label:  "outcome",
		Of:     func(e bot.Event) (string, bool) { return e.TriageOutcome, e.TriageOutcome != "" },
		Metric: "supportbot_test_outcomes_total",
		Keys:   []string{"support-group", "group-therapy"},
	})

	m := newMetrics([]string{"telegram"}, nil, nil)
	rec := metricsRecorder{m: m, next: bot.NopRecorder{}}
	for _, o := range []string{"support-group", "support-group", "no-such-outcome"} {
		rec.Record(context.Background(), bot.Event{Platform: "telegram", Kind: bot.KindTriage, TriageOutcome: o})
	}
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range fams {
		if f.GetName() != "supportbot_test_outcomes_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			var labels []string
			for _, l := range s.GetLabel() {
				labels = append(labels, l.GetName()+"="+l.GetValue())
			}
			got[strings.Join(labels, ",")] = s.GetCounter().GetValue()
		}
	}
	want := map[string]float64{
		"outcome=support-group,platform=telegram": 2,
		"outcome=group-therapy,platform=telegram": 0,
		"outcome=other,platform=telegram":         1,
	}
	if !maps.Equal(got, want) {
		t.Errorf("supportbot_test_outcomes_total: got %v, want %v", got, want)
	}

	path := filepath.Join(t.TempDir(), "stats.db")
	statsFill(t, path)
	out, _, err := statsRun(t, "--db", path, "stats", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Counters map[string]store.Count `json:"counters"`
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if c := r.Counters["test_outcomes"]; c.Total != 1 || c.ByKey["support-group"] != 1 {
		t.Errorf("stats --json: counters[test_outcomes] = %+v, want 1 support-group\n%s", c, out)
	}
}
