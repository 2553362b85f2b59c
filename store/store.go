// Package store keeps supportbot's anonymous usage statistics in SQLite
// (modernc.org/sqlite, pure Go) and builds the moderators' report from them.
//
// Only counters are stored: rows of (hour, platform, community, metric, key) →
// count, such as "3 answers on topic cost in Telegram group -100123 between 14:00
// and 15:00". No message text, user id, user name, private chat id or session
// hash is ever written or logged; private chats count under community
// [bot.CommunityDM]. Sessions are told apart in memory only, by the keyed hash
// the core puts in [bot.Event].Session.
//
// [DB] implements [bot.Recorder]: [DB.Record] hands an event to a bounded queue
// and returns at once, never waiting on the disk. A writer goroutine aggregates
// events in memory and writes them in one transaction per interval. A database
// that cannot be written (read-only, full, locked) never stops a reply: the
// failure is counted, logged at most once a minute, pending counts are kept in
// memory (bounded) and written when the database is writable again.
//
// The database runs in WAL mode with a busy timeout, and every write is an
// upsert (count = count + excluded.count) in an immediate transaction, so two
// bot processes may share one file. Schema migrations are embedded
// (migrations/*.sql), applied in name order, each in its own transaction, and
// recorded by name.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver, pure Go
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/supportbot/supportbot/bot"
)

// ErrClosed is returned by [DB.Record] after [DB.Close].
var ErrClosed = errors.New("stats store is closed")

// ErrNoDatabase is returned by [Open] with [Options.ReadOnly] when the database
// file does not exist: there is no usage data yet. It wraps nothing; match it
// with errors.Is.
var ErrNoDatabase = errors.New("no stats database yet")

// ErrIsDirectory is returned (wrapped) by [Open] and [OpenDeferred] when the
// path names a directory, not a database file.
var ErrIsDirectory = errors.New("the path is a directory, not a database file")

// ErrNotDatabase is returned (wrapped) by [Open] with [Options.ReadOnly] when
// the file is not an SQLite database (a wrong path, or a damaged file).
var ErrNotDatabase = errors.New("the file is not a stats database")

// ErrReadOnly is returned by [DB.Ping] on a store opened with
// [Options.ReadOnly].
var ErrReadOnly = errors.New("stats store is open read-only")

// Defaults for the zero values of [Options].
const (
	DefaultFlushInterval = time.Second
	DefaultBatchSize     = 8192
	DefaultQueueSize     = 16384
	DefaultRetention     = 90 * 24 * time.Hour
	DefaultBusyTimeout   = 5 * time.Second
	// SessionGap is the silence after which a person's next message starts a new
	// session.
	SessionGap = 30 * time.Minute
)

