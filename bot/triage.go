package bot

import (
	"strings"
	"time"

	"github.com/supportbot/supportbot/bot/crisis"
	"github.com/supportbot/supportbot/bot/textnorm"
)

// Flow is the triage as data: the few questions that help a person choose
// between a support group, group therapy and one-to-one therapy, loaded from the
// knowledge base (triage.yaml) so that curators change it without touching Go.
//
// The first question is asked first. Each answer ([FlowOption]) goes on to
// another question (Next), decides an outcome (Outcome), or both: an outcome
// decided early still lets a later question add reasons, steps and topic
// buttons. An answer without Next ends the triage with the last outcome decided
// on the way. [CheckFlow] says whether a flow holds together.
type Flow struct {
	Questions []FlowQuestion
	Outcomes  []FlowOutcome
	Text      FlowText

	// checked is the digest of the flow and its topics when [Flow.Check]
	// found nothing wrong with it, else 0: see [Flow.Check].
	checked uint64
}

// FlowQuestion is one question of a [Flow], answered with a button per option.
type FlowQuestion struct {
	ID      string // stable id, referred to by [FlowOption.Next]
	Text    string // the question, in markup
	Options []FlowOption
}

// FlowOption is one answer to a [FlowQuestion].
type FlowOption struct {
	Label   string   // the button label (at most [MaxLabelLen] characters)
	Typed   []string // what a person may type instead of pressing the button
	Reason  string   // shown at the outcome: why, in the person's own terms
	Step    string   // an extra next step shown at the outcome
	Links   []string // extra topic ids offered as buttons at the outcome
	Next    string   // the id of the next question; empty ends the triage
	Outcome string   // the outcome this answer decides, if any
}

// FlowOutcome is where a triage ends (see [TriageOutcomes]). The urgent-help
// outcome shows the crisis resources instead of these fields.
type FlowOutcome struct {
	ID             string
	Recommendation string   // the recommendation in one sentence (markup)
	Steps          []string // what to do next
	Links          []string // topic ids offered as buttons
}

// FlowText is the fixed wording around the questions.
type FlowText struct {
	Intro           string   // shown above the first question when the triage starts
	Back            string   // the label of the button that goes back one question
	StartAgain      string   // the label of the button that starts again
	Why             string   // the heading above the reasons
	NextSteps       string   // the heading above the steps
	Unclear         string   // a typed answer that could mean more than one option
	Disclaimer      string   // ends every outcome: not a diagnosis or professional advice
	BackTyped       []string // typed words that mean Back
	StartAgainTyped []string // typed words that mean Start again
}

// The triage outcome ids. They are counted in the usage stats, so they are a
// stable interface: curators may change their wording, not their ids.
const (
	OutcomeSupportGroup      = "support-group"
	OutcomeGroupTherapy      = "group-therapy"
	OutcomeIndividualTherapy = "individual-therapy" // one-to-one first
	OutcomeBoth              = "both"               // e.g. therapy plus a support group
	OutcomeUrgentHelp        = "urgent-help"        // the crisis resources, at once
)

// TriageOutcomes lists every triage outcome id in a stable order, for reports.
var TriageOutcomes = []string{
	OutcomeSupportGroup, OutcomeGroupTherapy, OutcomeIndividualTherapy, OutcomeBoth, OutcomeUrgentHelp,
}

// Limits of a [Flow], enforced by [CheckFlow].
const (
	// MaxFlowQuestions is the most questions asked on any path: the triage is
	// meant to be short.
	MaxFlowQuestions = 5
	// MaxFlowOptions is the most answers a question offers: with Back and Start
	// again that still fits a chat screen, and each answer encodes as one digit.
	MaxFlowOptions = 6
	// MinFlowReasons and MaxFlowReasons bound the reasons an outcome shows.
	MinFlowReasons = 2
	MaxFlowReasons = 3
	// maxFlowLinks is the most topic buttons under an outcome.
	maxFlowLinks = 4
	// maxFlowReplyLen is the longest rendered triage reply: one Discord message.
	maxFlowReplyLen = 2000
)

