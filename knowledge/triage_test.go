package knowledge

import (
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

// validFlow is a small triage.yaml that holds together; each broken flow below
// changes one thing in it.
const validFlow = `version: 1
text:
  intro: Let's see.
  back: Back
  start_again: Start again
  why: Why
  next_steps: Next
  unclear: Which one?
  disclaimer: This is not a diagnosis or professional advice.
questions:
  - id: safety
    text: Are you in danger?
    options:
      - label: "Yes"
        outcome: urgent-help
      - label: "No"
        next: want
  - id: want
    text: What do you want?
    options:
      - label: Comfort
        reason: You want comfort.
        next: lead
      - label: Skills
        reason: You want skills.
        next: lead
  - id: lead
    text: Who leads?
    options:
      - label: Peers
        reason: Peers lead.
        outcome: support-group
      - label: A professional
        reason: A professional leads.
        outcome: group-therapy
      - label: One-to-one
        reason: One-to-one.
        outcome: individual-therapy
      - label: Mixed
        reason: Mixed.
        outcome: both
outcomes:
  - id: support-group
    recommendation: A support group.
    steps: [Find one.]
    links: [finding]
  - id: group-therapy
    recommendation: Group therapy.
    steps: [Ask a therapist.]
  - id: individual-therapy
    recommendation: One-to-one first.
    steps: [Book a session.]
  - id: both
    recommendation: Both.
    steps: [Do both.]
  - id: urgent-help
`

// withTriage is the embedded knowledge base with triage.yaml replaced.
func withTriage(t *testing.T, triage string) fs.FS {
	t.Helper()
	return withFile(t, TriageFile, triage)
}

// withFile is the embedded knowledge base with one file replaced or added.
func withFile(t *testing.T, name, data string) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	err := fs.WalkDir(Embedded(), ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := fs.ReadFile(Embedded(), p)
		m[p] = &fstest.MapFile{Data: data}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	m[name] = &fstest.MapFile{Data: []byte(data)}
	return m
}

func TestValidFlowHasNoProblems(t *testing.T) {
	for _, p := range Check(withTriage(t, validFlow)) {
		t.Errorf("unexpected problem: %s", p)
	}
	if _, err := Load(withTriage(t, validFlow)); err != nil {
		t.Errorf("Load: %v", err)
	}
}

// TestFlowFollowsAnchors: a curator may reuse a piece of YAML with an anchor
// (&name) and an alias (*name).
func TestFlowFollowsAnchors(t *testing.T) {
	flow := strings.Replace(validFlow, "steps: [Ask a therapist.]", "steps: &ask [Ask a therapist.]", 1)
	flow = strings.Replace(flow, "steps: [Do both.]", "steps: *ask", 1)
	k, err := Load(withTriage(t, flow))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	for _, o := range k.Triage.Outcomes {
		if o.ID == "both" && (len(o.Steps) != 1 || o.Steps[0] != "Ask a therapist.") {
			t.Errorf("steps of both = %q, want the anchored [Ask a therapist.]", o.Steps)
		}
	}
}

func TestBrokenFlows(t *testing.T) {
	const lead = "  - id: lead\n"
	tests := []struct {
		name       string
		old, new   string // the change to validFlow
		old2, new2 string // a second change, if any
		at         string // the line of the changed flow the problem must point at
		want       string // a part of the message
	}{
		{
			name: "unreachable question",
			old:  "outcomes:\n",
			new:  "  - id: orphan\n    text: Nobody asks me.\n    options:\n      - {label: A, outcome: both}\n      - {label: B, outcome: both}\noutcomes:\n",
			at:   "- id: orphan", want: `question "orphan" is never asked`,
		},
		{
			name: "question reached only from an unreachable one",
			old:  "outcomes:\n",
			new:  "  - id: orphan\n    text: Nobody asks me.\n    options:\n      - {label: A, next: orphan2}\n      - {label: B, next: orphan2}\n  - id: orphan2\n    text: Nor me.\n    options:\n      - {label: A, outcome: both}\n      - {label: B, outcome: both}\noutcomes:\n",
			at:   "- id: orphan2", want: `question "orphan2" is never asked: the answers that lead to it are never reached`,
		},
		{
			name: "outcome never reached",
			old:  "        reason: Mixed.\n        outcome: both\n", new: "        reason: Mixed.\n        outcome: support-group\n",
			at: "- id: both", want: `outcome "both" is never reached`,
		},
		{
			name: "path longer than five questions",
			old:  "        reason: Peers lead.\n        outcome: support-group\n",
			new:  "        reason: Peers lead.\n        next: q4\n",
			old2: "outcomes:\n",
			new2: "  - id: q4\n    text: Four?\n    options:\n      - {label: A, next: q5}\n      - {label: B, next: q5}\n" +
				"  - id: q5\n    text: Five?\n    options:\n      - {label: A, next: q6}\n      - {label: B, next: q6}\n" +
				"  - id: q6\n    text: Six?\n    options:\n      - {label: A, outcome: support-group}\n      - {label: B, outcome: support-group}\noutcomes:\n",
			at: "- {label: A, next: q6}", want: "leads to question 6 on one path; ask at most 5",
		},
		{
			name: "cycle",
			old:  "        reason: Peers lead.\n        outcome: support-group\n",
			new:  "        reason: Peers lead.\n        next: want\n",
			at:   "next: want\n      - label: A professional", want: `next question "want" is already on this path, which makes a loop`,
		},
		{
			name: "answer names an outcome that does not exist",
			old:  "outcome: both\n", new: "outcome: maybe-later\n",
			at: "outcome: maybe-later", want: `outcome "maybe-later" does not exist`,
		},
		{
			name: "an outcome is not defined",
			old:  "  - id: both\n    recommendation: Both.\n    steps: [Do both.]\n", new: "",
			at: "outcomes:", want: `outcome "both" is missing`,
		},
		{
			name: "unknown outcome id",
			old:  "  - id: urgent-help\n", new: "  - id: urgent-help\n  - id: wait-and-see\n    recommendation: Wait.\n    steps: [Wait.]\n",
			at: "- id: wait-and-see", want: `outcome "wait-and-see" is not one of`,
		},
		{
			name: "next question does not exist",
			old:  "        next: want\n", new: "        next: wants\n",
			at: "next: wants", want: `next question "wants" does not exist`,
		},
		{
			name: "unknown topic link",
			old:  "links: [finding]", new: "links: [finding, nowhere]",
			at: "links: [finding, nowhere]", want: `linked topic "nowhere" does not exist`,
		},
		{
			name: "label over 80 characters",
			old:  "label: Skills\n", new: "label: " + strings.Repeat("x", 81) + "\n",
			at: "label: xxx", want: "label is 81 characters; a button allows 80",
		},
		{
			name: "first question does not lead to urgent-help",
			old:  "        outcome: urgent-help\n", new: "        outcome: both\n",
			at: "options:", want: "the first question must ask whether the person is in danger now",
		},
		{
			name: "urgent-help does not end the triage",
			old:  "        outcome: urgent-help\n", new: "        outcome: urgent-help\n        next: want\n",
			at: "        next: want\n      - label: \"No\"", want: "must end the triage there",
		},
		{
			name: "path ends without an outcome",
			old:  "        reason: Mixed.\n        outcome: both\n", new: "        reason: Mixed.\n",
			at: "- label: Mixed", want: "no outcome has been decided on the way",
		},
		{
			name: "too few reasons",
			old:  "        reason: You want comfort.\n", new: "",
			at: "- label: Peers", want: "gives 1 reason(s); give the answers on the way at least 2",
		},
		{
			name: "unknown field",
			old:  "    text: Who leads?\n", new: "    text: Who leads?\n    hint: Pick one.\n",
			at: "hint: Pick one.", want: `unknown field "hint"`,
		},
		{
			name: "question without text",
			old:  "    text: Who leads?\n", new: "",
			at: lead, want: `question "lead" has no text`,
		},
		{
			name: "text where a list belongs",
			old:  "steps: [Find one.]", new: "steps: Find one.",
			at: "steps: Find one.", want: "expected a list",
		},
		{
			name: "disclaimer missing",
			old:  "  disclaimer: This is not a diagnosis or professional advice.\n", new: "",
			at: "text:", want: "text.disclaimer is missing",
		},
		{
			name: "wrong version",
			old:  "version: 1", new: "version: 7",
			at: "version: 7", want: `version "7" is not one this supportbot reads`,
		},
		{
			name: "not YAML",
			old:  "questions:\n", new: "questions: [\n",
			at: "", want: "not valid YAML",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(validFlow, tc.old) {
				t.Fatalf("the test's old text %q is not in validFlow", tc.old)
			}
			flow := strings.Replace(validFlow, tc.old, tc.new, 1)
			if tc.old2 != "" {
				flow = strings.Replace(flow, tc.old2, tc.new2, 1)
			}
			line := -1 // any
			if tc.at != "" {
				i := strings.Index(flow, tc.at)
				if i < 0 {
					t.Fatalf("the test's marker %q is not in the changed flow", tc.at)
				}
				line = strings.Count(flow[:i], "\n") + 1
			}
			ps := Check(withTriage(t, flow))
			found := false
			for _, p := range ps {
				if p.File != TriageFile {
					t.Errorf("problem outside %s: %s", TriageFile, p)
				}
				if (line < 0 || p.Line == line) && strings.Contains(p.Msg, tc.want) {
					found = true
				}
			}
			if !found {
				t.Errorf("got problems:\n%v\nwant %s:%d: ...%s...", Problems(ps), TriageFile, line, tc.want)
			}
			if _, err := Load(withTriage(t, flow)); err == nil {
				t.Error("Load accepted the broken flow")
			}
		})
	}
}

// TestEmbeddedFlow checks the built-in triage.yaml and what the issue asks of
// it: the five outcomes, the safety question first.
func TestEmbeddedFlow(t *testing.T) {
	k, err := Load(Embedded())
	if err != nil {
		t.Fatalf("Load(Embedded()): %v", err)
	}
	f := k.Triage
	if len(f.Questions) == 0 || f.Questions[0].ID != "safety" {
		t.Fatalf("first question is not the safety question: %+v", f.Questions)
	}
	if len(f.Outcomes) != 5 {
		t.Errorf("got %d outcomes, want 5", len(f.Outcomes))
	}
	// The check cannot demand English words of a translated flow; the
	// built-in one must say it plainly.
	if !strings.Contains(f.Text.Disclaimer, "not a diagnosis or professional advice") {
		t.Errorf("the disclaimer does not say plainly that this is not a diagnosis or professional advice: %q", f.Text.Disclaimer)
	}
}
