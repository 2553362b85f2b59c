// Package backoff is the one way the program waits between attempts: a delay
// that doubles from Min up to Max, and a sleep that ends early when the context
// does. The adapters' API retries, Telegram's polling and the supervisor's
// reconnections all make the same decision (wait longer after each failure, up
// to a cap, start again after a success), so they share this code.
package backoff

import (
	"context"
	"time"
)

// Backoff hands out doubling delays. The zero value is not useful: set Min and
// Max. It is not safe for concurrent use; each retry loop owns one.
type Backoff struct {
	Min, Max time.Duration
	next     time.Duration
}

// Next returns the delay to wait before the next attempt: Min the first time,
// then double the previous one, never more than Max.
func (b *Backoff) Next() time.Duration {
	d := b.next
	if d < b.Min {
		d = b.Min
	}
	if d > b.Max {
		d = b.Max
	}
	b.next = min(2*d, b.Max)
	return d
}

// Reset starts again from Min, after an attempt succeeded.
func (b *Backoff) Reset() { b.next = 0 }

// Sleep waits for d or until ctx is done, and reports whether the whole delay
// passed (false: give up, ctx is done).
func Sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
