// Package crisis recognises signs of crisis in one chat message: suicide,
// self-harm, overdose, abuse or danger at home, and someone else at risk, in
// English and in other languages. It knows nothing of replies or platforms: a
// [Detector] reads text and says what it found ([Finding]).
//
// It works in three layers, each of which generalises beyond the sentences it
// was written from:
//
//  1. Crisis-aware normalisation repairs what people type (typos scaled to word
//     length, dropped vowels, repeated letters, leetspeak, run-together words,
//     slang spellings) against the crisis vocabulary.
//  2. Lexicons per construct (data, per language) are matched as signals that
//     suffice alone, and as concepts that rules combine with negation and tense:
//     desire + death, means or a place + now, ingestion + amount, a household
//     member + violence, a third person + any of these. "Standing on the edge of
//     the roof rn" is caught as a place + now, not as a listed sentence.
//  3. A learned second opinion: a logistic regression over character n-grams,
//     words and the concepts found, trained on a corpus written for it in many
//     voices; its threshold is chosen by cross-validation for recall.
//
// Either layer flagging means crisis: a false alarm costs a person a few lines
// to scroll past, a miss can cost far more.
package crisis

import (
	"fmt"
	"iter"
	"math"
	"slices"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"github.com/supportbot/supportbot/bot/phrase"
	"github.com/supportbot/supportbot/bot/textclass"
	"github.com/supportbot/supportbot/bot/textnorm"
)

// Lexicon is one language's crisis vocabulary, as curators keep it in the
// knowledge base (knowledge/crisis/lexicon/*.yaml). Several lexicons may share
// a language; they are merged.
type Lexicon struct {
	Lang string
	// Signals are patterns that alone are a sign of crisis, by construct
	// (suicide, self-harm, overdose, abuse).
	Signals map[string][]string
	// Concepts are patterns that count only in the combinations of the rules,
	// by concept (desire, death, means, place, now, ...).
	Concepts map[string][]string
	// Benign patterns are set aside before anything else: idioms, exposure.
	Benign []string
	// Spellings map a misspelt or slang word (or two words) to what the
	// patterns use.
	Spellings map[string]string
}

// Finding is what the detector found in a message.
type Finding struct {
	Crisis bool
	// Construct is what the sign is of: suicide, self-harm, overdose, abuse,
	// risk (hopelessness, entrapment, burden together), or "model" when only
	// the learned layer flagged it.
	Construct string
	// Rule says which signal or combination fired, for tests and curators
	// (never logged with the message).
	Rule string
	// Lang is the language of the words that gave the sign ("en", "es", ...).
	Lang string
	// Other is true when the person at risk seems to be someone else ("my
	// friend says she wants to die").
	Other bool
	// Score is the learned layer's probability of crisis.
	Score float64
}

// Detector checks messages. It is safe for concurrent use.
type Detector struct {
	set     *phrase.Set // signals and concepts of every language
	entries []entry     // per pattern of set
	benign  *phrase.Set
	cjk     []cjkEntry // patterns of scripts written without spaces
	spell1  map[string]string
	spell2  map[[2]string]string // "a b" → replacement
	vocab   map[string]bool      // every word a pattern uses
	targets [256][]target        // English pattern words of 4+ letters by first letter: typo targets
	skel    map[string]string    // consonant skeleton → pattern word, for dropped vowels
	neg     map[string]bool      // negation words, every language
	self    map[string]bool      // first-person words
	others  map[string]bool      // words naming another person
	// lifeWord are the English words of life and death ("living", "dying"):
	// "can't go on living" is a sign, "can't go on sitting here" is not.
	lifeWord map[string]bool
	known    map[string]bool // real words that must not be "corrected"
	english  map[string]bool // the English lexicons' words
	// benignWord are the benign patterns' words: never repaired, so idioms
	// still match as written.
	benignWord map[string]bool
	cjkBenign  []string            // benign substrings of scripts without spaces
	emoji      map[rune]string     // emoji read as words
	class      map[string]wordInfo // known, english, vocab, benignWord, spell1 and the sets' vocab at once
	// short is class for the words of one to three letters a to z, by
	// shortIndex: half the words of an English text ("i", "the", "and",
	// "my"), which a long message then reads from an array (150 KB, its
	// common entries soon in the cache) instead of hashing each into a map
	// of some 30,000 words.
	short     []wordInfo
	model     *textclass.Model
	threshold float64
	feat      textclass.Featurizer
	pool      sync.Pool
}

