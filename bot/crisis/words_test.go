package crisis

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/supportbot/supportbot/bot/textnorm"
)

// TestLetterSetNeverRejectsAMatch: correct skips a candidate whose letters
// differ from the word's by more than the edits allowed. That must never skip
// a word within those edits, or a typo would go unrepaired.
func TestLetterSetNeverRejectsAMatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const letters = "abcdeilmnoprstuy"
	word := func() string {
		b := make([]byte, 3+rng.IntN(10))
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		return string(b)
	}
	edit := func(w string) string {
		b := []byte(w)
		switch i := rng.IntN(len(b)); rng.IntN(4) {
		case 0:
			b[i] = letters[rng.IntN(len(letters))]
		case 1:
			b = append(b[:i], b[i+1:]...)
		case 2:
			b = append(b[:i], append([]byte{letters[rng.IntN(len(letters))]}, b[i:]...)...)
		default:
			if i+1 < len(b) {
				b[i], b[i+1] = b[i+1], b[i]
			}
		}
		return string(b)
	}
	near := 0
	for range 200000 {
		a := word()
		b := edit(a)
		if rng.IntN(2) == 0 {
			b = edit(b)
		}
		if rng.IntN(8) == 0 {
			b = word()
		}
		for max := 1; max <= 2; max++ {
			if textnorm.EditDistance(a, b, max) > max {
				continue
			}
			near++
			la, lb := letterSet(a), letterSet(b)
			if n, m := popcount(la&^lb), popcount(lb&^la); n > max || m > max {
				t.Fatalf("%q and %q are within %d edits, but their letters differ by %d and %d", a, b, max, n, m)
			}
		}
	}
	if near < 100000 {
		t.Fatalf("only %d pairs within reach: the test tries too little", near)
	}
}

func popcount(x uint64) int {
	n := 0
	for ; x != 0; x &= x - 1 {
		n++
	}
	return n
}

// TestRealWords: a dictionary word the typo repair would turn into a crisis
// word is returned, to be known; one it leaves alone, a crisis word itself,
// and another form of a crisis word are not.
func TestRealWords(t *testing.T) {
	lx := []Lexicon{{Lang: "en", Concepts: map[string][]string{
		"means":   {"cord|pills"},
		"death":   {"ending"},
		"mention": {"overdose"},
	}}}
	got, err := RealWords(lx, nil, []string{"chord", "cord", "hello", "overdone", "pending", "pills"})
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"chord", "pending"}; !slices.Equal(got, want) {
		t.Errorf("RealWords = %q, want %q", got, want)
	}
}

// TestShortWords: the array of short words says of each what the map says,
// and numbers no two words alike.
func TestShortWords(t *testing.T) {
	lex := []Lexicon{{Lang: "en", Concepts: map[string][]string{
		"death":  {"die", "dead"},
		"desire": {"want to", "i wanna"},
		"self":   {"me", "my", "i"},
	}}}
	d, err := New(lex, &Model{Known: []string{"the", "and", "cat", "a", "zzz", "dog's", "cafe"}})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]string{}
	const az = "abcdefghijklmnopqrstuvwxyz"
	var all []string
	for _, a := range az {
		all = append(all, string(a))
		for _, b := range az {
			all = append(all, string(a)+string(b))
			for _, c := range az {
				all = append(all, string(a)+string(b)+string(c))
			}
		}
	}
	for _, w := range all {
		i, ok := shortIndex(w)
		if !ok {
			t.Fatalf("shortIndex(%q) is not ok", w)
		}
		if other, dup := seen[i]; dup {
			t.Fatalf("shortIndex numbers %q and %q alike", w, other)
		}
		seen[i] = w
	}
	for _, w := range append(all, "", "dog's", "cafe", "die!", "é", "1") {
		if got, want := d.info(w), d.class[w]; got != want {
			t.Errorf("info(%q) = %+v, the map says %+v", w, got, want)
		}
	}
	if d.info("die").class&classVocab == 0 || d.info("the").class&classKnown == 0 {
		t.Errorf("a crisis word or a known word reads as unknown: %+v %+v", d.info("die"), d.info("the"))
	}
}

// TestCorrectFirstListedAmongEquals: of two targets as near to a typo, the
// one listed first wins, whatever their lengths (correct reads the targets
// by length).
func TestCorrectFirstListedAmongEquals(t *testing.T) {
	lex := []Lexicon{{Lang: "en", Concepts: map[string][]string{
		// "aabxde" and "abde" are one edit from "abxde"; "aabxde" comes first.
		"means": {"abde", "aabxde", "abxdefgh"},
	}}}
	d, err := New(lex, nil)
	if err != nil {
		t.Fatal(err)
	}
	for typo, want := range map[string]string{"abxde": "aabxde", "abxdefg": "abxdefgh", "abed": "abde", "zzzzz": ""} {
		if got := d.correct(typo); got != want {
			t.Errorf("correct(%q) = %q, want %q", typo, got, want)
		}
	}
}

// TestAlternatives: New reads a pattern's words with alternatives, not
// strings.Fields and strings.Split; it must give what they gave.
func TestAlternatives(t *testing.T) {
	for _, p := range []string{"", "die", "cant ~1 go|carry*", "want|wanna to die|dy*", "[number] pills", "a|b|c d"} {
		var want []string
		for _, f := range strings.Fields(p) {
			want = append(want, strings.Split(f, "|")...)
		}
		if got := slices.Collect(alternatives(p)); !slices.Equal(got, want) {
			t.Errorf("alternatives(%q) = %q, want %q", p, got, want)
		}
	}
	// allIn stops at the first word not in the set, gaps aside.
	set := map[string]bool{"want": true, "die": true}
	for p, want := range map[string]bool{"want ~2 die": true, "want|wish ~2 die": false, "": false} {
		if got := allIn(set, p); got != want {
			t.Errorf("allIn(%q) = %v, want %v", p, got, want)
		}
	}
}
