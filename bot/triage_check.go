package bot

import (
	"encoding/binary"
	"fmt"
	"hash/maphash"
	"regexp"
	"strings"

	"github.com/supportbot/supportbot/bot/textnorm"
)

// FlowProblem is one thing wrong with a [Flow], located by index so that the
// knowledge loader can point a curator at the line of triage.yaml.
type FlowProblem struct {
	Question int    // index into Flow.Questions, or -1
	Option   int    // index into that question's Options, or -1
	Outcome  int    // index into Flow.Outcomes, or -1
	Field    string // the field at fault ("label", "next", "text.back", …), or ""
	Msg      string
}

// String says where the problem is by question, answer or outcome number, for
// the error of [New]; the knowledge loader reports file lines instead.
func (p FlowProblem) String() string {
	switch {
	case p.Question >= 0 && p.Option >= 0:
		return fmt.Sprintf("question %d, answer %d: %s", p.Question+1, p.Option+1, p.Msg)
	case p.Question >= 0:
		return fmt.Sprintf("question %d: %s", p.Question+1, p.Msg)
	case p.Outcome >= 0:
		return fmt.Sprintf("outcome %d: %s", p.Outcome+1, p.Msg)
	}
	return p.Msg
}

// FlowError is the error [New] returns for a flow that does not hold together.
type FlowError []FlowProblem

// Error lists the problems, separated by semicolons.
func (e FlowError) Error() string {
	s := make([]string, len(e))
	for i, p := range e {
		s[i] = p.String()
	}
	return strings.Join(s, "; ")
}

var flowID = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)

// CheckFlow reports every problem with a flow: what a curator must fix before
// the bot can run it. topics are the knowledge base's topics, which outcomes
// and answers may link to. It checks that
//
//   - the first question sends "yes, I am in danger" straight to urgent-help;
//   - every path ends in an outcome and asks at most [MaxFlowQuestions]
//     questions, with no loops;
//   - every question and every outcome is reachable;
//   - every path to a recommendation gives [MinFlowReasons] to [MaxFlowReasons]
//     reasons;
//   - every outcome of [TriageOutcomes] is defined once, and every link names a
//     topic;
//   - labels fit a button, and no text is missing.
func CheckFlow(f Flow, topics []Topic) []FlowProblem {
	c := flowChecker{f: f, topics: map[string]bool{}, seen: map[string]bool{}}
	for _, t := range topics {
		c.topics[t.ID] = true
	}
	c.text()
	c.outcomes()
	c.questions()
	if len(f.Questions) > 0 {
		c.paths()
	}
	return c.problems
}

// Check reports what [CheckFlow] reports and, when nothing is wrong, marks f as
// checked against these topics, so that [New] trusts it instead of walking
// every path again. The mark holds a digest of the flow's content and the topic
// ids: a flow or topics changed after the check no longer match it, and New
// checks them anew.
func (f *Flow) Check(topics []Topic) []FlowProblem {
	f.checked = 0
	ps := CheckFlow(*f, topics)
	if len(ps) == 0 {
		f.checked = flowDigest(*f, topics)
	}
	return ps
}

// checkedWith reports whether [Flow.Check] found nothing wrong with f as it is
// now, against topics as they are now.
func (f Flow) checkedWith(topics []Topic) bool {
	return f.checked != 0 && f.checked == flowDigest(f, topics)
}

// digestSeed keys the digests of [Flow.Check]: they are compared within one
// process only.
var digestSeed = maphash.MakeSeed()