type kind uint8

const (
	kindSignal kind = iota
	kindConcept
)

type entry struct {
	kind kind
	name string // construct for a signal, concept name for a concept
	lang string
	// negates is true when the pattern itself holds a negation ("dont want to
	// live"), so a negation inside its match is its own, not the writer's
	// denial.
	negates bool
}

type cjkEntry struct {
	entry
	text string
}

// Model is the learned layer as the knowledge base ships it: the trained
// classifier, the threshold chosen for it, and the real English words the
// corpus holds.
type Model struct {
	Classifier *textclass.Model
	Threshold  float64
	Known      []string
}

// New builds a detector from lexicons and, optionally, a trained model (nil:
// the lexicon layers alone, as when training one).
func New(lexicons []Lexicon, m *Model) (*Detector, error) {
	d := &Detector{
		spell1:     map[string]string{},
		emoji:      map[rune]string{},
		spell2:     map[[2]string]string{},
		vocab:      map[string]bool{},
		skel:       map[string]string{},
		neg:        map[string]bool{},
		self:       map[string]bool{},
		others:     map[string]bool{},
		benignWord: map[string]bool{},
		// Sized for the model's words, which are most of them: a map grown
		// word by word rehashes itself a dozen times, at every start.
		known: make(map[string]bool, knownWords(m)),
	}
	var srcs, benign []string
	// English words in another language's signals (loan words, code-switching:
	// "cutting", "suicide") are left to the English lexicon and its rules, which
	// weigh negation, tense and topic; alone they would fire on any English
	// sentence.
	english := map[string]bool{}
	for _, lx := range lexicons {
		if lx.Lang != "en" {
			continue
		}
		for _, group := range []map[string][]string{lx.Signals, lx.Concepts} {
			for _, ps := range group {
				for _, p := range ps {
					for a := range alternatives(normPattern(p)) {
						english[a] = true
					}
				}
			}
		}
	}
	d.english = english
	// Negation words first, so a pattern that holds one (in any language:
	// "nao quero mais viver") is known to negate on purpose.
	for _, lx := range lexicons {
		for _, p := range lx.Concepts["negation"] {
			for _, a := range patternWords(normPattern(p)) {
				if lx.Lang == "en" || (len(a) > 2 && !english[a]) {
					d.neg[a] = true
				}
			}
		}
	}
	d.personWords(lexicons, english)
	d.lifeWords(lexicons)
	for _, lx := range lexicons {
		lang := lx.Lang
		for _, name := range sortedKeys(lx.Signals) {
			for _, p := range lx.Signals[name] {
				// Normalised once: another language's pattern is rarely plain
				// already, and normalising it is most of what reading it costs.
				n := normPattern(p)
				if lang != "en" && allIn(english, n) {
					continue
				}
				d.addPattern(&srcs, p, n, entry{kind: kindSignal, name: name, lang: lang})
			}
		}
		for _, name := range sortedKeys(lx.Concepts) {
			for _, p := range lx.Concepts[name] {
				d.addPattern(&srcs, p, normPattern(p), entry{kind: kindConcept, name: name, lang: lang})
			}
		}
		for _, p := range lx.Benign {
			if isCJK(p) {
				if t := compactCJK(p); t != "" {
					d.cjkBenign = append(d.cjkBenign, t)
				}
				continue
			}
			n := normPattern(p)
			if n == "" {
				continue
			}
			benign = append(benign, n)
			for a := range alternatives(n) {
				if !strings.HasPrefix(a, "~") {
					d.benignWord[strings.TrimSuffix(a, "*")] = true
				}
			}
		}
		for _, k := range sortedKeys(lx.Spellings) {
			if r, n := utf8.DecodeRuneInString(k); n == len(k) && !unicode.IsLetter(r) && !unicode.IsDigit(r) {
				// An emoji people use for a word ("🪢 tonight"): read as the word.
				if to := normPattern(lx.Spellings[k]); to != "" {
					d.emoji[r] = to
				}
				continue
			}
			from, to := normPattern(k), normPattern(lx.Spellings[k])
			if from == "" || to == "" {
				continue
			}
			if a, b, ok := strings.Cut(from, " "); ok {
				// Keyed by the two words, not the joined string, so that reading
				// a message builds no string per word.
				d.spell2[[2]string{a, b}] = to
			} else {
				d.spell1[from] = to
			}
		}
	}
	// One vocab for both sets: a message's words are looked up once.
	words := phrase.NewVocab()
	var err error
	if d.set, err = phrase.NewSetIn(words, srcs...); err != nil {
		return nil, fmt.Errorf("crisis lexicon: %w", err)
	}
	if d.benign, err = phrase.NewSetIn(words, benign...); err != nil {
		return nil, fmt.Errorf("crisis lexicon (benign): %w", err)
	}
	// Typos are repaired towards the core English crisis words only: the
	// signals' words and the concepts of wanting, dying, living, self-harm
	// and means. Another language's words would "repair" ordinary English
	// ("very" → "veny"), and the everyday words of other concepts would
	// swallow real words ("treats" → "threats").
	isTarget := map[string]bool{}
	fuzzy := map[byte][]string{}
	for i, src := range srcs {
		e := d.entries[i]
		if e.lang != "en" || (e.kind == kindConcept && !fuzzyConcepts[e.name]) {
			continue
		}
		for w := range alternatives(src) {
			if len(w) >= 4 && isASCIIWord(w) && !isTarget[w] {
				isTarget[w] = true
				fuzzy[w[0]] = append(fuzzy[w[0]], w)
			}
		}
	}
	// A vowel-less word is read as the first pattern word with its consonants,
	// the words of wishing and dying first ("wnt" is "want" before "wont"),
	// then in the lexicons' order, so ties never depend on map order.
	for pass := 0; pass < 2; pass++ {
		for i, src := range srcs {
			if first := skeletonFirst[d.entries[i].name]; first != (pass == 0) {
				continue
			}
			for w := range alternatives(src) {
				if len(w) < 3 || !english[w] || !isASCIIWord(w) {
					continue
				}
				if s := skeleton(w); len(s) >= 2 {
					if _, dup := d.skel[s]; !dup {
						d.skel[s] = w
					}
				}
			}
		}
	}
	for first, ws := range fuzzy {
		sortStrings(ws)
		ts := make([]target, len(ws))
		for i, w := range ws {
			ts[i] = target{w, letterSet(w), int32(i)}
		}
		// By length, so that a typo reads only the words near its own
		// length; rank keeps the lexicons' order between equals.
		slices.SortStableFunc(ts, func(a, b target) int { return len(a.w) - len(b.w) })
		d.targets[first] = ts
	}
	if m != nil {
		for _, w := range m.Known {
			d.known[w] = true
		}
		if m.Classifier != nil {
			d.model, d.threshold = m.Classifier, m.Threshold
			if d.model.Class("crisis") != 1 || len(d.model.Classes) != 2 {
				return nil, fmt.Errorf("crisis model: classes %v, want [safe crisis]", d.model.Classes)
			}
		}
	}
	d.class = make(map[string]wordInfo, len(d.known)+len(d.english)+len(d.vocab)+len(d.benignWord))
	mark := func(w string, c wordClass) {
		info := d.class[w]
		info.class |= c
		d.class[w] = info
	}
	// The model's words are most of them, and the map is empty yet: stored
	// without reading first.
	for w := range d.known {
		d.class[w] = wordInfo{class: classKnown}
	}
	for set, c := range map[*map[string]bool]wordClass{&d.english: classEnglish, &d.vocab: classVocab, &d.benignWord: classBenign} {
		for w, ok := range *set {
			if ok {
				mark(w, c)
			}
		}
	}
	for w := range d.spell1 {
		mark(w, classSpelling)
	}
	for pair := range d.spell2 {
		mark(pair[0], classSpells2)
		mark(pair[1], classSpelled2)
	}
	for w := range d.neg {
		mark(w, classNeg)
	}
	for w := range clauseBreak {
		mark(w, classBreak)
	}
	for w := range shortWords {
		mark(w, classShort)
	}
	for w, id := range words.All() {
		info := d.class[w]
		info.id = id
		d.class[w] = info
	}
	if d.model != nil {
		var buf []uint32
		for w, info := range d.class {
			info.margin, info.count, buf = d.alone(buf, w)
			d.class[w] = info
		}
	}
	d.short = make([]wordInfo, shortWordsLen)
	for w, info := range d.class {
		if i, ok := shortIndex(w); ok {
			d.short[i] = info
		}
	}
	d.pool.New = func() any { return new(scratch) }
	return d, nil
}

