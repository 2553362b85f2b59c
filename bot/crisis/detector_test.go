package crisis_test

import (
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/supportbot/supportbot/bot/crisis"
	"github.com/supportbot/supportbot/knowledge"
)

var (
	detOnce sync.Once
	det     *crisis.Detector
)

// detector is the detector the bot runs: the built-in lexicons and model.
func detector(t testing.TB) *crisis.Detector {
	t.Helper()
	detOnce.Do(func() {
		k, err := knowledge.Load(knowledge.Embedded())
		if err != nil {
			t.Fatal(err)
		}
		if det, err = crisis.New(k.CrisisLexicons, k.CrisisModel); err != nil {
			t.Fatal(err)
		}
	})
	if det == nil {
		t.Fatal("no detector")
	}
	return det
}

// These cases complement the evaluation set (testdata/eval.yaml), which gates
// crisis recall at 100 % in CI: here each family of phrases and each benign
// guard is pinned down on its own, so a change that breaks one says which.
func TestIsCrisis(t *testing.T) {
	tests := []struct {
		text string
		want bool
	}{
		// Explicit.
		{"I want to kill myself", true},
		{"i wnat to kil myslef", true},
		{"thinking about suicide a lot lately", true},
		{"sucidal thoughts every night", true},
		{"kms", true},
		{"I'm going to end my life", true},
		{"i just want to end it all", true},
		{"I want to die", true},
		// Indirect.
		{"everyone would be better off without me", true},
		{"i don't want to be here anymore", true},
		{"there's no reason to live", true},
		{"I can't go on like this", true},
		{"i cant do this anymore", true},
		{"i want to go to sleep and never wake up", true},
		{"nobody would even notice if i was gone", true},
		{"what's the point of living", true},
		{"been giving my stuff away", true},
		{"i'm done with life", true},
		{"tired of being alive", true},
		{"life's not worth living", true},
		{"it's not worth it anymore", true},
		{"i just want it all to stop", true},
		{"i want it all to be over", true},
		{"cutting my arms again", true},
		{"i feel like ending it", true},
		{"i have pills saved up", true},
		{"i'm not safe", true},
		{"i keep thinking about jumping", true},
		{"no one cares if i live or die", true},
		{"i have a rope", true},
		{"i cant cope anymore", true},
		// Overdose.
		{"I took a whole bottle of pills", true},
		{"i think i overdosed", true},
		// Self-harm.
		{"i've been cutting again", true},
		{"I self-harm when it gets bad", true},
		{"i burned myself last night", true},
		// Abuse and danger at home.
		{"my husband hits me", true},
		{"my stepdad beat me again", true},
		{"i'm scared to go home", true},
		{"I don't feel safe at home", true},
		{"he threatened to kill me", true},
		{"my mom locks me in my room and hits me", true},
		// Benign uses of crisis words.
		{"is there a support group for people bereaved by suicide", false},
		{"I lost my brother to suicide, are there groups for families", false},
		{"suicide prevention training for group leaders", false},
		{"this queue is killing me", false},
		{"i'm dying to know how long group therapy lasts", false},
		{"can a support group help with grief", false},
		{"who runs a support group", false},
		{"how much does group therapy cost", false},
		{"can i go on tuesdays", false},
		{"would i be better off without a therapist", false},
		{"the story touched my heart", false},
		{"that's odd", false},
		{"i'm cutting back on coffee", false},
		{"is online therapy safe", false},
		{"thinking about joining a group", false},
		{"i could kill for a coffee", false},
		{"my phone died", false},
		// A benign phrase does not hide a real sign elsewhere.
		{"my brother died by suicide and now i want to kill myself", true},
		{"after my suicide attempt, is group therapy for me", true},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			if got := detector(t).Check(tc.text); got.Crisis != tc.want {
				t.Errorf("Check(%q) = %+v, want crisis %v", tc.text, got, tc.want)
			}
		})
	}
}

