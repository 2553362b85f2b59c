package logsum

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// TestSummary: the first occurrence is logged, the next ones within the
// interval are counted, and the first after it logs with the count; Flush
// logs what is left.
func TestSummary(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	s := New(slog.New(slog.NewTextHandler(&buf, nil)), slog.LevelWarn, "flood")
	s.now = func() time.Time { return now }
	for range 100 {
		s.Add("k", "v")
	}
	if got := strings.Count(buf.String(), "msg=flood"); got != 1 {
		t.Fatalf("100 occurrences in one interval wrote %d lines, want 1:\n%s", got, buf.String())
	}
	now = now.Add(Interval)
	s.Add()
	if !strings.Contains(buf.String(), "repeated=99") {
		t.Errorf("the line after the interval lacks repeated=99:\n%s", buf.String())
	}
	s.Add()
	s.Flush()
	if !strings.Contains(buf.String(), "repeated=1") {
		t.Errorf("Flush did not log the one occurrence left:\n%s", buf.String())
	}
	before := buf.Len()
	s.Flush()
	if buf.Len() != before {
		t.Error("a second Flush with nothing left wrote a line")
	}
}