func knownWords(m *Model) int {
	if m == nil {
		return 0
	}
	return len(m.Known)
}

// alone sums the learned layer's features of w that do not depend on the
// words around it: its unigram and the n-grams of " w ". buf is working
// memory, returned for the next call.
func (d *Detector) alone(buf []uint32, w string) (int32, uint16, []uint32) {
	buf = d.feat.CharsIn(buf[:0], w, 0, len(w)+1)
	buf = d.feat.Word(buf, w)
	if len(buf) > math.MaxUint16 {
		return 0, 0, buf
	}
	return d.model.Margin(buf), uint16(len(buf)), buf
}

// info returns what the detector knows of w.
func (d *Detector) info(w string) wordInfo {
	if i, ok := shortIndex(w); ok {
		return d.short[i]
	}
	return d.class[w]
}

// shortWordsLen is the number of words shortIndex numbers: 27 symbols (none
// and a to z) in each of three places.
const shortWordsLen = 27 * 27 * 27

// shortIndex numbers the words of one to three letters a to z.
func shortIndex(w string) (int, bool) {
	if len(w) == 0 || len(w) > 3 {
		return 0, false
	}
	i := 0
	for k := 0; k < len(w); k++ {
		c := w[k]
		if c < 'a' || c > 'z' {
			return 0, false
		}
		i = i*27 + int(c-'a') + 1
	}
	return i, true
}

