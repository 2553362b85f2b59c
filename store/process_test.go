package store_test

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/store"
)

// Child processes: the test binary re-executes itself with these variables set,
// and TestMain runs the child's part instead of the tests.
const (
	envChild = "STORE_TEST_CHILD" // "stream", "writer" or "report"
	envDB    = "STORE_TEST_DB"
	envID    = "STORE_TEST_ID"
)

func TestMain(m *testing.M) {
	switch os.Getenv(envChild) {
	case "stream":
		childStream(os.Getenv(envDB))
		os.Exit(0)
	case "writer":
		id, _ := strconv.Atoi(os.Getenv(envID))
		childWriter(os.Getenv(envDB), id)
		os.Exit(0)
	case "report":
		childReport(os.Getenv(envDB))
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// childStream records events without pause on one goroutine while the main
// goroutine prints how many events are committed each time that number grows,
// until the process is killed.
func childStream(path string) {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{FlushInterval: 2 * time.Millisecond, BatchSize: 200})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	go func() {
		for i := 0; ; i++ {
			if db.QueueStats().Depth > store.DefaultQueueSize/2 {
				time.Sleep(100 * time.Microsecond)
				continue
			}
			db.Record(ctx, bot.Event{Time: time.Now(), Platform: "telegram", Community: "-1", Session: uint64(i % 100), Kind: bot.KindAnswer, Topic: "cost"})
		}
	}()
	var last int64
	for {
		if w := db.QueueStats().Written; w > last {
			last = w
			fmt.Println("flushed", w)
		}
		time.Sleep(500 * time.Microsecond)
	}
}

const writerEvents, writerSessions = 20000, 500

// childWriter records writerEvents events over writerSessions sessions, never
// dropping (it waits while the queue is more than half full), then closes.
func childWriter(path string, id int) {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{FlushInterval: 5 * time.Millisecond, BatchSize: 500})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	now := time.Now()
	for i := range writerEvents {
		for db.QueueStats().Depth > store.DefaultQueueSize/2 {
			time.Sleep(time.Millisecond)
		}
		kind := bot.KindAnswer
		if i%10 == 0 {
			kind = bot.KindFallback
		}
		db.Record(ctx, bot.Event{Time: now, Platform: "discord", Community: "g", Session: uint64(id)<<32 | uint64(i%writerSessions), Kind: kind})
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.Close(ctx); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("done", db.QueueStats().Written, db.QueueStats().Dropped)
}

func child(t *testing.T, mode, path string, id int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"="+mode, envDB+"="+path, envID+"="+strconv.Itoa(id))
	cmd.Stderr = os.Stderr
	return cmd
}

// checkIntegrity runs PRAGMA integrity_check on path.
func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var res string
	if err := raw.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if res != "ok" {
		t.Errorf("integrity_check: got %q, want ok", res)
	}
}

// TestKill9 kills a recording process hard in the middle of its stream: the
// file opens cleanly, passes the integrity check, and holds at least everything
// the child said was committed before it died.
func TestKill9(t *testing.T) {
	path := dbPath(t)
	cmd := child(t, "stream", path, 0)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	var flushed int64
	for lines := 0; lines < 30 && sc.Scan(); lines++ {
		f := strings.Fields(sc.Text())
		if len(f) != 2 || f[0] != "flushed" {
			t.Fatalf("child said %q", sc.Text())
		}
		flushed, _ = strconv.ParseInt(f[1], 10, 64)
	}
	// The child is still recording and committing: kill it mid-stream.
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	if flushed == 0 {
		t.Fatal("the child never reported a commit")
	}

	checkIntegrity(t, path)
	db := openStore(t, path, store.Options{})
	r, err := db.Report(context.Background(), store.Filter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if r.Messages < flushed {
		t.Errorf("after kill -9: %d messages in the file, but the child had committed %d", r.Messages, flushed)
	}
	t.Logf("child committed %d before the kill; the file holds %d", flushed, r.Messages)
	closeStore(t, db)
	checkIntegrity(t, path)
}

// TestTwoProcesses has two processes record into one fresh file at once: the
// totals add up.
func TestTwoProcesses(t *testing.T) {
	path := dbPath(t)
	var cmds []*exec.Cmd
	var outs []*strings.Builder
	for id := range 2 {
		cmd := child(t, "writer", path, id+1)
		var b strings.Builder
		cmd.Stdout = &b
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds, outs = append(cmds, cmd), append(outs, &b)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("writer %d: %v (said %q)", i+1, err, outs[i].String())
		}
		if want := fmt.Sprintf("done %d 0\n", writerEvents); outs[i].String() != want {
			t.Errorf("writer %d said %q, want %q", i+1, outs[i].String(), want)
		}
	}
	checkIntegrity(t, path)
	r := report(t, path, store.Filter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
	if r.Messages != 2*writerEvents || r.Sessions != 2*writerSessions || r.Fallbacks != 2*writerEvents/10 || r.Dropped != 0 {
		t.Errorf("got messages %d sessions %d fallbacks %d dropped %d, want %d, %d, %d, 0",
			r.Messages, r.Sessions, r.Fallbacks, r.Dropped, 2*writerEvents, 2*writerSessions, 2*writerEvents/10)
	}
}
