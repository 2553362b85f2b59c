package crisis

import (
	"slices"
	"strings"
)

// The rules combine concepts into signs of crisis, so that a combination no
// lexicon lists as a sentence is still caught. Each rule names the concepts it
// needs and how close they must stand (in words); a concept matched in a
// script without spaces has no position and counts as close to everything.

// candidate is one sign found, before negation, tense and context are weighed.
type candidate struct {
	construct, rule string
	start, end      int
	lang            string
}

// firedRule is a rule that fired, or a context found, with the word it was
// found at (-1: a script without spaces, no word): a feature of the learned
// layer, which a window of a long message holds if it holds that word.
type firedRule struct {
	name string
	at   int
}

// rules turns the hits into a finding.
// The rules fired (kept or set aside by context) are appended to fired, as
// features of the learned layer; the contexts found are left in cx (its
// buffers reused), for the windows of a long message.
func (d *Detector) rules(ws []string, begins []bool, hits []hit, fired *[]firedRule, cx *contexts) Finding {
	var cands []candidate
	cx.collect(ws, hits)
	nows, pasts, profs, frames := cx.nows, cx.pasts, cx.profs, cx.frames
	add := func(construct, rule string, a, b hit) {
		start, end := a.start, b.end
		if a.start < 0 || b.start < 0 {
			start, end = -1, -1
		} else if b.start < a.start {
			start, end = b.start, a.end
		}
		lang := a.e.lang
		if lang == "en" {
			lang = b.e.lang
		}
		cands = append(cands, candidate{construct: construct, rule: rule, start: start, end: end, lang: lang})
		*fired = append(*fired, firedRule{rule, start})
	}

	// Signals: enough alone, unless negated ("I'm not suicidal"). A signal
	// inside a longer negated one is negated with it: in "never had thoughts
	// of ending my life", "ending my life" is as denied as the thoughts.
	var negSpans [][2]int
	for _, h := range hits {
		if h.start >= 0 && (h.e.kind == kindSignal || (h.e.kind == kindConcept && h.e.name == "mention")) && (d.negated(ws, begins, h.start) || d.negatedInside(ws, h)) {
			negSpans = append(negSpans, [2]int{h.start, h.end})
		}
	}
	inNegated := func(h hit) bool {
		for _, sp := range negSpans {
			if h.start >= sp[0] && h.start < sp[1] {
				return true
			}
		}
		return false
	}
	for _, h := range hits {
		if h.e.kind == kindSignal && !inNegated(h) {
			add(h.e.name, "signal", h, h)
		}
	}
	for i, a := range hits {
		if a.e.kind != kindConcept {
			continue
		}
		// Concepts combine within one language (English words stand in any:
		// people mix languages): German "die" is an article, not a death.
		same := func(b hit) bool { return b.e.lang == a.e.lang }
		// kin reports whether b is the named concept in a's language.
		kin := func(b hit, name string) bool { return b.e.kind == kindConcept && b.e.name == name && same(b) }
		switch a.e.name {
		case "mention":
			// "suicide", "self-harm", "overdose" named: a sign when it is the
			// writer's ("I'm suicidal", "my self harm is back") or another
			// person's ("my friend keeps self harming"), or when nothing says
			// the word is a topic (a question about groups, a professional's,
			// the news, a film).
			if inNegated(a) {
				continue
			}
			c := candidate{start: a.start, end: a.end}
			first := d.firstPerson(ws, c)
			if !first && d.possessed(ws, a.start) {
				// "a classmate's suicide", "my dad's overdose": an event in
				// another person's life, told by someone else.
				continue
			}
			// A short word ("od", "sh") is another word in other languages and
			// in chat: it counts only as the writer's or another person's.
			short := a.start >= 0 && a.end-a.start == 1 && len(ws[a.start]) <= 3
			if first || d.otherBefore(ws, a.start) || (!short && !nearAny(c, frames, frameReach)) {
				add(mentionConstruct(ws, a), "mention", a, a)
			}
		case "desire":
			neg := d.negated(ws, begins, a.start)
			for _, b := range hits {
				// Where b stands first: every case needs b at most six words
				// after a, which most of a long message's hits are not.
				if !after(a, b, 6) || b.e.kind != kindConcept || !same(b) {
					continue
				}
				switch {
				case b.e.name == "death" && !neg && after(a, b, 5):
					// "i just wanna not wake up", "she says she's going to kill herself"
					add("suicide", "desire+death", a, b)
				case b.e.name == "live" && neg && after(a, b, 4) && !livesSomewhere(ws, b):
					// "don't really want to be here anymore"
					add("suicide", "no-desire+live", a, b)
				case b.e.name == "means" && !neg && after(a, b, 6) && anyNear(hits, span(a, b), contextReach, "amount", "now", "death"):
					// "thinking about the pills in the cupboard tonight"
					add("suicide", "desire+means", a, b)
				}
			}
		case "means", "place":
			for _, b := range hits {
				if near(a, b, 8) && b.e.kind == kindConcept && b.e.name == "now" && (same(b) || b.e.lang == "en") && !(a.e.name == "means" && onTreatment(ws, a)) && (d.personNear(ws, span(a, b)) || anyNear(hits, span(a, b), contextReach, "desire", "death")) {
					// "standing on the edge of the roof rn", "pills are on my desk tonight"
					add("suicide", a.e.name+"+now", a, b)
				}
			}
		case "quantity":
			for _, b := range hits {
				if !after(a, b, 4) || !kin(b, "means") {
					continue
				}
				if anyNear(hits, span(a, b), contextReach, "death") {
					// "how many tylenol until you dont wake up": a method asked
					add("suicide", "quantity+means+death", a, b)
				}
				if anyNear(hits, span(a, b), contextReach, "suffice") {
					// "how much codeine would it take": the amount asked for
					// an effect left unsaid; a dose asked for a headache says
					// "can I take" ("does it take to shift a headache" still
					// fires: on the side of showing the resources)
					add("overdose", "quantity+means+suffice", a, b)
				}
			}
		case "toxic":
			for _, b := range hits {
				if before(b, a, 4) && kin(b, "ingest") {
					// "I ate rat poison", "drank bleach"
					add("overdose", "ingest+toxic", b, a)
				}
			}
		case "ingest":
			for _, b := range hits {
				if !after(a, b, 6) || !kin(b, "means") {
					continue
				}
				for _, c := range hits {
					if c.e.kind == kindConcept && c.e.name == "amount" && near(a, c, 6) && near(b, c, 4) {
						// "took 30 of my sleeping tablets", "swallowed the whole pack of paracetamol"
						add("overdose", "ingest+amount+means", a, b)
					}
				}
			}
		case "prep":
			for _, b := range hits {
				if near(a, b, signReach) && b.e.kind == kindConcept && b.e.name == "farewell" && b.start != a.start && d.personNear(ws, span(a, b)) {
					// "letters are written. goodbye everyone"
					add("suicide", "prep+farewell", a, b)
				}
			}
		case "violence":
			// In other languages the writer's pronoun often comes before the
			// verb ("муж меня избил", "mon mari me frappe", "mi padre me
			// pega"): a pronoun of the writer's in the violence's own
			// language next to it, on either side, counts too.
			pronoun := a.e.lang != "en" && slices.ContainsFunc(hits, func(b hit) bool {
				return kin(b, "self") && (b.end == a.start || b.start == a.end)
			})
			if !pronoun && !violenceOnMe(ws, a) {
				continue
			}
			for _, b := range hits {
				if before(b, a, 5) && kin(b, "household") {
					// "my stepdad hits me", "when he drinks he chokes me"
					add("abuse", "household+violence", b, a)
				}
			}
		case "threat":
			for _, b := range hits {
				if near(a, b, 6) && kin(b, "household") {
					// "my husband threatened to take the kids and hurt me"
					add("abuse", "household+threat", b, a)
				}
			}
		case "control":
			for j, b := range hits {
				if j == i || b.e.kind != kindConcept {
					continue
				}
				if (b.e.name == "control" && b.pattern != a.pattern) || b.e.name == "violence" || b.e.name == "threat" {
					// "he took my phone and locked the door"
					add("abuse", "control+"+b.e.name, a, b)
				}
			}
		case "risk":
			for j, b := range hits {
				if j > i && b.e.kind == kindConcept && b.e.name == "risk" && b.pattern != a.pattern && near(a, b, signReach) && d.personNear(ws, span(a, b)) && !d.goesOnDoing(ws, a, b) {
					// "i'm a burden and there's no way out"
					add("risk", "risk+risk", a, b)
				}
			}
		}
	}

	// Context: a calm account of the past, or a professional asking in general,
	// is not a crisis now. A sign of the present ("tonight", "now") keeps it.
	for _, c := range contextFeatures {
		// At the word where it was first found.
		if i := slices.IndexFunc(hits, func(h hit) bool { return h.e.kind == kindConcept && h.e.name == c.concept }); i >= 0 {
			*fired = append(*fired, firedRule{c.feature, hits[i].start})
		}
	}
	var f Finding
	for _, c := range cands {
		if nearAny(c, pasts, frameReach) && !nearAny(c, nows, 8) && !d.presentDesire(ws, c) {
			continue
		}
		first := d.firstPerson(ws, c)
		if nearAny(c, profs, frameReach) && !first {
			continue
		}
		if !f.Crisis {
			f = Finding{Crisis: true, Construct: c.construct, Rule: c.rule, Lang: c.lang, Other: d.hasConcept(hits, "other")}
		}
		if first {
			f.Other = false
		}
		if f.Lang == "en" && c.lang != "en" {
			f.Lang = c.lang
		}
	}
	return f
}

