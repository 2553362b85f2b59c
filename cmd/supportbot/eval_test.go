package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEvalMinKind: --min-kind fails the run when one kind's row is below its
// bar, whatever the overall figure, and names the kind.
func TestEvalMinKind(t *testing.T) {
	f := filepath.Join(t.TempDir(), "eval.yaml")
	os.WriteFile(f, []byte(`- q: "hello"
  kind: smalltalk
- q: "how much does group therapy cost"
  kind: answer
  topics: [cost]
- q: "hello"
  kind: fallback
`), 0o644)
	tests := []struct {
		arg     string
		wantErr string // "" when the run must pass
	}{
		{"smalltalk=1,answer=100%", ""},
		{"fallback=0.5", "fallback accuracy 0.0% is below 50.0%"},
		{"triage=0.9", "no case of that kind"},
	}
	for _, tc := range tests {
		t.Run(tc.arg, func(t *testing.T) {
			out, _, err := runCLI(t, nil, "", "eval", "--min-kind", tc.arg, f)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("eval --min-kind %s failed: %v\n%s", tc.arg, err, out)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("eval --min-kind %s: error %v, want one with %q\n%s", tc.arg, err, tc.wantErr, out)
			}
		})
	}
	if _, _, err := runCLI(t, nil, "", "eval", "--min-kind", "answer", f); err == nil {
		t.Error("--min-kind without =FRACTION was accepted")
	}
}
