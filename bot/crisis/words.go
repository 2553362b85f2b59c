package crisis

import (
	"math/bits"
	"sort"
	"strconv"
	"strings"

	"github.com/supportbot/supportbot/bot/textnorm"
)

// words splits normalised text into words and repairs each against the crisis
// vocabulary, so the lexicons see "kill myself" in "kil myslef", "killmyself",
// "k1ll mys3lf" and "kiiill myself", and "want to die" in "wnt 2 dye".
// It writes the words' numbers in the phrase sets' vocab to sc.ids, and in
// sc.begins which of them begin a sentence (ends: where in norm sentences
// end, as textnorm.NormalizeSentences gives them).
func (d *Detector) words(dst []string, sc *scratch, norm string, ends []int32) []string {
	sc.buf = textnorm.Words(sc.buf[:0], norm)
	raw := sc.buf
	// Typos are repaired towards English words only in a message that reads
	// as English: "donde esta la biblioteca" is Spanish, not "done". Each
	// word is looked up once, here, for the repair and the phrase sets too.
	english := 0
	// The slices are filled in local variables and stored in sc once: an
	// append stored in sc at every word costs a write of its pointer to the
	// heap (and the GC's barrier while it marks).
	infos := sc.info[:0]
	for _, w := range raw {
		info := d.info(w)
		infos = append(infos, info)
		if info.class&(classKnown|classEnglish) != 0 {
			english++
		}
	}
	sc.info = infos
	repairTypos := len(raw) < 3 || 2*english >= len(raw)
	ids, inf, begs := sc.ids[:0], sc.inf[:0], sc.begins[:0]
	// Word i of norm starts at off, one past the space after word i-1:
	// it begins a sentence when that word's end is among ends.
	next, off := 0, 0 // the first of ends not yet passed; where word i starts
	for i := 0; i < len(raw); i++ {
		w, info, n := raw[i], infos[i], len(dst)
		begins := endsAt(ends, &next, off-1)
		off += len(w) + 1
		// Two-word spellings first: "no one" → "noone", "can not" → "cant";
		// not across the end of a sentence ("No. One more thing").
		if i+1 < len(raw) && info.class&classSpells2 != 0 && infos[i+1].class&classSpelled2 != 0 && !endsAt(ends, &next, off-1) {
			if to, ok := d.spell2[[2]string{w, raw[i+1]}]; ok {
				dst = textnorm.Words(dst, to)
				ids, inf = d.lookup(ids, inf, dst[n:])
				begs = marks(begs, len(dst)-n, begins)
				off += len(raw[i+1]) + 1
				i++
				continue
			}
		}
		dst = d.repair(dst, w, info.class, repairTypos)
		if len(dst) == n+1 && dst[n] == w {
			// Most words: as written, and looked up already.
			ids, inf, begs = append(ids, info.id), append(inf, info), append(begs, begins)
		} else {
			ids, inf = d.lookup(ids, inf, dst[n:])
			begs = marks(begs, len(dst)-n, begins)
		}
	}
	sc.ids, sc.inf, sc.begins = ids, inf, begs
	return dst
}

// endsAt reports whether a sentence ends at offset at of norm. ends is
// sorted and *next the first of them not before the words read so far: it
// moves on past those before at, as the next word's reading would.
func endsAt(ends []int32, next *int, at int) bool {
	for *next < len(ends) && int(ends[*next]) < at {
		*next++
	}
	return *next < len(ends) && int(ends[*next]) == at
}

// marks appends n marks of whether words begin a sentence: the first one's
// begins, the rest (a word repaired into several) false.
func marks(dst []bool, n int, begins bool) []bool {
	for k := range n {
		dst = append(dst, begins && k == 0)
	}
	return dst
}

// lookup appends what the detector knows of repaired words: their numbers
// in the phrase sets' vocab to ids, all of it to inf.
func (d *Detector) lookup(ids []int32, inf []wordInfo, ws []string) ([]int32, []wordInfo) {
	for _, w := range ws {
		info := d.info(w)
		ids, inf = append(ids, info.id), append(inf, info)
	}
	return ids, inf
}

