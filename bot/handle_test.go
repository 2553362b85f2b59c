package bot_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/knowledge"
)

// newBot builds the core over the embedded knowledge base, as the binary does.
func newBot(t testing.TB, opts ...bot.Option) *bot.Bot {
	t.Helper()
	k, err := knowledge.Load(knowledge.Embedded())
	if err != nil {
		t.Fatalf("load embedded knowledge base: %v", err)
	}
	b, err := bot.New(k, opts...)
	if err != nil {
		t.Fatalf("bot.New: %v", err)
	}
	return b
}

func msg(text string) bot.Message {
	return bot.Message{Platform: "test", Community: bot.CommunityDM, Conversation: "c1", Text: text}
}

// checkReply holds every reply to what all adapters rely on: some text, and
// buttons within the platforms' limits.
func checkReply(t *testing.T, in string, r bot.Reply) {
	t.Helper()
	if strings.TrimSpace(r.Text) == "" {
		t.Errorf("reply to %q has no text", in)
	}
	if !utf8.ValidString(r.Text) {
		t.Errorf("reply to %q is not valid UTF-8", in)
	}
	for _, c := range r.Choices {
		if c.Label == "" || utf8.RuneCountInString(c.Label) > bot.MaxLabelLen {
			t.Errorf("reply to %q: button label %q is empty or over %d characters", in, c.Label, bot.MaxLabelLen)
		}
		if c.Data == "" || len(c.Data) > bot.MaxDataLen {
			t.Errorf("reply to %q: button data %q is empty or over %d bytes", in, c.Data, bot.MaxDataLen)
		}
	}
}

func TestHandleBadInput(t *testing.T) {
	b := newBot(t)
	tests := []struct {
		name string
		text string
		kind bot.Kind
	}{
		{"empty", "", bot.KindFallback},
		{"whitespace", " \t\n  ", bot.KindFallback},
		{"only emoji", "😀🙏🏽❤️", bot.KindFallback},
		{"only punctuation", "?!?!...", bot.KindFallback},
		{"invalid utf-8", "\xff\xfe\xfd", bot.KindFallback},
		{"control characters", "\x00\x01\x02\x1b[31m", bot.KindFallback},
		{"100 KB of text", strings.Repeat("lorem ipsum dolor sit amet ", 4000), bot.KindFallback},
		{"100 KB ending in a question", strings.Repeat("blah ", 20000) + "who runs a support group?", bot.KindFallback},
		{"html", "<script>alert('x')</script><b>who runs a support group</b>", bot.KindAnswer},
		{"markdown", "**who** _runs_ a `support group`?", bot.KindAnswer},
		{"@everyone", "@everyone @here who runs a support group", bot.KindAnswer},
		{"only a mention", "@everyone", bot.KindFallback},
		{"other language", "¿Cuál es la diferencia entre un grupo de apoyo y la terapia?", bot.KindFallback},
		{"chinese", "支持小组和团体治疗有什么区别", bot.KindFallback},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := b.Handle(context.Background(), msg(tc.text))
			checkReply(t, tc.name, r)
			if r.Kind != tc.kind {
				t.Errorf("kind = %s, want %s (text %.60q)", r.Kind, tc.kind, r.Text)
			}
		})
	}
}

func TestHandleKinds(t *testing.T) {
	b := newBot(t)
	tests := []struct {
		text  string
		kind  bot.Kind
		topic string
	}{
		{"who runs a support group?", bot.KindAnswer, "leadership"},
		{"how much does grp therapy cost", bot.KindAnswer, "cost"},
		{"support group vs group therapy", bot.KindAnswer, "difference"},
		{"group therapy?", bot.KindAnswer, "difference"},
		{"hi! who leads a therapy group?", bot.KindAnswer, "leadership"},
		{"hello", bot.KindSmalltalk, ""},
		{"thanks so much", bot.KindSmalltalk, ""},
		{"are you a bot?", bot.KindSmalltalk, ""},
		{"which one is right for me?", bot.KindTriage, ""},
		{"help me decide", bot.KindTriage, ""},
		{"what's the weather in paris", bot.KindFallback, ""},
		{"i want to end my life", bot.KindCrisis, ""},
		{"hi, i want to kill myself", bot.KindCrisis, ""},
		{"I've been dealing with my divorce for a year and my sister thinks I should talk to someone, but I'm not sure a group is for me, I'm quite private and I don't like crowds much. Who actually leads these things?", bot.KindAnswer, "leadership"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			r := b.Handle(context.Background(), msg(tc.text))
			checkReply(t, tc.text, r)
			if r.Kind != tc.kind || r.Topic != tc.topic {
				t.Errorf("Handle(%q) = %s %q (score %.2f), want %s %q", tc.text, r.Kind, r.Topic, r.Score, tc.kind, tc.topic)
			}
		})
	}
}