// Typed answers are remembered per conversation only so that "yes" or "peer
// led" can answer the question last shown; buttons carry the whole state.
const (
	triageMemorySize = 10000            // bounds memory whatever the traffic
	triageMemoryTTL  = 30 * time.Minute // a typed answer later than this starts over
)

// triage runs a [Flow]. Everything a button press needs is in the button's data
// (see triage_codec.go), so any instance, before or after a restart, continues
// where the person was.
type triage struct {
	b    *Bot
	flow Flow
	// next and outcome are each option's Next and Outcome resolved to indexes
	// (-1 for none), by question and option.
	next, outcome [][]int
	// typed holds each option's typed answers, normalised, by question and option.
	typed                 [][][]string
	backTyped, startTyped []string
	// print is the flow's fingerprint, part of every button's data: a button
	// made for a flow of another shape reads as expired, not as other answers.
	print  string
	memory *triageMemory
}

func newTriage(f Flow, b *Bot) (*triage, error) {
	// The knowledge loader has checked the flow already (reporting problems
	// by file and line): walking every path again would double the cost of
	// the check at every start. A flow built or changed by hand is checked.
	if !f.checkedWith(b.know.Topics) {
		if ps := CheckFlow(f, b.know.Topics); len(ps) > 0 {
			return nil, FlowError(ps)
		}
	}
	t := &triage{
		b:          b,
		flow:       f,
		print:      fingerprint(f),
		memory:     newTriageMemory(triageMemorySize, triageMemoryTTL),
		backTyped:  normalizeAll(f.Text.BackTyped),
		startTyped: normalizeAll(f.Text.StartAgainTyped),
	}
	qIndex, oIndex := f.indexes()
	for _, q := range f.Questions {
		next := make([]int, len(q.Options))
		outcome := make([]int, len(q.Options))
		typed := make([][]string, len(q.Options))
		for i, o := range q.Options {
			next[i], outcome[i] = -1, -1
			if o.Next != "" {
				next[i] = qIndex[o.Next]
			}
			if o.Outcome != "" {
				outcome[i] = oIndex[o.Outcome]
			}
			typed[i] = append(normalizeAll(o.Typed), textnorm.Normalize(textnorm.Sanitize(o.Label)))
		}
		t.next = append(t.next, next)
		t.outcome = append(t.outcome, outcome)
		t.typed = append(t.typed, typed)
	}
	return t, nil
}

// indexes maps question and outcome ids to their index.
func (f Flow) indexes() (questions, outcomes map[string]int) {
	questions = make(map[string]int, len(f.Questions))
	for i, q := range f.Questions {
		if _, dup := questions[q.ID]; !dup {
			questions[q.ID] = i
		}
	}
	outcomes = make(map[string]int, len(f.Outcomes))
	for i, o := range f.Outcomes {
		if _, dup := outcomes[o.ID]; !dup {
			outcomes[o.ID] = i
		}
	}
	return questions, outcomes
}

func normalizeAll(ss []string) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		if n := textnorm.Normalize(textnorm.Sanitize(s)); n != "" {
			out = append(out, n)
		}
	}
	return out
}

// position is where a sequence of answers leads: to a question still to answer,
// or to the end of the triage.
type position struct {
	answers  string // one digit per answer given, the option's index
	question int    // the question to answer now, or -1 at the end
	outcome  int    // the last outcome decided on the way, or -1
	// path lists the options chosen, for the reasons, steps and links.
	path []*FlowOption
}

