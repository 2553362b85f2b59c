package store_test

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/store"
)

// benchEvents is a varied day of events: 5 kinds, 40 topics, 4 communities,
// 2,000 sessions over 24 hours.
func benchEvents(n int) []bot.Event {
	t0 := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)
	topics := make([]string, 40)
	for i := range topics {
		topics[i] = "topic-" + strconv.Itoa(i)
	}
	comms := []string{"-1001", "-1002", "dm", "guild"}
	evs := make([]bot.Event, n)
	for i := range evs {
		e := bot.Event{
			Time:      t0.Add(time.Duration(i%1440) * time.Minute),
			Platform:  []string{"telegram", "discord"}[i%2],
			Community: comms[i%len(comms)],
			Session:   uint64(i % 2000),
			Kind:      bot.Kinds[i%len(bot.Kinds)],
			Latency:   time.Duration(i%300) * time.Millisecond,
		}
		if e.Kind == bot.KindAnswer {
			e.Topic = topics[i%len(topics)]
		}
		if e.Kind == bot.KindTriage {
			e.TriageStep = 1 + i%4
		}
		evs[i] = e
	}
	return evs
}

// BenchmarkRecord is the cost on the reply path at full speed: far faster than
// any writer, so the queue is mostly full and most calls take the drop path.
func BenchmarkRecord(b *testing.B) {
	db := openStore(b, dbPath(b), store.Options{})
	evs := benchEvents(4096)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		db.Record(ctx, evs[i%len(evs)])
	}
	b.StopTimer()
	qs := db.QueueStats()
	b.ReportMetric(float64(qs.Dropped)/float64(b.N), "dropped/op")
}

// BenchmarkRecordQueued is the hand-off when the queue has room (the normal
// case): the clock stops while the writer drains the queue every half queue.
func BenchmarkRecordQueued(b *testing.B) {
	db := openStore(b, dbPath(b), store.Options{})
	evs := benchEvents(4096)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if i%(store.DefaultQueueSize/2) == 0 {
			b.StopTimer()
			for db.QueueStats().Depth > 0 {
				runtime.Gosched()
			}
			b.StartTimer()
		}
		db.Record(ctx, evs[i%len(evs)])
	}
	b.StopTimer()
	if qs := db.QueueStats(); qs.Dropped != 0 {
		b.Fatalf("%d events dropped, want none", qs.Dropped)
	}
}

// BenchmarkWriterThroughput is sustained recording into the database: events
// are offered as fast as the queue takes them (none dropped), and the clock
// stops when Close has written them all.
func BenchmarkWriterThroughput(b *testing.B) {
	evs := benchEvents(1 << 16)
	ctx := context.Background()
	db, err := store.Open(ctx, dbPath(b), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		for db.QueueStats().Depth >= store.DefaultQueueSize-1 {
			runtime.Gosched()
		}
		db.Record(ctx, evs[i%len(evs)])
	}
	cctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := db.Close(cctx); err != nil {
		b.Fatal(err)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	qs := db.QueueStats()
	if qs.Written != int64(b.N) || qs.Dropped != 0 {
		b.Fatalf("written %d dropped %d, want %d and 0", qs.Written, qs.Dropped, b.N)
	}
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "events/s")
}