func TestCrisisReplyHasResources(t *testing.T) {
	b := newBot(t)
	r := b.Handle(context.Background(), msg("i don't want to be alive anymore"))
	if r.Kind != bot.KindCrisis {
		t.Fatalf("kind = %s, want crisis", r.Kind)
	}
	text := bot.Plain(r.Text)
	for _, want := range []string{"988", "116 123", "findahelpline.com", "emergency"} {
		if !strings.Contains(text, want) {
			t.Errorf("crisis reply lacks %q:\n%s", want, text)
		}
	}
}

func TestHandleData(t *testing.T) {
	b := newBot(t)
	tests := []struct {
		data  string
		kind  bot.Kind
		topic string
		err   bot.ErrorKind
	}{
		{bot.DataStart, bot.KindSmalltalk, "", ""},
		{bot.DataHelp, bot.KindSmalltalk, "", ""},
		{bot.DataTopics, bot.KindSmalltalk, "", ""},
		{bot.DataAbout, bot.KindAnswer, "privacy", ""},
		{bot.DataTopicPrefix + "cost", bot.KindAnswer, "cost", ""},
		{bot.DataTriage, bot.KindTriage, "", ""},
		{bot.DataTopicPrefix + "no-such-topic", bot.KindFallback, "", bot.ErrorKindForgedPayload},
		{"garbage\x00data", bot.KindFallback, "", bot.ErrorKindForgedPayload},
		{strings.Repeat("x", 5000), bot.KindFallback, "", bot.ErrorKindForgedPayload},
	}
	for _, tc := range tests {
		t.Run(tc.data[:min(len(tc.data), 20)], func(t *testing.T) {
			rec := &events{}
			b := newBot(t, bot.WithRecorder(rec))
			m := msg("")
			m.Data = tc.data
			r := b.Handle(context.Background(), m)
			checkReply(t, tc.data, r)
			if r.Kind != tc.kind || r.Topic != tc.topic {
				t.Errorf("data %q: got %s %q, want %s %q", tc.data, r.Kind, r.Topic, tc.kind, tc.topic)
			}
			if got := rec.all(); len(got) != 1 || got[0].Err != tc.err {
				t.Errorf("data %q: events %+v, want one with Err %q", tc.data, got, tc.err)
			}
		})
	}
	_ = b
}

// events is a Recorder that keeps what it is given.
type events struct {
	mu sync.Mutex
	ev []bot.Event
}

func (e *events) Record(_ context.Context, ev bot.Event) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.ev = append(e.ev, ev)
	return nil
}

func (e *events) all() []bot.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]bot.Event(nil), e.ev...)
}

func TestEventsAreAnonymous(t *testing.T) {
	rec := &events{}
	b := newBot(t, bot.WithRecorder(rec))
	m := bot.Message{Platform: "telegram", Community: "-100123", Conversation: "chat-555:user-777", Text: "who runs a support group"}
	b.Handle(context.Background(), m)
	b.Handle(context.Background(), m)
	got := rec.all()
	if len(got) != 2 {
		t.Fatalf("got %d events, want 2", len(got))
	}
	for _, e := range got {
		if e.Kind != bot.KindAnswer || e.Topic != "leadership" || e.Platform != "telegram" || e.Community != "-100123" {
			t.Errorf("event %+v: want an answer about leadership in telegram/-100123", e)
		}
	}
	if got[0].Session == 0 || got[0].Session != got[1].Session {
		t.Errorf("the same conversation should hash to one non-zero session key, got %d and %d", got[0].Session, got[1].Session)
	}
	// Another process (another bot) hashes with another key.
	if other := newBotEvent(t, m); other.Session == got[0].Session {
		t.Errorf("session keys should differ between bot instances: both %d", other.Session)
	}
}