// walk follows answers (one digit per answer) from the first question. ok is
// false for answers this flow cannot have produced: a digit out of range, an
// answer after the end, or a path too long.
func (t *triage) walk(answers string) (position, bool) {
	p := position{answers: answers, question: 0, outcome: -1}
	if len(answers) > MaxFlowQuestions {
		return position{}, false
	}
	for i := 0; i < len(answers); i++ {
		if p.question < 0 {
			return position{}, false // an answer after the end
		}
		c := answers[i]
		q := p.question
		if c < '0' || c > '9' || int(c-'0') >= len(t.flow.Questions[q].Options) {
			return position{}, false
		}
		o := int(c - '0')
		p.path = append(p.path, &t.flow.Questions[q].Options[o])
		if t.outcome[q][o] >= 0 {
			p.outcome = t.outcome[q][o]
		}
		p.question = t.next[q][o]
	}
	return p, true
}

// handleData answers button data that belongs to the triage (including
// DataTriage, which starts it). ok is false for data that is not the triage's.
func (t *triage) handleData(m Message, ev *Event) (Reply, bool) {
	if m.Data == DataTriage {
		ev.TriageStarted = true
		p, _ := t.walk("")
		return t.reply(p, ev, true), true
	}
	answers, mine, ok := t.decode(m.Data)
	if !mine {
		return Reply{}, false
	}
	var p position
	if ok {
		p, ok = t.walk(answers)
	}
	if !ok {
		// Forged, damaged, or made for a flow that has changed shape since.
		ev.Err = ErrorKindForgedPayload
		t.memory.forget(ev.Session)
		return t.expired(), true
	}
	r := t.reply(p, ev, false)
	r.Replace = true
	return r, true
}

// handleText answers typed text when the conversation is in the middle of the
// triage and the text reads as an answer to the question shown. norm is the
// normalised text (see normalize).
func (t *triage) handleText(m Message, norm string, ev *Event) (Reply, bool) {
	answers, ok := t.memory.get(ev.Session, t.b.now())
	if !ok {
		return Reply{}, false
	}
	p, ok := t.walk(answers)
	if !ok || p.question < 0 {
		t.memory.forget(ev.Session)
		return Reply{}, false
	}
	// norm went through textnorm.Normalize(textnorm.Sanitize(…)) in the core, the same steps as
	// the aliases it is compared with (normalizeAll).
	switch act, o := t.understand(p, norm); act {
	case typedOption:
		np, _ := t.walk(answers + string(rune('0'+o)))
		return t.reply(np, ev, false), true
	case typedBack:
		if len(answers) > 0 {
			answers = answers[:len(answers)-1]
		}
		np, _ := t.walk(answers)
		return t.reply(np, ev, false), true
	case typedStartAgain:
		ev.TriageStarted = true
		np, _ := t.walk("")
		return t.reply(np, ev, true), true
	case typedUnclear:
		r := t.reply(p, ev, false)
		r.Text = strings.TrimSpace(t.flow.Text.Unclear) + "\n\n" + r.Text
		return r, true
	}
	// Not an answer: the person has moved on (a question, thanks). Let the core
	// answer, and stop reading later words as answers to an old question; an
	// emoji or a stray "?" alone is no reason to forget.
	if textnorm.HasLetters(norm) {
		t.memory.forget(ev.Session)
	}
	return Reply{}, false
}

// reply shows a position: the question to answer, or the outcome. It remembers
// the question per conversation for typed answers.
func (t *triage) reply(p position, ev *Event, intro bool) Reply {
	if p.question < 0 {
		t.memory.forget(ev.Session)
		out := &t.flow.Outcomes[p.outcome]
		ev.TriageOutcome = out.ID
		if out.ID == OutcomeUrgentHelp {
			// The person said so with a button: no words to read a language
			// or a third person from.
			r := t.b.crisisReply(crisis.Finding{Crisis: true, Lang: "en"})
			r.Choices = append(r.Choices, Choice{Label: t.flow.Text.StartAgain, Data: DataTriage})
			return r
		}
		return Reply{Kind: KindTriage, Text: renderOutcome(t.flow, out, p.path), Choices: t.outcomeChoices(out, p)}
	}
	t.memory.put(ev.Session, p.answers, t.b.now())
	ev.TriageStep = len(p.answers) + 1
	return Reply{Kind: KindTriage, Text: t.questionText(p, intro), Choices: t.questionChoices(p)}
}

