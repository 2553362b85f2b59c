package bot

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot/crisis"
)

// testFlow is a small flow built by hand, for tests that must not depend on the
// wording of the knowledge base (and cannot import it: knowledge imports bot).
func testFlow() Flow {
	return Flow{
		Text: FlowText{
			Intro: "Intro.", Back: "Back", StartAgain: "Start again", Why: "Why", NextSteps: "Next",
			Unclear: "Which one?", Disclaimer: "Not a diagnosis or professional advice.",
			BackTyped: []string{"back", "go back"}, StartAgainTyped: []string{"start again", "restart"},
		},
		Questions: []FlowQuestion{
			{ID: "safety", Text: "In danger?", Options: []FlowOption{
				{Label: "Yes", Typed: []string{"yes", "i am"}, Outcome: OutcomeUrgentHelp},
				{Label: "No", Typed: []string{"no", "i am not", "not in danger"}, Next: "want"},
			}},
			{ID: "want", Text: "Want?", Options: []FlowOption{
				{Label: "Comfort", Typed: []string{"comfort", "support"}, Reason: "R comfort.", Next: "lead"},
				{Label: "Skills", Typed: []string{"skills", "change"}, Reason: "R skills.", Next: "lead"},
				{Label: "Not sure", Typed: []string{"not sure"}, Reason: "R unsure.", Next: "lead"},
			}},
			{ID: "lead", Text: "Lead?", Options: []FlowOption{
				{Label: "Peers", Typed: []string{"peer led", "peers"}, Reason: "R peers.", Outcome: OutcomeSupportGroup, Links: []string{"cost"}},
				{Label: "A professional", Typed: []string{"professional"}, Reason: "R pro.", Outcome: OutcomeGroupTherapy},
				{Label: "One-to-one", Typed: []string{"one to one"}, Reason: "R one.", Outcome: OutcomeIndividualTherapy},
				{Label: "Both", Typed: []string{"sure"}, Reason: "R both.", Outcome: OutcomeBoth, Step: "Extra step."},
			}},
		},
		Outcomes: []FlowOutcome{
			{ID: OutcomeSupportGroup, Recommendation: "A support group.", Steps: []string{"Find one."}, Links: []string{"finding"}},
			{ID: OutcomeGroupTherapy, Recommendation: "Group therapy.", Steps: []string{"Ask."}},
			{ID: OutcomeIndividualTherapy, Recommendation: "One-to-one.", Steps: []string{"Book."}},
			{ID: OutcomeBoth, Recommendation: "Both.", Steps: []string{"Do both."}},
			{ID: OutcomeUrgentHelp},
		},
	}
}

// testKnowledge is the least knowledge base [New] accepts, around testFlow.
func testKnowledge() Knowledge {
	msgs := map[string]string{}
	for _, k := range MessageKeys {
		msgs[k] = "message " + k
	}
	return Knowledge{
		Topics: []Topic{
			{ID: "cost", Title: "What it costs", Answer: "Costs."},
			{ID: "finding", Title: "How to find a group", Answer: "Finding."},
		},
		Messages: msgs,
		Crisis:   Crisis{Intro: "Crisis intro.", Resources: []Resource{{Name: "Emergency", Contact: "112"}}},
		Triage:   testFlow(),
		// A small lexicon: these tests are about the triage, and the bot does
		// not start without a crisis check.
		CrisisLexicons: []crisis.Lexicon{{Lang: "en", Signals: map[string][]string{"suicide": {"kill ~1 myself", "want|wanna ~2 die"}}}},
	}
}

