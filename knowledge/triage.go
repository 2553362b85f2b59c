package knowledge

import (
	"io/fs"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/supportbot/supportbot/bot"
)

// TriageVersion is the version of triage.yaml's format this loader reads.
const TriageVersion = 1

// The fields of triage.yaml, at each level, for messages about unknown ones.
var (
	triageFields   = []string{"version", "text", "questions", "outcomes"}
	textFields     = []string{"intro", "back", "start_again", "why", "next_steps", "unclear", "disclaimer", "back_typed", "start_again_typed"}
	questionFields = []string{"id", "text", "options"}
	optionFields   = []string{"label", "typed", "reason", "step", "links", "next", "outcome"}
	outcomeFields  = []string{"id", "recommendation", "steps", "links"}
)

// triage reads triage.yaml into the core's flow, then lets the core check that
// it holds together ([bot.Flow.Check]: paths, loops, limits, links), reporting
// each problem at its line. A flow that passes is marked checked, so that
// bot.New does not walk its paths a second time.
func (l *loader) triage(fsys fs.FS, topics []bot.Topic) bot.Flow {
	root, ok := l.readYAML(fsys, TriageFile)
	if !ok {
		return bot.Flow{}
	}
	r := triageReader{l: l}
	top := r.fields(root, triageFields)
	if top == nil {
		return bot.Flow{}
	}
	r.root = root
	var f bot.Flow
	if v, ok := top["version"]; !ok {
		l.add(TriageFile, root.Line, "version is missing: add `version: %d`", TriageVersion)
	} else if v.Value != "1" {
		l.add(TriageFile, v.Line, "version %q is not one this supportbot reads (%d)", v.Value, TriageVersion)
	}
	if n, ok := top["text"]; ok {
		r.text = n
		tf := r.fields(n, textFields)
		f.Text = bot.FlowText{
			Intro:           r.str(tf["intro"]),
			Back:            r.str(tf["back"]),
			StartAgain:      r.str(tf["start_again"]),
			Why:             r.str(tf["why"]),
			NextSteps:       r.str(tf["next_steps"]),
			Unclear:         r.str(tf["unclear"]),
			Disclaimer:      r.str(tf["disclaimer"]),
			BackTyped:       r.strs(tf["back_typed"]),
			StartAgainTyped: r.strs(tf["start_again_typed"]),
		}
	}
	for _, qn := range r.list(top["questions"]) {
		r.questions = append(r.questions, qn)
		qf := r.fields(qn, questionFields)
		q := bot.FlowQuestion{ID: r.str(qf["id"]), Text: r.str(qf["text"])}
		var opts []*yaml.Node
		for _, on := range r.list(qf["options"]) {
			opts = append(opts, on)
			of := r.fields(on, optionFields)
			q.Options = append(q.Options, bot.FlowOption{
				Label:   r.str(of["label"]),
				Typed:   r.strs(of["typed"]),
				Reason:  r.str(of["reason"]),
				Step:    r.str(of["step"]),
				Links:   r.strs(of["links"]),
				Next:    r.str(of["next"]),
				Outcome: r.str(of["outcome"]),
			})
		}
		r.options = append(r.options, opts)
		f.Questions = append(f.Questions, q)
	}
	for _, on := range r.list(top["outcomes"]) {
		r.outcomes = append(r.outcomes, on)
		of := r.fields(on, outcomeFields)
		f.Outcomes = append(f.Outcomes, bot.FlowOutcome{
			ID:             r.str(of["id"]),
			Recommendation: r.str(of["recommendation"]),
			Steps:          r.strs(of["steps"]),
			Links:          r.strs(of["links"]),
		})
	}
	for _, p := range f.Check(topics) {
		l.add(TriageFile, r.line(p), "%s", p.Msg)
	}
	return f
}

// triageReader reads triage.yaml's nodes, keeping them to locate problems.
type triageReader struct {
	l         *loader
	root      *yaml.Node
	text      *yaml.Node
	questions []*yaml.Node
	options   [][]*yaml.Node // by question
	outcomes  []*yaml.Node
}

// fields returns a mapping's values by key, reporting keys it does not know.
func (r *triageReader) fields(n *yaml.Node, known []string) map[string]*yaml.Node {
	n = resolve(n)
	m := r.l.mapping(TriageFile, n)
	if m == nil {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if !slices.Contains(known, k.Value) {
			r.l.add(TriageFile, k.Line, "unknown field %q (known here: %s)", k.Value, strings.Join(known, ", "))
		}
	}
	return m
}

// str reads a text value; a missing one is "" (CheckFlow says if it matters).
func (r *triageReader) str(n *yaml.Node) string {
	n = resolve(n)
	if n == nil || n.Tag == "!!null" {
		return ""
	}
	if n.Kind != yaml.ScalarNode {
		r.l.add(TriageFile, n.Line, "expected text here, not a list or a mapping")
		return ""
	}
	return n.Value
}

// strs reads a list of texts, like `[finding, cost]`.
func (r *triageReader) strs(n *yaml.Node) []string {
	n = resolve(n)
	if n == nil || n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.l.add(TriageFile, n.Line, "expected a list, like [finding, cost]")
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		c = resolve(c)
		if c.Kind != yaml.ScalarNode {
			r.l.add(TriageFile, c.Line, "expected text in this list")
			continue
		}
		out = append(out, c.Value)
	}
	return out
}

// list reads a list of mappings (questions, options, outcomes).
func (r *triageReader) list(n *yaml.Node) []*yaml.Node {
	n = resolve(n)
	if n == nil {
		return nil
	}
	if n.Kind != yaml.SequenceNode {
		r.l.add(TriageFile, n.Line, "expected a list of items, each starting with `- `")
		return nil
	}
	return n.Content
}

// line finds the line a problem of the flow is about: the field of the answer,
// question or outcome it names, or failing that the item itself.
func (r *triageReader) line(p bot.FlowProblem) int {
	switch {
	case p.Question >= 0 && p.Question < len(r.questions):
		if p.Option >= 0 && p.Option < len(r.options[p.Question]) {
			return fieldLine(r.options[p.Question][p.Option], p.Field)
		}
		return fieldLine(r.questions[p.Question], p.Field)
	case p.Outcome >= 0 && p.Outcome < len(r.outcomes):
		return fieldLine(r.outcomes[p.Outcome], p.Field)
	}
	if sub, ok := strings.CutPrefix(p.Field, "text."); ok {
		if r.text != nil && hasField(r.text, sub) {
			return fieldLine(r.text, sub)
		}
		return fieldLine(r.root, "text")
	}
	return fieldLine(r.root, p.Field)
}

func hasField(n *yaml.Node, field string) bool {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == field {
				return true
			}
		}
	}
	return false
}

// resolve follows a YAML alias (*name) to the node it names, so a curator may
// reuse a piece of the flow with an anchor (&name).
func resolve(n *yaml.Node) *yaml.Node {
	if n != nil && n.Kind == yaml.AliasNode && n.Alias != nil {
		return n.Alias
	}
	return n
}

// fieldLine is the line of a mapping's field, or of the mapping itself.
func fieldLine(n *yaml.Node, field string) int {
	if n.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == field {
				return n.Content[i].Line
			}
		}
	}
	return n.Line
}