// repair appends the repaired form of one word (possibly several words, for a
// run-together "killmyself"); typos false leaves misspellings alone (slang
// spellings, leetspeak and held-down letters are still read).
func (d *Detector) repair(dst []string, w string, c wordClass, typos bool) []string {
	if isDigits(w) {
		if n, err := strconv.Atoi(w); err == nil && n >= 10 && n < 100000 {
			return append(dst, "[number]")
		}
		return append(dst, w)
	}
	if c&classSpelling != 0 {
		return textnorm.Words(dst, d.spell1[w])
	}
	if c&(classVocab|classKnown|classBenign) != 0 || !isASCIIWord(deLeet(w)) || (w[0] >= '0' && w[0] <= '9') {
		return append(dst, w)
	}
	if hasDigit(w) && w[0] >= 'a' && w[0] <= 'z' {
		// Leetspeak: "k1ll", "su1c1de", "d13" (a word that starts with a
		// number, "20s", "14yo", is a number).
		lw := deLeet(w)
		if to, ok := d.spell1[lw]; ok {
			return textnorm.Words(dst, to)
		}
		if d.vocab[lw] || d.known[lw] {
			return append(dst, lw)
		}
		w = lw
	}
	// Letters held down: "diiiie", "pleeeease", "killll".
	if c2, c1, ok := squeeze(w); ok {
		for _, c := range []string{c2, c1} {
			if to, ok := d.spell1[c]; ok {
				return textnorm.Words(dst, to)
			}
			if d.vocab[c] || d.known[c] {
				return append(dst, c)
			}
		}
		w = c1
	}
	if !typos || d.inflected(w) {
		return append(dst, w)
	}
	if fix := d.correct(w); fix != "" {
		return append(dst, fix)
	}
	if len(w) >= 6 {
		if n, ok := d.split(dst, w); ok {
			return n
		}
	}
	return append(dst, w)
}

// inflected reports whether w is a known word with an ending ("treats",
// "classmates", "counsellors"): a real word, not a typo to repair.
func (d *Detector) inflected(w string) bool {
	for _, suf := range []string{"s", "es", "ed", "d", "ing", "er", "ers", "ly", "y"} {
		if stem, ok := strings.CutSuffix(w, suf); ok && len(stem) >= 3 && d.info(stem).class&(classKnown|classVocab) != 0 {
			return true
		}
	}
	return false
}

// correct returns the crisis word w is a typo of, or "". The edits allowed
// grow with the word: none under 4 letters (too many real words are one edit
// from "die"), one up to 6, two from 7. A word without vowels is read as its
// consonants ("wnt" → "want", "dne" keeps its one vowel). Ties go to the first
// candidate in the lexicons' order, so the result never depends on map order.
func (d *Detector) correct(w string) string {
	if !hasVowel(w) && len(w) >= 2 && len(w) <= 6 {
		if to, ok := d.skel[w]; ok {
			return to
		}
	}
	if len(w) < 4 || len(w) > 20 {
		return ""
	}
	max := 1
	if len(w) >= 7 {
		max = 2
	}
	letters := letterSet(w)
	// try returns the nearest of cands, the first as listed among equals.
	// cands run from the shortest word: only lengths within max of w's are
	// read.
	try := func(cands []target) (string, int) {
		best, bestD, bestRank := "", max+1, int32(0)
		lo := sort.Search(len(cands), func(i int) bool { return len(cands[i].w) >= len(w)-max })
		for _, c := range cands[lo:] {
			if len(c.w) > len(w)+max {
				break
			}
			// Each edit brings in or takes away at most one letter: a word
			// with more letters the other lacks is too far to measure.
			if bits.OnesCount64(letters&^c.letters) > max || bits.OnesCount64(c.letters&^letters) > max {
				continue
			}
			dist := textnorm.EditDistance(w, c.w, max)
			// Under 7 letters a changed letter too often makes another real
			// word ("nope" is not "note"): only a letter left out, added or
			// swapped with its neighbour counts there.
			if dist == 1 && len(w) < 7 && len(c.w) == len(w) && !swapped(w, c.w) {
				continue
			}
			if dist < bestD || dist == bestD && dist <= max && c.rank < bestRank {
				best, bestD, bestRank = c.w, dist, c.rank
			}
		}
		return best, bestD
	}
	best, bestD := try(d.targets[w[0]])
	// A swap of the first two letters ("lfie") starts with the other letter;
	// a word starting with w's first letter is preferred at equal distance.
	if w[1] != w[0] {
		if b, dist := try(d.targets[w[1]]); dist < bestD {
			best = b
		}
	}
	return best
}

