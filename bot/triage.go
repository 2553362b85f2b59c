package bot

// Flow is the triage as data, loaded from the knowledge base (triage.yaml).
// STUB: to be designed and built with the triage (issue 4).
type Flow struct{}

// triage runs a [Flow]. STUB.
type triage struct{ b *Bot }

func newTriage(f Flow, b *Bot) (*triage, error) { return &triage{b: b}, nil }

// handleData answers button data that belongs to the triage (including
// DataTriage, which starts it). ok is false for data that is not the triage's.
func (t *triage) handleData(m Message, ev *Event) (Reply, bool) {
	if m.Data == DataTriage {
		ev.TriageStarted = true
		return Reply{Kind: KindTriage, Text: "The triage is not built yet."}, true
	}
	return Reply{}, false
}

// handleText answers typed text when the conversation is in the middle of the
// triage and the text reads as an answer to the question shown. norm is the
// normalised text (see normalize).
func (t *triage) handleText(m Message, norm string, ev *Event) (Reply, bool) {
	return Reply{}, false
}
