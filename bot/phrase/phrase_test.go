package phrase

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

func TestPhrase(t *testing.T) {
	tests := []struct {
		pattern, text string
		want          bool
	}{
		{"want|wanna ~2 die", "i want to die", true},
		{"want|wanna ~2 die", "i wanna die", true},
		{"want|wanna ~2 die", "i want to go and die", false}, // three words between: beyond the gap
		{"suicid*", "suicidal thoughts", true},
		{"kill myself", "kill time", false},
		{"end it all", "end it", false},
	}
	for _, tc := range tests {
		ps := MustSet(tc.pattern)
		if got := ps.Matches(strings.Fields(tc.text)); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.text, got, tc.want)
		}
	}
}

func TestCompilePhraseErrors(t *testing.T) {
	for _, bad := range []string{"", "~2 word", "word ~x other", "word ~2", "a||b"} {
		if _, err := Compile(bad); err == nil {
			t.Errorf("Compile(%q) = nil error, want one", bad)
		}
	}
}

// TestIndexFindsWhatAScanFinds: indexing patterns by their first two words,
// or prefix patterns by their first two bytes, must report exactly the
// matches, in exactly the order, that trying every pattern at every word
// reports.
func TestIndexFindsWhatAScanFinds(t *testing.T) {
	srcs := []string{"suicid*", "k* myself", "kill ~2 m*", "s*|die", "end it", "o|over* dose*", "d*|x ~1 now", "ki*", "sel* harm*", "kill myself", "me kill", "end", "kill myself now", "me ~1 dead|die", "end it"}
	ps := MustSet(srcs...)
	var prefixed []int
	for i, p := range ps.phrases {
		if len(p.slots[0].prefixes) > 0 {
			prefixed = append(prefixed, i)
		}
	}
	// The reference: every pattern with the word as an exact first
	// alternative, then every prefix pattern, each in pattern order.
	scan := func(ws []string) (got [][3]int) {
		ids := ps.vocab.Lookup(nil, ws)
		for i, w := range ws {
			if w == "" {
				continue
			}
			for k, p := range ps.phrases {
				if slices.Contains(p.slots[0].words, w) {
					if e, ok := p.matchAt(ws, ids, i); ok {
						got = append(got, [3]int{k, i, e})
					}
				}
			}
			for _, k := range prefixed {
				if slices.Contains(ps.phrases[k].slots[0].words, w) {
					continue // each pattern reports once at one position
				}
				if e, ok := ps.phrases[k].matchAt(ws, ids, i); ok {
					got = append(got, [3]int{k, i, e})
				}
			}
		}
		return got
	}
	vocab := strings.Fields("suicide suicidal kill killing kms myself me my die dies dead s x o over overdose dose doses self selfharm harm now end it ki k the a")
	vocab = append(vocab, "", "kill", "myself", "me", "end", "it")
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 2000 {
		// Long messages too, where EachIn first marks the words present.
		ws := make([]string, 1+rng.IntN(8)+n%2*rng.IntN(2*minSeen))
		for i := range ws {
			ws[i] = vocab[rng.IntN(len(vocab))]
		}
		var got [][3]int
		ps.Each(ws, func(idx, start, end int) { got = append(got, [3]int{idx, start, end}) })
		want := scan(ws)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: Each gave %v, a scan gives %v", ws, got, want)
		}
		k, start, end := ps.Find(ws)
		if len(want) == 0 && k != -1 || len(want) > 0 && [3]int{k, start, end} != want[0] {
			t.Fatalf("%q: Find gave %d %d %d, a scan first finds %v", ws, k, start, end, want)
		}
		whole := slices.ContainsFunc(want, func(m [3]int) bool { return m[1] == 0 && m[2] == len(ws) })
		if ps.MatchesWhole(ws) != whole {
			t.Fatalf("%q: MatchesWhole gave %v, want %v", ws, !whole, whole)
		}
	}
}