// wordInfo is what the detector knows of a word, in one lookup: reading a
// long message asks this of every word.
type wordInfo struct {
	class wordClass
	// count and margin are the learned layer's sum for the word wherever it
	// stands: its unigram and the n-grams of the word alone (see
	// [textclass.Featurizer.Across]). A word of a long message then costs
	// the learned layer only what it makes with the words after it. count
	// is 0 when they are not summed (no model, or a word the detector does
	// not know).
	count  uint16
	id     int32 // in the phrase sets' vocab
	margin int32
}

// wordClass says which of the detector's word lists hold a word.
type wordClass uint16

const (
	classKnown wordClass = 1 << iota
	classEnglish
	classVocab
	classBenign
	classSpelling
	classSpells2  // the first of a two-word spelling ("no" of "no one")
	classSpelled2 // the second of a two-word spelling ("one" of "no one")
	classShort    // one of shortWords: a part of a run-together word
	classNeg      // a negation, any language
	classBreak    // a clause break: a negation's reach ends there
)

// fuzzyConcepts are the concepts whose words a typo is repaired towards.
var fuzzyConcepts = map[string]bool{"mention": true, "death": true, "desire": true, "live": true, "selfharm": true, "means": true, "self": true, "toxic": true}

// skeletonFirst are the concepts whose words win a tie when a word without
// vowels is read.
var skeletonFirst = map[string]bool{"desire": true, "death": true, "live": true, "self": true}

// personWords fills the sets of words for the writer ("i", "ich", "aku") and
// for another person ("friend", "jemand"). Another person is often named by a
// phrase ("mein freund", "ein madchen aus meiner klasse", "teman saya"): of
// it only the words that name a person count, not "mein", "saya" (the
// writer's own words) or "ein", "aus" (too short to be a person in any
// language), or a story told by the writer would read as someone else's.
func (d *Detector) personWords(lexicons []Lexicon, english map[string]bool) {
	for _, name := range []string{"self", "other"} {
		for _, lx := range lexicons {
			for _, p := range lx.Concepts[name] {
				words := strings.Fields(p)
				for _, w := range words {
					for _, alt := range strings.Split(w, "|") {
						alt = normWord(alt)
						// Another language's short function words ("a", "me",
						// "no" in Spanish) must not change how English reads.
						if strings.HasPrefix(alt, "~") || (lx.Lang != "en" && (len(alt) <= 2 || english[alt])) {
							continue
						}
						if name == "self" {
							d.self[alt] = true
						} else if len(words) == 1 || (len(alt) > 3 && !d.self[alt]) {
							d.others[alt] = true
						}
					}
				}
			}
		}
	}
}

// lifeWords files the English words of the concepts of life and death.
func (d *Detector) lifeWords(lexicons []Lexicon) {
	d.lifeWord = map[string]bool{}
	for _, lx := range lexicons {
		if lx.Lang != "en" {
			continue
		}
		for _, name := range []string{"live", "death"} {
			for _, p := range lx.Concepts[name] {
				for _, w := range patternWords(p) {
					d.lifeWord[normWord(w)] = true
				}
			}
		}
	}
}

