package bot_test

import (
	"errors"
	"testing"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/knowledge"
)

// TestNewChecksAFlowChangedAfterLoading: knowledge.Load marks the flow it
// checked so that bot.New does not walk every path again, but a flow changed
// afterwards (or topics its links name removed) is checked again and refused.
func TestNewChecksAFlowChangedAfterLoading(t *testing.T) {
	load := func(t *testing.T) bot.Knowledge {
		t.Helper()
		k, err := knowledge.Load(knowledge.Embedded())
		if err != nil {
			t.Fatal(err)
		}
		return k
	}
	tests := []struct {
		name  string
		spoil func(k *bot.Knowledge)
	}{
		{"first question without urgent-help", func(k *bot.Knowledge) {
			q := &k.Triage.Questions[0]
			q.Options = append([]bot.FlowOption(nil), q.Options...)
			for i := range q.Options {
				q.Options[i].Outcome, q.Options[i].Next = "", k.Triage.Questions[1].ID
			}
		}},
		{"an empty label", func(k *bot.Knowledge) {
			q := &k.Triage.Questions[1]
			q.Options = append([]bot.FlowOption(nil), q.Options...)
			q.Options[0].Label = ""
		}},
		{"an outcome missing", func(k *bot.Knowledge) { k.Triage.Outcomes = k.Triage.Outcomes[1:] }},
		{"a linked topic gone", func(k *bot.Knowledge) {
			var kept []bot.Topic
			for _, tp := range k.Topics {
				if !linked(k.Triage, tp.ID) {
					kept = append(kept, tp)
				}
			}
			k.Topics = kept
			k.Intents = nil // trained on the topics removed
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			k := load(t)
			if _, err := bot.New(k); err != nil {
				t.Fatalf("bot.New over the loaded knowledge base: %v", err)
			}
			tc.spoil(&k)
			_, err := bot.New(k)
			var fe bot.FlowError
			if !errors.As(err, &fe) {
				t.Errorf("bot.New after the flow was broken (%s): err = %v, want a FlowError", tc.name, err)
			}
		})
	}
}

// linked reports whether an outcome of f offers topic id as a button.
func linked(f bot.Flow, id string) bool {
	for _, o := range f.Outcomes {
		for _, l := range o.Links {
			if l == id {
				return true
			}
		}
	}
	return false
}

// TestFlowCheck: Check reports the same problems as CheckFlow.
func TestFlowCheck(t *testing.T) {
	k, err := knowledge.Load(knowledge.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	f := k.Triage
	f.Outcomes = f.Outcomes[1:]
	got, want := f.Check(k.Topics), bot.CheckFlow(f, k.Topics)
	if len(got) == 0 || len(got) != len(want) {
		t.Errorf("Check found %d problems, CheckFlow %d; want the same, at least one", len(got), len(want))
	}
}
