package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/supportbot/supportbot/bot"
)

const (
	hour           = int64(3600)  // span of an hourly row
	day            = int64(86400) // span of a daily row
	maxPendingRows = 1 << 16      // distinct rows kept in memory while the database cannot be written
	maxSessions    = 1 << 17      // conversations remembered for session counting
	errorLogPeriod = time.Minute  // write failures are logged at most this often
	rollupPeriod   = time.Hour    // how often old hourly rows are rolled up
)

// rowKey identifies one counter row (its span is always an hour when written).
type rowKey struct {
	bucket    int64 // Unix seconds at the start of the hour
	platform  string
	community string
	metric    string
	key       string
}

// batch is a set of counts on their way to the database.
type batch struct {
	rows   map[rowKey]int64
	events int64 // events whose counts are in rows
}

// flushResult is what the flusher reports back about one batch.
type flushResult struct {
	b   batch
	err error
}

// writer aggregates events in memory (the aggregator goroutine, run) and hands
// batches to a flusher goroutine, so that counting never waits on the disk: while
// a transaction runs or waits for a lock, events keep being counted.
type writer struct {
	d   *DB
	now func() time.Time

	pending  batch
	spare    map[rowKey]int64 // a written batch's map, reused
	inFlight bool
	since    int // events aggregated since the last flush began

	sessions    map[uint64]int64 // session hash → last message (Unix ns); memory only
	latest      int64            // the latest event time seen (Unix ns)
	lastPrune   int64
	droppedSeen int64 // the part of DB.dropped already in pending

	failing bool
	lastLog time.Time

	toFlush chan batch       // capacity 1: at most one batch is in flight
	results chan flushResult // capacity 1: the flusher never waits to report
}

func newWriter(d *DB) *writer {
	return &writer{
		d:        d,
		now:      d.opt.Now,
		pending:  batch{rows: make(map[rowKey]int64)},
		sessions: make(map[uint64]int64),
		toFlush:  make(chan batch, 1),
		results:  make(chan flushResult, 1),
	}
}

// run aggregates until DB.stop is closed, then drains the queue, writes what is
// pending and returns. ctx aborts statements (Close's deadline passed).
func (w *writer) run(ctx context.Context) {
	fl := &flusher{d: w.d, now: w.now}
	flusherDone := make(chan struct{})
	go func() {
		defer close(flusherDone)
		for b := range w.toFlush {
			w.results <- flushResult{b: b, err: fl.write(ctx, b)}
		}
	}()
	defer func() {
		close(w.toFlush)
		<-flusherDone
	}()

	tick := time.NewTicker(w.d.opt.FlushInterval)
	defer tick.Stop()
	for {
		select {
		case e := <-w.d.queue:
			w.add(e)
			// Take what else is queued without going back to select: cheaper
			// per event under load.
			for w.since < w.d.opt.BatchSize {
				select {
				case e := <-w.d.queue:
					w.add(e)
					continue
				default:
				}
				break
			}
			if w.since >= w.d.opt.BatchSize && !w.failing {
				w.flush()
			}
		case <-tick.C:
			w.flush()
			w.prune()
		case r := <-w.results:
			w.done(r)
		case <-w.d.stop:
			w.shutdown(ctx)
			return
		}
	}
}