// patternWords are the words of a pattern, every alternative of each ("cant
// ~1 go|carry" gives "cant", "go", "carry"), without its gaps ("~1").
func patternWords(pattern string) []string {
	var out []string
	for a := range alternatives(pattern) {
		if !strings.HasPrefix(a, "~") {
			out = append(out, a)
		}
	}
	return out
}

// allIn reports whether every word of a normalised pattern is in set.
func allIn(set map[string]bool, pattern string) bool {
	for a := range alternatives(pattern) {
		if !strings.HasPrefix(a, "~") && !set[a] {
			return false
		}
	}
	return pattern != ""
}

// alternatives yields every alternative of every word of a normalised
// pattern, gaps included ("cant ~1 go|carry*": "cant", "~1", "go",
// "carry*"), without the slices strings.Fields and strings.Split would
// make: New reads some 4,000 patterns at every start.
func alternatives(pattern string) iter.Seq[string] {
	return func(yield func(string) bool) {
		start := 0
		for i := 0; i <= len(pattern); i++ {
			if i == len(pattern) || pattern[i] == ' ' || pattern[i] == '|' {
				if i > start && !yield(pattern[start:i]) {
					return
				}
				start = i + 1
			}
		}
	}
}

// addPattern files a lexicon pattern p, normalised as n, under e.
func (d *Detector) addPattern(srcs *[]string, p, n string, e entry) {
	if isCJK(p) {
		if t := compactCJK(p); t != "" {
			d.cjk = append(d.cjk, cjkEntry{entry: e, text: t})
		}
		return
	}
	if n == "" {
		return
	}
	for w := range alternatives(n) {
		if strings.HasPrefix(w, "~") {
			continue
		}
		d.vocab[strings.TrimSuffix(w, "*")] = true
		if d.neg[w] {
			e.negates = true
		}
	}
	*srcs = append(*srcs, n)
	d.entries = append(d.entries, e)
}

// normPattern normalises a pattern's words the way messages are normalised,
// keeping its syntax ("|", "*", "~N", "[number]").
func normPattern(p string) string {
	if plainPattern(p) {
		return p // most patterns are written normalised already
	}
	var out []string
	for _, f := range strings.Fields(p) {
		if strings.HasPrefix(f, "~") || f == "[number]" {
			out = append(out, f)
			continue
		}
		var alts []string
		for _, a := range strings.Split(f, "|") {
			star := strings.HasSuffix(a, "*")
			// A word the normaliser splits in two ("s/h") becomes its first
			// part; lexicons should not rely on that.
			w := normWord(strings.TrimSuffix(a, "*"))
			if w == "" {
				continue
			}
			if star {
				w += "*"
			}
			alts = append(alts, w)
		}
		if len(alts) > 0 {
			out = append(out, strings.Join(alts, "|"))
		}
	}
	// A pattern cannot start or end with a gap.
	for len(out) > 0 && strings.HasPrefix(out[0], "~") {
		out = out[1:]
	}
	for len(out) > 0 && strings.HasPrefix(out[len(out)-1], "~") {
		out = out[:len(out)-1]
	}
	return strings.Join(out, " ")
}

// plainPattern reports whether p is already normal: lower-case ASCII words and
// digits separated by single spaces, with only the pattern syntax besides, and
// no gap at either end.
func plainPattern(p string) bool {
	if p == "" || p[0] == ' ' || p[0] == '~' || p[len(p)-1] == ' ' {
		return false
	}
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '|', c == '*', c == '~':
		case c == ' ':
			if p[i-1] == ' ' || p[i-1] == '|' || (i+1 < len(p) && p[i+1] == '|') {
				return false
			}
		default:
			return false
		}
	}
	return !strings.Contains(p, "||") && !strings.HasSuffix(p, "|") && !strings.HasPrefix(p, "|") && !strings.Contains(p, " ~"+"0")
}

// normWord normalises one word of a pattern: words of more than one piece
// ("self-harm") are joined with a space.
func normWord(w string) string {
	if w == "[number]" {
		return w
	}
	for i := 0; i < len(w); i++ {
		if c := w[i]; (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return textnorm.Normalize(w)
		}
	}
	return w // most pattern words are plain already
}