func newTestBot(t testing.TB, opts ...Option) *Bot {
	t.Helper()
	b, err := New(testKnowledge(), opts...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return b
}

func TestTestFlowIsValid(t *testing.T) {
	k := testKnowledge()
	if ps := CheckFlow(k.Triage, k.Topics); len(ps) > 0 {
		t.Fatalf("CheckFlow: %v", FlowError(ps))
	}
}

func TestTriageCodecRoundTrip(t *testing.T) {
	tr := newTestBot(t).triage
	for _, answers := range []string{"", "0", "1", "10", "11", "12", "100", "113"} {
		data := tr.encode(answers)
		if len(data) > MaxDataLen {
			t.Errorf("encode(%q) = %q: %d bytes, want at most %d", answers, data, len(data), MaxDataLen)
		}
		got, mine, ok := tr.decode(data)
		if !mine || !ok || got != answers {
			t.Errorf("decode(%q) = %q, %v, %v; want %q, true, true", data, got, mine, ok, answers)
		}
		if _, ok := tr.walk(got); !ok {
			t.Errorf("walk(%q) failed", got)
		}
	}
}

func TestTriageDecodeStrict(t *testing.T) {
	tr := newTestBot(t).triage
	p := tr.print
	other := "00000000"
	if p == other {
		other = "11111111"
	}
	tests := []struct {
		data     string
		mine, ok bool // decode's answer
		walks    bool // and whether the answers fit the flow
	}{
		{"t1." + p + ".10", true, true, true},
		{"t1." + p + ".", true, true, true},
		{"t1." + other + ".10", true, false, false}, // a flow of another shape
		{"t2." + p + ".10", true, false, false},     // an unknown version
		{"t10." + p + ".10", true, false, false},    // an unknown version
		{"t1." + p + "10", true, false, false},      // no dot
		{"t1." + p[:7] + ".10", true, false, false}, // short fingerprint
		{"t1." + p + ".1x", true, false, false},     // not a digit
		{"t1." + p + ".1 ", true, false, false},     // trailing space
		{"t1." + p + ".111111", true, false, false}, // too many answers
		{"t1." + p + ".3", true, true, false},       // out of range
		{"t1." + p + ".00", true, true, false},      // an answer after the end
		{"t1." + p + ".1130", true, true, false},    // an answer after the end
		{"t1." + p + ".19", true, true, false},      // out of range
		{"t1." + strings.ToUpper(p) + ".1", true, p == strings.ToUpper(p), p == strings.ToUpper(p)},
		{"t1.", true, false, false},
		{"t.", false, false, false},
		{"triage", false, false, false},
		{"topics", false, false, false},
		{"topic:cost", false, false, false},
		{"", false, false, false},
		{"\x00t1.", false, false, false},
	}
	for _, tc := range tests {
		answers, mine, ok := tr.decode(tc.data)
		if mine != tc.mine || ok != tc.ok {
			t.Errorf("decode(%q) = _, %v, %v; want %v, %v", tc.data, mine, ok, tc.mine, tc.ok)
			continue
		}
		if !ok {
			continue
		}
		if _, walks := tr.walk(answers); walks != tc.walks {
			t.Errorf("walk(%q) ok = %v, want %v", answers, walks, tc.walks)
		}
	}
}

func TestFingerprintIgnoresWordingNotShape(t *testing.T) {
	f := testFlow()
	reworded := testFlow()
	reworded.Questions[1].Text = "What would you like?"
	reworded.Questions[1].Options[0].Label = "Some comfort"
	reworded.Outcomes[0].Recommendation = "Try a support group."
	if fingerprint(f) != fingerprint(reworded) {
		t.Error("rewording changed the fingerprint: every button sent would expire")
	}
	reshaped := testFlow()
	reshaped.Questions[2].Options[0], reshaped.Questions[2].Options[1] = reshaped.Questions[2].Options[1], reshaped.Questions[2].Options[0]
	if fingerprint(f) == fingerprint(reshaped) {
		t.Error("swapping two answers kept the fingerprint: old buttons would be misread")
	}
}

func TestTypedNumber(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		isNo bool
	}{
		{"2", 2, true}, {"2nd", 2, true}, {"two", 2, true}, {"second", 2, true},
		{"the second one", 2, true}, {"option 3", 3, true}, {"number 1 please", 1, true},
		{"the last one", 4, true}, {"last", 4, true}, {"1st", 1, true}, {"one", 1, true},
		{"no", 0, false}, {"no one", 0, false}, {"one to one", 0, false}, {"2 or 3", 0, false},
		{"", 0, false}, {"0", 0, false}, {"123", 0, false}, {"th", 0, false}, {"peer led", 0, false},
	}
	for _, tc := range tests {
		n, ok := typedNumber(tc.in, 4)
		if n != tc.n || ok != tc.isNo {
			t.Errorf("typedNumber(%q) = %d, %v; want %d, %v", tc.in, n, ok, tc.n, tc.isNo)
		}
	}
}

func TestUnderstand(t *testing.T) {
	tr := newTestBot(t).triage
	tests := []struct {
		answers string // where the person is
		in      string
		act     typedAction
		option  int
	}{
		{"", "yes", typedOption, 0},
		{"", "no", typedOption, 1},
		{"", "i am not", typedOption, 1}, // the longer phrase wins over "i am"
		{"", "well i am not in danger", typedOption, 1},
		{"", "i am", typedOption, 0},
		{"", "yes no", typedUnclear, 0},
		{"", "1", typedOption, 0},
		{"", "3", typedStartAgain, 0}, // the buttons: Yes, No, Start again
		{"", "4", typedUnclear, 0},
		{"", "back", typedStartAgain, 0}, // nothing before the first question
		{"", "what does a group cost", typedNone, 0},
		{"1", "i mostly want support", typedOption, 0},
		{"1", "change", typedOption, 1},
		{"1", "not sure", typedOption, 2},
		{"1", "support and change", typedUnclear, 0},
		{"1", "the second one", typedOption, 1},
		{"1", "4", typedBack, 0}, // Comfort, Skills, Not sure, Back, Start again
		{"1", "5", typedStartAgain, 0},
		{"1", "go back", typedBack, 0},
		{"1", "can we start again", typedStartAgain, 0},
		{"10", "peer led", typedOption, 0},
		{"10", "id prefer peer led please", typedOption, 0},
		{"10", "a professional", typedOption, 1},
		{"10", "thanks", typedNone, 0},
		{"10", "my sister went to one led by peers and said it helped but i am not sure it is for me", typedNone, 0},
	}
	for _, tc := range tests {
		p, ok := tr.walk(tc.answers)
		if !ok || p.question < 0 {
			t.Fatalf("walk(%q) is not at a question", tc.answers)
		}
		act, o := tr.understand(p, tc.in)
		if act != tc.act || (act == typedOption && o != tc.option) {
			t.Errorf("at %q, understand(%q) = %v, %d; want %v, %d", tc.answers, tc.in, act, o, tc.act, tc.option)
		}
	}
}