// Options configures [Open]. The zero value of each field means its default.
type Options struct {
	// Logger receives the store's own messages (write failures, at most once a
	// minute; flushes at debug level). They never hold text or ids. Default:
	// discard.
	Logger *slog.Logger
	// FlushInterval is how often pending counts are written. Default 1s.
	FlushInterval time.Duration
	// BatchSize is how many events may be aggregated before a write is forced
	// ahead of the interval. Default 8192.
	BatchSize int
	// QueueSize is the capacity of the hand-off queue between Record and the
	// writer. When it is full, events are dropped and counted. Default 16384.
	QueueSize int
	// Retention is the age after which hourly rows are rolled up into daily
	// rows. Default 90 days.
	Retention time.Duration
	// Now replaces time.Now (tests). Events carry their own time; Now stamps
	// events that lack one, the store's own counters and the retention cut-off.
	Now func() time.Time
	// BusyTimeout is how long a write waits for another process's lock before
	// the write counts as failed (and is retried at the next flush). Default 5s.
	BusyTimeout time.Duration
	// ReadOnly opens an existing database for reports only: nothing is created,
	// migrated or written, and Open fails with [ErrNoDatabase] when the file
	// does not exist.
	ReadOnly bool
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.FlushInterval <= 0 {
		o.FlushInterval = DefaultFlushInterval
	}
	if o.BatchSize <= 0 {
		o.BatchSize = DefaultBatchSize
	}
	if o.QueueSize <= 0 {
		o.QueueSize = DefaultQueueSize
	}
	if o.Retention <= 0 {
		o.Retention = DefaultRetention
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.BusyTimeout <= 0 {
		o.BusyTimeout = DefaultBusyTimeout
	}
	return o
}

// DB is the stats store. It is safe for concurrent use. Close it to flush.
type DB struct {
	// sdb is the database, nil until it could be opened (see [OpenDeferred]).
	sdb  atomic.Pointer[sql.DB]
	path string
	opt  Options
	log  *slog.Logger

	// queue hands events from Record to the writer. Its capacity (QueueSize)
	// absorbs bursts while the writer is in a transaction; beyond it, events are
	// dropped rather than making a person wait for a reply.
	queue  chan bot.Event
	closed atomic.Bool

	dropped atomic.Int64 // events dropped because the queue was full or the store closed
	written atomic.Int64 // events whose counts are committed
	errors  atomic.Int64 // failed writes
	// writeErr is the error of the last write, nil once a write succeeds.
	writeErr atomic.Pointer[error]

	stop      chan struct{}      // closed by Close: the writer flushes and returns
	done      chan struct{}      // closed by the writer when it has returned
	cancel    context.CancelFunc // aborts the writer's statements when Close's deadline passes
	closeOnce sync.Once
	closeErr  error
	cleanup   func() // removes a read-only copy at Close (see openReadOnly); may be nil
}

// Compile-time check that DB is a bot.Recorder.
var _ bot.Recorder = (*DB)(nil)

// Open opens (creating if needed) the stats database at path, applies pending
// migrations and starts the writer. ctx bounds only the opening; the writer
// runs until [DB.Close].
func Open(ctx context.Context, path string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if opts.ReadOnly {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("open stats db %s: %w", path, ErrNoDatabase)
		}
	}
	d := newDB(path, opts)
	if opts.ReadOnly {
		sdb, cleanup, err := openReadOnly(ctx, path, opts)
		if err != nil {
			return nil, err
		}
		d.sdb.Store(sdb)
		d.cleanup = cleanup
		d.closed.Store(true)
		close(d.done)
		d.cancel = func() {}
		return d, nil
	}
	sdb, err := openWritable(ctx, path, opts)
	if err != nil {
		return nil, err
	}
	d.sdb.Store(sdb)
	d.start(ctx)
	return d, nil
}

// OpenDeferred is [Open] for a process that must keep running whatever the
// disk does. When the database cannot be opened now (a full disk, a read-only
// or missing directory, a corrupt file, a directory at the path), it returns
// the error and a DB that works anyway: events are counted in memory (bounded,
// as during a failed write), [DB.Ping] reports the failure, and every flush
// interval the writer tries to open the database again, writing the counts
// once it can. The DB is never nil; err is nil if the database opened at once.
// ReadOnly is ignored.
func OpenDeferred(ctx context.Context, path string, opts Options) (*DB, error) {
	opts = opts.withDefaults()
	opts.ReadOnly = false
	d := newDB(path, opts)
	sdb, err := openWritable(ctx, path, opts)
	if err != nil {
		d.writeErr.Store(&err)
	} else {
		d.sdb.Store(sdb)
	}
	d.start(ctx)
	return d, err
}

