package crisis

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/supportbot/supportbot/bot/textclass"
)

// windowLexicons know one concept the windows judge ("die") and one that
// frames nothing.
var windowLexicons = []Lexicon{{Lang: "en", Concepts: map[string][]string{
	"death":  {"die"},
	"desire": {"want to"},
}}}

// TestFeaturesByWord: grouped by word, the features of a message are those the
// learned layer was always given: the character n-grams of its words joined,
// their uni- and bigrams, and the rules' features.
func TestFeaturesByWord(t *testing.T) {
	d, err := New(windowLexicons, nil)
	if err != nil {
		t.Fatal(err)
	}
	var f textclass.Featurizer
	sc := new(scratch)
	for _, text := range []string{"", "hi", "i want to die", "no no no i dont want to die", "we went to the park and it was sunny, i want to die"} {
		d.checkText(sc, text)
		joined := strings.Join(sc.uniq, " ")
		want := f.Chars(nil, joined)
		want = f.Words(want, sc.uniq)
		reach := 0
		for i, w := range sc.uniq {
			switch c := sc.uniqInf[i].class; {
			case c&classNeg != 0:
				reach = 3
			case c&classBreak != 0:
				reach = 0
			case reach > 0:
				want = append(want, textclass.Feature("not_"+w))
				reach--
			}
		}
		for _, r := range sc.fired {
			want = append(want, textclass.Feature(r.name))
		}
		got := slices.Clone(sc.feat[:sc.whole])
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%q: %d features by word, want the %d of the whole message", text, len(got), len(want))
		}
	}
}

// TestWindows: a message no longer than a window is one window, scored as the
// whole message is; in a long message the highest window is the one with the
// sign, which scores above the whole message, where the story thins it out.
func TestWindows(t *testing.T) {
	d, err := New(windowLexicons, nil)
	if err != nil {
		t.Fatal(err)
	}
	sc := &scratch{allWords: true} // as the training reads a long message (scoreLong)
	feats := func(text string) []uint32 {
		d.checkText(sc, text)
		return slices.Clone(sc.feat[:sc.whole])
	}
	var ex []textclass.Example
	for _, s := range []string{"i want to die", "i just want to die tonight", "want to die so bad"} {
		ex = append(ex, textclass.Example{Features: feats(s), Class: 1})
	}
	for _, s := range []string{"the garden was lovely", "we went to the park", "i want to go to the shops", "the die was cast in the game", "mum is having her tea"} {
		ex = append(ex, textclass.Example{Features: feats(s), Class: 0})
	}
	m, err := textclass.Train(ex, []string{"safe", "crisis"}, textclass.DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}

	short := "i just want to die"
	d.check(sc, short, short, nil)
	whole := m.Logit(m.Margin(sc.feat[:sc.whole]), sc.whole)
	if z, at := d.bestWindow(sc, m, sumWords(m, sc), 12); math.Abs(z-whole) > 1e-9 || at != 0 {
		t.Errorf("%q in one window: logit %v at %d, want the whole message's %v at 0", short, z, at, whole)
	}

	story := strings.Repeat("we went to the park and the garden was lovely and mum is having her tea ", 20)
	for _, text := range []string{short + " " + story, story + short + " " + story, story + short} {
		d.checkText(sc, text)
		z, at := d.bestWindow(sc, m, sumWords(m, sc), 12)
		got := strings.Join(sc.uniq[at:at+12], " ")
		if !strings.Contains(got, "want to die") {
			t.Errorf("the highest window is %q, want the one with the sign", got)
		}
		if whole := m.Logit(m.Margin(sc.feat[:sc.whole]), sc.whole); z <= whole {
			t.Errorf("the sign's window scores %v, no more than the whole message's %v", z, whole)
		}
	}
	d.checkText(sc, story)
	if z, _ := d.bestWindow(sc, m, sumWords(m, sc), 12); !math.IsInf(z, -1) {
		t.Errorf("a story with nothing the lexicons know has a window judged (logit %v)", z)
	}
}

// TestFramedWindow: a window is set aside as the rules set a sign aside, by a
// calm past near it (unless an urgent present is near too) or by a
// professional's words near it (unless the writer's own are in the window).
func TestFramedWindow(t *testing.T) {
	d, err := New([]Lexicon{{Lang: "en",
		Concepts: map[string][]string{
			"death":        {"die"},
			"past":         {"years ago"},
			"professional": {"as a nurse"},
			"now":          {"tonight"},
			"self":         {"i", "my"},
		},
	}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	story := strings.Repeat("we went to the park and the garden was lovely ", 6)
	tests := []struct {
		sign   string
		framed bool
	}{
		{"patients want to die", false},
		{"years ago patients wanted to die", true},
		{"years ago patients wanted to die tonight", false},
		{"as a nurse patients want to die", true},
		{"as a nurse i want to die", false},
	}
	sc := &scratch{allWords: true} // as the training reads a long message (scoreLong)
	for _, tt := range tests {
		text := story + tt.sign + " " + story
		d.checkText(sc, text)
		die := slices.Index(sc.uniq, "die")
		if got := d.framed(sc, max(die-4, 0), die); got != tt.framed {
			t.Errorf("%q in a story: framed %v, want %v", tt.sign, got, tt.framed)
		}
	}
}
