package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supportbot/supportbot/knowledge"
)

// runCLI runs the whole program in-process, as `supportbot ARGS...` with only the
// given variables set (and the stats database in a temporary directory).
func runCLI(t *testing.T, vars map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	env := map[string]string{"SUPPORTBOT_DB": filepath.Join(t.TempDir(), "stats.db")}
	for k, v := range vars {
		env[k] = v
	}
	var out, errOut bytes.Buffer
	err = run(context.Background(), append([]string{"supportbot"}, args...), func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func TestAskJSON(t *testing.T) {
	tests := []struct {
		text, kind, topic string
	}{
		{"who actually runs a support group?", "answer", "leadership"},
		{"I can't go on anymore", "crisis", ""},
		{"hello", "smalltalk", ""},
		{"which one is right for me", "triage", ""},
		{"recommend me a pizza place", "fallback", ""},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			out, _, err := runCLI(t, nil, "", "ask", "--json", tc.text)
			if err != nil {
				t.Fatalf("ask: %v", err)
			}
			var got map[string]any
			if err := json.Unmarshal([]byte(out), &got); err != nil {
				t.Fatalf("ask --json printed %q: %v", out, err)
			}
			for _, key := range []string{"kind", "topic", "score", "text", "choices"} {
				if _, ok := got[key]; !ok {
					t.Errorf("ask --json lacks %q: %s", key, out)
				}
			}
			if got["kind"] != tc.kind || got["topic"] != tc.topic {
				t.Errorf("ask %q = %v %v, want %s %q", tc.text, got["kind"], got["topic"], tc.kind, tc.topic)
			}
			if _, ok := got["choices"].([]any); !ok {
				t.Errorf("choices is %T, want a list", got["choices"])
			}
			if text, _ := got["text"].(string); strings.Contains(text, "**") || text == "" {
				t.Errorf("text should be non-empty plain text, got %q", text)
			}
		})
	}
}

func TestAskPlain(t *testing.T) {
	out, _, err := runCLI(t, nil, "", "ask", "how", "much", "does", "group", "therapy", "cost")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "[1] ") {
		t.Errorf("ask should list buttons as [1] label, got:\n%s", out)
	}
}

func TestChatPiped(t *testing.T) {
	// "2" presses the second button of the previous reply: the welcome offers
	// "Help me choose" and "Browse topics".
	out, _, err := runCLI(t, nil, "who runs a support group\n\n2\n", "chat")
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	for _, want := range []string{"[1] Help me choose", "peer", "I didn't catch any words"} {
		if !strings.Contains(out, want) {
			t.Errorf("chat output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "> ") {
		t.Errorf("piped chat should print no prompt:\n%s", out)
	}
}

func TestKBCheckEmbedded(t *testing.T) {
	out, _, err := runCLI(t, nil, "", "kb", "check")
	if err != nil {
		t.Fatalf("kb check on the built-in knowledge base: %v\n%s", err, out)
	}
	if !strings.Contains(out, "is fine") {
		t.Errorf("kb check output: %s", out)
	}
}

// copyKB writes the embedded knowledge base to a directory a test can break.
func copyKB(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	err := fs.WalkDir(knowledge.Embedded(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dir, p), 0o755)
		}
		data, err := fs.ReadFile(knowledge.Embedded(), p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, p), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

func editFile(t *testing.T, path, old, new string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), old) {
		t.Fatalf("%s does not contain %q", path, old)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(data), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// costLine is the line number of the nth line (1-based) of the built-in cost.md
// that starts with prefix, so the expectations below follow a curator's edits.
func costLine(t *testing.T, prefix string, nth int) int {
	t.Helper()
	data, err := fs.ReadFile(knowledge.Embedded(), "topics/cost.md")
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.HasPrefix(l, prefix) {
			if nth--; nth == 0 {
				return i + 1
			}
		}
	}
	t.Fatalf("cost.md has too few lines starting with %q", prefix)
	return 0
}

func TestKBCheckReportsProblems(t *testing.T) {
	relatedLine := costLine(t, "related:", 1)
	answerLine := costLine(t, "---", 2) + 1 // the answer starts after the closing ---
	tests := []struct {
		name   string
		break_ func(t *testing.T, dir string)
		want   string // a line of the output
	}{
		{"missing required topic", func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "topics", "cost.md"))
		}, `topics: required topic "cost" is missing`},
		{"empty id", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "topics", "cost.md"), "id: cost", "id: ")
		}, "topics/cost.md:2: id is missing or empty"},
		{"broken related link", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "topics", "cost.md"), "related: [", "related: [no-such-topic, ")
		}, fmt.Sprintf(`topics/cost.md:%d: related topic "no-such-topic" does not exist`, relatedLine)},
		{"bad front matter", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "topics", "cost.md"), "---\n", "")
		}, "topics/cost.md:1: bad front matter"},
		{"answer too long", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "topics", "cost.md"), "\n---\n", "\n---\n"+strings.Repeat("Far too long an answer. ", 120))
		}, fmt.Sprintf("topics/cost.md:%d: answer is", answerLine)},
		{"duplicate question", func(t *testing.T, dir string) {
			data, _ := os.ReadFile(filepath.Join(dir, "topics", "difference.md"))
			q := strings.TrimPrefix(strings.Split(strings.Split(string(data), "questions:\n")[1], "\n")[0], "  - ")
			editFile(t, filepath.Join(dir, "topics", "cost.md"), "questions:\n", "questions:\n  - "+q+"\n")
		}, "topics/difference.md:5: duplicate question"},
		{"missing message", func(t *testing.T, dir string) {
			editFile(t, filepath.Join(dir, "messages.yaml"), "thanks: |", "thanx: |")
		}, `messages.yaml:5: message "thanks" is missing`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := copyKB(t)
			tc.break_(t, dir)
			out, _, err := runCLI(t, nil, "", "kb", "check", "--kb", dir)
			if err == nil {
				t.Fatalf("kb check passed a broken knowledge base:\n%s", out)
			}
			if !strings.Contains(out, tc.want) {
				t.Errorf("kb check output lacks %q:\n%s", tc.want, out)
			}
		})
	}
}

