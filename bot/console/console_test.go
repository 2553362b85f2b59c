package console_test

import (
	"context"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/console"
)

// echo is a fake core: it answers each message by saying what it received and
// offers two buttons.
type echo struct {
	mu   sync.Mutex
	seen []bot.Message
}

func (e *echo) Handle(_ context.Context, m bot.Message) bot.Reply {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.seen = append(e.seen, m)
	return bot.Reply{
		Kind:    bot.KindSmalltalk,
		Text:    "**got** it",
		Choices: []bot.Choice{{Label: "First", Data: "d1"}, {Label: "Second", Data: "d2"}},
	}
}

func TestRunTranslatesLines(t *testing.T) {
	tests := []struct {
		line string
		want bot.Message // only Text and Data are compared
	}{
		{"hello there", bot.Message{Text: "hello there"}},
		{"2", bot.Message{Data: "d2"}},
		{" 1 ", bot.Message{Data: "d1"}},
		{"3", bot.Message{Text: "3"}}, // no third button: it is text
		{"/triage", bot.Message{Data: bot.DataTriage}},
		{"/topics", bot.Message{Data: bot.DataTopics}},
		{"/ask who runs it", bot.Message{Text: "who runs it"}},
		{"/unknown", bot.Message{Text: "/unknown"}},
	}
	for _, tc := range tests {
		t.Run(tc.line, func(t *testing.T) {
			h := &echo{}
			var out strings.Builder
			// The first line gets buttons on screen, the second is the case.
			err := console.Run(context.Background(), h, strings.NewReader("hi\n"+tc.line+"\n"), &out, console.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(h.seen) != 2 {
				t.Fatalf("handled %d messages, want 2", len(h.seen))
			}
			got := h.seen[1]
			if got.Text != tc.want.Text || got.Data != tc.want.Data {
				t.Errorf("line %q became text %q data %q, want text %q data %q", tc.line, got.Text, got.Data, tc.want.Text, tc.want.Data)
			}
			if got.Platform != console.Platform || got.Community != bot.CommunityDM || got.Conversation == "" {
				t.Errorf("message keys: %+v", got)
			}
		})
	}
}

func TestRunRendersPlainTextAndNumberedButtons(t *testing.T) {
	var out strings.Builder
	if err := console.Run(context.Background(), &echo{}, strings.NewReader("hi"), &out, console.Options{Greet: true}); err != nil {
		t.Fatal(err)
	}
	want := "got it\n[1] First\n[2] Second\n\n"
	if got := out.String(); got != want+want {
		t.Errorf("output:\n%q\nwant twice:\n%q", got, want)
	}
}

func TestRunLongLine(t *testing.T) {
	h := &echo{}
	long := strings.Repeat("a", 3*console.MaxLine)
	if err := console.Run(context.Background(), h, strings.NewReader(long+"\nnext\n"), io.Discard, console.Options{}); err != nil {
		t.Fatal(err)
	}
	if len(h.seen) != 2 || len(h.seen[0].Text) != console.MaxLine || h.seen[1].Text != "next" {
		t.Errorf("a long line should be cut to %d bytes and the next line read: got %d messages", console.MaxLine, len(h.seen))
	}
}

func TestRunStopsOnCancel(t *testing.T) {
	pr, pw := io.Pipe() // input that never ends
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- console.Run(ctx, &echo{}, pr, io.Discard, console.Options{}) }()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return after its context was cancelled")
	}
}