// scratch is the per-check working memory, pooled so a check allocates little.
type scratch struct {
	ws           []string
	ids          []int32    // ws's numbers in the phrase sets' vocab
	inf          []wordInfo // what the detector knows of ws
	begins       []bool     // whether each of ws begins a sentence
	sentenceEnds []int32    // where the normalised text's sentences end (checkText)
	buf          []string
	info         []wordInfo // what the detector knows of buf's words
	hits         []hit
	uniq         []string
	uniqInf      []wordInfo
	fired        []firedRule
	// The learned layer's features, grouped by word: first the rules', then
	// each of uniq's (word k's end at ends[k], kept with allWords only).
	// The whole message's are feat[:whole]. With a model and without list,
	// they are summed as they are found instead: the whole message's margin
	// is margin, of whole features, and feat holds only those not summed
	// ahead (see [wordInfo]).
	feat   []uint32
	ends   []int32
	whole  int
	margin int32
	// list keeps the list of features where a model would sum them: for
	// training, and for the test that both ways give one score.
	list   bool
	uniqAt []int32 // ws index → uniq index (-1 before the first word); with allWords only
	// allWords has features found for every word, past maxModelText: the
	// training measures windows over the whole of a long message.
	allWords bool
	cx       contexts // the contexts among hits, found by the rules
	// The windows' working memory: see window.go.
	sums [3][]int32
	// text is the learned layer's text, kept from check to check: a
	// strings.Builder starts empty after Reset and grows anew each time.
	text []byte
}

type hit struct {
	e          *entry
	start, end int // word positions; -1 for a substring match (no position)
	pattern    int
}

// Check reads one message and says what it found.
func (d *Detector) Check(text string) Finding {
	sc := d.pool.Get().(*scratch)
	defer d.pool.Put(sc)
	return d.checkText(sc, text)
}

// checkText is check for text not yet sanitised and normalised.
func (d *Detector) checkText(sc *scratch, text string) Finding {
	text = textnorm.Sanitize(text)
	norm, ends := textnorm.NormalizeSentences(text, sc.sentenceEnds[:0])
	sc.sentenceEnds = ends
	return d.check(sc, text, norm, ends)
}

// CheckNormalized is [Detector.Check] for text the caller already passed
// through textnorm.Sanitize (raw) and then textnorm.NormalizeSentences (norm,
// and ends, where its sentences end); raw is still needed for scripts
// written without spaces.
func (d *Detector) CheckNormalized(raw, norm string, ends []int32) Finding {
	sc := d.pool.Get().(*scratch)
	defer d.pool.Put(sc)
	return d.check(sc, raw, norm, ends)
}

func (d *Detector) check(sc *scratch, raw, norm string, ends []int32) Finding {
	// Scanned once: emoji and scripts without spaces are both beyond ASCII.
	ascii := textnorm.IsASCII(raw)
	if len(d.emoji) > 0 && !ascii {
		// Only a message with something the normaliser dropped can hold one.
		if r := d.readEmoji(raw); r != raw {
			norm, sc.sentenceEnds = textnorm.NormalizeSentences(r, sc.sentenceEnds[:0])
			ends = sc.sentenceEnds
		}
	}
	sc.ws = d.words(sc.ws[:0], sc, norm, ends)
	sc.hits = d.findHits(sc.hits[:0], sc.ws, sc.ids, raw, ascii)
	sc.fired = sc.fired[:0]
	f := d.rules(sc.ws, sc.begins, sc.hits, &sc.fired, &sc.cx)
	d.features(sc, sc.ws, sc.fired)
	if d.model != nil && d.enoughToJudge(sc.ws, sc.hits) {
		margin := sc.margin
		if !d.summing(sc) {
			margin = d.model.Margin(sc.feat[:sc.whole])
		}
		f.Score = sigmoid(d.model.Logit(margin, sc.whole))
		if !f.Crisis && f.Score >= d.threshold {
			f.Crisis, f.Construct, f.Rule = true, "model", "model"
			f.Other = d.hasConcept(sc.hits, "other") && !d.anySelf(sc.ws)
		}
	}
	if f.Crisis {
		// The language of every word that gave a sign, not only of the rule
		// that fired first: "ich will nicht mehr leben" is German although
		// "will" is English too.
		f.Lang = d.language(sc.hits)
	}
	return f
}

// maxModelText bounds the text the learned layer reads (bytes): the signs of
// crisis in a pasted diary are found by the rules, which read all of it.
const maxModelText = 2000

// minModelWords is how many words a message needs before the learned layer
// judges it without any crisis concept in it: on "no" or "a little" (a typed
// triage answer) a model of text has nothing to go on but its prior.
const minModelWords = 3