// TestConstructs pins one family of signs per row: the construct and, for
// someone else at risk, Other. Each sentence is caught by a mechanism
// (normalisation, a signal, a rule over concepts), not by being listed.
func TestConstructs(t *testing.T) {
	tests := []struct {
		text      string
		construct string // "" when any construct will do
		other     bool
		rule      string // the rule that must fire, when the case pins one
	}{
		// Normalisation: typos scaled to length, dropped vowels, repeated
		// letters, leetspeak, run-together words, slang.
		{"i want to end my lfie", "suicide", false, ""},
		{"dne wnt to b here anymore", "", false, ""},
		{"i wanna diiiie", "suicide", false, ""},
		{"gonna k1ll mys3lf", "suicide", false, ""},
		{"killmyself tonight honestly", "suicide", false, ""},
		{"thinking about sewerslide ngl", "suicide", false, ""},
		{"i might just unalive tbh", "suicide", false, ""},
		// Rules over concepts.
		{"standing on the edge of the roof rn", "suicide", false, ""},
		{"the pills are lined up on my desk for tonight", "suicide", false, ""},
		{"took 40 of my sleeping tablets", "overdose", false, ""},
		{"i swallowed the entire pack of paracetamol", "overdose", false, ""},
		{"how many ibuprofen would it take to not wake up", "suicide", false, ""},
		{"drank bleach an hour ago", "overdose", false, ""},
		{"wrote letters to everyone. goodbye and sorry for everything", "", false, ""},
		{"my stepdad punches me when he drinks", "abuse", false, ""},
		{"he took my phone and locked the door", "abuse", false, ""},
		{"he'll kill me if i leave", "abuse", false, ""},
		{"i'm a burden and there's no way out", "", false, ""},
		// The amount asked for an effect left unsaid ("would it take",
		// "enough to"); a dose asked for a headache is on the benign side.
		{"what amount of my lithium would be enough to do it", "overdose", false, "quantity+means+suffice"},
		{"how much codeine does it take, seriously", "overdose", false, "quantity+means+suffice"},
		// Kept locked in, kept from food: two kinds of control at once.
		{"my stepdad locks my brother inside his bedroom and he gets no dinner", "abuse", false, "control+control"},
		// Someone at home hurt, named after the verb.
		{"my uncle slapped grandma when she spilled her tea", "abuse", false, "household+violence"},
		// Someone else at risk.
		{"my friend says she wants to die", "", true, ""},
		{"kid in my server says hes gonna kill himself after school tomorrow", "", true, ""},
		{"my sister has been cutting her arms again", "", true, ""},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			f := detector(t).Check(tc.text)
			if !f.Crisis {
				t.Fatalf("missed: %+v\n%s", f, detector(t).Explain(tc.text))
			}
			if tc.construct != "" && f.Construct != tc.construct && f.Construct != "model" {
				t.Errorf("construct %q, want %q", f.Construct, tc.construct)
			}
			if tc.rule != "" && f.Rule != tc.rule {
				t.Errorf("rule %q, want %q", f.Rule, tc.rule)
			}
			if f.Other != tc.other {
				t.Errorf("other = %v, want %v (%+v)", f.Other, tc.other, f)
			}
		})
	}
}

// TestBenignSide: what sounds like a crisis and is not.
func TestBenignSide(t *testing.T) {
	for _, text := range []string{
		"My boss is going to kill me if I miss this deadline",
		"lol i killed myself in minecraft again",
		"kill the process and restart the server",
		"is there a group for people bereaved by suicide",
		"as a nurse, how should a group handle a member who mentions self harm?",
		"I self-harmed as a teenager, twenty years ago now. Is a support group for anxiety ok for me?",
		"I'm not suicidal, just lonely since the move",
		"my phone is about to die, quick question: are groups free?",
		"this traffic is killing me",
		"i'm dying to know who runs these groups",
		// The writer's pronoun next to a violence word, with no one of the
		// household ("I punched the bag at the gym"), or a household member
		// with the pronoun and no violence ("dad hugged me").
		"я бил грушу в спортзале",
		"папа меня обнял",
		// Doses asked for what they are for.
		"how many ibuprofen can i take for period pain",
		"is one paracetamol enough for a headache",
	} {
		if f := detector(t).Check(text); f.Crisis {
			t.Errorf("false alarm on %q: %+v\n%s", text, f, detector(t).Explain(text))
		}
	}
}