func newBotEvent(t *testing.T, m bot.Message) bot.Event {
	rec := &events{}
	newBot(t, bot.WithRecorder(rec)).Handle(context.Background(), m)
	return rec.all()[0]
}

// TestCoreImportsNothingOfOurs keeps the core platform-neutral: bot may not
// depend on any other package of this module but its own text tools, which
// know nothing of replies, platforms or storage either.
func TestCoreImportsNothingOfOurs(t *testing.T) {
	coreOwn := map[string]bool{}
	for _, p := range []string{"bot", "bot/phrase", "bot/textnorm", "bot/textclass", "bot/crisis"} {
		coreOwn["github.com/supportbot/supportbot/"+p] = true
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Skipf("go list unavailable: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/supportbot/supportbot/") && !coreOwn[p] {
			t.Errorf("bot depends on %s; the core must not import the rest of the module", p)
		}
	}
}

func FuzzHandle(f *testing.F) {
	for _, s := range []string{"", "who runs a support group", "i want to die", "\xff", "<b>x</b>", "@everyone", "help me decide", "topic:cost", "triage"} {
		f.Add(s, "")
		f.Add("", s)
	}
	b := newBot(f)
	f.Fuzz(func(t *testing.T, text, data string) {
		m := msg(text)
		m.Data = data
		r := b.Handle(context.Background(), m)
		checkReply(t, text+"|"+data, r)
	})
}

// benchQuestions are a mix of what people really type: short, long, typos,
// small talk and crisis.
var benchQuestions = []string{
	"who runs a support group?",
	"how much does grp therapy cost",
	"support group vs group therapy",
	"can i join a closed group late",
	"is what i say in group therapy kept private",
	"hi",
	"help me decide",
	"I've been dealing with my divorce for a year and my sister thinks I should talk to someone, but I'm not sure a group is for me. Who actually leads these things?",
	"whats teh diffrence btwn theraphy groups and suport groups",
	"i dont want to be here anymore",
}

func BenchmarkHandle(b *testing.B) {
	bt := newBot(b)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bt.Handle(ctx, msg(benchQuestions[i%len(benchQuestions)]))
	}
}

// BenchmarkHandleEach times each message of the mix on its own, for the
// median reply time (BenchmarkHandle gives the mean, which the one long story
// and the crisis message pull up).
func BenchmarkHandleEach(b *testing.B) {
	bt := newBot(b)
	ctx := context.Background()
	for i, q := range benchQuestions {
		b.Run(strconv.Itoa(i), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bt.Handle(ctx, msg(q))
			}
		})
	}
}

func BenchmarkMatch(b *testing.B) {
	bt := newBot(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		bt.MatchTopic(benchQuestions[i%len(benchQuestions)])
	}
}

// TestCrisisReplyVariants: the reply is in the person's language where the
// knowledge base has it, worded for a helper when someone else is at risk,
// and always lists a way to reach help anywhere.
func TestCrisisReplyVariants(t *testing.T) {
	b := newBot(t)
	k, _ := knowledge.Load(knowledge.Embedded())
	tests := []struct {
		text string
		want string // a line the reply must hold
	}{
		{"ya no quiero vivir", bot.Plain(k.Crisis.Translations["es"].Intro)[:40]},
		{"je veux mourir", bot.Plain(k.Crisis.Translations["fr"].Intro)[:40]},
		{"ich will nicht mehr leben", bot.Plain(k.Crisis.Translations["de"].Intro)[:40]},
		{"quero morrer", bot.Plain(k.Crisis.Translations["pt"].Intro)[:40]},
		{"voglio morire", bot.Plain(k.Crisis.Translations["it"].Intro)[:40]},
		{"ik wil dood", bot.Plain(k.Crisis.Intro)[:40]}, // no Dutch translation: English
		{"my friend told me she wants to kill herself", bot.Plain(k.Crisis.OtherIntro)[:40]},
		{"i want to kill myself", bot.Plain(k.Crisis.Intro)[:40]},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			r := b.Handle(context.Background(), msg(tc.text))
			if r.Kind != bot.KindCrisis {
				t.Fatalf("kind %s, want crisis", r.Kind)
			}
			text := bot.Plain(r.Text)
			if !strings.Contains(text, tc.want) {
				t.Errorf("reply lacks %q:\n%s", tc.want, text)
			}
			if !strings.Contains(text, "findahelpline.com") {
				t.Errorf("reply lacks findahelpline.com:\n%s", text)
			}
		})
	}
}