// judgeConcepts are the concepts that make even a short message worth the
// learned layer's judgement ("nothing left", "goodbye", "pills").
var judgeConcepts = map[string]bool{"death": true, "live": true, "means": true, "place": true, "selfharm": true, "risk": true, "mention": true, "toxic": true, "violence": true, "threat": true, "control": true, "prep": true, "farewell": true}

// enoughToJudge reports whether the learned layer may judge a message.
func (d *Detector) enoughToJudge(ws []string, hits []hit) bool {
	n, known, prev := 0, false, ""
	for _, w := range ws {
		if w != "" && w != prev {
			n++
			prev = w
			known = known || d.known[w] || d.vocab[w]
			if n >= minModelWords && known {
				// Enough words, and at least one the detector knows in some
				// language: on "asdf qwerty zxcv" a model of text has only its
				// prior to go on. The rest of a long message cannot change
				// that, so it is not read.
				return true
			}
		}
	}
	for _, h := range hits {
		if h.e.kind == kindSignal || judgeConcepts[h.e.name] {
			return true
		}
	}
	return false
}

// readEmoji writes the emoji the lexicons name as their words.
func (d *Detector) readEmoji(raw string) string {
	var b strings.Builder
	changed := false
	for _, r := range raw {
		if w, ok := d.emoji[r]; ok {
			b.WriteString(" " + w + " ")
			changed = true
			continue
		}
		b.WriteRune(r)
	}
	if !changed {
		return raw
	}
	return b.String()
}

// findHits blanks benign phrases and collects every signal and concept match.
// ids are ws's numbers in the sets' vocab; ascii says raw is all ASCII.
func (d *Detector) findHits(hits []hit, ws []string, ids []int32, raw string, ascii bool) []hit {
	d.benign.BlankIn(ws, ids)
	d.set.EachIn(ws, ids, func(idx, start, end int) {
		e := &d.entries[idx]
		if e.lang != "en" && d.allEnglish(ws[start:end]) {
			// Another language's pattern made only of English words ("me",
			// "a", "mata" aside): in an English sentence it means nothing.
			return
		}
		hits = append(hits, hit{e: e, start: start, end: end, pattern: idx})
	})
	if len(d.cjk) > 0 && !ascii && isCJK(raw) {
		compact := compactCJK(raw)
		for _, b := range d.cjkBenign {
			// Set the idiom aside ("想死你了", I miss you so much).
			compact = strings.ReplaceAll(compact, b, " ")
		}
		for i := range d.cjk {
			if strings.Contains(compact, d.cjk[i].text) {
				hits = append(hits, hit{e: &d.cjk[i].entry, start: -1, end: -1, pattern: -1 - i})
			}
		}
	}
	return hits
}

// allEnglish reports whether every word is an English word the detector
// knows (from the English lexicons or the corpus).
func (d *Detector) allEnglish(ws []string) bool {
	for _, w := range ws {
		if w != "" && !d.english[w] && !d.known[w] {
			return false
		}
	}
	return true
}

// language is the language of the hits, preferring any other than English
// (a message in Spanish with one English loan word is Spanish).
// A tie goes to the language first in alphabetical order. It counts without a
// map: a long message can have hundreds of hits, in two or three languages.
func (d *Detector) language(hits []hit) string {
	best, n := "en", 0
	for i, h := range hits {
		lang := h.e.lang
		if lang == "en" || slices.ContainsFunc(hits[:i], func(x hit) bool { return x.e.lang == lang }) {
			continue // English, or counted already
		}
		c := 0
		for _, x := range hits[i:] {
			if x.e.lang == lang {
				c++
			}
		}
		if c > n || c == n && lang < best {
			best, n = lang, c
		}
	}
	return best
}

func (d *Detector) hasConcept(hits []hit, name string) bool {
	for _, h := range hits {
		if h.e.kind == kindConcept && h.e.name == name {
			return true
		}
	}
	return false
}

func (d *Detector) anySelf(ws []string) bool {
	for _, w := range ws {
		if d.self[w] {
			return true
		}
	}
	return false
}

