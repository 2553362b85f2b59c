package bot

import (
	"fmt"
	"strconv"
	"strings"
)

// A phrase pattern matches a run of words. It is written as words separated by
// spaces, where each position may list alternatives with "|", end in "*" to match
// any word with that prefix, and "~N" allows up to N other words in between:
//
//	"want|wanna ~2 die|dead"   matches "i want to die", "wanna be dead"
//	"suicid*"                  matches "suicide", "suicidal"
//
// Patterns are compiled once; matching allocates nothing.
type phrase struct {
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

func compilePhrase(src string) (phrase, error) {
	p := phrase{src: src}
	gap := 0
	for _, f := range strings.Fields(src) {
		if n, ok := strings.CutPrefix(f, "~"); ok {
			g, err := strconv.Atoi(n)
			if err != nil || g < 1 || len(p.slots) == 0 {
				return phrase{}, fmt.Errorf("phrase %q: bad gap %q", src, f)
			}
			gap = g
			continue
		}
		var s slot
		s.gap = gap
		gap = 0
		for _, alt := range strings.Split(f, "|") {
			if alt == "" {
				return phrase{}, fmt.Errorf("phrase %q: empty alternative", src)
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
		return phrase{}, fmt.Errorf("phrase %q: empty or ends with a gap", src)
	}
	return p, nil
}

// matchAt reports whether the phrase matches starting at ws[i], and the index
// just past the match.
func (p *phrase) matchAt(ws []string, i int) (int, bool) {
	if i >= len(ws) || !p.slots[0].match(ws[i]) {
		return 0, false
	}
	return p.rest(ws, 1, i+1)
}

func (p *phrase) rest(ws []string, k, i int) (int, bool) {
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

// phraseSet is a compiled list of phrases with an index on the first word, so a
// message is scanned once whatever the number of phrases.
type phraseSet struct {
	phrases  []phrase
	byFirst  map[string][]int // exact first word → phrases
	prefixed []int            // phrases whose first slot has a prefix alternative
}

// mustPhrases compiles phrases written in Go source; a mistake there is a
// programming error caught by every test run.
func mustPhrases(srcs ...string) *phraseSet {
	ps := &phraseSet{byFirst: map[string][]int{}}
	for _, src := range srcs {
		p, err := compilePhrase(src)
		if err != nil {
			panic(err)
		}
		idx := len(ps.phrases)
		ps.phrases = append(ps.phrases, p)
		for _, w := range p.slots[0].words {
			ps.byFirst[w] = append(ps.byFirst[w], idx)
		}
		if len(p.slots[0].prefixes) > 0 {
			ps.prefixed = append(ps.prefixed, idx)
		}
	}
	return ps
}

// find returns the first phrase that matches anywhere in ws, the position where
// it starts and where it ends; idx is -1 when none matches.
func (ps *phraseSet) find(ws []string) (idx, start, end int) {
	for i, w := range ws {
		if w == "" {
			continue
		}
		for _, k := range ps.byFirst[w] {
			if e, ok := ps.phrases[k].matchAt(ws, i); ok {
				return k, i, e
			}
		}
		for _, k := range ps.prefixed {
			if e, ok := ps.phrases[k].matchAt(ws, i); ok {
				return k, i, e
			}
		}
	}
	return -1, 0, 0
}

// matches reports whether any phrase matches ws.
func (ps *phraseSet) matches(ws []string) bool {
	k, _, _ := ps.find(ws)
	return k >= 0
}

// matchesWhole reports whether a phrase matches all of ws, from first word to last.
func (ps *phraseSet) matchesWhole(ws []string) bool {
	if len(ws) == 0 {
		return false
	}
	for _, k := range ps.byFirst[ws[0]] {
		if e, ok := ps.phrases[k].matchAt(ws, 0); ok && e == len(ws) {
			return true
		}
	}
	for _, k := range ps.prefixed {
		if e, ok := ps.phrases[k].matchAt(ws, 0); ok && e == len(ws) {
			return true
		}
	}
	return false
}

// blank empties every word covered by a match of any phrase, so later checks
// skip it (used to set benign phrases aside before the crisis check).
func (ps *phraseSet) blank(ws []string) {
	for i := 0; i < len(ws); i++ {
		if ws[i] == "" {
			continue
		}
		for _, k := range ps.byFirst[ws[i]] {
			if e, ok := ps.phrases[k].matchAt(ws, i); ok {
				for j := i; j < e; j++ {
					ws[j] = ""
				}
				break
			}
		}
	}
}
