package telegram

import (
	"context"
	"sync"

	"github.com/go-telegram/bot/models"
)

// Per-chat queues. Updates are handled one chat at a time, in order, and the
// chats with work take turns: a chat that sends 200 messages, or whose replies
// wait out a 429, holds at most one of the MaxConcurrent slots, and only while
// it works (a reply waiting to retry gives its slot back, see [Adapter.call]).
// Everyone else is answered as if it were not there.

// Queue bounds.
const (
	// maxChatQueue is how many updates of one chat may wait. Beyond it the
	// chat is flooding (a person cannot read faster): its updates are dropped
	// and counted, never queued without end.
	maxChatQueue = 16
	// queuedPerSlot bounds the updates waiting in all chats together, per
	// slot: beyond it the poller (or the webhook, answering 503) waits for
	// room, and the updates wait at Telegram, unconfirmed, rather than here
	// (where, waiting longer than stragglerAfter, they would be confirmed
	// before their reply).
	queuedPerSlot = 2
)

// chatQueue is the work of one chat: updates waiting, and whether one is being
// handled now.
type chatQueue struct {
	id      int64
	waiting []queued
	running bool
	ready   bool // on Adapter.ready
}

// queued is an update waiting, with what to do once it is handled.
type queued struct {
	u    *models.Update
	done func() // called once it is handled (or dropped); may be nil
}

// queues are the per-chat queues of an Adapter.
type queues struct {
	mu     sync.Mutex
	chats  map[int64]*chatQueue // chats with work waiting or running
	ready  []*chatQueue         // chats with work waiting and none running, in turn
	queued int                  // updates waiting in all chats
	room   chan struct{}        // capacity 1: signalled when updates leave the queues
	kick   chan struct{}        // capacity 1: any number of kicks between two pumps is one
}

func newQueues() *queues {
	return &queues{chats: map[int64]*chatQueue{}, room: make(chan struct{}, 1), kick: make(chan struct{}, 1)}
}

// chatOf is the chat an update belongs to, for queueing: 0 for updates
// without one (handled on their own).
func chatOf(u *models.Update) int64 {
	switch {
	case u == nil:
	case u.CallbackQuery != nil:
		if m := u.CallbackQuery.Message.Message; m != nil {
			return m.Chat.ID
		}
		if m := u.CallbackQuery.Message.InaccessibleMessage; m != nil {
			return m.Chat.ID
		}
	case u.Message != nil:
		return u.Message.Chat.ID
	}
	return 0
}

// enqueue queues u behind its chat's earlier updates and starts work if a slot
// is free. It waits while all the queues are full, and reports false if ctx
// ended first (u was not taken). done is called once u is handled or dropped.
func (a *Adapter) enqueue(ctx context.Context, u *models.Update, done func()) bool {
	q := a.queues
	id := chatOf(u)
	for {
		q.mu.Lock()
		if q.queued < queuedPerSlot*cap(a.sem) {
			break
		}
		q.mu.Unlock()
		select {
		case <-q.room:
		case <-ctx.Done():
			return false
		}
	}
	c := q.chats[id]
	if c == nil {
		c = &chatQueue{id: id}
		q.chats[id] = c
	}
	if len(c.waiting) >= maxChatQueue {
		q.mu.Unlock()
		a.chatFlooded()
		if done != nil {
			done()
		}
		return true
	}
	c.waiting = append(c.waiting, queued{u: u, done: done})
	q.queued++
	// Counted in flight from now: Run waits for the queued updates too.
	a.inflight.Add(1)
	if !c.running && !c.ready {
		c.ready = true
		q.ready = append(q.ready, c)
	}
	q.mu.Unlock()
	a.kick()
	return true
}

// kick wakes the dispatcher: work is queued, or a slot came free.
func (a *Adapter) kick() {
	select {
	case a.queues.kick <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// dispatch starts queued work on work (the context updates are handled on)
// whenever it is kicked, until stop is closed. It is the one place that starts
// handlers, so the context they run on is a parameter here rather than
// something kept in the Adapter.
func (a *Adapter) dispatch(work context.Context, stop <-chan struct{}) {
	for {
		a.pump(work)
		select {
		case <-a.queues.kick:
		case <-stop:
			return
		}
	}
}

// pump starts the next chats' work while slots are free.
func (a *Adapter) pump(work context.Context) {
	q := a.queues
	for {
		q.mu.Lock()
		if len(q.ready) == 0 {
			q.mu.Unlock()
			return
		}
		select {
		case a.sem <- struct{}{}:
		default:
			q.mu.Unlock()
			return // every slot busy: the next release kicks again
		}
		c := q.ready[0]
		q.ready[0] = nil
		q.ready = q.ready[1:]
		c.ready = false
		c.running = true
		item := c.waiting[0]
		c.waiting[0] = queued{}
		c.waiting = c.waiting[1:]
		q.queued--
		q.mu.Unlock()
		select {
		case q.room <- struct{}{}:
		default:
		}
		go a.work(work, c, item)
	}
}

// work handles one update of chat c holding a slot, then gives the slot back
// and puts the chat at the end of the turn if it has more.
func (a *Adapter) work(ctx context.Context, c *chatQueue, item queued) {
	defer a.inflight.Done()
	s := &slot{a: a, held: true, chat: c.id}
	finished := a.handleUpdate(context.WithValue(ctx, slotKey{}, s), item.u)
	if item.done != nil && finished {
		item.done()
	}
	q := a.queues
	q.mu.Lock()
	c.running = false
	switch {
	case len(c.waiting) > 0:
		c.ready = true
		q.ready = append(q.ready, c)
	default:
		delete(q.chats, c.id)
	}
	q.mu.Unlock()
	s.release()
}

// slotKey carries the *slot of the update being handled to [Adapter.call].
type slotKey struct{}

// slot is one of the MaxConcurrent places to work. A reply waiting to retry
// gives it back while it waits, so a throttled chat holds no place.
type slot struct {
	a    *Adapter
	held bool
	chat int64 // the chat of the update being handled
}

// release gives the slot back and wakes the dispatcher for waiting work.
func (s *slot) release() {
	if s == nil || !s.held {
		return
	}
	s.held = false
	<-s.a.sem
	s.a.kick()
}

// acquire takes a slot again, waiting for one.
func (s *slot) acquire() {
	if s == nil || s.held {
		return
	}
	s.a.sem <- struct{}{}
	s.held = true
}

// chatFlooded counts and logs (summarised) an update dropped because its chat
// has too many waiting.
func (a *Adapter) chatFlooded() {
	a.dropped.Add(1)
	if a.cfg.OnAPICall != nil {
		a.cfg.OnAPICall("flood_limit", ErrFlooded)
	}
	a.floodWarn.Add("reason", "chat queue full", "queue", maxChatQueue)
}