// TestCrisisReminder: after a crisis reply, the conversation's later replies
// keep one line with the resources, for a while, and only that conversation's.
func TestCrisisReminder(t *testing.T) {
	now := time.Date(2026, 11, 26, 2, 0, 0, 0, time.UTC)
	b := newBot(t, bot.WithClock(func() time.Time { return now }))
	k, _ := knowledge.Load(knowledge.Embedded())
	reminder := bot.Plain(k.Crisis.Reminder)
	ask := func(conv, text string) bot.Reply {
		m := msg(text)
		m.Conversation = conv
		return b.Handle(context.Background(), m)
	}
	if r := ask("a", "who runs a support group?"); strings.Contains(bot.Plain(r.Text), reminder) {
		t.Fatal("a reminder before any crisis")
	}
	if r := ask("a", "i don't want to be alive anymore"); r.Kind != bot.KindCrisis {
		t.Fatalf("kind %s, want crisis", r.Kind)
	}
	r := ask("a", "who runs a support group?")
	if r.Kind != bot.KindAnswer || !strings.HasSuffix(bot.Plain(r.Text), reminder) {
		t.Errorf("after a crisis reply, an answer should end with the reminder:\n%s", bot.Plain(r.Text))
	}
	if r := b.Handle(context.Background(), bot.Message{Platform: "test", Community: bot.CommunityDM, Conversation: "a", Data: bot.DataTopics}); !strings.Contains(bot.Plain(r.Text), reminder) {
		t.Errorf("a pressed button's reply should keep the reminder too:\n%s", bot.Plain(r.Text))
	}
	if r := ask("b", "who runs a support group?"); strings.Contains(bot.Plain(r.Text), reminder) {
		t.Error("another conversation got the reminder")
	}
	now = now.Add(31 * time.Minute)
	if r := ask("a", "who runs a support group?"); strings.Contains(bot.Plain(r.Text), reminder) {
		t.Error("the reminder outlived its half hour")
	}
}

// BenchmarkHandleLong is one message of about 1,000 words: a carer's story,
// told at length, that ends in a question. It is not a crisis, so the reply
// takes the whole path: the crisis check, the classifier on the story and on
// its last question.
func BenchmarkHandleLong(b *testing.B) {
	bt := newBot(b)
	text := longStory(b)
	ctx := context.Background()
	if r := bt.Handle(ctx, msg(text)); r.Kind == bot.KindCrisis {
		b.Fatalf("the story is read as a crisis: the benchmark would measure only the crisis check")
	}
	b.ReportAllocs()
	for b.Loop() {
		bt.Handle(ctx, msg(text))
	}
}