// TestRulesLeaveAlone: a door locked, and "him" after a violence word, are
// no rule's sign ("beat him at chess" is not a person hurt). The learned
// layer still flags some of these (it reads "kicked him" much as "kicked
// me"), so only the rules are asked here.
func TestRulesLeaveAlone(t *testing.T) {
	for _, text := range []string{
		"we always lock the bathroom door at my nan's",
		"my brother beat him at chess in the final",
		"she kicked him out of the band after one gig",
		"my dad hit her car in the car park, what about insurance",
	} {
		if f := detector(t).Check(text); f.Crisis && f.Rule != "model" {
			t.Errorf("rule %q fired on %q\n%s", f.Rule, text, detector(t).Explain(text))
		}
	}
}

// TestSignsStayNear: the rules that combine two signs look for them, and for
// the person they are about, near each other. A long story holds a "will", a
// "now" and a "forgive" somewhere by chance; the same signs side by side, or
// about a friend, are still caught.
func TestSignsStayNear(t *testing.T) {
	// Forty words of an ordinary day, with no sign of anything in them.
	const filler = " We talked about work and the weather, about the cat and the new bus timetable, " +
		"then about the garden and what to plant next spring when the days get longer, " +
		"and which shop sells the cheapest seeds in town. "
	tests := []struct {
		text  string
		rules bool
	}{
		{"I will explain why I ask, it is a bit long." + filler + "So forgive my English.", false},
		{"My son is nineteen. He's stable now, on medication that mostly works, and lives at home with me.", false},
		{"I'm on my meds now and doing a lot better, is a support group still worth it?", false},
		{"the letters are written. goodbye everyone", true},
		{"my friend is on the bridge now and won't answer her phone", true},
		{"the pills are on my desk and it's tonight", true},
		{"ich hab mir ein seil gekauft, heute nacht mach ich schluss", true},
		// A context that frames a sign (the past, a professional, a general
		// question) frames what is near it, not a sign paragraphs away.
		{"Years ago I was in a bad place." + filler + "I want to die, I mean it.", true},
		{"I'm a nurse and I have a question." + filler + "Honestly I want to kill myself.", true},
		{"Years ago I wanted to die, but I'm better now.", false},
		// What the writer cannot go on doing is an activity, not a life.
		{"I can't go on just sitting in the chair watching the telly, is there a group near me?", false},
		{"I can't go on living like this", true},
	}
	for _, tt := range tests {
		// The rules, not the learned layer: it weighs a short sentence on
		// its own, and its mistakes are its own tests' business.
		f := detector(t).Check(tt.text)
		if got := f.Crisis && f.Rule != "model"; got != tt.rules {
			t.Errorf("Check(%q): a rule fired = %v, want %v: %+v\n%s", tt.text, got, tt.rules, f, detector(t).Explain(tt.text))
		}
	}
}

// TestRealWordsReadAsWritten: the typo repair leaves real English words alone
// ("pending" is not "ending", "chord" not "cord", "below" not "blow"), and
// still repairs the typos of crisis words.
func TestRealWordsReadAsWritten(t *testing.T) {
	tests := []struct{ text, words string }{
		{"the decision is pending, see the chord chart below", "the decision is pending see the chord chart below"},
		{"he undercut the price, it is borderline rude", "he undercut the price it is borderline rude"},
		{"my son is nineteen and rambling on about his games", "my son is nineteen and rambling on about his games"},
		{"i want to kil myslef", "i want to kill myself"},
	}
	for _, tt := range tests {
		got, _, _ := strings.Cut(strings.TrimPrefix(detector(t).Explain(tt.text), "words: "), "\n")
		if got != tt.words {
			t.Errorf("%q read as %q, want %q", tt.text, got, tt.words)
		}
	}
}