// contexts are the hits that set a sign in its context: an urgent present
// (nows), and those that frame it (frames: the past, a professional, a
// question in general, the news), looked for near it, with the past's and
// the professional's apart.
type contexts struct {
	nows, pasts, profs, frames []hit
}

// collect gathers the contexts among hits, in cx's buffers.
func (cx *contexts) collect(ws []string, hits []hit) {
	cx.nows, cx.pasts, cx.profs, cx.frames = cx.nows[:0], cx.pasts[:0], cx.profs[:0], cx.frames[:0]
	for _, h := range hits {
		if h.e.kind != kindConcept {
			continue
		}
		switch h.e.name {
		case "now":
			// Plain "now" mostly sets a calm present against a past ("I'm fine
			// now"); only an urgent time ("tonight", "rn") outweighs the past.
			if h.start < 0 || !calmNow[ws[h.start]] {
				cx.nows = append(cx.nows, h)
			}
		case "exposure", "asking":
			cx.frames = append(cx.frames, h)
		case "past":
			cx.pasts, cx.frames = append(cx.pasts, h), append(cx.frames, h)
		case "professional":
			cx.profs, cx.frames = append(cx.profs, h), append(cx.frames, h)
		}
	}
}

// contextFeatures are the contexts the learned layer is told of, with their
// feature names.
var contextFeatures = []struct{ concept, feature string }{
	{"past", "context:past"}, {"professional", "context:professional"}, {"asking", "context:asking"},
	{"exposure", "context:exposure"}, {"other", "context:other"},
}