// flowDigest hashes everything [CheckFlow] looks at: every text of the flow
// and the topic ids its links may name. Each value is written with its length,
// so that moving text from one field to the next changes the digest. It costs
// microseconds where the check renders every path. It is never 0.
func flowDigest(f Flow, topics []Topic) uint64 {
	var h maphash.Hash
	h.SetSeed(digestSeed)
	var buf [binary.MaxVarintLen64]byte
	count := func(n int) { h.Write(binary.AppendUvarint(buf[:0], uint64(n))) }
	put := func(ss ...string) {
		for _, s := range ss {
			count(len(s))
			h.WriteString(s)
		}
	}
	list := func(ss []string) {
		count(len(ss))
		put(ss...)
	}
	t := f.Text
	put(t.Intro, t.Back, t.StartAgain, t.Why, t.NextSteps, t.Unclear, t.Disclaimer)
	list(t.BackTyped)
	list(t.StartAgainTyped)
	count(len(f.Questions))
	for _, q := range f.Questions {
		put(q.ID, q.Text)
		count(len(q.Options))
		for _, o := range q.Options {
			put(o.Label, o.Reason, o.Step, o.Next, o.Outcome)
			list(o.Typed)
			list(o.Links)
		}
	}
	count(len(f.Outcomes))
	for _, o := range f.Outcomes {
		put(o.ID, o.Recommendation)
		list(o.Steps)
		list(o.Links)
	}
	count(len(topics))
	for _, tp := range topics {
		put(tp.ID)
	}
	return h.Sum64() | 1 // never 0, which means unchecked
}

type flowChecker struct {
	f        Flow
	topics   map[string]bool
	problems []FlowProblem
	seen     map[string]bool // problems already reported, as many paths share one
	qIndex   map[string]int
	oIndex   map[string]int
}

func (c *flowChecker) add(q, o, out int, field, format string, args ...any) {
	p := FlowProblem{Question: q, Option: o, Outcome: out, Field: field, Msg: fmt.Sprintf(format, args...)}
	key := fmt.Sprint(p)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.problems = append(c.problems, p)
}

func (c *flowChecker) label(q, o int, field, label string) {
	switch n := len([]rune(strings.TrimSpace(label))); {
	case n == 0:
		c.add(q, o, -1, field, "%s is empty: every button needs a label", field)
	case n > MaxLabelLen:
		c.add(q, o, -1, field, "%s is %d characters; a button allows %d: shorten it", field, n, MaxLabelLen)
	}
}

func (c *flowChecker) text() {
	t := c.f.Text
	for _, s := range []struct{ field, val string }{
		{"text.intro", t.Intro}, {"text.why", t.Why}, {"text.next_steps", t.NextSteps},
		{"text.unclear", t.Unclear}, {"text.disclaimer", t.Disclaimer},
	} {
		if strings.TrimSpace(s.val) == "" {
			c.add(-1, -1, -1, s.field, "%s is missing or empty", s.field)
		}
	}
	c.label(-1, -1, "text.back", t.Back)
	c.label(-1, -1, "text.start_again", t.StartAgain)
}

func (c *flowChecker) outcomes() {
	known := map[string]bool{}
	for _, id := range TriageOutcomes {
		known[id] = true
	}
	c.oIndex = map[string]int{}
	for i, o := range c.f.Outcomes {
		switch {
		case !known[o.ID]:
			c.add(-1, -1, i, "id", "outcome %q is not one of %s (the stats count these ids)", o.ID, strings.Join(TriageOutcomes, ", "))
			continue
		case c.hasOutcome(o.ID):
			c.add(-1, -1, i, "id", "outcome %q is defined twice", o.ID)
			continue
		}
		c.oIndex[o.ID] = i
		if o.ID == OutcomeUrgentHelp {
			if o.Recommendation != "" || len(o.Steps) > 0 || len(o.Links) > 0 {
				c.add(-1, -1, i, "id", "urgent-help shows the crisis resources of crisis.yaml: give it only an id")
			}
			continue
		}
		if strings.TrimSpace(o.Recommendation) == "" {
			c.add(-1, -1, i, "recommendation", "outcome %q needs a recommendation (one sentence)", o.ID)
		}
		if len(o.Steps) == 0 {
			c.add(-1, -1, i, "steps", "outcome %q needs at least one next step", o.ID)
		}
		for _, s := range o.Steps {
			if strings.TrimSpace(s) == "" {
				c.add(-1, -1, i, "steps", "outcome %q has an empty step", o.ID)
			}
		}
		c.links(-1, -1, i, o.Links)
	}
	for _, id := range TriageOutcomes {
		if !c.hasOutcome(id) {
			c.add(-1, -1, -1, "outcomes", "outcome %q is missing: add it under outcomes", id)
		}
	}
}