// TestLanguages: a sign of crisis in other languages, as people type them
// (no accents, slang), and the language it was found in.
func TestLanguages(t *testing.T) {
	tests := []struct{ text, lang string }{
		{"ya no quiero vivir, esta noche me tomo todas las pastillas", "es"},
		{"quiero morirme", "es"},
		{"je veux mourir ce soir", "fr"},
		{"ich will nicht mehr leben", "de"},
		{"nao aguento mais, quero me matar", "pt"},
		{"voglio morire", "it"},
		{"ik wil dood", "nl"},
		{"chce umrzec", "pl"},
		{"хочу умереть", "ru"},
		{"olmek istiyorum", "tr"},
		{"aku ingin mati saja", "id"},
		{"gusto ko nang mamatay", "tl"},
		{"main marna chahta hoon", "hi"},
		{"أريد أن أموت", "ar"},
		{"我想死", "zh"},
		{"死にたい", "ja"},
		// Abuse, the writer's pronoun before the verb: the household and
		// the violence rule reads it in the violence's own language.
		{"отчим опять меня ударил вчера", "ru"},
	}
	for _, tc := range tests {
		t.Run(tc.text, func(t *testing.T) {
			f := detector(t).Check(tc.text)
			if !f.Crisis {
				t.Fatalf("missed: %+v\n%s", f, detector(t).Explain(tc.text))
			}
			if f.Lang != tc.lang {
				t.Errorf("language %q, want %q", f.Lang, tc.lang)
			}
		})
	}
}

// TestBenignNeverHides: a benign phrase sets aside only its own words; a sign
// elsewhere in the message still counts.
func TestBenignNeverHides(t *testing.T) {
	for _, text := range []string{
		"this queue is killing me and honestly i want to kill myself",
		"my dad died by suicide and i have the pills ready for tonight",
		"lol i died in the game but for real i dont want to live anymore",
		"kill the process. also i took 30 pills",
	} {
		if f := detector(t).Check(text); !f.Crisis {
			t.Errorf("missed %q: %+v\n%s", text, f, detector(t).Explain(text))
		}
	}
}

