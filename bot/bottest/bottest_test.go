package bottest_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
)

func TestRecorderWaitsForALateEvent(t *testing.T) {
	rec := bottest.NewRecorder()
	go func() { _ = rec.Record(context.Background(), bot.Event{Kind: "answer"}) }()
	got := rec.Wait(t, "answer", func(e bot.Event) bool { return e.Kind == "answer" })
	if got.Kind != "answer" {
		t.Fatalf("Wait returned %+v", got)
	}
}

func TestBufferIsSafeForManyWriters(t *testing.T) {
	var buf bottest.Buffer
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() { defer wg.Done(); fmt.Fprintf(&buf, "%d\n", i) }()
	}
	wg.Wait()
	if n := len(buf.String()); n != 16 {
		t.Fatalf("buffer holds %d bytes, want 16", n)
	}
}

func TestNewAnswersOverTheEmbeddedKnowledge(t *testing.T) {
	rec := bottest.NewRecorder()
	b := bottest.New(t, bot.WithRecorder(rec))
	r := b.Handle(context.Background(), bot.Message{Platform: "test", Community: bot.CommunityDM, Conversation: "c1", Text: "hello"})
	if r.Text == "" {
		t.Fatal("the core gave an empty reply to hello")
	}
	rec.Wait(t, "the reply's event", func(bot.Event) bool { return true })
}