func (c *flowChecker) hasOutcome(id string) bool {
	_, ok := c.oIndex[id]
	return ok
}

func (c *flowChecker) links(q, o, out int, links []string) {
	for _, id := range links {
		if !c.topics[id] {
			c.add(q, o, out, "links", "linked topic %q does not exist (links name topic ids, like finding or cost)", id)
		}
	}
}

func (c *flowChecker) questions() {
	if len(c.f.Questions) == 0 {
		c.add(-1, -1, -1, "questions", "there are no questions")
		return
	}
	c.qIndex = map[string]int{}
	for i, q := range c.f.Questions {
		switch {
		case !flowID.MatchString(q.ID):
			c.add(i, -1, -1, "id", "question id %q: use lower-case letters, digits and dashes, like cost-worry", q.ID)
		case c.hasQuestion(q.ID):
			c.add(i, -1, -1, "id", "question id %q is used twice", q.ID)
		default:
			c.qIndex[q.ID] = i
		}
	}
	for i, q := range c.f.Questions {
		if strings.TrimSpace(q.Text) == "" {
			c.add(i, -1, -1, "text", "question %q has no text", q.ID)
		}
		if n := len(q.Options); n < 2 || n > MaxFlowOptions {
			c.add(i, -1, -1, "options", "question %q has %d answers; give it 2 to %d", q.ID, n, MaxFlowOptions)
		}
		typedBy := map[string]int{}
		labels := map[string]bool{}
		for j, o := range q.Options {
			c.label(i, j, "label", o.Label)
			if l := strings.ToLower(strings.TrimSpace(o.Label)); labels[l] {
				c.add(i, j, -1, "label", "label %q appears twice in question %q", o.Label, q.ID)
			} else {
				labels[l] = true
			}
			for _, w := range append(normalizeAll(o.Typed), textnorm.Normalize(textnorm.Sanitize(o.Label))) {
				if k, dup := typedBy[w]; dup && k != j {
					c.add(i, j, -1, "typed", "typing %q would mean two answers of question %q (%d and %d): keep it for one", w, q.ID, k+1, j+1)
				}
				typedBy[w] = j
			}
			for _, w := range o.Typed {
				if textnorm.Normalize(textnorm.Sanitize(w)) == "" {
					c.add(i, j, -1, "typed", "typed answer %q has no words in it", w)
				}
			}
			if o.Next != "" && !c.hasQuestion(o.Next) {
				c.add(i, j, -1, "next", "next question %q does not exist", o.Next)
			}
			if o.Outcome != "" && !c.hasOutcome(o.Outcome) {
				c.add(i, j, -1, "outcome", "outcome %q does not exist (known: %s)", o.Outcome, strings.Join(TriageOutcomes, ", "))
			}
			if o.Outcome == OutcomeUrgentHelp && o.Next != "" {
				c.add(i, j, -1, "next", "an answer that leads to urgent-help must end the triage there: remove next")
			}
			c.links(i, j, -1, o.Links)
		}
	}
	first := c.f.Questions[0]
	safe := false
	for _, o := range first.Options {
		if o.Outcome == OutcomeUrgentHelp && o.Next == "" {
			safe = true
		}
	}
	if !safe {
		c.add(0, -1, -1, "options", "the first question must ask whether the person is in danger now, with an answer whose outcome is urgent-help")
	}
}

func (c *flowChecker) hasQuestion(id string) bool {
	_, ok := c.qIndex[id]
	return ok
}

