package bot_test

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/knowledge"
)

// press sends button data in a conversation and returns the reply and its event.
func press(t *testing.T, b *bot.Bot, rec *events, conv, data string) (bot.Reply, bot.Event) {
	t.Helper()
	m := bot.Message{Platform: "test", Community: bot.CommunityDM, Conversation: conv, Data: data}
	return handleOne(t, b, rec, m)
}

// say sends typed text in a conversation and returns the reply and its event.
func say(t *testing.T, b *bot.Bot, rec *events, conv, text string) (bot.Reply, bot.Event) {
	t.Helper()
	m := bot.Message{Platform: "test", Community: bot.CommunityDM, Conversation: conv, Text: text}
	return handleOne(t, b, rec, m)
}

func handleOne(t *testing.T, b *bot.Bot, rec *events, m bot.Message) (bot.Reply, bot.Event) {
	t.Helper()
	n := len(rec.all())
	r := b.Handle(context.Background(), m)
	evs := rec.all()
	if len(evs) != n+1 {
		t.Fatalf("message %+v: got %d events, want 1", m, len(evs)-n)
	}
	checkReply(t, m.Text+m.Data, r)
	return r, evs[n]
}

func flowText(t *testing.T) bot.FlowText {
	t.Helper()
	k, err := knowledge.Load(knowledge.Embedded())
	if err != nil {
		t.Fatalf("load embedded knowledge base: %v", err)
	}
	return k.Triage.Text
}

// TestTriageWalkEveryPath presses every answer of every question of the
// built-in flow: every path ends in an outcome within five questions, every
// button fits the platforms, and a second bot instance that never saw the
// conversation (a restart, another replica) given any button's data replies
// exactly as the first.
func TestTriageWalkEveryPath(t *testing.T) {
	rec := &events{}
	b := newBot(t, bot.WithRecorder(rec))
	fresh := newBot(t, bot.WithRecorder(&events{}))
	text := flowText(t)
	crisis := b.Handle(context.Background(), msg("I want to kill myself"))
	if crisis.Kind != bot.KindCrisis {
		t.Fatalf("the crisis check did not catch the test's crisis text: %s", crisis.Kind)
	}

	outcomes := map[string]int{}
	var walk func(data string, path []string)
	walk = func(data string, path []string) {
		r, ev := press(t, b, rec, "walker", data)
		where := strings.Join(path, " / ")
		if ev.Err != "" {
			t.Fatalf("%s: event error %q", where, ev.Err)
		}
		if data != bot.DataTriage {
			if !r.Replace {
				t.Errorf("%s: the reply to a triage button should replace its message", where)
			}
			r2 := fresh.Handle(context.Background(), bot.Message{Platform: "test", Community: bot.CommunityDM, Conversation: "someone-else", Data: data})
			if !reflect.DeepEqual(r, r2) {
				t.Errorf("%s: a fresh bot given %q replied\n%+v\nwant\n%+v", where, data, r2, r)
			}
		}
		last := r.Choices[len(r.Choices)-1]
		if last.Label != text.StartAgain || last.Data != bot.DataTriage {
			t.Errorf("%s: last button is %+v, want Start again", where, last)
		}
		if ev.TriageOutcome != "" {
			outcomes[ev.TriageOutcome]++
			t.Logf("%s → %s", where, ev.TriageOutcome)
			checkOutcome(t, where, r, ev, crisis, text)
			return
		}
		if r.Kind != bot.KindTriage || ev.Kind != bot.KindTriage {
			t.Fatalf("%s: got kind %s, want a triage question", where, r.Kind)
		}
		if ev.TriageStep != len(path)+1 {
			t.Errorf("%s: TriageStep = %d, want %d", where, ev.TriageStep, len(path)+1)
		}
		if len(path) >= bot.MaxFlowQuestions {
			t.Fatalf("%s: question %d shown; at most %d are asked", where, len(path)+1, bot.MaxFlowQuestions)
		}
		for _, c := range r.Choices {
			switch c.Label {
			case text.StartAgain:
			case text.Back:
				back, bev := press(t, b, rec, "walker", c.Data)
				if bev.TriageStep != len(path) || back.Kind != bot.KindTriage {
					t.Errorf("%s: Back showed step %d (%s), want step %d", where, bev.TriageStep, back.Kind, len(path))
				}
			default:
				walk(c.Data, append(path[:len(path):len(path)], c.Label))
			}
		}
	}
	walk(bot.DataTriage, nil)
	for _, id := range bot.TriageOutcomes {
		if outcomes[id] == 0 {
			t.Errorf("no path ends in outcome %q", id)
		}
	}
}

