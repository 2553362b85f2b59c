package bot

import (
	"testing"

	"github.com/supportbot/supportbot/bot/textnorm"
)

func testMatcher() *matcher {
	topics := []Topic{
		{ID: "leadership", Title: "Who leads", Questions: []string{"who runs a support group", "who leads group therapy"}, Keywords: []string{"facilitator", "leader"}},
		{ID: "cost", Title: "Cost", Questions: []string{"how much does group therapy cost", "is a support group free"}, Keywords: []string{"price", "insurance"}},
		{ID: "difference", Title: "Difference", Questions: []string{"support group vs group therapy"}, Keywords: []string{"difference"}},
	}
	return newMatcher(topics, [][]string{{"therapist", "counsellor"}, {"cost", "fee", "price"}, {"support group", "peer group"}, {"group therapy", "therapy group"}}, nil)
}

func TestMatcherLookup(t *testing.T) {
	m := testMatcher()
	tests := []struct{ q, want string }{
		{"who runs it", "leadership"},
		{"facilitator?", "leadership"},
		{"what are the fees", "cost"},          // synonym
		{"how much dose it cots", "cost"},      // typos: "cots" is too short to correct, "much" carries it
		{"whos the facilitater", "leadership"}, // typo, one edit
		{"peer group or therapy group", "difference"},
	}
	for _, tc := range tests {
		first, _, c1, _ := m.lookup(textnorm.Normalize(tc.q))
		if first.topic == nil || first.topic.ID != tc.want {
			t.Errorf("lookup(%q) = %v (%.2f), want %s", tc.q, first.topic, c1, tc.want)
		}
	}
}

func TestMatcherUnknownWords(t *testing.T) {
	m := testMatcher()
	first, _, c1, _ := m.lookup(textnorm.Normalize("quantum chromodynamics lecture notes"))
	if first.topic != nil && c1 >= clarifyConfidence {
		t.Errorf("an unrelated message matched %s with confidence %.2f", first.topic.ID, c1)
	}
}