// paths walks every path from the first question. Options beyond
// MaxFlowOptions are already reported and not walked, which bounds the walk to
// MaxFlowOptions^MaxFlowQuestions paths.
func (c *flowChecker) paths() {
	reachedQ := make([]bool, len(c.f.Questions))
	reachedO := make([]bool, len(c.f.Outcomes))
	onPath := make([]bool, len(c.f.Questions))
	var path []*FlowOption
	broken := false // a loop or a path too long cut the walk short
	var walk func(q, depth, outcome int)
	walk = func(q, depth, outcome int) {
		reachedQ[q] = true
		onPath[q] = true
		defer func() { onPath[q] = false }()
		opts := c.f.Questions[q].Options
		if len(opts) > MaxFlowOptions {
			opts = opts[:MaxFlowOptions]
		}
		for j := range opts {
			o := &opts[j]
			decided := outcome
			if i, ok := c.oIndex[o.Outcome]; ok {
				decided = i
			}
			path = append(path, o)
			next, hasNext := c.qIndex[o.Next]
			switch {
			case o.Next != "" && !hasNext:
				// Reported already: a next question that does not exist.
			case hasNext && onPath[next]:
				broken = true
				c.add(q, j, -1, "next", "next question %q is already on this path, which makes a loop: point next at a later question, or end with an outcome", o.Next)
			case hasNext && depth+1 > MaxFlowQuestions:
				broken = true
				c.add(q, j, -1, "next", "this answer leads to question %d on one path; ask at most %d questions on any path", depth+1, MaxFlowQuestions)
			case hasNext:
				walk(next, depth+1, decided)
			case decided < 0:
				c.add(q, j, -1, "outcome", "this answer ends the triage, but no outcome has been decided on the way: add outcome (or next)")
			default:
				reachedO[decided] = true
				c.end(q, j, decided, path)
			}
			path = path[:len(path)-1]
		}
	}
	walk(0, 1, -1)
	// A broken path (a missing next question, a loop, a path too long) leaves
	// what lies behind it unreached: report the cause, not each consequence.
	broken = broken || c.brokenNext()
	referenced := map[string]bool{}
	for _, q := range c.f.Questions {
		for _, o := range q.Options {
			referenced[o.Next] = true
		}
	}
	unreached := false
	for i, ok := range reachedQ {
		id := c.f.Questions[i].ID
		switch {
		case ok || i == 0:
		case !referenced[id]:
			unreached = true
			c.add(i, -1, -1, "id", "question %q is never asked: no answer leads to it (give an answer `next: %s`, or remove it)", id, id)
		case !broken:
			unreached = true
			c.add(i, -1, -1, "id", "question %q is never asked: the answers that lead to it are never reached", id)
		}
	}
	if broken || unreached {
		return
	}
	for i, ok := range reachedO {
		if id := c.f.Outcomes[i].ID; !ok && c.hasOutcome(id) && c.oIndex[id] == i {
			c.add(-1, -1, i, "id", "outcome %q is never reached: no path ends there", c.f.Outcomes[i].ID)
		}
	}
}

// brokenNext reports whether any answer names a next question that does not
// exist (reported by questions).
func (c *flowChecker) brokenNext() bool {
	for _, q := range c.f.Questions {
		for _, o := range q.Options {
			if o.Next != "" && !c.hasQuestion(o.Next) {
				return true
			}
		}
	}
	return false
}

// end checks the outcome a path ends in: its reasons and its length.
func (c *flowChecker) end(q, j, outcome int, path []*FlowOption) {
	out := &c.f.Outcomes[outcome]
	if out.ID == OutcomeUrgentHelp {
		return
	}
	switch n := len(flowReasons(path)); {
	case n < MinFlowReasons:
		c.add(q, j, -1, "", "a path ending here at %q gives %d reason(s); give the answers on the way at least %d", out.ID, n, MinFlowReasons)
	case n > MaxFlowReasons:
		c.add(q, j, -1, "", "a path ending here at %q gives %d reasons; at most %d are shown well: drop some answers' reason", out.ID, n, MaxFlowReasons)
	}
	if n := len([]rune(Plain(renderOutcome(c.f, out, path)))); n > maxFlowReplyLen {
		c.add(q, j, -1, "", "a path ending here at %q makes a reply of %d characters; one message holds %d: shorten its steps", out.ID, n, maxFlowReplyLen)
	}
}