// goesOnDoing reports whether two risk signs read over the same words ("can't
// go on", read twice, is a sign alone) are followed by what the writer cannot
// go on doing: "can't go on just sitting in the chair", "can't go on holding
// all of this by myself" are about an activity, not a life. "can't go on
// living" is still a sign (living is a word of life).
func (d *Detector) goesOnDoing(ws []string, a, b hit) bool {
	if a.start < 0 || a.start != b.start || a.end != b.end {
		return false
	}
	for j := a.end; j < len(ws) && j <= a.end+1; j++ {
		w := ws[j]
		if w == "just" || w == "" {
			continue
		}
		return len(w) > 4 && strings.HasSuffix(w, "ing") && !d.lifeWord[w]
	}
	return false
}

// negated reports whether a negation ("not", "never", "dont", and their like
// in every language) stands in the five words before position i, in the same
// clause and sentence ("I'm not suicidal", "never had thoughts of ending my
// life", but not "not okay, and I want to die" or "I don't. I want to die").
// begins marks the words that begin a sentence.
func (d *Detector) negated(ws []string, begins []bool, i int) bool {
	if i < 0 {
		return false
	}
	if d.neg[ws[i]] {
		// The pattern begins with its own negation ("dont want to live").
		return false
	}
	for j := i - 1; j >= 0 && j >= i-5; j-- {
		if clauseBreak[ws[j]] || j+1 < len(begins) && begins[j+1] {
			// A clause or a sentence ended: "I don't. I want to die".
			return false
		}
		if d.neg[ws[j]] && !(j+1 < i && notNegating[ws[j+1]]) {
			return true
		}
	}
	return false
}

// notNegating words turn a negation into a set phrase that denies nothing
// after it: "doesn't matter, I'll jump", "don't know, I want to die".
var notNegating = map[string]bool{"matter": true, "matters": true, "mind": true, "know": true, "care": true, "worry": true, "judge": true, "lie": true, "tell": true, "panic": true}