// target is a word typos are repaired towards, with its letterSet and its
// place among the targets of its first letter as the lexicons list them,
// which decides between equally near ones.
type target struct {
	w       string
	letters uint64
	rank    int32
}

// letterSet marks the bytes of w in 64 bits (byte mod 64: the letters a to z
// get a bit each). Bytes that share a bit only make the set say less, never
// something false: a bit in one set and not the other is a byte one word has
// and the other lacks.
func letterSet(w string) uint64 {
	var s uint64
	for i := 0; i < len(w); i++ {
		s |= 1 << (w[i] & 63)
	}
	return s
}

// swapped reports whether a and b differ only by two neighbouring letters
// swapped ("lfie", "life").
func swapped(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i+1 < len(a); i++ {
		if a[i] != b[i] {
			return a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
		}
	}
	return false
}

// split reads a run-together word as two or three words, at least one of them
// a crisis word: "killmyself", "wanttodie", "endmylife".
func (d *Detector) split(dst []string, w string) ([]string, bool) {
	// A part is a word when the detector knows it, an English pattern has
	// it, or it is one of shortWords: one lookup (see wordInfo).
	const word = classKnown | classEnglish | classShort
	for i := 2; i <= len(w)-2; i++ {
		a, b := w[:i], w[i:]
		ca := d.info(a).class
		if ca&word == 0 {
			continue
		}
		if cb := d.info(b).class; cb&word != 0 && (ca|cb)&classEnglish != 0 {
			return append(dst, a, b), true
		}
		for j := 2; j <= len(b)-2; j++ {
			b1, b2 := b[:j], b[j:]
			c1 := d.info(b1).class
			if c1&word == 0 {
				continue
			}
			if c2 := d.info(b2).class; c2&word != 0 && (ca|c1|c2)&classEnglish != 0 && min(len(a), len(b1), len(b2)) >= 2 {
				return append(dst, a, b1, b2), true
			}
		}
	}
	return dst, false
}

// shortWords may stand inside a run-together word though no pattern lists
// them alone (classShort).
var shortWords = map[string]bool{"to": true, "my": true, "me": true, "i": true, "it": true, "be": true, "im": true, "of": true, "so": true, "all": true}

func isDigits(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

func hasDigit(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] >= '0' && w[i] <= '9' {
			return true
		}
	}
	return false
}

func hasVowel(w string) bool { return strings.ContainsAny(w, "aeiouy") }

// deLeet reads digits inside a word as the letters they stand for.
func deLeet(w string) string {
	if !hasDigit(w) {
		return w
	}
	return leet.Replace(w)
}

var leet = strings.NewReplacer("0", "o", "1", "i", "3", "e", "4", "a", "5", "s", "7", "t", "8", "b", "9", "g")

// squeeze shortens runs of three or more of one letter: to two ("killl" →
// "kill") and to one ("diiie" → "die"). ok is false when w has no such run.
func squeeze(w string) (two, one string, ok bool) {
	run := 1
	for i := 1; i < len(w); i++ {
		if w[i] == w[i-1] {
			if run++; run >= 3 {
				ok = true
			}
		} else {
			run = 1
		}
	}
	if !ok {
		return "", "", false
	}
	var b2, b1 []byte
	for i := 0; i < len(w); i++ {
		if i >= 2 && w[i] == w[i-1] && w[i] == w[i-2] {
			continue
		}
		b2 = append(b2, w[i])
		if i >= 1 && w[i] == w[i-1] {
			continue
		}
		b1 = append(b1, w[i])
	}
	return string(b2), string(b1), true
}

// skeleton is a word without its vowels: "want" → "wnt".
func skeleton(w string) string {
	var b []byte
	for i := 0; i < len(w); i++ {
		switch w[i] {
		case 'a', 'e', 'i', 'o', 'u':
		default:
			b = append(b, w[i])
		}
	}
	return string(b)
}