func longStory(t testing.TB) string {
	t.Helper()
	data, err := os.ReadFile("testdata/long-story.txt")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// BenchmarkNew500Topics builds the core over a knowledge base of 500 topics
// (the built-in ones, many times over), as a large community's curators
// might write.
func BenchmarkNew500Topics(b *testing.B) {
	k, err := knowledge.Load(knowledge.Embedded())
	if err != nil {
		b.Fatal(err)
	}
	base := k.Topics
	k.Topics = nil
	for i := 0; len(k.Topics) < 500; i++ {
		for _, t := range base {
			t.ID = fmt.Sprintf("%s-%d", t.ID, i)
			t.Related = nil
			k.Topics = append(k.Topics, t)
		}
	}
	k.Topics = k.Topics[:500]
	k.Intents = nil // a model trained for the built-in topics does not fit these
	// The triage links topics by id: keep it pointing at topics that exist.
	for i := range k.Triage.Questions {
		for j := range k.Triage.Questions[i].Options {
			o := &k.Triage.Questions[i].Options[j]
			for l, id := range o.Links {
				o.Links[l] = id + "-0"
			}
		}
	}
	for i := range k.Triage.Outcomes {
		for l, id := range k.Triage.Outcomes[i].Links {
			k.Triage.Outcomes[i].Links[l] = id + "-0"
		}
	}
	// The built-in topics' words are all in the stem table; a curator's new
	// topics would bring words it lacks. Without the table every word is
	// stemmed at start: the cost of a base whose words are all new.
	stems := k.Stems
	for _, tc := range []struct {
		name  string
		stems map[string]string
	}{{"stem-table", stems}, {"no-stem-table", nil}} {
		b.Run(tc.name, func(b *testing.B) {
			k.Stems = tc.stems
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bot.New(k); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestStoryEndsInQuestion: a story of everyday life (work, children, a
// parent's illness) reads as off-topic as a whole, but the question at its end
// says what the person wants to know, and gets its answer. In a short message
// only a question about a topic is taken alone: "what should I do?" after an
// off-topic sentence is no wish to choose a group.
func TestStoryEndsInQuestion(t *testing.T) {
	bt := newBot(t)
	everyday := "we moved house in the spring and the kids changed schools, which was a lot. " +
		"my partner started a new job with long hours and i do most of the cooking and the school runs. " +
		"the car broke down twice, the boiler went in november and money has been tight since. " +
		"i still go swimming on fridays when i can and my sister visits at weekends. "
	for _, tc := range []struct {
		text, topic string
	}{
		{longStory(t), "leadership"},
		{everyday + everyday + "anyway, how much does group therapy cost?", "cost"},
		{"we walked the dog along the cliffs today, lovely weather. how do i find a group near me?", "finding"},
		{"our boiler broke again and the landlord wont answer. what should i do?", ""},
	} {
		r := bt.Handle(context.Background(), msg(tc.text))
		want := bot.KindAnswer
		if tc.topic == "" {
			want = bot.KindFallback
		}
		if r.Kind != want || r.Topic != tc.topic {
			t.Errorf("%q: got %s %q, want %s %q", tc.text, r.Kind, r.Topic, want, tc.topic)
		}
	}
}

// TestLongMessageAsksAnywhere: a long message may ask its one thing first, in
// the middle, or without a question mark; read a sentence at a time, it gets
// that answer. A long story whose words are the knowledge base's in their
// everyday sense (a team leader, a group session at the climbing wall) asks
// nothing the bot answers.
func TestLongMessageAsksAnywhere(t *testing.T) {
	bt := newBot(t)
	everyday := "we moved house in the spring and the kids changed schools, which was a lot. " +
		"my partner started a new job with long hours and i do most of the cooking and the school runs. " +
		"the car broke down twice, the boiler went in november and money has been tight since. "
	for _, tc := range []struct {
		name, text, topic string
	}{
		{"first", "How much does group therapy usually cost? " + everyday + "sorry, that was a lot.", "cost"},
		{"no question mark", everyday + "I would really like to know who actually leads a support group, a trained professional or just another member. " + everyday, "leadership"},
		// Lines without a full stop, as people type on a phone: each line
		// break ends a sentence, so the ask is read on its own line.
		{"lines", "ok so long story\nwe moved house in the spring and the kids changed schools\nmy partner works long hours and i do the cooking and the school runs\n" +
			"the car broke down twice and money has been tight since november\ni would really like to know who actually leads a support group a trained professional or another member\n" +
			"the boiler went too and my mum is not well\nanyway sorry for the essay", "leadership"},
		{"everyday senses", everyday + "our team leader booked a group session at the climbing wall for friday and the membership is free for staff. " + everyday + "anyway that is my week.", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := bt.Handle(context.Background(), msg(tc.text))
			want := bot.KindAnswer
			if tc.topic == "" {
				want = bot.KindFallback
			}
			if r.Kind != want || r.Topic != tc.topic {
				t.Errorf("got %s %q, want %s %q", r.Kind, r.Topic, want, tc.topic)
			}
		})
	}
}