// checkOutcome holds an outcome's reply to what the issue asks of it.
func checkOutcome(t *testing.T, where string, r bot.Reply, ev bot.Event, crisis bot.Reply, text bot.FlowText) {
	t.Helper()
	if ev.TriageOutcome == bot.OutcomeUrgentHelp {
		if r.Kind != bot.KindCrisis || r.Text != crisis.Text {
			t.Errorf("%s: urgent-help replied %s %q, want the crisis reply", where, r.Kind, r.Text)
		}
		return
	}
	if r.Kind != bot.KindTriage {
		t.Errorf("%s: outcome kind %s, want triage", where, r.Kind)
	}
	plain := bot.Plain(r.Text)
	if !strings.Contains(plain, "not a diagnosis or professional advice") {
		t.Errorf("%s: outcome lacks the disclaimer:\n%s", where, plain)
	}
	_, afterWhy, ok := strings.Cut(plain, strings.TrimSpace(text.Why))
	reasons, _, _ := strings.Cut(afterWhy, strings.TrimSpace(text.NextSteps))
	if n := strings.Count(reasons, "• "); !ok || n < bot.MinFlowReasons || n > bot.MaxFlowReasons {
		t.Errorf("%s: outcome gives %d reasons, want %d to %d:\n%s", where, n, bot.MinFlowReasons, bot.MaxFlowReasons, plain)
	}
	topics := 0
	for _, c := range r.Choices {
		if strings.HasPrefix(c.Data, bot.DataTopicPrefix) {
			topics++
		}
	}
	if topics == 0 {
		t.Errorf("%s: outcome offers no related topics", where)
	}
}

// TestTriageTyped answers the triage by typing, as people do on Telegram and
// Discord, after pressing the start button.
func TestTriageTyped(t *testing.T) {
	tests := []struct {
		name    string
		lines   []string
		kind    bot.Kind // of the last reply
		outcome string   // of the last event, if any
		step    int      // of the last event, if no outcome
	}{
		{"yes goes to crisis resources", []string{"yes"}, bot.KindCrisis, bot.OutcomeUrgentHelp, 0},
		{"not sure goes to crisis resources", []string{"not sure"}, bot.KindCrisis, bot.OutcomeUrgentHelp, 0},
		{"comfort, coping", []string{"no", "comfort", "a little", "cost is a worry"}, bot.KindTriage, bot.OutcomeSupportGroup, 0},
		{"numbers", []string{"2", "2", "3", "1", "3"}, bot.KindTriage, bot.OutcomeGroupTherapy, 0},
		{"ordinals and phrases", []string{"No, I'm safe", "the second one", "a lot", "no, nobody", "online would be easier"}, bot.KindTriage, bot.OutcomeIndividualTherapy, 0},
		{"peer led", []string{"nope", "I want to change patterns", "quite a bit", "peer led", "nothing"}, bot.KindTriage, bot.OutcomeBoth, 0},
		{"one to one", []string{"no", "not sure", "a little", "one to one", "3"}, bot.KindTriage, bot.OutcomeIndividualTherapy, 0},
		{"seeing a therapist", []string{"i'm safe", "to learn new skills", "most days are a struggle", "yes", "nothing in particular"}, bot.KindTriage, bot.OutcomeBoth, 0},
		{"crisis typed mid-triage", []string{"no", "comfort", "I want to kill myself"}, bot.KindCrisis, "", 0},
		{"crisis mid-triage, then the triage goes on", []string{"no", "comfort", "I want to kill myself", "a little"}, bot.KindTriage, "", 4},
		{"back", []string{"no", "comfort", "back"}, bot.KindTriage, "", 2},
		{"start again", []string{"no", "comfort", "start again"}, bot.KindTriage, "", 1},
		{"unclear answer asks again", []string{"no", "comfort and new skills"}, bot.KindTriage, "", 2},
		{"a question leaves the triage", []string{"no", "how much does group therapy cost?"}, bot.KindAnswer, "", 0},
		{"and then words are not answers", []string{"no", "how much does group therapy cost?", "comfort"}, bot.KindAnswer, "", 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rec := &events{}
			b := newBot(t, bot.WithRecorder(rec))
			_, ev := press(t, b, rec, "typist", bot.DataTriage)
			if !ev.TriageStarted || ev.TriageStep != 1 {
				t.Fatalf("start: TriageStarted %v, TriageStep %d; want true, 1", ev.TriageStarted, ev.TriageStep)
			}
			var r bot.Reply
			for _, line := range tc.lines {
				r, ev = say(t, b, rec, "typist", line)
				if r.Replace {
					t.Errorf("reply to typed %q has Replace set: there is no button message to edit", line)
				}
			}
			if r.Kind != tc.kind || ev.TriageOutcome != tc.outcome || ev.TriageStep != tc.step {
				t.Errorf("after %q: got kind %s, outcome %q, step %d; want %s, %q, %d\n%s",
					tc.lines, r.Kind, ev.TriageOutcome, ev.TriageStep, tc.kind, tc.outcome, tc.step, r.Text)
			}
		})
	}
}

