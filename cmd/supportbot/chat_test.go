package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
)

// TestChatGreetingNotCounted: the welcome `supportbot chat` opens with is the
// bot's, not a message of the person's, so the stats count only what was
// typed; a /start typed later is the person's and counts.
func TestChatGreetingNotCounted(t *testing.T) {
	tests := []struct {
		name      string
		stdin     string
		messages  int
		smalltalk int
	}{
		{"nothing typed", "", 0, 0},
		{"one greeting typed", "hello\n", 1, 1},
		{"a question and /start typed", "how much does a support group cost?\n/start\n", 2, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			vars := map[string]string{"SUPPORTBOT_DB": filepath.Join(t.TempDir(), "stats.db")}
			out, _, err := runCLI(t, vars, tc.stdin, "chat")
			if err != nil {
				t.Fatalf("chat: %v", err)
			}
			if !strings.Contains(out, "[1] Help me choose") {
				t.Errorf("chat did not open with the welcome:\n%s", out)
			}
			js, statsErr, err := runCLI(t, vars, "", "stats", "--json")
			if err != nil {
				t.Fatalf("stats --json: %v\n%s", err, statsErr)
			}
			var st struct {
				Messages int            `json:"messages"`
				ByKind   map[string]int `json:"by_kind"`
			}
			if err := json.Unmarshal([]byte(js), &st); err != nil {
				t.Fatalf("stats --json: %v\n%s", err, js)
			}
			if st.Messages != tc.messages || st.ByKind["smalltalk"] != tc.smalltalk {
				t.Errorf("chat with stdin %q: stats count %d messages, %d small talk; want %d and %d\n%s",
					tc.stdin, st.Messages, st.ByKind["smalltalk"], tc.messages, tc.smalltalk, js)
			}
		})
	}
}
