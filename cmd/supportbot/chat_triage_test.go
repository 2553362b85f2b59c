package main

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/bottest"
)

// TestChatTriage runs `supportbot chat` with stdin piped: "help me decide",
// which starts the triage at once with its first question, then numbered
// buttons or typed answers, must reach the outcome, and the stats store must
// count it.
func TestChatTriage(t *testing.T) {
	k := bottest.Knowledge(t)
	recommendation := func(id string) string {
		for _, o := range k.Triage.Outcomes {
			if o.ID == id {
				first, _, _ := strings.Cut(bot.Plain(o.Recommendation), "\n")
				return first
			}
		}
		t.Fatalf("no outcome %q in the flow", id)
		return ""
	}
	crisisIntro, _, _ := strings.Cut(bot.Plain(k.Crisis.Intro), "\n")
	tests := []struct {
		name    string
		stdin   string
		outcome string
		want    []string
	}{
		{
			name: "numbers",
			// [2] No; [1] Comfort; [3] A little; [1] Cost.
			stdin: "help me decide\n2\n1\n3\n1\n", outcome: bot.OutcomeSupportGroup,
			want: []string{recommendation(bot.OutcomeSupportGroup), k.Triage.Text.Why, "not a diagnosis or professional advice", "] What it costs"},
		},
		{
			name:  "typed answers",
			stdin: "help me decide\nno\nto learn new skills\nquite a bit\npeer led\nnothing\n", outcome: bot.OutcomeBoth,
			want: []string{recommendation(bot.OutcomeBoth), "not a diagnosis or professional advice"},
		},
		{
			name:  "the first answer is yes",
			stdin: "help me decide\n1\n", outcome: bot.OutcomeUrgentHelp,
			want: []string{crisisIntro, "] " + k.Triage.Text.StartAgain},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db := filepath.Join(t.TempDir(), "stats.db")
			vars := map[string]string{"SUPPORTBOT_DB": db}
			out, chatErr, err := runCLI(t, vars, tc.stdin, "chat")
			defer func() {
				if t.Failed() {
					t.Logf("chat stderr: %s", chatErr)
				}
			}()
			if err != nil {
				t.Fatalf("chat: %v", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Errorf("chat output lacks %q:\n%s", w, out)
				}
			}
			js, statsErr, err := runCLI(t, vars, "", "stats", "--json")
			defer func() {
				if t.Failed() {
					t.Logf("stats: %s %s", js, statsErr)
				}
			}()
			if err != nil {
				t.Fatalf("stats --json: %v", err)
			}
			var st struct {
				Triage struct {
					Started   int            `json:"started"`
					Completed int            `json:"completed"`
					Outcomes  map[string]int `json:"outcomes"`
				} `json:"triage"`
			}
			if err := json.Unmarshal([]byte(js), &st); err != nil {
				t.Fatalf("stats --json: %v\n%s", err, js)
			}
			if st.Triage.Started != 1 || st.Triage.Completed != 1 || st.Triage.Outcomes[tc.outcome] != 1 {
				t.Errorf("stats triage = %+v, want started 1, completed 1, outcomes {%s: 1}", st.Triage, tc.outcome)
			}
		})
	}
}
