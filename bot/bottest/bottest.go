// Package bottest holds what tests of the bot and its adapters need again and
// again, in the shape of go-joe's joetest: the real core over the embedded
// knowledge base, a recorder of events that waits with a deadline, a log sink
// safe for many goroutines, and a wait for a condition.
//
// The deadlines here guard against a hang; they are never timing assertions.
package bottest

import (
	"bytes"
	"context"
	"sync"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/knowledge"
)

// Deadline is how long Wait and WaitFor wait before failing the test: generous,
// so that a slow CI machine under -race is never mistaken for a bug.
const Deadline = 30 * time.Second

var (
	kbOnce sync.Once
	kb     bot.Knowledge
	kbErr  error
)

// Knowledge returns the embedded knowledge base, loaded once per test binary:
// loading trains nothing but still costs milliseconds that hundreds of tests
// would pay again.
func Knowledge(t testing.TB) bot.Knowledge {
	t.Helper()
	kbOnce.Do(func() { kb, kbErr = knowledge.Load(knowledge.Embedded()) })
	if kbErr != nil {
		t.Fatalf("knowledge.Load(knowledge.Embedded()): %v", kbErr)
	}
	return kb
}

// New builds the real core over the embedded knowledge base.
func New(t testing.TB, opts ...bot.Option) *bot.Bot {
	t.Helper()
	b, err := bot.New(Knowledge(t), opts...)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

// Recorder is a bot.Recorder that keeps every event and lets a test wait for
// one.
type Recorder struct {
	mu     sync.Mutex
	events []bot.Event
	wake   chan struct{}
}

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder { return &Recorder{wake: make(chan struct{})} }

// Record keeps e and wakes anyone waiting.
func (r *Recorder) Record(_ context.Context, e bot.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
	close(r.wake)
	r.wake = make(chan struct{})
	return nil
}

// Wait returns the first event for which ok holds, waiting for it up to
// Deadline; what names it in the failure.
func (r *Recorder) Wait(t testing.TB, what string, ok func(bot.Event) bool) bot.Event {
	t.Helper()
	deadline := time.NewTimer(Deadline)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		for _, e := range r.events {
			if ok(e) {
				r.mu.Unlock()
				return e
			}
		}
		wake := r.wake
		r.mu.Unlock()
		select {
		case <-wake:
		case <-deadline.C:
			t.Fatalf("no event %s within %v; got %+v", what, Deadline, r.Events())
		}
	}
}

// Events returns a copy of the events recorded so far.
func (r *Recorder) Events() []bot.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]bot.Event(nil), r.events...)
}

// Buffer is an io.Writer safe for concurrent use: a log sink for code that
// logs from many goroutines.
type Buffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *Buffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

// String returns everything written so far.
func (s *Buffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// WaitFor polls cond until it holds, failing the test after Deadline. It is how
// tests wait for another goroutine, never by sleeping a fixed time.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Deadline)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}
