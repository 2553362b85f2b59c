// Package logsum keeps warnings that outsiders can repeat at will to one log
// line per interval. Both adapters use it: their floods (429 storms, bad
// webhook requests, an outage) are the same problem.
package logsum

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Interval is how often a repeated warning may write a line.
const Interval = time.Minute

// Summary keeps a warning that outsiders can repeat at will (a bad webhook
// request, a 429 storm) to one log line per interval: the first occurrence is
// logged at once, the next ones are counted, and the first occurrence after the
// interval logs with "repeated", the number of occurrences not logged since.
// The attributes logged are those of the occurrence that writes the line.
type Summary struct {
	log   *slog.Logger
	level slog.Level
	msg   string
	every time.Duration
	now   func() time.Time

	mu      sync.Mutex
	last    time.Time // when a line was last written
	skipped int       // occurrences since, not logged
}

// New returns a Summary that logs msg at level.
func New(log *slog.Logger, level slog.Level, msg string) *Summary {
	return &Summary{log: log, level: level, msg: msg, every: Interval, now: time.Now}
}

// Add counts one occurrence and logs it if the interval has passed.
func (s *Summary) Add(args ...any) {
	s.mu.Lock()
	now := s.now()
	if !s.last.IsZero() && now.Sub(s.last) < s.every {
		s.skipped++
		s.mu.Unlock()
		return
	}
	n := s.skipped
	s.last, s.skipped = now, 0
	s.mu.Unlock()
	if n > 0 {
		args = append(args, "repeated", n)
	}
	s.log.Log(context.Background(), s.level, s.msg, args...)
}

// Flush logs the count of occurrences not logged yet, if any (at shutdown).
func (s *Summary) Flush() {
	s.mu.Lock()
	n := s.skipped
	s.skipped = 0
	s.mu.Unlock()
	if n > 0 {
		s.log.Log(context.Background(), s.level, s.msg, "repeated", n)
	}
}
