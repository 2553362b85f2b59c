// Package phrase matches short word patterns against a message's words: the
// small pattern language the crisis check, small talk and the triage trigger are
// written in. Patterns are compiled once; matching a message of up to 64 words
// allocates nothing (a longer one, the room for its word numbers).
package phrase

import (
	"fmt"
	"iter"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// A Pattern matches a run of words. It is written as words separated by
// spaces, where each position may list alternatives with "|", end in "*" to match
// any word with that prefix, and "~N" allows up to N other words in between:
//
//	"want|wanna ~2 die|dead"   matches "i want to die", "wanna be dead"
//	"suicid*"                  matches "suicide", "suicidal"
//
// Patterns are compiled once. A message's words are looked up in the set's
// [Vocab] once, and every pattern is matched against their numbers, not by
// comparing strings.
type Pattern struct {
	src   string
	slots []slot
	// need are the numbers of the exact words of one later slot that has no
	// prefixes (the one with fewest): a match must hold one of them, so in a
	// long message without any the pattern is not tried at all ("my ~1
	// client|patient" at every "my" of a story with no client in it).
	need []int32
}

type slot struct {
	words    []string // exact alternatives
	ids      []int32  // their numbers in the set's Vocab
	prefixes []string // prefix alternatives (written "word*")
	gap      int      // words that may be skipped before this slot
}

// match reports whether the word w, numbered id, fills the slot.
func (s *slot) match(w string, id int32) bool {
	if id != 0 {
		for _, x := range s.ids {
			if x == id {
				return true
			}
		}
	}
	for _, p := range s.prefixes {
		if strings.HasPrefix(w, p) {
			return true
		}
	}
	return false
}

// Compile compiles one pattern.
func Compile(src string) (Pattern, error) {
	p := Pattern{src: src}
	gap := 0
	for _, f := range strings.Fields(src) {
		if n, ok := strings.CutPrefix(f, "~"); ok {
			g, err := strconv.Atoi(n)
			if err != nil || g < 1 || len(p.slots) == 0 {
				return Pattern{}, fmt.Errorf("phrase %q: bad gap %q", src, f)
			}
			gap = g
			continue
		}
		var s slot
		s.gap = gap
		gap = 0
		for _, alt := range strings.Split(f, "|") {
			if alt == "" {
				return Pattern{}, fmt.Errorf("phrase %q: empty alternative", src)
			}
			if pre, ok := strings.CutSuffix(alt, "*"); ok {
				s.prefixes = append(s.prefixes, pre)
			} else {
				s.words = append(s.words, alt)
			}
		}
		p.slots = append(p.slots, s)
	}
	if len(p.slots) == 0 || gap != 0 {
		return Pattern{}, fmt.Errorf("phrase %q: empty or ends with a gap", src)
	}
	return p, nil
}

// matchAt reports whether the phrase matches starting at ws[i], and the index
// just past the match; ids are the words' numbers.
func (p *Pattern) matchAt(ws []string, ids []int32, i int) (int, bool) {
	if i >= len(ws) || !p.slots[0].match(ws[i], ids[i]) {
		return 0, false
	}
	return p.rest(ws, ids, 1, i+1)
}

func (p *Pattern) rest(ws []string, ids []int32, k, i int) (int, bool) {
	if k == len(p.slots) {
		return i, true
	}
	s := &p.slots[k]
	for skip := 0; skip <= s.gap && i+skip < len(ws); skip++ {
		if s.match(ws[i+skip], ids[i+skip]) {
			if end, ok := p.rest(ws, ids, k+1, i+skip+1); ok {
				return end, true
			}
		}
	}
	return 0, false
}

// A Vocab numbers the exact words of the patterns of one or more sets. A
// message's words are looked up once, with [Vocab.Lookup], and every set built
// on the vocab matches their numbers: in a long message most words are common
// ones ("i", "my", "and") that start some pattern, and a number indexes a
// slice where a word would hash a string for every map it is looked up in.
type Vocab struct {
	ids map[string]int32 // from 1; 0 is every word no pattern names
}

// NewVocab returns an empty vocab, for [NewSetIn].
func NewVocab() *Vocab { return &Vocab{ids: map[string]int32{}} }

func (v *Vocab) add(w string) int32 {
	id, ok := v.ids[w]
	if !ok {
		id = int32(len(v.ids) + 1)
		v.ids[w] = id
	}
	return id
}

// All yields every word the vocab numbers, with its number.
func (v *Vocab) All() iter.Seq2[string, int32] { return maps.All(v.ids) }

// Lookup appends the number of each word of ws to dst: 0 for a word that no
// pattern of the vocab's sets names exactly.
func (v *Vocab) Lookup(dst []int32, ws []string) []int32 {
	for _, w := range ws {
		dst = append(dst, v.ids[w])
	}
	return dst
}

// Set is a compiled list of phrases with an index on the first word, so a
// message is scanned once whatever the number of phrases.
type Set struct {
	vocab   *Vocab
	phrases []Pattern
	byFirst [][]int // exact first word's number → phrases not in byPair
	// starts has a bit for every word number that begins a phrase, in
	// byFirst or in byPair: most words of a message begin none, and
	// [Set.EachIn] and [Set.BlankIn] pass over them on one bit's test,
	// without the call that tries the patterns (a 1,000-word story made
	// some 2,000 such calls, two in three for nothing).
	starts []uint64
	// byPair indexes the phrases whose second word follows the first at once
	// and is exact ("me mato", "kill myself") by both words' numbers: a
	// common first word ("me", "i") then costs one lookup, not a try of every
	// phrase it starts. pairs marks the first words that begin such a pair.
	byPair map[uint64][]int
	pairs  []bool
	// pairBits has the bit pairBit gives each pair of byPair set: most pairs
	// of a message's words ("i was", "my mum") are no pattern's, and a bit
	// in 8 KB that stays in the cache says so without hashing into byPair.
	pairBits *bitset
	// Phrases whose first slot has a prefix alternative ("suicid*"), indexed by
	// the prefix's first two bytes: a word is tried only against the prefixes
	// it could start with, not against all of them. byLead's lists also hold
	// the phrases in short, whose prefixes are one byte or less, so every
	// list is in pattern order.
	byLead map[[2]byte][]int
	short  []int
	// leadBits marks the first two bytes of byLead's keys, for the same
	// reason as pairBits: most words begin no prefix alternative.
	leadBits *bitset
}

// bitset is 2^16 bits: a filter in front of a map that most lookups miss.
type bitset [1 << 16 / 64]uint64

func (b *bitset) set(x uint16)      { b[x>>6] |= 1 << (x & 63) }
func (b *bitset) has(x uint16) bool { return b[x>>6]&(1<<(x&63)) != 0 }

// pairBit folds a pair of word numbers into the 16 bits of a bitset.
func pairBit(a, b int32) uint16 {
	h := uint32(a)*0x9E3779B1 ^ uint32(b)*0x85EBCA77
	return uint16(h ^ h>>16)
}

func leadBit(w string) uint16 { return uint16(w[0])<<8 | uint16(w[1]) }

// prefixed returns the phrases with a prefix alternative that w could match,
// in pattern order.
func (ps *Set) prefixed(w string) []int {
	if len(w) < 2 {
		return ps.short
	}
	if !ps.leadBits.has(leadBit(w)) {
		return ps.short
	}
	if l, ok := ps.byLead[[2]byte{w[0], w[1]}]; ok {
		return l
	}
	return ps.short
}

// MustSet compiles patterns written in Go source; a mistake there is a
// programming error caught by every test run.
func MustSet(srcs ...string) *Set {
	ps, err := NewSet(srcs...)
	if err != nil {
		panic(err)
	}
	return ps
}

// NewSet compiles patterns, with a vocab of their own; the index of a pattern
// in srcs is the index [Set.Find] and [Set.Each] report.
func NewSet(srcs ...string) (*Set, error) { return NewSetIn(NewVocab(), srcs...) }

// NewSetIn compiles patterns whose words are numbered in v, so that the
// numbers [Vocab.Lookup] gives once serve every set built on v.
func NewSetIn(v *Vocab, srcs ...string) (*Set, error) {
	ps := &Set{vocab: v, byPair: map[uint64][]int{}, byLead: map[[2]byte][]int{}, pairBits: new(bitset), leadBits: new(bitset)}
	grow := func(id int32) {
		for int(id) >= len(ps.byFirst) {
			ps.byFirst = append(ps.byFirst, nil)
			ps.pairs = append(ps.pairs, false)
		}
	}
	for _, src := range srcs {
		p, err := Compile(src)
		if err != nil {
			return nil, err
		}
		for k := range p.slots {
			for _, w := range p.slots[k].words {
				p.slots[k].ids = append(p.slots[k].ids, v.add(w))
			}
			if k > 0 && len(p.slots[k].prefixes) == 0 && (p.need == nil || len(p.slots[k].ids) < len(p.need)) {
				p.need = p.slots[k].ids
			}
		}
		idx := len(ps.phrases)
		ps.phrases = append(ps.phrases, p)
		first := p.slots[0].ids
		for _, id := range first {
			grow(id)
		}
		if len(p.slots) > 1 && p.slots[1].gap == 0 && len(p.slots[1].prefixes) == 0 {
			for _, id := range first {
				ps.pairs[id] = true
				for _, id2 := range p.slots[1].ids {
					k := pairKey(id, id2)
					ps.byPair[k] = append(ps.byPair[k], idx)
					ps.pairBits.set(pairBit(id, id2))
				}
			}
		} else {
			for _, id := range first {
				ps.byFirst[id] = append(ps.byFirst[id], idx)
			}
		}
		for _, pre := range p.slots[0].prefixes {
			if len(pre) < 2 {
				ps.short = append(ps.short, idx)
				break
			}
		}
	}
	// A second pass, so that a short prefix listed after a long one still
	// lands in every lead's list in pattern order.
	isShort := map[int]bool{}
	for _, k := range ps.short {
		isShort[k] = true
	}
	for idx, p := range ps.phrases {
		var leads [][2]byte
		for _, pre := range p.slots[0].prefixes {
			if len(pre) >= 2 && !isShort[idx] {
				leads = append(leads, [2]byte{pre[0], pre[1]})
			}
		}
		for _, l := range leads {
			if list := ps.byLead[l]; len(list) == 0 || list[len(list)-1] != idx {
				ps.byLead[l] = append(list, idx)
			}
		}
	}
	ps.starts = make([]uint64, (len(ps.byFirst)+63)/64)
	for id := range ps.byFirst {
		if len(ps.byFirst[id]) > 0 || ps.pairs[id] {
			ps.starts[id/64] |= 1 << (id % 64)
		}
	}
	// Every lead's list holds the short-prefix phrases too, merged in order.
	for l, list := range ps.byLead {
		ps.byLead[l] = mergeSorted(list, ps.short)
		ps.leadBits.set(leadBit(string(l[:])))
	}
	return ps, nil
}

// mergeSorted merges two ascending lists of distinct indexes.
func mergeSorted(a, b []int) []int {
	out := make([]int, 0, len(a)+len(b))
	for len(a) > 0 && len(b) > 0 {
		if a[0] < b[0] {
			out, a = append(out, a[0]), a[1:]
		} else {
			out, b = append(out, b[0]), b[1:]
		}
	}
	return append(append(out, a...), b...)
}

func pairKey(a, b int32) uint64 { return uint64(a)<<32 | uint64(uint32(b)) }

// exact returns the phrases whose exact first word is the word numbered
// ids[i], as two lists in pattern order: those indexed by the first word alone
// and those indexed by the first two.
func (ps *Set) exact(ids []int32, i int) (a, b []int) {
	id := ids[i]
	if !ps.begins(id) {
		// No pattern of this set begins with the word (a vocab shared with
		// other sets numbers words this one never names).
		return nil, nil
	}
	a = ps.byFirst[id]
	if ps.pairs[id] && i+1 < len(ids) && ids[i+1] != 0 && ps.pairBits.has(pairBit(id, ids[i+1])) {
		b = ps.byPair[pairKey(id, ids[i+1])]
	}
	return a, b
}

// begins reports whether the word numbered id begins a phrase of the set as
// its exact first word. It is asked of every word of a message before
// anything else, in the loops themselves.
func (ps *Set) begins(id int32) bool {
	return uint32(id) < uint32(len(ps.byFirst)) && ps.starts[id>>6]&(1<<(id&63)) != 0
}

// seen is a bit for every word number of a long message (see [Set.EachIn]).
type seen [maxSeen / 64]uint64

// maxSeen bounds the vocabs a message's words are marked for: 2 KB of stack.
const maxSeen = 1 << 14

// minSeen is the length from which marking a message's words pays: below it,
// the patterns tried are few.
const minSeen = 32

func (s *seen) has(ids []int32) bool {
	for _, id := range ids {
		if s[id>>6]&(1<<(id&63)) != 0 {
			return true
		}
	}
	return false
}

// possible reports whether pattern k may match in a message whose words are
// marked in s (nil: not marked, so it may).
func (ps *Set) possible(k int, s *seen) bool {
	p := &ps.phrases[k]
	return s == nil || p.need == nil || s.has(p.need)
}

// matchesAt calls fn with each pattern that matches at ws[i] and where its
// match ends, until fn returns false: those whose exact first word ws[i] is, in
// pattern order (the two indexes merged), then, unless exactOnly, those whose
// prefix it could start with. It reports whether fn stopped it. Every way of
// matching a set walks a message through it; it is plain loops, for on a long
// message it runs at every word, and fn is called only on a match. s, when
// not nil, marks the message's words.
func (ps *Set) matchesAt(ws []string, ids []int32, i int, exactOnly bool, s *seen, fn func(k, end int) bool) bool {
	a, b := ps.exact(ids, i)
	for x, y := 0, 0; x < len(a) || y < len(b); {
		var k int
		if y == len(b) || (x < len(a) && a[x] < b[y]) {
			k, x = a[x], x+1
		} else {
			k, y = b[y], y+1
		}
		if !ps.possible(k, s) {
			continue
		}
		// Indexed by its exact first word, which ws[i] is: the rest decides.
		if e, ok := ps.phrases[k].rest(ws, ids, 1, i+1); ok && !fn(k, e) {
			return true
		}
	}
	if exactOnly {
		return false
	}
	for _, k := range ps.prefixed(ws[i]) {
		if slices.Contains(a, k) || slices.Contains(b, k) || !ps.possible(k, s) {
			continue // tried already, by its exact word; or cannot match
		}
		if e, ok := ps.phrases[k].matchAt(ws, ids, i); ok && !fn(k, e) {
			return true
		}
	}
	return false
}

// Len is the number of patterns in the set.
func (ps *Set) Len() int { return len(ps.phrases) }

// stackIDs is room on the stack for the numbers of a short message's words, so
// matching one allocates nothing.
type stackIDs [64]int32

// Each calls fn for every pattern that matches anywhere in ws, with where the
// match starts and ends (ws[start:end]); at one position, each pattern reports
// its shortest match. Empty words never match.
func (ps *Set) Each(ws []string, fn func(idx, start, end int)) {
	var buf stackIDs
	ps.EachIn(ws, ps.vocab.Lookup(buf[:0], ws), fn)
}

// EachIn is [Set.Each] for words already looked up in the set's vocab. In a
// long message it first marks the words present, so that a pattern is tried
// only where the words it needs are in the message at all.
func (ps *Set) EachIn(ws []string, ids []int32, fn func(idx, start, end int)) {
	if len(ws) >= minSeen && len(ps.vocab.ids) < maxSeen {
		ps.eachMarked(ws, ids, fn)
		return
	}
	ps.each(ws, ids, nil, fn)
}

// eachMarked is [Set.EachIn] for a long message, apart so that a short one
// does not clear the marks' 2 KB of stack.
func (ps *Set) eachMarked(ws []string, ids []int32, fn func(idx, start, end int)) {
	var marks seen
	for _, id := range ids {
		marks[id>>6] |= 1 << (id & 63)
	}
	ps.each(ws, ids, &marks, fn)
}

func (ps *Set) each(ws []string, ids []int32, s *seen, fn func(idx, start, end int)) {
	for i, w := range ws {
		if w == "" || !ps.begins(ids[i]) && len(ps.prefixed(w)) == 0 {
			continue
		}
		ps.matchesAt(ws, ids, i, false, s, func(k, e int) bool {
			fn(k, i, e)
			return true
		})
	}
}

// Find returns the first phrase that matches anywhere in ws, the position where
// it starts and where it ends; idx is -1 when none matches.
func (ps *Set) Find(ws []string) (idx, start, end int) {
	var buf stackIDs
	ids := ps.vocab.Lookup(buf[:0], ws)
	for i, w := range ws {
		if w == "" {
			continue
		}
		if ps.matchesAt(ws, ids, i, false, nil, func(k, e int) bool {
			idx, start, end = k, i, e
			return false
		}) {
			return idx, start, end
		}
	}
	return -1, 0, 0
}

// Matches reports whether any phrase matches ws.
func (ps *Set) Matches(ws []string) bool {
	k, _, _ := ps.Find(ws)
	return k >= 0
}

// MatchesWhole reports whether a phrase matches all of ws, from first word to last.
func (ps *Set) MatchesWhole(ws []string) bool {
	if len(ws) == 0 {
		return false
	}
	var buf stackIDs
	ids := ps.vocab.Lookup(buf[:0], ws)
	return ps.matchesAt(ws, ids, 0, false, nil, func(_, e int) bool { return e != len(ws) })
}

// Blank empties every word covered by a match of any phrase, so later checks
// skip it (used to set benign phrases aside before the crisis check).
func (ps *Set) Blank(ws []string) {
	var buf stackIDs
	ps.BlankIn(ws, ps.vocab.Lookup(buf[:0], ws))
}

// BlankIn is [Set.Blank] for words already looked up in the set's vocab; the
// number of a word it empties becomes 0 too.
func (ps *Set) BlankIn(ws []string, ids []int32) {
	for i := 0; i < len(ws); i++ {
		if ws[i] == "" || !ps.begins(ids[i]) {
			continue
		}
		// Benign phrases begin with an exact word ("kill time").
		ps.matchesAt(ws, ids, i, true, nil, func(_, e int) bool {
			for j := i; j < e; j++ {
				ws[j], ids[j] = "", 0
			}
			return false
		})
	}
}