// negatedInside reports whether a negation stands inside the match of a
// pattern that holds none itself ("I'm not in any danger" matched by "im ~2 in
// danger").
func (d *Detector) negatedInside(ws []string, h hit) bool {
	if h.start < 0 || h.e.negates {
		return false
	}
	for _, w := range ws[h.start:h.end] {
		if d.neg[w] {
			return true
		}
	}
	return false
}

// clauseBreak words end the reach of a negation.
var clauseBreak = map[string]bool{"but": true, "and": true, "so": true, "because": true, "though": true, "although": true, "yet": true, "then": true, "now": true, "just": true, "except": true}

// firstPerson reports whether the sign is about the writer: a first-person
// word inside it ("kill myself"), or, before it, a first-person word nearer
// than any other person ("I want to die", but "my friend told me she wants to
// die" is about her). "my" followed by another person ("my dad's suicide") is
// that person's.
func (d *Detector) firstPerson(ws []string, c candidate) bool {
	if c.start < 0 {
		return d.anySelf(ws)
	}
	isSelf := func(j int) bool {
		return d.self[ws[j]] && !(ws[j] == "my" && j+1 < len(ws) && d.otherWord(ws[j+1]))
	}
	for j := c.start; j < c.end && j < len(ws); j++ {
		if isSelf(j) && ws[j] != "me" {
			return true
		}
	}
	for j := c.start - 1; j >= 0 && j >= c.start-3; j-- {
		switch {
		case d.otherWord(ws[j]):
			return false
		case isSelf(j):
			return true
		}
	}
	for j := c.start; j < c.end && j < len(ws); j++ {
		if isSelf(j) {
			return true
		}
	}
	return false
}

// otherBefore reports whether another person is named in the four words
// before position i ("my friend is suicidal", "she keeps self harming").
func (d *Detector) otherBefore(ws []string, i int) bool {
	for j := max(0, i-4); j < i; j++ {
		if d.otherWord(ws[j]) {
			return true
		}
	}
	return false
}

// otherWord reports whether w names another person (any language's "other"
// concept words).
func (d *Detector) otherWord(w string) bool { return d.others[w] }

// calmNow are present-time words that do not make a sign urgent.
var calmNow = map[string]bool{"now": true, "already": true, "finally": true, "soon": true}

// possessed reports whether the word before position i is another person's
// possessive ("classmates" from "classmate's", "dads").
func (d *Detector) possessed(ws []string, i int) bool {
	if i <= 0 {
		return false
	}
	w := ws[i-1]
	return len(w) > 2 && w[len(w)-1] == 's' && d.others[w[:len(w)-1]]
}

// mentionConstruct names what a mention is of.
func mentionConstruct(ws []string, h hit) string {
	if h.start < 0 {
		return "suicide"
	}
	for _, w := range ws[h.start:h.end] {
		switch w {
		case "overdose", "overdosing", "overdosed", "od", "oding":
			return "overdose"
		case "harm", "harming", "harmed", "injury", "injuring", "injure", "hurt", "hurting", "selfharm", "sh":
			return "self-harm"
		case "violence", "abuse":
			return "abuse"
		}
	}
	return "suicide"
}

// A long message holds, somewhere, an "I", a "now" and a "forever" by chance:
// "he's stable now, on medication ... living at home with me", or "I will
// explain" and, fifty words on, "forgive my mistakes". The rules that combine
// two signs therefore look for the writer and for the context near the signs,
// not anywhere in the message.
const (
	// signReach bounds how far apart two signs of one rule may stand (in
	// words): about a sentence or two ("letters are written. goodbye
	// everyone").
	signReach = 15
	// contextReach is how far from a sign its context (a desire, a death, a
	// time) is looked for.
	contextReach = 10
	// personReach is how far from a sign the person it is about is looked
	// for.
	personReach = 8
	// frameReach is how far from a sign a context that frames it (the past,
	// a professional's or a general question, the news) is looked for: a few
	// sentences, not a whole long message, in which "years ago" or "my
	// therapist" three paragraphs up says nothing of tonight.
	frameReach = 20
)

// span is the stretch of words from the first of a and b to the end of the
// other.
func span(a, b hit) candidate {
	if a.start < 0 || b.start < 0 {
		return candidate{start: -1, end: -1}
	}
	return candidate{start: min(a.start, b.start), end: max(a.end, b.end)}
}