// newDB is a DB not yet connected to its file, for Open and OpenDeferred.
func newDB(path string, opts Options) *DB {
	return &DB{
		path: path,
		opt:  opts,
		log:  opts.Logger,
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
}

// openWritable opens the database at path for writing and migrates it.
func openWritable(ctx context.Context, path string, opts Options) (*sql.DB, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("open stats db %s: %w", path, ErrIsDirectory)
	}
	sdb, err := sql.Open("sqlite", dsn(path, opts))
	if err != nil {
		return nil, fmt.Errorf("open stats db %s: %w", path, err)
	}
	if err := migrateWaiting(ctx, sdb, opts.BusyTimeout); err != nil {
		sdb.Close()
		return nil, fmt.Errorf("open stats db %s: %w", path, err)
	}
	return sdb, nil
}

// openReadOnly opens an existing database for reports. A database in WAL mode
// needs its -shm file, which mode=ro cannot create on read-only media (a
// backup, a read-only volume): then a copy is read, which cleanup removes.
func openReadOnly(ctx context.Context, path string, opts Options) (sdb *sql.DB, cleanup func(), err error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return nil, nil, fmt.Errorf("open stats db %s: %w", path, ErrIsDirectory)
	}
	sdb, err = tryOpen(ctx, dsn(path, opts))
	if err == nil {
		return sdb, nil, nil
	}
	if isCode(err, sqlite3.SQLITE_NOTADB) {
		return nil, nil, fmt.Errorf("open stats db %s: %w", path, ErrNotDatabase)
	}
	if !isCode(err, sqlite3.SQLITE_CANTOPEN) && !isCode(err, sqlite3.SQLITE_READONLY) {
		return nil, nil, fmt.Errorf("open stats db %s: %w", path, err)
	}
	// Read-only media: SQLite cannot create the -shm file a database in WAL
	// mode needs, even to read. Read a copy of the file and its WAL instead
	// (a stats database is a few MB at most); immutable=1 would skip the WAL,
	// and with it whatever was written since the last checkpoint.
	dir, cerr := copyDB(path)
	if cerr != nil {
		return nil, nil, fmt.Errorf("open stats db %s: %w (and copying it to read it elsewhere: %w)", path, err, cerr)
	}
	cleanup = func() { os.RemoveAll(dir) }
	sdb, cerr = tryOpen(ctx, dsn(filepath.Join(dir, filepath.Base(path)), opts))
	if cerr != nil {
		cleanup()
		return nil, nil, fmt.Errorf("open stats db %s: %w", path, err)
	}
	opts.Logger.Debug("stats database read from a copy: its directory cannot be written")
	return sdb, cleanup, nil
}

// copyDB copies the database at path and its WAL, if any, into a new
// temporary directory, and returns the directory.
func copyDB(path string) (string, error) {
	dir, err := os.MkdirTemp("", "supportbot-stats-")
	if err != nil {
		return "", err
	}
	for _, suffix := range []string{"", "-wal"} {
		err := copyFile(path+suffix, filepath.Join(dir, filepath.Base(path)+suffix))
		if err != nil && !(suffix != "" && errors.Is(err, os.ErrNotExist)) {
			os.RemoveAll(dir)
			return "", err
		}
	}
	return dir, nil
}