// shutdown counts everything still queued and writes it, waiting for the
// flusher. This is the counts' last chance, so a failed write is tried again
// until ctx ends (Close cancels it at its deadline); what is still unwritten
// then is lost, and Close reports it.
func (w *writer) shutdown(ctx context.Context) {
	for {
		select {
		case e := <-w.d.queue:
			w.add(e)
			continue
		default:
		}
		break
	}
	if w.inFlight {
		w.done(<-w.results)
	}
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 500*time.Millisecond) {
		w.flush()
		if w.inFlight {
			w.done(<-w.results)
		}
		if !w.failing {
			return
		}
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// add counts one event: every counter of [Counters] that derives from it,
// and a session if it starts one.
func (w *writer) add(e bot.Event) {
	t := e.Time
	if t.IsZero() {
		t = w.now()
	}
	ns := t.UnixNano()
	if ns > w.latest {
		w.latest = ns
	}
	sec := t.Unix()
	b := sec - sec%hour
	if sec < 0 && sec%hour != 0 {
		b -= hour
	}
	p, c := e.Platform, e.Community
	for i := range Counters {
		ctr := &Counters[i]
		if ctr.Of == nil {
			continue
		}
		if key, ok := ctr.Of(e); ok {
			w.inc(rowKey{b, p, c, ctr.Name, key}, 1)
		}
	}
	if handled(e) && w.newSession(e.Session, ns) {
		w.inc(rowKey{b, p, c, mSessions, ""}, 1)
	}
	w.pending.events++
	w.since++
}

// inc adds n to a pending row. A new row beyond maxPendingRows (the database has
// been unwritable for long, with many distinct rows) is not kept: each lost
// counter counts as one dropped event.
func (w *writer) inc(k rowKey, n int64) {
	if old, ok := w.pending.rows[k]; ok || len(w.pending.rows) < maxPendingRows {
		w.pending.rows[k] = old + n
		return
	}
	w.d.dropped.Add(1)
}

// force adds n to a pending row whatever the bound: the store's own counters
// (dropped, store errors) are one row per hour.
func (w *writer) force(k rowKey, n int64) { w.pending.rows[k] += n }

// newSession reports whether a message of session h at time ns starts a new
// session, and remembers it. Only the in-memory hash is used; it is never
// written.
func (w *writer) newSession(h uint64, ns int64) bool {
	last, ok := w.sessions[h]
	if ok && ns-last < int64(SessionGap) {
		if ns > last {
			w.sessions[h] = ns
		}
		return false
	}
	if !ok && len(w.sessions) >= maxSessions {
		w.prune()
		if len(w.sessions) >= maxSessions {
			// Still full of live sessions: forget an arbitrary eighth of them.
			// Their next message may count as a new session; the bound on
			// memory matters more.
			n := maxSessions / 8
			for k := range w.sessions {
				delete(w.sessions, k)
				if n--; n == 0 {
					break
				}
			}
		}
	}
	w.sessions[h] = ns
	return true
}

// prune forgets sessions silent for longer than SessionGap, at most once a
// minute of event time.
func (w *writer) prune() {
	if w.latest-w.lastPrune < int64(time.Minute) {
		return
	}
	w.lastPrune = w.latest
	for k, last := range w.sessions {
		if w.latest-last >= int64(SessionGap) {
			delete(w.sessions, k)
		}
	}
}

// hourNow is the bucket of the store's own counters.
func (w *writer) hourNow() int64 {
	s := w.now().Unix()
	return s - s%hour
}

// flush hands the pending counts to the flusher, unless a batch is in flight.
func (w *writer) flush() {
	if d := w.d.dropped.Load() - w.droppedSeen; d > 0 {
		w.force(rowKey{w.hourNow(), "", "", mDropped, ""}, d)
		w.droppedSeen += d
	}
	// A store not open yet (OpenDeferred) sends even an empty batch: the
	// flusher tries to open the database first.
	if w.inFlight || (len(w.pending.rows) == 0 && w.d.sdb.Load() != nil) {
		return
	}
	w.inFlight = true
	w.toFlush <- w.pending // never blocks: capacity 1 and nothing in flight
	rows := w.spare
	if rows == nil {
		rows = make(map[rowKey]int64, len(w.pending.rows))
	}
	w.spare = nil
	w.pending = batch{rows: rows}
	w.since = 0
}

// done takes the flusher's report on a batch: success counts the events as
// written; failure merges the batch back into pending, to be retried.
func (w *writer) done(r flushResult) {
	w.inFlight = false
	if r.err == nil {
		w.d.written.Add(r.b.events)
		w.d.writeErr.Store(nil)
		if w.failing {
			w.failing = false
			w.d.log.Info("stats store is writable again", "rows", len(r.b.rows), "events", r.b.events)
		} else {
			w.d.log.Debug("stats flushed", "rows", len(r.b.rows), "events", r.b.events)
		}
		clear(r.b.rows)
		w.spare = r.b.rows
		return
	}
	w.d.errors.Add(1)
	err := r.err
	w.d.writeErr.Store(&err)
	for k, n := range r.b.rows {
		w.pending.rows[k] += n // already counted once: kept past the bound
	}
	w.pending.events += r.b.events
	w.force(rowKey{w.hourNow(), "", "", mError, string(bot.ErrorKindStore)}, 1)
	w.failing = true
	if now := w.now(); now.Sub(w.lastLog) >= errorLogPeriod {
		w.lastLog = now
		w.d.log.Warn("stats store write failed; counts kept in memory and retried",
			"err", err, "pending_rows", len(w.pending.rows), "failures", w.d.errors.Load())
	}
}

// flusher writes batches; it runs on its own goroutine and owns the writes.
type flusher struct {
	d          *DB
	now        func() time.Time
	lastRollup time.Time
}

const upsertSQL = `INSERT INTO counts (bucket, span, platform, community, metric, key, count)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (span, bucket, platform, community, metric, key) DO UPDATE SET count = count + excluded.count`

// write commits one batch in one transaction, then rolls up old rows if that is
// due.
func (f *flusher) write(ctx context.Context, b batch) error {
	db := f.d.sdb.Load()
	if db == nil {
		var err error
		if db, err = openWritable(ctx, f.d.path, f.d.opt); err != nil {
			return err
		}
		f.d.sdb.Store(db)
		f.d.log.Info("stats database opened", "path", f.d.path)
	}
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	stmt, err := tx.PrepareContext(ctx, upsertSQL)
	if err != nil {
		return fmt.Errorf("prepare: %w", err)
	}
	defer stmt.Close()
	for k, n := range b.rows {
		if _, err := stmt.ExecContext(ctx, k.bucket, hour, k.platform, k.community, k.metric, k.key, n); err != nil {
			return fmt.Errorf("upsert: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if now := f.now(); now.Sub(f.lastRollup) >= rollupPeriod {
		if err := rollup(ctx, db, now.Add(-f.d.opt.Retention)); err != nil {
			// The counts are written; a failed roll-up is retried next time.
			f.d.log.Warn("stats store roll-up failed", "err", err)
		} else {
			f.lastRollup = now
		}
	}
	return nil
}

// rollup turns hourly rows of whole days before cutoff into daily rows, so the
// table grows by days, not hours, beyond the retention age.
func rollup(ctx context.Context, db *sql.DB, cutoff time.Time) error {
	c := cutoff.Unix()
	c -= c % day
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	// WHERE is needed before ON CONFLICT in INSERT … SELECT (a parsing ambiguity
	// in SQLite's grammar).
	if _, err := tx.ExecContext(ctx, `INSERT INTO counts (bucket, span, platform, community, metric, key, count)
SELECT bucket - bucket % ?, ?, platform, community, metric, key, SUM(count)
FROM counts WHERE span = ? AND bucket < ?
GROUP BY 1, platform, community, metric, key
ON CONFLICT (span, bucket, platform, community, metric, key) DO UPDATE SET count = count + excluded.count`,
		day, day, hour, c); err != nil {
		return fmt.Errorf("roll up: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM counts WHERE span = ? AND bucket < ?`, hour, c); err != nil {
		return fmt.Errorf("delete rolled-up rows: %w", err)
	}
	return tx.Commit()
}