// features are the learned layer's inputs: character n-grams of the repaired
// words, word uni- and bigrams, and the rules that fired and the context found
// (not every concept: "my wife wants" is a household and a desire in many an
// ordinary question). They are written to sc grouped by word, so that a window
// of a long message can be scored from the words in it.
func (d *Detector) features(sc *scratch, ws []string, fired []firedRule) {
	// A word said again at once ("no no no", "blah blah blah") says it once:
	// the model must not read volume as meaning.
	// Filled in local variables, stored in sc once (as in words).
	uniq, uniqInf, uniqAt, buf := sc.uniq[:0], sc.uniqInf[:0], sc.uniqAt[:0], sc.text[:0]
	prev := ""
	for i, w := range ws {
		if w != "" && w != prev {
			if len(buf)+1 > maxModelText && !sc.allWords {
				// The text holds a word past the whole message's last, whose
				// n-grams reach into it: enough for the learned layer.
				break
			}
			prev = w
			uniq, uniqInf = append(uniq, w), append(uniqInf, sc.inf[i])
			if len(buf) > 0 {
				buf = append(buf, ' ')
			}
			buf = append(buf, w...)
		}
		if sc.allWords {
			// Only the training's windows ask where a word stands.
			uniqAt = append(uniqAt, int32(len(uniq)-1))
		}
	}
	sc.uniq, sc.uniqInf, sc.uniqAt, sc.text = uniq, uniqInf, uniqAt, buf
	// Read in place, not copied: text is read only here, while sc.text is
	// not written, and does not outlive the call.
	text := unsafe.String(unsafe.SliceData(buf), len(buf))
	feat := sc.feat[:0]
	for _, r := range fired {
		feat = append(feat, textclass.Feature(r.name))
	}
	sc.ends = sc.ends[:0]
	sc.whole = len(feat)
	// With a model, each word's features that are the same wherever it
	// stands are summed ahead (wordInfo): only those it makes with the
	// words after it are found here.
	summing := d.summing(sc)
	var margin int32
	ahead := 0
	// Words in a negation's reach are features of their own, so "can't keep
	// going" and "need to keep going" part ways ("not_keep", "not_going").
	reach, off := 0, 0
	whole := sc.whole
	for k, w := range uniq {
		// Word k's character n-grams run from the space before it (position
		// off of the text with its end spaces) to its end; the last word's
		// to the end.
		to := off + len(w) + 1
		if k == len(uniq)-1 {
			to = len(text) + 2
		}
		if to > maxModelText && !sc.allWords {
			// The whole message's score reads its first maxModelText bytes.
			// Only the training's measure of windows reads all of it.
			break
		}
		info := uniqInf[k]
		if summing && info.count > 0 {
			margin += info.margin
			ahead += int(info.count)
			feat = d.feat.Across(feat, text, off, to)
			if k+1 < len(uniq) {
				feat = d.feat.Pair(feat, w, uniq[k+1])
			}
		} else {
			// Listed, or a word the detector does not know (nothing summed
			// ahead): all of its features.
			feat = d.feat.CharsIn(feat, text, off, to)
			feat = d.feat.WordAt(feat, uniq, k)
		}
		switch c := info.class; {
		case c&classNeg != 0:
			reach = 3
		case c&classBreak != 0:
			reach = 0
		case reach > 0:
			feat = append(feat, textclass.Feature("not_"+w))
			reach--
		}
		if sc.allWords {
			sc.ends = append(sc.ends, int32(len(feat)))
		}
		if to <= maxModelText {
			whole = len(feat)
		}
		off = to
	}
	sc.feat, sc.whole = feat, whole
	if summing {
		sc.margin = margin + d.model.Margin(feat)
		sc.whole += ahead
	}
}

// summing reports whether features sums the learned layer's features as it
// finds them, rather than listing them all in sc.feat.
func (d *Detector) summing(sc *scratch) bool { return d.model != nil && !sc.list && !sc.allWords }

func sigmoid(z float64) float64 { return 1 / (1 + math.Exp(-z)) }

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sortStrings(ks)
	return ks
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func isASCIIWord(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

// isCJK reports whether s is written in a script without spaces between words
// (Han, Hiragana, Katakana, Thai): such patterns are matched as substrings.
func isCJK(s string) bool {
	for _, r := range s {
		if isCJKRune(r) {
			return true
		}
	}
	return false
}

func isCJKRune(r rune) bool {
	if r < 0x0E00 { // below Thai: no script written without spaces
		return false
	}
	return unicode.Is(unicode.Han, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) || unicode.Is(unicode.Thai, r)
}

// compactCJK keeps the letters of s, lower-cased, without spaces or
// punctuation, for substring matching.
func compactCJK(s string) string {
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}