func copyFile(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// tryOpen opens a database and reads from it, which is when SQLite finds out
// whether it can (opening alone touches nothing).
func tryOpen(ctx context.Context, dsn string) (*sql.DB, error) {
	sdb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, err
	}
	var n int
	if err := sdb.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_master`).Scan(&n); err != nil {
		sdb.Close()
		return nil, err
	}
	return sdb, nil
}

// db returns the database, or an error saying why it is not open yet.
func (d *DB) db() (*sql.DB, error) {
	if sdb := d.sdb.Load(); sdb != nil {
		return sdb, nil
	}
	if p := d.writeErr.Load(); p != nil {
		return nil, fmt.Errorf("stats store not open: %w", *p)
	}
	return nil, errors.New("stats store not open")
}

// start starts the writer.
func (d *DB) start(ctx context.Context) {
	d.queue = make(chan bot.Event, d.opt.QueueSize)
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	d.cancel = cancel
	w := newWriter(d)
	go func() {
		defer close(d.done)
		w.run(wctx)
	}()
}

// dsn builds the connection string. Every connection gets the busy timeout first
// (so the WAL switch below waits for another process instead of failing), WAL
// (readers never block the writer, and two processes can share the file),
// synchronous=FULL (a committed batch survives power loss; we commit about once
// a second, so the fsync is cheap) and immediate transactions (a writer takes
// the write lock at BEGIN, where the busy timeout applies, instead of failing on
// upgrade).
func dsn(path string, o Options) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	q := fmt.Sprintf("_pragma=busy_timeout(%d)", o.BusyTimeout.Milliseconds())
	if o.ReadOnly {
		// mode=ro never creates the file and fails every write.
		return "file:" + esc + "?mode=ro&" + q
	}
	return "file:" + esc + "?" + q +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"
}

// Record hands e to the writer without waiting. If the queue is full the event
// is dropped and counted ([QueueStats].Dropped); Record still returns nil,
// because a drop must not make the caller log per message. After [DB.Close] it
// returns [ErrClosed]. It does not allocate.
func (d *DB) Record(_ context.Context, e bot.Event) error {
	if d.closed.Load() {
		d.dropped.Add(1)
		return ErrClosed
	}
	select {
	case d.queue <- e:
	default:
		d.dropped.Add(1)
	}
	return nil
}

// QueueStats is the state of the hand-off queue and the writer, for /metrics.
type QueueStats struct {
	Depth   int64 // events waiting in the queue now
	Dropped int64 // events dropped since Open (queue full, or recorded after Close)
	Written int64 // events whose counts are committed to the database
	Errors  int64 // failed writes (each is retried)
}

// QueueStats returns the queue's current state.
func (d *DB) QueueStats() QueueStats {
	return QueueStats{
		Depth:   int64(len(d.queue)),
		Dropped: d.dropped.Load(),
		Written: d.written.Load(),
		Errors:  d.errors.Load(),
	}
}

// Ping reports whether the store can write: nil when the last write succeeded
// (or none failed yet) and the write lock can be taken now.
func (d *DB) Ping(ctx context.Context) error {
	if d.opt.ReadOnly {
		return ErrReadOnly
	}
	if p := d.writeErr.Load(); p != nil {
		return fmt.Errorf("stats store: last write failed: %w", *p)
	}
	sdb, err := d.db()
	if err != nil {
		return err
	}
	// BEGIN IMMEDIATE (the DSN's transaction mode) takes the write lock, which
	// fails on a read-only file and, after the busy timeout, on a locked one.
	tx, err := sdb.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("stats store: %w", err)
	}
	return tx.Rollback()
}

// Close stops accepting events, writes everything still queued or pending, and
// closes the database. If ctx ends first, the write is abandoned and Close
// returns an error saying how many events were lost.
func (d *DB) Close(ctx context.Context) error {
	d.closeOnce.Do(func() {
		if d.opt.ReadOnly {
			d.closeErr = d.sdb.Load().Close()
			if d.cleanup != nil {
				d.cleanup()
			}
			return
		}
		d.closed.Store(true)
		close(d.stop)
		var errs []error
		select {
		case <-d.done:
		case <-ctx.Done():
			// Abort the statement in flight (a busy wait, a slow disk).
			d.cancel()
			<-d.done
			errs = append(errs, fmt.Errorf("close stats db: flush abandoned: %w", ctx.Err()))
		}
		d.cancel()
		// An event that raced past the closed flag after the writer's last
		// drain is lost; count it.
		d.dropped.Add(int64(len(d.queue)))
		if p := d.writeErr.Load(); p != nil {
			errs = append(errs, fmt.Errorf("close stats db: counts not written: %w", *p))
		}
		if sdb := d.sdb.Load(); sdb != nil {
			if err := sdb.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close stats db: %w", err))
			}
		}
		d.closeErr = errors.Join(errs...)
	})
	return d.closeErr
}
