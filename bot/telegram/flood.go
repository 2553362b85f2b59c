package telegram

import (
	"sync"
	"time"
)

// floodLimit is a token bucket per chat: a chat may receive burst messages at
// once and then rate per minute. It keeps one person from making the bot spam a
// group. Buckets that have refilled are forgotten, so memory stays bounded by the
// chats active in the last few minutes.
type floodLimit struct {
	rate  float64 // tokens per second
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[int64]*bucket
	sweep   time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
	warned bool // this chat's drops were logged since it last had room
}

func newFloodLimit(perMinute float64, burst int, now func() time.Time) *floodLimit {
	return &floodLimit{rate: perMinute / 60, burst: float64(burst), now: now, buckets: map[int64]*bucket{}}
}

// allow takes a token for chat. ok is false when the chat is over its limit;
// first is true for the first refusal since the chat last had room (log once).
func (f *floodLimit) allow(chat int64) (ok, first bool) {
	if f == nil {
		return true, false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	if now.Sub(f.sweep) > time.Minute {
		f.sweep = now
		full := time.Duration(f.burst / f.rate * float64(time.Second))
		for id, b := range f.buckets {
			if now.Sub(b.last) > full {
				delete(f.buckets, id)
			}
		}
	}
	b := f.buckets[chat]
	if b == nil {
		b = &bucket{tokens: f.burst, last: now}
		f.buckets[chat] = b
	}
	b.tokens = min(f.burst, b.tokens+now.Sub(b.last).Seconds()*f.rate)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		b.warned = false
		return true, false
	}
	first = !b.warned
	b.warned = true
	return false, first
}