func TestKBExport(t *testing.T) {
	out, _, err := runCLI(t, nil, "", "kb", "export")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Topics []struct {
			ID        string   `json:"id"`
			Title     string   `json:"title"`
			Questions []string `json:"questions"`
			Answer    string   `json:"answer"`
		} `json:"topics"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("kb export is not JSON: %v", err)
	}
	if len(got.Topics) < len(knowledge.RequiredTopics) {
		t.Fatalf("kb export has %d topics, want at least %d", len(got.Topics), len(knowledge.RequiredTopics))
	}
	for _, tp := range got.Topics {
		if tp.ID == "" || tp.Title == "" || len(tp.Questions) == 0 || tp.Answer == "" {
			t.Errorf("topic %q is incomplete in the export", tp.ID)
		}
	}
}

// TestEvalGate is the same gate CI applies with `supportbot eval`: overall
// accuracy at least 90 %, every crisis message recognised, at most one false
// alarm (the learned crisis layer works at a recall-first operating point
// chosen by cross-validation, not tuned on this file).
func TestEvalGate(t *testing.T) {
	out, _, err := runCLI(t, nil, "", "eval", "--min", "0.9", "--min-crisis-recall", "1", "--max-false-crisis", "1", "../../bot/testdata/eval.yaml")
	if err != nil {
		t.Errorf("eval gate: %v\n%s", err, out)
	}
}

// TestHeldOut scores the matcher on questions nobody tuned it against.
func TestHeldOut(t *testing.T) {
	out, _, err := runCLI(t, nil, "", "eval", "--min", "0.85", "../../bot/testdata/heldout.yaml")
	if err != nil {
		t.Errorf("held-out eval: %v\n%s", err, out)
	}
}

func TestEvalFailsBelowMin(t *testing.T) {
	f := filepath.Join(t.TempDir(), "eval.yaml")
	// Deliberately wrong labels: the gate must fail.
	os.WriteFile(f, []byte("- q: hello\n  kind: crisis\n- q: who runs a support group\n  kind: answer\n  topics: [cost]\n"), 0o644)
	out, _, err := runCLI(t, nil, "", "eval", "--min", "0.9", f)
	if err == nil {
		t.Errorf("eval passed a set it gets wrong:\n%s", out)
	}
	if !strings.Contains(out, "misses (2)") {
		t.Errorf("eval should list its misses:\n%s", out)
	}
}

// TestEvalKindLists checks the contract's labels: a list of kinds (any is
// right), benign (anything but crisis is right), and crisis recall and false
// alarms counted from the first kind.
func TestEvalKindLists(t *testing.T) {
	f := filepath.Join(t.TempDir(), "eval.yaml")
	os.WriteFile(f, []byte(`- q: "hello"
  kind: [answer, smalltalk]
- q: "hello"
  kind: benign
- q: "i want to kill myself"
  kind: benign
- q: "i want to kill myself"
  kind: [crisis, answer]
- q: "hello"
  kind: [crisis]
`), 0o644)
	out, _, err := runCLI(t, nil, "", "eval", f)
	if err != nil {
		t.Fatalf("eval: %v\n%s", err, out)
	}
	for _, want := range []string{
		"answer|smalltalk    1/1",
		"benign              1/2",
		"crisis|answer       1/1",
		"crisis              0/1",
		"crisis recall: 1/2",
		"false crisis alarms: 1",
		"overall             3/5",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	os.WriteFile(f, []byte("- q: hello\n  kind: [answr]\n"), 0o644)
	if _, _, err := runCLI(t, nil, "", "eval", f); err == nil || !strings.Contains(err.Error(), "answr") {
		t.Errorf("an unknown kind was accepted: %v", err)
	}
}

func TestRunWithoutToken(t *testing.T) {
	_, _, err := runCLI(t, nil, "", "run")
	if err == nil {
		t.Fatal("run with no token succeeded")
	}
	for _, want := range []string{"TELEGRAM_BOT_TOKEN", "DISCORD_BOT_TOKEN", "supportbot chat"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestVersionAndUsage(t *testing.T) {
	out, _, err := runCLI(t, nil, "", "version")
	if err != nil || !strings.HasPrefix(out, "supportbot ") {
		t.Errorf("version = %q, %v", out, err)
	}
	if _, _, err := runCLI(t, nil, "", "no-such-command"); err == nil {
		t.Error("an unknown command should fail")
	}
	if _, errOut, err := runCLI(t, nil, ""); err == nil || !strings.Contains(errOut, "usage") {
		t.Errorf("no command: err %v, stderr %q", err, errOut)
	}
}

// BenchmarkAsk is one whole `supportbot ask hello`, start-up included (loading
// the knowledge base, building the core, opening the stats store): what a
// person waits for at the terminal.
func BenchmarkAsk(b *testing.B) {
	db := filepath.Join(b.TempDir(), "stats.db")
	getenv := func(k string) string {
		if k == "SUPPORTBOT_DB" {
			return db
		}
		return ""
	}
	b.ReportAllocs()
	for b.Loop() {
		var out, errOut bytes.Buffer
		if err := run(context.Background(), []string{"supportbot", "ask", "hello"}, getenv, strings.NewReader(""), &out, &errOut); err != nil {
			b.Fatalf("ask: %v\n%s", err, errOut.String())
		}
	}
}