// personNear reports whether the sign over c is someone's: a word for the
// writer or for another person inside it or within personReach words of it
// ("pills on my desk tonight", "my friend is on the bridge now"), not a thing
// in a story ("what time does the bridge close tonight").
func (d *Detector) personNear(ws []string, c candidate) bool {
	if c.start < 0 {
		return d.anySelf(ws)
	}
	for j := max(0, c.start-personReach); j < len(ws) && j < c.end+personReach; j++ {
		if d.self[ws[j]] || d.otherWord(ws[j]) {
			return true
		}
	}
	return false
}

// onTreatment reports whether a means is named as a treatment taken: "he's
// stable now, on medication", "I'm on my meds now".
func onTreatment(ws []string, a hit) bool {
	i := a.start - 1
	if i > 0 && treatmentOwner[ws[i]] {
		i--
	}
	return i >= 0 && ws[i] == "on"
}

// treatmentOwner words stand between "on" and a medicine: "on my meds", "on
// the tablets".
var treatmentOwner = map[string]bool{"my": true, "his": true, "her": true, "their": true, "the": true, "new": true}

// anyNear reports whether one of the named concepts stands within n words of
// c.
func anyNear(hits []hit, c candidate, n int, names ...string) bool {
	for _, h := range hits {
		if h.e.kind == kindConcept && slices.Contains(names, h.e.name) && nearHit(c, h, n) {
			return true
		}
	}
	return false
}

// nearAny reports whether any of hs stands within n words of c.
func nearAny(c candidate, hs []hit, n int) bool {
	return slices.ContainsFunc(hs, func(h hit) bool { return nearHit(c, h, n) })
}

// nearHit reports whether h stands inside c or within n words of it.
func nearHit(c candidate, h hit, n int) bool {
	if c.start < 0 || h.start < 0 {
		return true
	}
	return (h.start >= c.end && h.start-c.end <= n) || (c.start >= h.end && c.start-h.end <= n) || (h.start >= c.start && h.start < c.end)
}

// presentDesire reports whether a sign said in the past tense elsewhere is
// still wished now: "I attempted years ago and I want to die again".
func (d *Detector) presentDesire(ws []string, c candidate) bool {
	if c.rule != "desire+death" || c.start < 0 {
		return false
	}
	for j := max(0, c.start-2); j < c.start; j++ {
		if ws[j] == "used" || ws[j] == "was" || ws[j] == "wanted" {
			return false
		}
	}
	return ws[c.start] == "want" || ws[c.start] == "wanna" || ws[c.start] == "wish"
}

// after reports whether b starts at or after a's start and within n words of
// a's end.
func after(a, b hit, n int) bool {
	if a.start < 0 || b.start < 0 {
		return true
	}
	return b.start >= a.end && b.start-a.end <= n
}

// before reports whether a ends before b starts, within n words.
func before(a, b hit, n int) bool {
	if a.start < 0 || b.start < 0 {
		return true
	}
	return a.end <= b.start && b.start-a.end <= n
}

// near reports whether a and b stand within n words of each other.
func near(a, b hit, n int) bool {
	if a.start < 0 || b.start < 0 {
		return true
	}
	if a.start > b.start {
		a, b = b, a
	}
	return b.start-a.end <= n
}

// livesSomewhere reports whether "live" is about where or with whom ("I
// don't want to live with my parents"), not about being alive.
func livesSomewhere(ws []string, b hit) bool {
	if b.end < 0 || b.end >= len(ws) {
		return false
	}
	switch ws[b.end] {
	case "with", "in", "at", "near", "there", "like", "together", "on", "alone", "abroad":
		return true
	}
	return false
}

// violenceOnMe reports whether the violence is done to the writer or someone
// at home with them: the word after it is "me", "us" or "my" ("hits me",
// "beat my mum"), or names a relative ("slapped grandma", "hit dad"),
// for someone else at risk is a crisis too. Not "her" or "him": "beat him at
// chess", "kicked him out of the band", "hit her car" are everyday; the
// learned layer reads those.
func violenceOnMe(ws []string, v hit) bool {
	if v.start < 0 {
		return true
	}
	if v.end < len(ws) {
		switch ws[v.end] {
		case "me", "us", "my", "mum", "mom", "mother", "sister", "brother",
			"grandma", "grandpa", "gran", "granny", "nan", "nana", "grandmother", "grandfather",
			"dad", "father", "son", "daughter", "baby", "kids", "cousin":
			return true
		}
	}
	return false
}
