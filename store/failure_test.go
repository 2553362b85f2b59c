package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/store"
)

// TestLockedDatabase holds the write lock from a second connection (as another
// process would; file permissions do not stop root, a lock does): replies go
// on, the failures are counted and logged once, and everything is written when
// the lock is released.
func TestLockedDatabase(t *testing.T) {
	path := dbPath(t)
	logs := &bottest.Buffer{}
	db := openStore(t, path, store.Options{
		Logger:        slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		FlushInterval: 5 * time.Millisecond,
		BusyTimeout:   20 * time.Millisecond,
	})
	b := bottest.New(t, bot.WithRecorder(db))
	ctx := context.Background()

	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}

	const n = 300
	for i := range n {
		r := b.Handle(ctx, bot.Message{Platform: "telegram", Community: "-42", Conversation: strconv.Itoa(i % 10), Data: bot.DataStart})
		if r.Text == "" {
			t.Fatalf("message %d got an empty reply while the database was locked", i)
		}
	}
	bottest.WaitFor(t, "three failed writes", func() bool { return db.QueueStats().Errors >= 3 })
	if err := db.Ping(ctx); err == nil {
		t.Error("Ping while locked: got nil, want an error")
	}
	if qs := db.QueueStats(); qs.Written != 0 || qs.Dropped != 0 {
		t.Errorf("while locked: %+v, want nothing written and nothing dropped", qs)
	}
	if got := strings.Count(logs.String(), "write failed"); got != 1 {
		t.Errorf("write failures logged %d times within a minute, want once:\n%s", got, logs.String())
	}

	if _, err := conn.ExecContext(ctx, `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	bottest.WaitFor(t, "the pending counts to be written", func() bool { return db.QueueStats().Written == n })
	bottest.WaitFor(t, "Ping to succeed", func() bool { return db.Ping(ctx) == nil })
	errs := db.QueueStats().Errors
	closeStore(t, db)

	r := report(t, path, store.Filter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
	if r.Messages != n || r.Sessions != 10 || r.ByKind["smalltalk"] != n {
		t.Errorf("after the lock: messages %d sessions %d smalltalk %d, want %d, 10, %d", r.Messages, r.Sessions, r.ByKind["smalltalk"], n, n)
	}
	if r.Errors["store"] != errs {
		t.Errorf("errors[store]: got %d, want %d (the failed writes)", r.Errors["store"], errs)
	}
	if !strings.Contains(logs.String(), "writable again") {
		t.Errorf("no log line says the store is writable again:\n%s", logs.String())
	}
}

// TestCloseDeadline: a Close whose deadline passes while the database is locked
// returns (with an error) instead of hanging.
func TestCloseDeadline(t *testing.T) {
	path := dbPath(t)
	db, err := store.Open(context.Background(), path, store.Options{BusyTimeout: time.Minute, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	db.Record(context.Background(), bot.Event{Time: time.Now(), Platform: "console", Community: "dm", Kind: bot.KindAnswer})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := db.Close(ctx); err == nil {
		t.Error("Close with a locked database and a passed deadline: got nil, want an error")
	}
	conn.ExecContext(context.Background(), `ROLLBACK`)
}

// TestCloseRetriesTheLastWrite: the final flush fails while another connection
// holds the lock for a moment; Close keeps trying within its deadline, and the
// counts are there once the lock is gone.
func TestCloseRetriesTheLastWrite(t *testing.T) {
	path := dbPath(t)
	// A busy timeout far shorter than the lock, so the first try fails.
	db, err := store.Open(context.Background(), path, store.Options{BusyTimeout: 10 * time.Millisecond, FlushInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	other, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	conn, err := other.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(context.Background(), `BEGIN EXCLUSIVE`); err != nil {
		t.Fatal(err)
	}
	for range 5 {
		db.Record(context.Background(), bot.Event{Time: time.Now(), Platform: "console", Community: "dm", Kind: bot.KindAnswer, Topic: "cost"})
	}
	closed := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		closed <- db.Close(ctx)
	}()
	bottest.WaitFor(t, "a failed write", func() bool { return db.QueueStats().Errors >= 1 })
	if _, err := conn.ExecContext(context.Background(), `ROLLBACK`); err != nil {
		t.Fatal(err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close after the lock went away: %v", err)
	}
	if r := report(t, path, store.Filter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)}); r.Messages != 5 || r.ByTopic["cost"] != 5 {
		t.Errorf("after Close: messages %d, cost %d; want 5 and 5", r.Messages, r.ByTopic["cost"])
	}
}

// TestAnonymity drives 1,000 messages carrying unique markers and fake user and
// chat ids through the real bot and the store, with debug logging on, then
// scans the database, its WAL and shm, and the logs byte by byte: no marker, no
// id, no session hash may appear.
func TestAnonymity(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "stats.db")
	logs := &bottest.Buffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	db := openStore(t, path, store.Options{Logger: log, FlushInterval: 10 * time.Millisecond})
	rec := bottest.NewRecorder()
	b := bottest.New(t, bot.WithRecorder(tee{db, rec}), bot.WithLogger(log))
	ctx := context.Background()

	const n = 1000
	var secrets []string // every string that must not leak
	for i := range n {
		user := fmt.Sprintf("uid%d", 7700000000+i) // a person's id, as the adapters key conversations
		marker := fmt.Sprintf("ZQXMARK%04dZQX", i)
		m := bot.Message{Platform: "telegram", Community: bot.CommunityDM, Conversation: user}
		switch i % 4 {
		case 0:
			m.Text = "my name is " + marker + " and my id is " + user
		case 1:
			m.Text = "does a support group cost money? " + marker
		case 2:
			m.Data = "v1:" + marker // a forged button carrying the marker
		case 3:
			m.Platform, m.Community = "discord", "guild1"
			m.Text = marker + " I feel so alone and I want to die"
		}
		if r := b.Handle(ctx, m); r.Text == "" {
			t.Fatalf("message %d: empty reply", i)
		}
		secrets = append(secrets, marker, user)
	}
	bottest.WaitFor(t, "all events written", func() bool { return db.QueueStats().Written == n })

	var hashes [][]byte // the in-memory session hashes, in every encoding
	for _, e := range rec.Events() {
		le := binary.LittleEndian.AppendUint64(nil, e.Session)
		be := binary.BigEndian.AppendUint64(nil, e.Session)
		hashes = append(hashes, le, be,
			[]byte(strconv.FormatUint(e.Session, 10)), []byte(strconv.FormatUint(e.Session, 16)),
			[]byte(strconv.FormatInt(int64(e.Session), 10)))
	}
	needles := [][]byte{[]byte("ZQXMARK"), []byte("uid77")}
	for _, s := range secrets {
		needles = append(needles, []byte(s))
	}

	// The scan must be able to fail: a control file with one marker in it.
	control := filepath.Join(dir, "control")
	if err := os.WriteFile(control, []byte("....ZQXMARK0042ZQX...."), 0o600); err != nil {
		t.Fatal(err)
	}
	if hits := scan(t, control, needles); hits == 0 {
		t.Fatal("the scan does not find a marker deliberately written to a control file")
	}
	if hits := scanBytes([]byte(logs.String()), needles); len(logs.String()) == 0 || hits != 0 {
		t.Errorf("logs: %d bytes, %d hits; want some logging and no hits", len(logs.String()), hits)
	}

	check := func(when string) {
		t.Helper()
		scanned := 0
		for _, f := range []string{path, path + "-wal", path + "-shm"} {
			if _, err := os.Stat(f); err != nil {
				continue
			}
			scanned++
			if hits := scan(t, f, needles); hits != 0 {
				t.Errorf("%s: %s has %d marker/id hits", when, filepath.Base(f), hits)
			}
			if hits := scan(t, f, hashes); hits != 0 {
				t.Errorf("%s: %s has %d session hash hits", when, filepath.Base(f), hits)
			}
		}
		if scanned == 0 {
			t.Fatalf("%s: no database file to scan", when)
		}
	}
	if _, err := os.Stat(path + "-wal"); err != nil {
		t.Errorf("no WAL file while the store is open: %v", err)
	}
	check("while open")
	closeStore(t, db)
	check("after close")
	if hits := scanBytes([]byte(logs.String()), needles); hits != 0 {
		t.Errorf("logs after close: %d hits", hits)
	}
	// And the counts are there: the scan looked at a file full of data.
	r := report(t, path, store.Filter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
	if r.Messages != n {
		t.Errorf("report: %d messages, want %d", r.Messages, n)
	}
}

func scan(t *testing.T, path string, needles [][]byte) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return scanBytes(data, needles)
}

// scanBytes counts the needles found in data. Session hashes are 8 random
// bytes, so a chance match in a file of a few hundred kilobytes is about
// 1 in 10^13 per hash: a hit is a leak.
func scanBytes(data []byte, needles [][]byte) int {
	hits := 0
	for _, n := range needles {
		if len(n) >= 6 && bytes.Contains(data, n) {
			hits++
		}
	}
	return hits
}

// TestFullDisk puts the database on a small tmpfs and fills it: replies go on,
// the failures are counted, the counts are kept in memory, and everything is
// written once space is freed. It needs the right to mount (root in a container
// with CAP_SYS_ADMIN) and skips without it.
func TestFullDisk(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (%v: %s)", err, bytes.TrimSpace(out))
	}
	t.Cleanup(func() { exec.Command("umount", dir).Run() })
	path := filepath.Join(dir, "stats.db")
	logs := &bottest.Buffer{}
	db := openStore(t, path, store.Options{
		Logger:        slog.New(slog.NewTextHandler(logs, nil)),
		FlushInterval: 5 * time.Millisecond,
	})
	b := bottest.New(t, bot.WithRecorder(db))
	ctx := context.Background()

	// Fill the file system to the last byte.
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 4096)
	for {
		if _, err := f.Write(chunk); err != nil {
			break
		}
	}
	f.Close()

	const n = 200
	for i := range n {
		// Many topics and communities: new rows, new pages to write.
		r := b.Handle(ctx, bot.Message{Platform: "discord", Community: "guild" + strconv.Itoa(i), Conversation: strconv.Itoa(i), Data: bot.DataTopics})
		if r.Text == "" {
			t.Fatalf("message %d got an empty reply on a full disk", i)
		}
	}
	bottest.WaitFor(t, "a failed write", func() bool { return db.QueueStats().Errors >= 2 })
	if qs := db.QueueStats(); qs.Written != 0 || qs.Dropped != 0 {
		t.Errorf("on a full disk: %+v, want nothing written and nothing dropped", qs)
	}
	if !strings.Contains(logs.String(), "write failed") {
		t.Errorf("the failure was not logged:\n%s", logs.String())
	}

	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	bottest.WaitFor(t, "the pending counts to be written", func() bool { return db.QueueStats().Written == n })
	errs := db.QueueStats().Errors
	closeStore(t, db)
	checkIntegrity(t, path)
	r := report(t, path, store.Filter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
	if r.Messages != n || r.Sessions != n || r.Errors["store"] != errs {
		t.Errorf("after freeing space: messages %d sessions %d store errors %d, want %d, %d, %d", r.Messages, r.Sessions, r.Errors["store"], n, n, errs)
	}
}
