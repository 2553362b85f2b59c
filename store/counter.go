package store

import (
	"strconv"
	"strings"

	"github.com/supportbot/supportbot/bot"
)

// Counter is one count the store keeps: how it is derived from a [bot.Event],
// the name its rows carry and what it means. [Counters] lists them all, and the
// writer, the [Report] (text and JSON) and the Prometheus metrics of
// `supportbot run` all read that one list: a new counter is one more entry
// there, and nothing else.
//
// A counter's key is never text a person wrote nor an id of a person.
type Counter struct {
	// Name is the metric column of the counter's rows in the counts table. It
	// is stored: renaming a counter orphans the counts already written.
	Name string
	// Help says in one sentence what is counted. It is the help text on
	// /metrics and, for a counter without a section of its own, its line in the
	// text report.
	Help string
	// Label names what the counter is split by ("kind", "topic"); empty for a
	// plain count. It is the label's name on /metrics.
	Label string
	// Of derives the counter from one event: the key to count it under ("" for
	// a plain count) and whether the event counts at all. It is nil for the
	// counters the writer keeps itself because one event is not enough to
	// tell (sessions, dropped events).
	Of func(e bot.Event) (key string, ok bool)
	// Metric is the counter's name on /metrics; empty keeps it off /metrics.
	// Every series there is also split by platform.
	Metric string
	// Keys are the keys known in advance. A counter on /metrics with a Label
	// needs them: each starts at zero for every platform served, and any other
	// key counts as "other", so that no label grows without bound.
	Keys []string

	// fold adds n counts of key from one row of platform, on day d (nil when
	// the row is outside the report's days), to the report's own fields. A
	// counter without fold is reported under [Report.Counters] by its Name.
	fold func(r *Report, platform, key string, n int64, d *Day)
}

// The counters the writer also counts itself, outside [Counter.Of].
const (
	mSessions = "sessions" // a session started: needs the writer's memory of conversations
	mError    = "error"    // the store's own write failures are counted as errors too
	mDropped  = "dropped"  // events the store had to drop never reach Of
)

// Counters is every count the store keeps, in the order the writer counts
// them. To count something new, add an entry here (and, if it needs one, a
// field to [bot.Event]); the report shows it under Counters and /metrics
// exports it when it has a Metric.
var Counters = []Counter{
	{
		Name: "messages",
		Help: "Messages handled.",
		Of:   func(e bot.Event) (string, bool) { return "", handled(e) },
		fold: func(r *Report, platform, _ string, n int64, d *Day) {
			r.Messages += n
			r.ByPlatform[platform] += n
			if d != nil {
				d.Messages += n
			}
		},
	},
	{
		Name: mSessions,
		Help: "Sessions started: a conversation's first message, or its first after SessionGap of silence.",
		fold: func(r *Report, _, _ string, n int64, d *Day) {
			r.Sessions += n
			if d != nil {
				d.Sessions += n
			}
		},
	},
	{
		Name:   "kind",
		Help:   "Messages answered, by platform and reply kind.",
		Label:  "kind",
		Of:     func(e bot.Event) (string, bool) { return string(e.Kind), handled(e) },
		Metric: "supportbot_replies_total",
		Keys:   kindKeys,
		fold:   func(r *Report, _, key string, n int64, _ *Day) { r.ByKind[key] += n },
	},
	{
		Name:  "topic",
		Help:  "Answers by topic id.",
		Label: "topic",
		Of:    func(e bot.Event) (string, bool) { return e.Topic, handled(e) && e.Topic != "" },
		fold:  func(r *Report, _, key string, n int64, _ *Day) { r.ByTopic[key] += n },
	},
	{
		Name: "clarify",
		Help: "Times the matcher asked which of two close topics was meant.",
		Of:   func(e bot.Event) (string, bool) { return "", handled(e) && e.Clarify },
		fold: func(r *Report, _, _ string, n int64, _ *Day) { r.Clarifications += n },
	},
	{
		Name: "triage_started",
		Help: "Triages begun.",
		Of:   func(e bot.Event) (string, bool) { return "", handled(e) && e.TriageStarted },
		fold: func(r *Report, _, _ string, n int64, _ *Day) { r.Triage.Started += n },
	},
	{
		Name:  "triage_step",
		Help:  "Triage questions shown, by step number (1-based).",
		Label: "step",
		Of: func(e bot.Event) (string, bool) {
			if !handled(e) || e.TriageStep <= 0 {
				return "", false
			}
			return stepKeys[min(e.TriageStep, maxTriageStepNo)], true
		},
		fold: (*Report).addStep,
	},
	{
		Name:  "triage_outcome",
		Help:  "Triages completed, by the outcome they ended in.",
		Label: "outcome",
		Of:    func(e bot.Event) (string, bool) { return e.TriageOutcome, handled(e) && e.TriageOutcome != "" },
		fold: func(r *Report, _, key string, n int64, _ *Day) {
			r.Triage.Completed += n
			r.Triage.Outcomes[key] += n
		},
	},
	{
		Name:   mError,
		Help:   "Failures reported by the core and the adapters, by platform and kind (forged_payload, platform_api, store, panic).",
		Label:  "kind",
		Of:     func(e bot.Event) (string, bool) { return string(e.Err), e.Err != "" },
		Metric: "supportbot_failures_total",
		Keys: []string{string(bot.ErrorKindForgedPayload), string(bot.ErrorKindPlatformAPI),
			string(bot.ErrorKindStore), string(bot.ErrorKindPanic)},
		fold: func(r *Report, _, key string, n int64, _ *Day) { r.Errors[key] += n },
	},
	{
		Name: mDropped,
		Help: "Events dropped on a full queue or after close.",
		fold: func(r *Report, _, _ string, n int64, _ *Day) { r.Dropped += n },
	},
}

// handled reports whether e is a handled message (and not only a failure).
func handled(e bot.Event) bool { return e.Kind != "" }

// counterNamed returns the counter whose rows are named name, or nil for rows
// no counter of this version keeps.
func counterNamed(name string) *Counter {
	for i := range Counters {
		if Counters[i].Name == name {
			return &Counters[i]
		}
	}
	return nil
}

var kindKeys = func() []string {
	ks := make([]string, len(bot.Kinds))
	for i, k := range bot.Kinds {
		ks[i] = string(k)
	}
	return ks
}()

// maxTriageStepNo is the last step counted by number; later steps count under
// the key "64+".
const maxTriageStepNo = 64

// stepKeys are the triage step keys, made once so that counting does not
// allocate.
var stepKeys = func() []string {
	s := make([]string, maxTriageStepNo+1)
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	s[maxTriageStepNo] = strconv.Itoa(maxTriageStepNo) + "+"
	return s
}()

// addStep folds a triage_step row: Steps[i] is question i+1.
func (r *Report) addStep(_, key string, n int64, _ *Day) {
	step, err := strconv.Atoi(strings.TrimSuffix(key, "+"))
	if err != nil || step < 1 {
		return
	}
	for len(r.Triage.Steps) < step {
		r.Triage.Steps = append(r.Triage.Steps, 0)
	}
	r.Triage.Steps[step-1] += n
}
