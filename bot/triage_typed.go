package bot

import (
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// typedAction is what a typed line means while a triage question is shown.
type typedAction int

const (
	typedNone       typedAction = iota // not an answer: the core answers it
	typedOption                        // one of the question's answers
	typedBack                          // go back one question
	typedStartAgain                    // start again
	typedUnclear                       // looks like an answer, but which one?
)

// maxTypedAnswerWords is the longest typed line read as an answer: people
// answer a question in a few words, and a longer line that happens to hold
// "therapist" or "a lot" is more likely a question of its own.
const maxTypedAnswerWords = 12

// Candidates besides the options, in understand's phrase matching.
const (
	candBack  = -1
	candStart = -2
)

// understand reads a typed line as an answer to the question at p: the number
// of a button as shown ("2", "the second one", "two"), Back or Start again, or
// an option's label or typed words ("yes", "peer led") found in the text as
// whole words, where a longer phrase beats one it contains ("not sure" beats
// "sure"). More than one answer found is unclear.
func (t *triage) understand(p position, norm string) (typedAction, int) {
	nOptions := len(t.flow.Questions[p.question].Options)
	hasBack := len(p.answers) > 0
	if n, ok := typedNumber(norm, nOptions); ok {
		// Count as the buttons are shown: the answers, Back, Start again.
		switch {
		case n >= 1 && n <= nOptions:
			return typedOption, n - 1
		case n == nOptions+1 && hasBack:
			return typedBack, 0
		case n == nOptions+1 || (n == nOptions+2 && hasBack):
			return typedStartAgain, 0
		}
		return typedUnclear, 0
	}
	type cand struct {
		id      int // option index, candBack or candStart
		aliases []string
	}
	cands := make([]cand, 0, nOptions+2)
	for i, a := range t.typed[p.question] {
		cands = append(cands, cand{i, a})
	}
	cands = append(cands, cand{candBack, t.backTyped}, cand{candStart, t.startTyped})
	words := strings.Fields(norm)
	if len(words) > maxTypedAnswerWords {
		// A story or a question of its own, not an answer: the core answers it.
		return typedNone, 0
	}
	type hit struct{ id, from, to int }
	var hits []hit
	for _, c := range cands {
		for _, a := range c.aliases {
			aw := strings.Fields(a)
			for i := 0; i+len(aw) <= len(words); i++ {
				if slices.Equal(words[i:i+len(aw)], aw) {
					hits = append(hits, hit{c.id, i, i + len(aw)})
				}
			}
		}
	}
	var found *hit
	for i := range hits {
		h := &hits[i]
		covered := slices.ContainsFunc(hits, func(o hit) bool {
			return o.id != h.id && o.from <= h.from && h.to <= o.to && o.to-o.from > h.to-h.from
		})
		switch {
		case covered:
		case found != nil && found.id != h.id:
			return typedUnclear, 0
		default:
			found = h
		}
	}
	if found == nil {
		return typedNone, 0
	}
	return t.action(found.id, hasBack)
}

func (t *triage) action(id int, hasBack bool) (typedAction, int) {
	switch id {
	case candBack:
		if !hasBack {
			// Nothing before the first question: show it again.
			return typedStartAgain, 0
		}
		return typedBack, 0
	case candStart:
		return typedStartAgain, 0
	}
	return typedOption, id
}

// Words for typed button numbers. They are how people count, not reply text, so
// they live here rather than in the knowledge base.
var (
	cardinals = []string{"one", "two", "three", "four", "five", "six", "seven", "eight", "nine"}
	ordinals  = []string{"first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"}
	// numberFillers may surround a number: "option 2", "the second one please".
	numberFillers = map[string]bool{"the": true, "option": true, "number": true, "answer": true, "choice": true, "button": true, "please": true, "pls": true}
)

// typedNumber reads a typed line that is only a button number: "2", "2nd",
// "two", "second", "the second one", "option 2", "the last one". nOptions is
// what "last" means.
func typedNumber(norm string, nOptions int) (int, bool) {
	var rest []string
	ws := strings.Fields(norm)
	for i, w := range ws {
		if numberFillers[w] {
			continue
		}
		// "one" after an ordinal is a filler: "the second one".
		if w == "one" && i > 0 && (slices.Index(ordinals, ws[i-1]) >= 0 || ws[i-1] == "last") {
			continue
		}
		rest = append(rest, w)
	}
	if len(rest) != 1 {
		return 0, false
	}
	w := rest[0]
	if w == "last" {
		return nOptions, true
	}
	if i := slices.Index(cardinals, w); i >= 0 {
		return i + 1, true
	}
	if i := slices.Index(ordinals, w); i >= 0 {
		return i + 1, true
	}
	for _, suffix := range []string{"st", "nd", "rd", "th"} {
		w = strings.TrimSuffix(w, suffix)
	}
	if len(w) > 2 {
		return 0, false
	}
	n, err := strconv.Atoi(w)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// triageMemory remembers, per conversation, the answers that led to the question
// last shown, so typed answers work. It is keyed by the event's session hash (a
// keyed hash of platform, community and conversation), never by raw ids; it is
// bounded in size and forgets after ttl. Losing it loses nothing buttons carry.
//
// Every entry lives ttl from its last put, so the order of last puts is the
// order of expiry: the entries sit on a list in that order, and making room
// takes the list's head. Every operation is O(1), whatever the size: a scan of
// all entries under the one lock capped the triage at a few thousand steps a
// second once the memory was full.
type triageMemory struct {
	mu      sync.Mutex
	max     int
	ttl     time.Duration
	entries map[uint64]*triageMemo
	// head and tail of the expiry list: head expires first.
	head, tail *triageMemo
	// visited counts the entries evict looked at, so a test can hold it to
	// O(1) without timing anything.
	visited int
}

type triageMemo struct {
	key        uint64
	answers    string
	expires    time.Time
	prev, next *triageMemo
}

func newTriageMemory(max int, ttl time.Duration) *triageMemory {
	return &triageMemory{max: max, ttl: ttl, entries: make(map[uint64]*triageMemo)}
}

func (m *triageMemory) get(key uint64, now time.Time) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if !ok {
		return "", false
	}
	if !now.Before(e.expires) {
		m.remove(e)
		return "", false
	}
	return e.answers, true
}

func (m *triageMemory) put(key uint64, answers string, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.entries[key]
	if ok {
		m.unlink(e)
	} else {
		if len(m.entries) >= m.max {
			m.evict(now)
		}
		e = &triageMemo{key: key}
		m.entries[key] = e
	}
	e.answers, e.expires = answers, now.Add(m.ttl)
	// Append at the tail: with one ttl for all, the newest put expires last.
	e.prev, e.next = m.tail, nil
	if m.tail != nil {
		m.tail.next = e
	} else {
		m.head = e
	}
	m.tail = e
}

// evict makes room: it drops the expired entries at the head of the list, or
// failing that the one closest to expiring. Each entry is dropped at most once,
// so the cost per put is O(1) however many entries there are.
func (m *triageMemory) evict(now time.Time) {
	for m.head != nil && !now.Before(m.head.expires) {
		m.visited++
		m.remove(m.head)
	}
	if len(m.entries) >= m.max && m.head != nil {
		m.visited++
		m.remove(m.head)
	}
}

// remove forgets e.
func (m *triageMemory) remove(e *triageMemo) {
	m.unlink(e)
	delete(m.entries, e.key)
}

// unlink takes e off the expiry list.
func (m *triageMemory) unlink(e *triageMemo) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		m.head = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		m.tail = e.prev
	}
	e.prev, e.next = nil, nil
}

func (m *triageMemory) forget(key uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.entries[key]; ok {
		m.remove(e)
	}
}

func (m *triageMemory) len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.entries)
}