func TestTriageMemoryBoundAndExpiry(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	m := newTriageMemory(3, time.Minute)
	for k := uint64(1); k <= 3; k++ {
		m.put(k, "1", now.Add(time.Duration(k)*time.Second))
	}
	m.put(4, "10", now.Add(4*time.Second))
	if n := m.len(); n != 3 {
		t.Errorf("got %d entries, want the bound 3", n)
	}
	if _, ok := m.get(1, now.Add(5*time.Second)); ok {
		t.Error("the entry closest to expiring was kept when the memory was full")
	}
	if a, ok := m.get(4, now.Add(5*time.Second)); !ok || a != "10" {
		t.Errorf("get(4) = %q, %v; want \"10\", true", a, ok)
	}
	if _, ok := m.get(4, now.Add(4*time.Second+time.Minute)); ok {
		t.Error("an entry was returned after it expired")
	}
	// A full memory makes room by dropping every expired entry (2 and 3).
	later := now.Add(time.Hour)
	m.put(5, "", later) // entries 2, 3, 5: full
	m.put(6, "", later)
	if n := m.len(); n != 2 {
		t.Errorf("got %d entries after expiry, want 2 (5 and 6)", n)
	}
	m.forget(5)
	if _, ok := m.get(5, later); ok {
		t.Error("forget left the entry")
	}
}

// TestTypedAnswerExpires: a typed "yes" half an hour after the question is no
// longer read as an answer; the button still works.
func TestTypedAnswerExpires(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	b := newTestBot(t, WithClock(func() time.Time { return now }))
	ctx := context.Background()
	m := Message{Platform: "test", Community: CommunityDM, Conversation: "c1"}
	start := m
	start.Data = DataTriage
	r := b.Handle(ctx, start)
	now = now.Add(triageMemoryTTL + time.Second)
	typed := m
	typed.Text = "no"
	if r2 := b.Handle(ctx, typed); r2.Kind == KindTriage {
		t.Errorf("typed answer after %v was still read as an answer: %q", triageMemoryTTL, r2.Text)
	}
	pressed := m
	pressed.Data = r.Choices[1].Data
	if r3 := b.Handle(ctx, pressed); r3.Kind != KindTriage || !strings.Contains(r3.Text, "Want?") {
		t.Errorf("the button after %v: got %s %q, want the second question", triageMemoryTTL, r3.Kind, r3.Text)
	}
}

// TestTriageConcurrent runs many conversations at once through one bot, for
// the race detector: the typed-answer memory is the triage's only shared state.
func TestTriageConcurrent(t *testing.T) {
	b := newTestBot(t)
	ctx := context.Background()
	done := make(chan Kind, 8) // one result per conversation, never blocks
	for i := range 8 {
		go func() {
			m := Message{Platform: "test", Community: CommunityDM, Conversation: string(rune('a' + i)), Data: DataTriage}
			b.Handle(ctx, m)
			m.Data = ""
			var r Reply
			for _, text := range []string{"no", "comfort", "peer led"} {
				m.Text = text
				r = b.Handle(ctx, m)
			}
			done <- r.Kind
		}()
	}
	for range 8 {
		select {
		case k := <-done:
			if k != KindTriage {
				t.Errorf("a conversation ended with %s, want the triage outcome", k)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("conversations did not finish")
		}
	}
}

func TestCheckFlowBoundsTheWalk(t *testing.T) {
	// A flow whose every question leads to the next, 8 deep, 6 answers each:
	// CheckFlow reports the depth without walking 6^8 paths.
	f := testFlow()
	f.Questions = f.Questions[:1]
	f.Questions[0].Options[1].Next = "q1"
	for i := 1; i <= 8; i++ {
		q := FlowQuestion{ID: "q" + string(rune('0'+i)), Text: "Q?"}
		for j := 0; j < MaxFlowOptions; j++ {
			o := FlowOption{Label: "A" + string(rune('0'+j)), Reason: "R.", Outcome: OutcomeBoth}
			if i < 8 {
				o.Next = "q" + string(rune('0'+i+1))
			}
			q.Options = append(q.Options, o)
		}
		f.Questions = append(f.Questions, q)
	}
	ps := CheckFlow(f, testKnowledge().Topics)
	found := false
	for _, p := range ps {
		if strings.Contains(p.Msg, "ask at most 5 questions") {
			found = true
		}
	}
	if !found {
		t.Errorf("got %v, want a problem about the path length", FlowError(ps))
	}
}
