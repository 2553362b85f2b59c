// Package phrase matches short word patterns against a message's words: the
// small pattern language the crisis check, small talk and the triage trigger are
// written in. Patterns are compiled once; matching allocates nothing.
package phrase

import (
	"fmt"
	"iter"
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
// Patterns are compiled once; matching allocates nothing.
type Pattern struct {
	src   string
	slots []slot
}

type slot struct {
	words    []string // exact alternatives
	prefixes []string // prefix alternatives (written "word*")
	gap      int      // words that may be skipped before this slot
}

func (s *slot) match(w string) bool {
	for _, x := range s.words {
		if x == w {
			return true
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
// just past the match.
func (p *Pattern) matchAt(ws []string, i int) (int, bool) {
	if i >= len(ws) || !p.slots[0].match(ws[i]) {
		return 0, false
	}
	return p.rest(ws, 1, i+1)
}

func (p *Pattern) rest(ws []string, k, i int) (int, bool) {
	if k == len(p.slots) {
		return i, true
	}
	s := &p.slots[k]
	for skip := 0; skip <= s.gap && i+skip < len(ws); skip++ {
		if s.match(ws[i+skip]) {
			if end, ok := p.rest(ws, k+1, i+skip+1); ok {
				return end, true
			}
		}
	}
	return 0, false
}

// Set is a compiled list of phrases with an index on the first word, so a
// message is scanned once whatever the number of phrases.
type Set struct {
	phrases []Pattern
	byFirst map[string][]int // exact first word → phrases not in byPair
	// byPair indexes the phrases whose second word follows the first at once
	// and is exact ("me mato", "kill myself") by both words: a common first
	// word ("me", "i") then costs one lookup, not a try of every phrase it
	// starts.
	byPair map[[2]string][]int
	// firsts is a bit per hash of every exact first word: most words of a
	// message start no phrase, and one hash of the word tells so without the
	// two map lookups.
	firsts [1 << 9]uint64 // 32,768 bits: a few per cent of false hits for thousands of first words
	// Phrases whose first slot has a prefix alternative ("suicid*"), indexed by
	// the prefix's first two bytes: a word is tried only against the prefixes
	// it could start with, not against all of them. byLead's lists also hold
	// the phrases in short, whose prefixes are one byte or less, so every
	// list is in pattern order.
	byLead map[[2]byte][]int
	short  []int
}

// prefixed returns the phrases with a prefix alternative that w could match,
// in pattern order.
func (ps *Set) prefixed(w string) []int {
	if len(w) < 2 {
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

// NewSet compiles patterns; the index of a pattern in srcs is the index
// [Set.Find] and [Set.Each] report.
func NewSet(srcs ...string) (*Set, error) {
	ps := &Set{byFirst: map[string][]int{}, byPair: map[[2]string][]int{}, byLead: map[[2]byte][]int{}}
	for _, src := range srcs {
		p, err := Compile(src)
		if err != nil {
			return nil, err
		}
		idx := len(ps.phrases)
		ps.phrases = append(ps.phrases, p)
		for _, w := range p.slots[0].words {
			h := wordHash(w)
			ps.firsts[h>>6&(1<<9-1)] |= 1 << (h & 63)
		}
		if len(p.slots) > 1 && p.slots[1].gap == 0 && len(p.slots[1].prefixes) == 0 {
			for _, w := range p.slots[0].words {
				for _, w2 := range p.slots[1].words {
					ps.byPair[[2]string{w, w2}] = append(ps.byPair[[2]string{w, w2}], idx)
				}
			}
		} else {
			for _, w := range p.slots[0].words {
				ps.byFirst[w] = append(ps.byFirst[w], idx)
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
	// Every lead's list holds the short-prefix phrases too, merged in order.
	for l, list := range ps.byLead {
		ps.byLead[l] = mergeSorted(list, ps.short)
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

// exact returns the phrases whose exact first word is ws[i], as two lists in
// pattern order: those indexed by the first word alone and those indexed by
// the first two.
func (ps *Set) exact(ws []string, i int) (a, b []int) {
	h := wordHash(ws[i])
	if ps.firsts[h>>6&(1<<9-1)]&(1<<(h&63)) == 0 {
		return nil, nil
	}
	a = ps.byFirst[ws[i]]
	if i+1 < len(ws) {
		b = ps.byPair[[2]string{ws[i], ws[i+1]}]
	}
	return a, b
}

// wordHash is FNV-1a, for the first-word filter.
func wordHash(w string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(w); i++ {
		h ^= uint32(w[i])
		h *= 16777619
	}
	return h
}

// merged yields the indexes of two ascending lists in ascending order, so that
// matches are reported in pattern order whichever index found them.
func merged(a, b []int) iter.Seq[int] {
	return func(yield func(int) bool) {
		for len(a) > 0 || len(b) > 0 {
			var k int
			if len(b) == 0 || (len(a) > 0 && a[0] < b[0]) {
				k, a = a[0], a[1:]
			} else {
				k, b = b[0], b[1:]
			}
			if !yield(k) {
				return
			}
		}
	}
}

// candidates yields the patterns that may match at ws[i], each once: those
// whose exact first word it is, in pattern order, then those whose prefix it
// could start with. Every way of matching a set walks a message through it.
func (ps *Set) candidates(ws []string, i int) iter.Seq[int] {
	return func(yield func(int) bool) {
		a, b := ps.exact(ws, i)
		for k := range merged(a, b) {
			if !yield(k) {
				return
			}
		}
		for _, k := range ps.prefixed(ws[i]) {
			if slices.Contains(a, k) || slices.Contains(b, k) {
				continue // yielded already, by its exact word
			}
			if !yield(k) {
				return
			}
		}
	}
}

// Len is the number of patterns in the set.
func (ps *Set) Len() int { return len(ps.phrases) }

// Each calls fn for every pattern that matches anywhere in ws, with where the
// match starts and ends (ws[start:end]); at one position, each pattern reports
// its shortest match. Empty words never match.
func (ps *Set) Each(ws []string, fn func(idx, start, end int)) {
	for i, w := range ws {
		if w == "" {
			continue
		}
		for k := range ps.candidates(ws, i) {
			if e, ok := ps.phrases[k].matchAt(ws, i); ok {
				fn(k, i, e)
			}
		}
	}
}

// Find returns the first phrase that matches anywhere in ws, the position where
// it starts and where it ends; idx is -1 when none matches.
func (ps *Set) Find(ws []string) (idx, start, end int) {
	for i, w := range ws {
		if w == "" {
			continue
		}
		for k := range ps.candidates(ws, i) {
			if e, ok := ps.phrases[k].matchAt(ws, i); ok {
				return k, i, e
			}
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
	for k := range ps.candidates(ws, 0) {
		if e, ok := ps.phrases[k].matchAt(ws, 0); ok && e == len(ws) {
			return true
		}
	}
	return false
}

// Blank empties every word covered by a match of any phrase, so later checks
// skip it (used to set benign phrases aside before the crisis check).
func (ps *Set) Blank(ws []string) {
	for i := 0; i < len(ws); i++ {
		if ws[i] == "" {
			continue
		}
		a, b := ps.exact(ws, i)
		for k := range merged(a, b) {
			if e, ok := ps.phrases[k].matchAt(ws, i); ok {
				for j := i; j < e; j++ {
					ws[j] = ""
				}
				break
			}
		}
	}
}