func (t *triage) questionText(p position, intro bool) string {
	q := strings.TrimSpace(t.flow.Questions[p.question].Text)
	if intro {
		return strings.TrimSpace(t.flow.Text.Intro) + "\n\n" + q
	}
	return q
}

// questionChoices are a question's answers, then Back (from the second question
// on: there is nothing before the first) and Start again. Typed numbers count
// in this order too.
func (t *triage) questionChoices(p position) []Choice {
	q := &t.flow.Questions[p.question]
	ch := make([]Choice, 0, len(q.Options)+2)
	for i, o := range q.Options {
		ch = append(ch, Choice{Label: o.Label, Data: t.encode(p.answers + string(rune('0'+i)))})
	}
	if len(p.answers) > 0 {
		ch = append(ch, Choice{Label: t.flow.Text.Back, Data: t.encode(p.answers[:len(p.answers)-1])})
	}
	return append(ch, Choice{Label: t.flow.Text.StartAgain, Data: DataTriage})
}

// outcomeChoices are the related topics (those the answers added first, then
// the outcome's own), Back to change the last answer, and Start again.
func (t *triage) outcomeChoices(out *FlowOutcome, p position) []Choice {
	var ch []Choice
	for _, id := range outcomeLinks(out, p.path) {
		if tp, ok := t.b.topics[id]; ok {
			ch = append(ch, Choice{Label: tp.Title, Data: DataTopicPrefix + id})
		}
	}
	ch = append(ch, Choice{Label: t.flow.Text.Back, Data: t.encode(p.answers[:len(p.answers)-1])})
	return append(ch, Choice{Label: t.flow.Text.StartAgain, Data: DataTriage})
}

// outcomeLinks are the topic ids offered under an outcome, without repeats.
func outcomeLinks(out *FlowOutcome, path []*FlowOption) []string {
	var ids []string
	seen := map[string]bool{}
	add := func(id string) {
		if !seen[id] && len(ids) < maxFlowLinks {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	for _, o := range path {
		for _, id := range o.Links {
			add(id)
		}
	}
	for _, id := range out.Links {
		add(id)
	}
	return ids
}

// renderOutcome writes an outcome: the recommendation, the reasons taken from
// the answers, the next steps, and the disclaimer.
func renderOutcome(f Flow, out *FlowOutcome, path []*FlowOption) string {
	var s strings.Builder
	s.WriteString(strings.TrimSpace(out.Recommendation))
	if reasons := flowReasons(path); len(reasons) > 0 {
		s.WriteString("\n\n**" + strings.TrimSpace(f.Text.Why) + "**")
		for _, r := range reasons {
			s.WriteString("\n- " + strings.TrimSpace(r))
		}
	}
	s.WriteString("\n\n**" + strings.TrimSpace(f.Text.NextSteps) + "**")
	for _, st := range out.Steps {
		s.WriteString("\n- " + strings.TrimSpace(st))
	}
	for _, o := range path {
		if st := strings.TrimSpace(o.Step); st != "" {
			s.WriteString("\n- " + st)
		}
	}
	s.WriteString("\n\n" + strings.TrimSpace(f.Text.Disclaimer))
	return s.String()
}

// flowReasons are the reasons of the answers on a path, in the order given.
func flowReasons(path []*FlowOption) []string {
	var rs []string
	for _, o := range path {
		if r := strings.TrimSpace(o.Reason); r != "" {
			rs = append(rs, r)
		}
	}
	return rs
}

// expired is the reply to triage button data the bot cannot read any more.
func (t *triage) expired() Reply {
	return Reply{
		Kind:    KindFallback,
		Text:    t.b.message("expired"),
		Choices: []Choice{{Label: t.flow.Text.StartAgain, Data: DataTriage}},
	}
}
