package store_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
	"github.com/supportbot/supportbot/store"
)

// nobody is the user a root test runs the reader as, so that file modes apply.
const nobody = 65534

// childReport opens the database at path read-only, as `supportbot stats`
// does, and prints "messages N" or "error ...".
func childReport(path string) {
	ctx := context.Background()
	db, err := store.Open(ctx, path, store.Options{ReadOnly: true})
	if err != nil {
		fmt.Println("error", err)
		return
	}
	defer db.Close(ctx)
	r, err := db.Report(ctx, store.Filter{Since: time.Now().Add(-time.Hour), Until: time.Now().Add(time.Hour)})
	if err != nil {
		fmt.Println("error", err)
		return
	}
	fmt.Println("messages", r.Messages)
}

// TestReportFromReadOnlyMedia reads a stats database whose directory cannot be
// written (a backup, a read-only volume), copied from a running bot (with its
// WAL) and from a stopped one. Before, mode=ro could not create the WAL's
// -shm file: "unable to open database file (14)".
func TestReportFromReadOnlyMedia(t *testing.T) {
	for _, tc := range []struct {
		name    string
		running bool // copied while the bot runs: the counts are in the WAL
	}{
		{"copied from a running bot", true},
		{"copied after a stop", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := dbPath(t)
			db, err := store.Open(context.Background(), src, store.Options{FlushInterval: time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			for range 3 {
				db.Record(context.Background(), bot.Event{Time: time.Now(), Platform: "telegram", Community: "dm", Kind: bot.KindAnswer, Topic: "cost"})
			}
			bottest.WaitFor(t, "the events written", func() bool { return db.QueueStats().Written == 3 })
			if !tc.running {
				closeStore(t, db)
			} else {
				defer closeStore(t, db)
			}
			// The read-only medium: a directory nobody may write, and
			// everyone may read.
			media, err := os.MkdirTemp("", "supportbot-ro-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(media, 0o755); os.RemoveAll(media) })
			for _, suffix := range []string{"", "-wal"} { // never the -shm: it is the running process's memory
				if err := copyTo(src+suffix, filepath.Join(media, "stats.db"+suffix)); err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
			}
			if _, err := os.Stat(filepath.Join(media, "stats.db-wal")); tc.running && err != nil {
				t.Fatalf("no WAL copied from the running bot: %v", err)
			}
			if err := os.Chmod(media, 0o555); err != nil {
				t.Fatal(err)
			}
			got := readAs(t, filepath.Join(media, "stats.db"))
			if got != "messages 3" {
				t.Errorf("report of the read-only copy: %q, want %q", got, "messages 3")
			}
		})
	}
}

// copyTo copies a file, readable by everyone.
func copyTo(from, to string) error {
	src, err := os.Open(from)
	if err != nil {
		return err
	}
	defer src.Close()
	dst, err := os.OpenFile(to, os.O_CREATE|os.O_WRONLY, 0o444)
	if err != nil {
		return err
	}
	if _, err := io.Copy(dst, src); err != nil {
		dst.Close()
		return err
	}
	return dst.Close()
}

// readAs runs childReport on path in a child process, as the user nobody when
// the test runs as root (for root, no file mode forbids anything).
func readAs(t *testing.T, path string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	if os.Geteuid() == 0 {
		// The test binary sits in a directory only root may enter: give
		// nobody a copy it can run.
		bin, err := os.MkdirTemp("", "supportbot-bin-")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(bin) })
		if err := os.Chmod(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := copyTo(exe, filepath.Join(bin, "store.test")); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(bin, "store.test"), 0o555); err != nil {
			t.Fatal(err)
		}
		cmd = exec.Command(filepath.Join(bin, "store.test"), "-test.run=^$")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	}
	cmd.Env = append(os.Environ(), envChild+"=report", envDB+"="+path, "TMPDIR=/tmp", "HOME=/tmp")
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the reader failed: %v\n%s", err, out)
	}
	return strings.TrimSpace(string(out))
}