// TestSignInALongStory: a sign the rules know, at the start, in the middle or
// at the end of a 1,000-word story, is found; the story alone is not a
// crisis. The rules look for a sign's parts near each other, so a long story
// neither hides one nor makes one up. (A sign only the learned layer knows,
// "I've written the letters. Goodbye everyone.", is thinned out by the story's
// other words: its judgement is normalised by the number of features.)
func TestSignInALongStory(t *testing.T) {
	data, err := os.ReadFile("../testdata/long-story.txt")
	if err != nil {
		t.Fatal(err)
	}
	story := string(data)
	if f := detector(t).Check(story); f.Crisis {
		t.Fatalf("the story alone is a crisis: %+v", f)
	}
	mid := strings.Index(story[len(story)/2:], ". ") + len(story)/2 + 2
	for _, sign := range []string{
		"The pills are on my desk and it's tonight.",
		"My friend is on the bridge right now and won't answer.",
		"I want to kill myself.",
	} {
		for _, text := range []string{sign + " " + story, story[:mid] + sign + " " + story[mid:], story + " " + sign} {
			if f := detector(t).Check(text); !f.Crisis {
				t.Errorf("missed %q at %d of %d bytes: %+v", sign, strings.Index(text, sign), len(text), f)
			}
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "i want to die", "killmyself", "k1ll", "\xff\xfe", "死にたい", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "12345678901234567890", "~ | *"} {
		f.Add(s)
	}
	// A long message, where patterns are tried only if their words are in
	// it, with every kind of repair (two-word spellings, leetspeak, typos,
	// held-down letters, run-together words) and benign phrases blanked.
	f.Add(strings.Repeat("no one cares, can not k1ll time so i want to diiie killmyself wnt 2 dye my dad ", 6))
	d := detector(f)
	f.Fuzz(func(t *testing.T, s string) {
		got := d.Check(s)
		if got.Score < 0 || got.Score > 1 {
			t.Fatalf("score %v out of [0,1]", got.Score)
		}
		if got.Crisis && got.Lang == "" {
			t.Fatalf("a crisis without a language: %+v", got)
		}
		if again := d.Check(s); again != got {
			t.Fatalf("not deterministic: %+v then %+v", got, again)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	d := detector(b)
	msgs := []string{
		"who runs a support group?",
		"how much does grp therapy cost",
		"i want to end my lfie",
		"My boss is going to kill me if I miss this deadline",
		"hi",
		"I've been caring for my mum for three years and I'm exhausted, would a carers group help or do I need proper therapy?",
		"ya no quiero vivir",
		"standing on the edge of the roof rn",
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		d.Check(msgs[i%len(msgs)])
	}
}

// BenchmarkCheckLong checks a message of about 1,000 words (a carer's story,
// told at length), the crisis check's share of the bot's BenchmarkHandleLong.
func BenchmarkCheckLong(b *testing.B) {
	d := detector(b)
	data, err := os.ReadFile("../testdata/long-story.txt")
	if err != nil {
		b.Fatal(err)
	}
	text := string(data)
	b.ReportAllocs()
	for b.Loop() {
		d.Check(text)
	}
}

// TestSummedAsListed: the learned layer's score of a message, with each
// word's features that do not depend on its neighbours summed once when the
// detector is built, is the score of every feature listed, as the model was
// trained: on every training message and story, and on stories joined into
// long messages that run past what the learned layer reads.
func TestSummedAsListed(t *testing.T) {
	d := detector(t)
	tr, problems := knowledge.LoadTraining(os.DirFS("../../knowledge"))
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	var texts []string
	for _, e := range tr.CrisisExamples() {
		texts = append(texts, e.Text)
	}
	for _, e := range tr.StoryExamples() {
		texts = append(texts, e.Text)
	}
	data, err := os.ReadFile("../testdata/long-story.txt")
	if err != nil {
		t.Fatal(err)
	}
	texts = append(texts, string(data), "", "a", "i", "no no no", "kil myslef", "k1ll mys3lf", "qwxz vbnm plkj")
	for i := 0; i+8 < len(texts); i += 97 {
		texts = append(texts, strings.Join(texts[i:i+8], " "))
	}
	scored := 0
	for _, text := range texts {
		summed, listed := d.ScoreBothWays(text)
		if summed != listed {
			t.Fatalf("%q: summed %v, listed %v", text, summed, listed)
		}
		if summed > 0 {
			scored++
		}
	}
	if scored < len(texts)/2 {
		t.Fatalf("only %d of %d messages were scored: the test compares nothing", scored, len(texts))
	}
}

// BenchmarkNew builds the detector from the embedded lexicons and model, as
// every start of the bot does.
func BenchmarkNew(b *testing.B) {
	k, err := knowledge.Load(knowledge.Embedded())
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := crisis.New(k.CrisisLexicons, k.CrisisModel); err != nil {
			b.Fatal(err)
		}
	}
}

// TestNegationEndsWithTheSentence: a negation denies what follows it in its
// own sentence, not in the next ("I don't. I want to die"), so the rules, not
// only the learned layer, catch the sign; within a sentence it still denies.
func TestNegationEndsWithTheSentence(t *testing.T) {
	d := detector(t)
	for _, tc := range []struct {
		text  string
		rules bool // the rules catch it
	}{
		{"I don't. I want to die", true},
		{"not really. i want to kill myself", true},
		{"nope\ni want to end my life", true},
		{"Honestly? I want to die", true},
		{"i wanna s.h again", true}, // a shortened word is one sentence
		{"I don't want to kill myself, I want help with my anxiety", false},
	} {
		f := d.Check(tc.text)
		if got := f.Crisis && f.Rule != "model"; got != tc.rules {
			t.Errorf("%q: caught by the rules %v (%+v), want %v", tc.text, got, f, tc.rules)
		}
	}
}

// TestSentencesAfterTwoWordSpelling: a two-word spelling read as one ("no
// one" → "noone") does not shift where the later sentences begin.
func TestSentencesAfterTwoWordSpelling(t *testing.T) {
	d := detector(t)
	f := d.Check("no one gets it and i am not ok. i want to die")
	if !f.Crisis || f.Rule == "model" {
		t.Errorf("caught by the rules: %v (%+v), want true", f.Crisis && f.Rule != "model", f)
	}
}