// TestTriageTypedIsPerConversation: a typed answer in one conversation does
// not move another's triage, and "yes" outside any triage is not an answer.
func TestTriageTypedIsPerConversation(t *testing.T) {
	rec := &events{}
	b := newBot(t, bot.WithRecorder(rec))
	press(t, b, rec, "alice", bot.DataTriage)
	if r, ev := say(t, b, rec, "bob", "yes"); r.Kind == bot.KindCrisis || ev.TriageOutcome != "" {
		t.Errorf("bob's \"yes\" was read as an answer to alice's triage: %s %q", r.Kind, ev.TriageOutcome)
	}
	if _, ev := say(t, b, rec, "alice", "no"); ev.TriageStep != 2 {
		t.Errorf("alice's \"no\": step %d, want 2", ev.TriageStep)
	}
}

// TestTriageEntryPoints: the start button, the /triage command and typed
// "help me decide" all lead into the triage.
func TestTriageEntryPoints(t *testing.T) {
	rec := &events{}
	b := newBot(t, bot.WithRecorder(rec))
	data, ok := bot.CommandData("triage")
	if !ok || data != bot.DataTriage {
		t.Fatalf("CommandData(triage) = %q, %v; want %q", data, ok, bot.DataTriage)
	}
	r, ev := press(t, b, rec, "c", data)
	if r.Kind != bot.KindTriage || !ev.TriageStarted || ev.TriageStep != 1 || r.Replace {
		t.Errorf("start: kind %s, started %v, step %d, replace %v; want triage, true, 1, false", r.Kind, ev.TriageStarted, ev.TriageStep, r.Replace)
	}
	offer, _ := say(t, b, rec, "c2", "help me decide")
	if offer.Kind != bot.KindTriage || !hasData(offer.Choices, bot.DataTriage) {
		t.Errorf("typed \"help me decide\": got %s with %+v, want triage with a start button", offer.Kind, offer.Choices)
	}
	for _, in := range []string{"asdf qwerty zxcv", "what's the difference between a support group and group therapy"} {
		if r, _ := say(t, b, rec, "c3", in); !hasData(r.Choices, bot.DataTriage) {
			t.Errorf("reply to %q (%s) offers no triage button: %+v", in, r.Kind, r.Choices)
		}
	}
}

func hasData(cs []bot.Choice, data string) bool {
	for _, c := range cs {
		if c.Data == data {
			return true
		}
	}
	return false
}

// TestTriageForgedData: damaged, forged or outdated triage data gets a polite
// "expired" reply with a way to start again, and counts as an error.
func TestTriageForgedData(t *testing.T) {
	rec := &events{}
	b := newBot(t, bot.WithRecorder(rec))
	r, _ := press(t, b, rec, "f", bot.DataTriage)
	valid := r.Choices[1].Data // "No", to the second question
	prefix := valid[:strings.LastIndexByte(valid, '.')+1]
	for _, data := range []string{
		prefix + "9", prefix + "1111111", prefix + "00", prefix + "x",
		"t1.00000000.1", "t2" + valid[2:], "t9.", "t1.", valid + " ", valid[:len(valid)-1] + "\x00",
		strings.Repeat("t1.", 30),
	} {
		r, ev := press(t, b, rec, "f", data)
		if r.Kind != bot.KindFallback || ev.Err != bot.ErrorKindForgedPayload || !hasData(r.Choices, bot.DataTriage) {
			t.Errorf("data %q: got %s, err %q, choices %+v; want fallback, %q, a start-again button", data, r.Kind, ev.Err, r.Choices, bot.ErrorKindForgedPayload)
		}
	}
}

// TestTriageButtonsFromAnotherFlow: after a curator changes the flow's shape,
// buttons already sent read as expired, not as answers to other questions.
func TestTriageButtonsFromAnotherFlow(t *testing.T) {
	rec := &events{}
	old := newBot(t, bot.WithRecorder(rec))
	r, _ := press(t, old, rec, "c", bot.DataTriage)
	r, _ = press(t, old, rec, "c", r.Choices[1].Data)
	button := r.Choices[0].Data

	k, err := knowledge.Load(knowledge.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	opts := k.Triage.Questions[1].Options
	opts[0], opts[1] = opts[1], opts[0]
	edited, err := bot.New(k, bot.WithRecorder(rec))
	if err != nil {
		t.Fatalf("bot.New with the answers of question 2 swapped: %v", err)
	}
	if r, ev := press(t, edited, rec, "c", button); r.Kind != bot.KindFallback || ev.Err != bot.ErrorKindForgedPayload {
		t.Errorf("an old button on the edited flow: got %s, err %q; want fallback, %q", r.Kind, ev.Err, bot.ErrorKindForgedPayload)
	}
}
