package crisis

import (
	"math"
	"slices"

	"github.com/supportbot/supportbot/bot/textclass"
)

// Windows of a long message, measured by the training (see [Train]). The
// learned layer judges a message as a whole; in a long one a sign is one
// sentence among twenty, and the whole message's score thins it out ("About
// forty minutes ago I swallowed all of the co-codamol I had left" scores 0.95
// alone and 0.10 inside its story). Read a few words at a time, each window
// holding a sign or a concept worth judging, the model catches many more of
// them, but cut from its sentence a window of a few words also reads like
// many a farewell ("so I will stop here, my tea has gone cold"): the detector
// does not use windows until they are precise enough on real long messages.

// longWords is how many words a message needs to be read in windows: the
// shortest of the long messages made (see makeLongs). A shorter one is judged
// as a whole, as the model was trained to.
const longWords = 50

// windowWidths are the windows' widths tried, in words: about a sentence.
var windowWidths = []int{6, 8, 10, 12, 16}

// wordSums are a long message's learned-layer sums, word by word: each
// word's margin (see [textclass.Model.Margin]) and number of features with the
// rules' features found at it, and how many signs or judged concepts begin at
// it; every* are those found at no word (a script without spaces), which every
// window holds. Summed once, they score a window of any width.
type wordSums struct {
	margin, count, sign    []int32
	everyM, everyN, everyS int32
}

// sumWords sums the message in sc (read with sc.allWords) word by word, in
// sc's buffers.
func sumWords(m *textclass.Model, sc *scratch) wordSums {
	n := len(sc.ends)
	s := wordSums{margin: grow(sc.sums[0], n), count: grow(sc.sums[1], n), sign: grow(sc.sums[2], n)}
	sc.sums = [3][]int32{s.margin, s.count, s.sign}
	from := int32(len(sc.fired))
	for k, end := range sc.ends {
		s.margin[k], s.count[k], s.sign[k] = m.Margin(sc.feat[from:end]), end-from, 0
		from = end
	}
	at := func(ws int) int { return min(max(int(sc.uniqAt[ws]), 0), n-1) }
	for j, r := range sc.fired {
		fm := m.Margin(sc.feat[j : j+1])
		if r.at < 0 || n == 0 {
			s.everyM, s.everyN = s.everyM+fm, s.everyN+1
			continue
		}
		s.margin[at(r.at)] += fm
		s.count[at(r.at)]++
	}
	for _, h := range sc.hits {
		if !judged(h) {
			continue
		}
		if h.start < 0 || n == 0 {
			s.everyS++
		} else {
			s.sign[at(h.start)]++
		}
	}
	return s
}

func grow(s []int32, n int) []int32 {
	if cap(s) < n {
		return make([]int32, n)
	}
	return s[:n]
}

// judged reports whether a hit makes a window worth judging: a signal, or a
// concept that makes even a short message worth judging.
func judged(h hit) bool { return h.e.kind == kindSignal || judgeConcepts[h.e.name] }

// bestWindow is the highest log-odds of crisis of any width words in a row
// that hold a sign and are not framed as the rules' signs are (see
// [Detector.framed], with the contexts the rules left in sc.cx), and the
// first word of that window; -Inf if none is. sc holds a message checked.
func (d *Detector) bestWindow(sc *scratch, m *textclass.Model, s wordSums, width int) (float64, int) {
	best, at := math.Inf(-1), 0
	sumM, sumN, sumS := s.everyM, s.everyN, s.everyS
	n := len(s.margin)
	for k := range n {
		sumM, sumN, sumS = sumM+s.margin[k], sumN+s.count[k], sumS+s.sign[k]
		if k >= width {
			sumM, sumN, sumS = sumM-s.margin[k-width], sumN-s.count[k-width], sumS-s.sign[k-width]
		}
		if (k >= width-1 || k == n-1) && sumS > 0 {
			from := max(k-width+1, 0)
			if z := m.Logit(sumM, int(sumN)); z > best && !d.framed(sc, from, k) {
				best, at = z, from
			}
		}
	}
	return best, at
}

// framed reports whether the window of unique words from..to is set aside as
// the rules set a sign aside: a calm account of the past near it and no
// urgent present ("two years ago, when I took the pills"), or a
// professional's words near it without the writer's own ("as a nurse I see
// overdoses every week"). A window cut from its sentence has lost the
// context the model reads in a short message; the rules' reach gives it back.
func (d *Detector) framed(sc *scratch, from, to int) bool {
	cx := &sc.cx
	if len(cx.pasts) == 0 && len(cx.profs) == 0 {
		return false
	}
	// A unique word's first word of the message: uniqAt rises word by word.
	first := func(k int) int { i, _ := slices.BinarySearch(sc.uniqAt, int32(k)); return i }
	c := candidate{start: first(from), end: first(to + 1)}
	if nearSpan(c, cx.pasts, frameReach) && !nearSpan(c, cx.nows, 8) {
		return true
	}
	if !nearSpan(c, cx.profs, frameReach) {
		return false
	}
	for _, w := range sc.ws[c.start:c.end] {
		if d.self[w] {
			return false // the writer's own words, among a professional's
		}
	}
	return true
}

// nearSpan is [nearAny] for a window, which a context can straddle ("years
// ago" cut by the window's first word): nearHit counts a hit that begins
// inside a sign, as a context does.
func nearSpan(c candidate, hs []hit, n int) bool {
	return slices.ContainsFunc(hs, func(h hit) bool {
		return nearHit(c, h, n) || h.start >= 0 && h.start < c.start && h.end > c.start
	})
}
