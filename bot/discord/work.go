package discord

import (
	"context"
	"time"
)

// Work in flight. Each event is handled on its own goroutine holding one of
// MaxConcurrent slots, as Telegram's updates are: a burst of a thousand
// interactions runs MaxConcurrent at a time, not a thousand goroutines at
// once each holding its payload and a core call. While every slot is busy the
// gateway waits for one (discordgo calls handlers on its reading goroutine,
// SyncEvents), so the events wait in the connection, not in memory here.

// track runs f for one event on its own goroutine once a slot is free, and
// counts it in flight. It waits for the slot on the gateway's goroutine; if
// stopping (Run's context) ends first, the event is dropped. The work runs on
// work (Run's context without its cancellation), bounded by eventTimeout.
func (a *Adapter) track(stopping, work context.Context, f func(ctx context.Context)) {
	select {
	case a.sem <- struct{}{}:
	default:
		select {
		case a.sem <- struct{}{}:
		case <-stopping.Done():
			a.log.Warn("event dropped: shutting down with every slot busy")
			return
		}
	}
	a.mu.Lock()
	a.inflight++
	a.mu.Unlock()
	go func() {
		defer a.done()
		defer func() { <-a.sem }()
		ctx, cancel := context.WithTimeout(work, eventTimeout)
		defer cancel()
		f(ctx)
	}()
}

func (a *Adapter) done() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.inflight--
	if a.inflight == 0 && a.drained != nil {
		close(a.drained)
		a.drained = nil
	}
}

// waitIdle waits until no event is in flight, or shutdownGrace has passed.
func (a *Adapter) waitIdle() {
	a.mu.Lock()
	if a.inflight == 0 {
		a.mu.Unlock()
		return
	}
	ch := make(chan struct{})
	a.drained = ch
	n := a.inflight
	a.mu.Unlock()
	t := time.NewTimer(shutdownGrace)
	defer t.Stop()
	select {
	case <-ch:
	case <-t.C:
		a.log.Error("events still in flight at shutdown", "count", n)
	}
}