// TestSharedVocab: sets built on one vocab match a message looked up once as
// each would on its own, including words only the other set names, and
// BlankIn empties the numbers of the words it empties.
func TestSharedVocab(t *testing.T) {
	v := NewVocab()
	benign := must(NewSetIn(v, "kill time", "dying to"))
	signs := must(NewSetIn(v, "kill ~1 myself", "want ~2 die|dead", "overdos*", "zzz only here"))
	alone := MustSet("kill ~1 myself", "want ~2 die|dead", "overdos*", "zzz only here")
	for _, text := range []string{
		"i want to kill time not myself", "dying to see you", "i want to die", "kill myself",
		"overdosed", "zzz only here", "time kill myself", "dying to die",
	} {
		ws := strings.Fields(text)
		ids := v.Lookup(nil, ws)
		benign.BlankIn(ws, ids)
		for i := range ws {
			if want := v.Lookup(nil, ws[i:i+1])[0]; ids[i] != want {
				t.Errorf("%q: word %d %q numbered %d after BlankIn, want %d", text, i, ws[i], ids[i], want)
			}
		}
		var got, want [][3]int
		signs.EachIn(ws, ids, func(k, s, e int) { got = append(got, [3]int{k, s, e}) })
		alone.Each(ws, func(k, s, e int) { want = append(want, [3]int{k, s, e}) })
		if !slices.Equal(got, want) {
			t.Errorf("%q: shared vocab gave %v, a set of its own %v", text, got, want)
		}
	}
}

// TestBlankFindsWhatAScanFinds: blanking a message must empty exactly the
// words that trying every pattern with an exact first word at every word, in
// pattern order, empties, though most words are passed over without a try.
func TestBlankFindsWhatAScanFinds(t *testing.T) {
	v := NewVocab()
	MustSetIn := func(srcs ...string) *Set { return must(NewSetIn(v, srcs...)) }
	// Another set on the vocab numbers words this one never begins with.
	MustSetIn("x marks", "dead end", "hard time")
	ps := MustSetIn("kill time", "dying to", "me ~1 dead|die", "end it all", "i|me kill", "die hard", "kill ~2 it", "end")
	scan := func(ws []string) []string {
		ws = slices.Clone(ws)
		ids := v.Lookup(nil, ws)
		for i := range ws {
			if ws[i] == "" {
				continue
			}
			for _, p := range ps.phrases {
				if !slices.Contains(p.slots[0].words, ws[i]) {
					continue
				}
				if e, ok := p.matchAt(ws, ids, i); ok {
					for j := i; j < e; j++ {
						ws[j], ids[j] = "", 0
					}
					break
				}
			}
		}
		return ws
	}
	vocab := strings.Fields("kill time dying to me dead die end it all i hard the a my x marks")
	vocab = append(vocab, "")
	rng := rand.New(rand.NewPCG(3, 4))
	for n := range 2000 {
		ws := make([]string, 1+rng.IntN(8)+n%2*rng.IntN(4*minSeen))
		for i := range ws {
			ws[i] = vocab[rng.IntN(len(vocab))]
		}
		want := scan(ws)
		ids := v.Lookup(nil, ws)
		got := slices.Clone(ws)
		ps.BlankIn(got, ids)
		if !slices.Equal(got, want) {
			t.Fatalf("%q: BlankIn gave %q, a scan gives %q", ws, got, want)
		}
		if wantIDs := v.Lookup(nil, got); !slices.Equal(ids, wantIDs) {
			t.Fatalf("%q: BlankIn left numbers %v, want %v", ws, ids, wantIDs)
		}
	}
}

func TestMatchingAShortMessageAllocatesNothing(t *testing.T) {
	ps := MustSet("see you|ya later|soon", "bye*", "thanks ~2 help")
	ws := strings.Fields("ok thanks a lot for the help see ya later")
	if n := testing.AllocsPerRun(100, func() {
		ps.Matches(ws)
		ps.MatchesWhole(ws)
		ps.Each(ws, func(int, int, int) {})
	}); n != 0 {
		t.Errorf("%v allocations per match, want 0", n)
	}
}

func must(ps *Set, err error) *Set {
	if err != nil {
		panic(err)
	}
	return ps
}
