package discord

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestTrackBoundsWorkInFlight: a burst of events runs MaxConcurrent at a time;
// the gateway waits for a slot instead of starting a goroutine per event.
// synctest.Wait returns once every goroutine is blocked, so what the test
// reads then is the steady state, not a moment of a race.
func TestTrackBoundsWorkInFlight(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const bound, events = 4, 20
		a := &Adapter{log: slog.New(slog.DiscardHandler), sem: make(chan struct{}, bound)}
		stopping, stop := context.WithCancel(t.Context())
		defer stop()
		release := make(chan struct{})
		releaseOnce := sync.OnceFunc(func() { close(release) })
		defer releaseOnce() // a failing test does not leave the handlers blocked
		var running, peak, handled, handedOver atomic.Int32
		go func() { // the gateway: one event after another
			for range events {
				a.track(stopping, context.WithoutCancel(stopping), func(context.Context) {
					n := running.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					<-release
					running.Add(-1)
					handled.Add(1)
				})
				handedOver.Add(1)
			}
		}()
		synctest.Wait() // the handlers wait for release, the gateway for a slot
		if got := running.Load(); got != bound {
			t.Fatalf("%d events handled at once, want %d (MaxConcurrent)", got, bound)
		}
		if got := handedOver.Load(); got != bound {
			t.Fatalf("the gateway handed over %d events while %d slots were busy, want it to wait", got, bound)
		}
		releaseOnce()
		a.waitIdle()
		synctest.Wait()
		if got := handled.Load(); got != events {
			t.Errorf("%d events handled, want %d", got, events)
		}
		if got := peak.Load(); got > bound {
			t.Errorf("%d events at once at the peak, want at most %d", got, bound)
		}
	})
}

// TestTrackDropsWhenStoppingWithEverySlotBusy: once Run's context is done, an
// event that finds no free slot is dropped rather than holding the gateway.
func TestTrackDropsWhenStoppingWithEverySlotBusy(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a := &Adapter{log: slog.New(slog.DiscardHandler), sem: make(chan struct{}, 1)}
		stopping, stop := context.WithCancel(t.Context())
		release := make(chan struct{})
		var ran atomic.Int32
		work := context.WithoutCancel(stopping)
		a.track(stopping, work, func(context.Context) { ran.Add(1); <-release })
		stop()
		a.track(stopping, work, func(context.Context) { ran.Add(1) })
		close(release)
		a.waitIdle()
		synctest.Wait()
		if got := ran.Load(); got != 1 {
			t.Errorf("%d events ran, want 1 (the second found every slot busy while stopping)", got)
		}
	})
}
