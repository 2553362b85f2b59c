package bot

import (
	"maps"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/kljensen/snowball/english"
	"github.com/supportbot/supportbot/bot/textnorm"
)

// The matcher finds the topic a message is about. Each topic is one document made
// of its title, keywords and example questions; a message is analysed the same
// way (words → stop words dropped → synonyms → Snowball stems → typo correction
// against the vocabulary) and the topics are ranked with BM25. BM25 suits this
// corpus: a handful of short documents where a few telling words ("facilitator",
// "insurance", "closed") decide, and words every topic shares ("group",
// "therapy") should count for almost nothing.

// BM25 parameters: the usual k1, and a length normalisation b lowered from the
// usual 0.75 because topics differ in length only by how many example questions a
// curator wrote, which says nothing about relevance.
const (
	bm25K1 = 1.2
	bm25B  = 0.5
	// qB normalises question length fully: a short question that holds all of a
	// message's words is a better match than a long one that holds them too.
	qB = 0.75
	// questionWeight scales the best question's score against the topic's.
	questionWeight = 0.25
	// Field weights: a word in a topic's title or keywords says more about the
	// topic than one in an example question.
	weightTitle    = 2
	weightKeyword  = 2
	weightQuestion = 1
	// maxQueryWords bounds the work on a long, rambling message: about the
	// 1,000 bytes the classifier's character n-grams read (the examples are
	// at most 38 words). A long story's last question is read on its own. On
	// testdata/long-messages.yaml (36 messages of 168 to 553 words, never
	// trained on) and on the development set, 100, 180, 250 and 400 words
	// gave the same replies; 180 instead of 400 takes 25 µs off a 1,000-word
	// message.
	maxQueryWords = 180
)

// Confidence thresholds on the [0,1] scale of [matcher.confidence].
const (
	answerConfidence  = 0.45 // at or above: answer
	clarifyConfidence = 0.30 // between this and answerConfidence, or two close topics: ask
	closeRatio        = 0.95 // the runner-up scores at least this share of the best: ask which
)

type matcher struct {
	topics   []*Topic
	termID   map[string]int32    // analysed term → id
	wordTerm map[string]int32    // surface word → term id, precomputed for the vocabulary
	phrase2  map[[2]string]int32 // two-word synonym phrases → term id
	phrase3  map[[3]string]int32 // three-word synonym phrases → term id
	synonym  map[string]string   // stem → canonical term of its synonym group
	topicIdx bm25                // each topic as one document
	// deletes indexes the vocabulary for typo correction (symmetric delete):
	// every word of five letters or more under itself and each form with one
	// letter left out. A misspelt word's own one-letter deletions then meet
	// every vocabulary word within one edit, and most within two, in a few
	// map lookups instead of a scan of the vocabulary.
	deletes map[string][]string
	stemmed map[string]string // surface word → its stem, for the vocabulary
	surface map[string]bool   // every word of the knowledge base and the synonyms
	// words holds what reading each word known at start comes to (see
	// [wordInfo]): most words of a message are one lookup here instead of
	// six in the maps above.
	words       map[string]wordInfo
	wordList    []string        // the words of words a classifier may sum ahead, by wordInfo.chars-1
	phraseStart map[string]bool // first words of phrase2 and phrase3
	// generic holds the terms of a message that only names the two kinds of
	// group ("support group or group therapy?"): they occur in nearly every
	// topic, so BM25 rightly gives them no weight, yet such a message is the
	// bot's reason to exist and asks for the overall difference.
	generic    map[int32]bool
	difference *Topic // the topic such a message gets, if the knowledge base has it
	// The question index: each example question is also a document of its own,
	// so a short message that reads like one question ("support group vs group
	// therapy?") finds it even when its words are common to every topic.
	questionIdx bm25
	qTopic      []int32 // by question: its topic
	scratch     sync.Pool
}

type posting struct {
	doc int32
	tf  float32
}

// bm25 is a BM25 index over a set of documents (the topics, or the example
// questions).
type bm25 struct {
	b      float64     // length normalisation
	idf    []float64   // by term id
	post   [][]posting // by term id: the documents holding it
	docLen []float64   // by document
	avgLen float64
}

// newBM25 indexes documents given as term frequencies, over a vocabulary of
// nTerms terms.
func newBM25(docs []map[int32]float64, nTerms int, b float64) bm25 {
	x := bm25{b: b, idf: make([]float64, nTerms), post: make([][]posting, nTerms), docLen: make([]float64, len(docs))}
	for i, tf := range docs {
		for id, f := range tf {
			x.post[id] = append(x.post[id], posting{doc: int32(i), tf: float32(f)})
			x.docLen[i] += f
		}
		x.avgLen += x.docLen[i]
	}
	n := float64(len(docs))
	if n > 0 {
		x.avgLen /= n
	}
	for id, ps := range x.post {
		df := float64(len(ps))
		x.idf[id] = math.Log(1 + (n-df+0.5)/(df+0.5))
	}
	return x
}

// score adds every document's BM25 score for terms to scores.
func (x *bm25) score(terms []int32, scores []float64) {
	for _, id := range terms {
		idf := x.idf[id]
		for _, p := range x.post[id] {
			tf := float64(p.tf)
			norm := bm25K1 * (1 - x.b + x.b*x.docLen[p.doc]/x.avgLen)
			scores[p.doc] += idf * tf * (bm25K1 + 1) / (tf + norm)
		}
	}
}

type scratch struct {
	ws      []string
	words   []wordInfo // by word of ws: what it comes to
	terms   []int32
	scores  []float64
	qScores []float64
	qBest   []float64
}

// match is a ranked candidate.
type match struct {
	topic *Topic
	score float64 // raw BM25
}

// newMatcher indexes the topics. stems, when not nil, is a [StemTable] of
// words already stemmed; the matcher keeps its own copy.
func newMatcher(topics []Topic, synonyms [][]string, stems map[string]string) *matcher {
	m := &matcher{
		termID:   map[string]int32{},
		wordTerm: map[string]int32{},
		phrase2:  map[[2]string]int32{},
		phrase3:  map[[3]string]int32{},
		synonym:  map[string]string{},
		deletes:  map[string][]string{},
		stemmed:  map[string]string{},
		surface:  map[string]bool{},
	}
	if stems != nil {
		m.stemmed = maps.Clone(stems)
	}
	// Synonym groups: every member stands for the group's first word.
	for _, g := range synonyms {
		canon := m.canonical(g[0])
		for _, member := range g {
			ws := textnorm.Words(nil, textnorm.Normalize(member))
			for _, w := range ws {
				m.surface[w] = true
			}
			switch len(ws) {
			case 0:
			case 1:
				m.synonym[stem(ws[0])] = canon
			case 2:
				m.phrase2[[2]string{ws[0], ws[1]}] = m.term(canon)
			default:
				m.phrase3[[3]string{ws[0], ws[1], ws[2]}] = m.term(canon)
			}
		}
	}
	// Documents.
	tfs := make([]map[int32]float64, len(topics))
	var qtfs []map[int32]float64
	for i := range topics {
		t := &topics[i]
		m.topics = append(m.topics, t)
		tf := map[int32]float64{}
		add := func(text string, w float64) {
			for _, id := range m.analyzeIndex(text) {
				tf[id] += w
			}
		}
		add(t.Title, weightTitle)
		for _, k := range t.Keywords {
			add(k, weightKeyword)
		}
		for _, q := range t.Questions {
			qtf := map[int32]float64{}
			for _, id := range m.analyzeIndex(q) {
				tf[id] += weightQuestion
				qtf[id]++
			}
			qtfs = append(qtfs, qtf)
			m.qTopic = append(m.qTopic, int32(i))
		}
		tfs[i] = tf
	}
	// Stem every word the knowledge base, the synonyms and the stop-word list
	// know once, here: stemming is the costliest step of reading a message, and
	// most of a message's words are among these.
	for w := range m.surface {
		if _, ok := m.stemmed[w]; !ok {
			m.stemmed[w] = stem(w)
		}
	}
	for w := range stopWords {
		if _, ok := m.stemmed[w]; !ok {
			m.stemmed[w] = stem(w)
		}
	}
	m.topicIdx = newBM25(tfs, len(m.termID), bm25B)
	m.questionIdx = newBM25(qtfs, len(m.termID), qB)
	words := make([]string, 0, len(m.surface))
	for w := range m.surface {
		words = append(words, w)
	}
	sort.Strings(words) // deterministic correction when two words tie
	var buf []byte
	for _, w := range words {
		if len(w) < 5 || len(w) > 30 {
			continue
		}
		m.deletes[w] = append(m.deletes[w], w)
		for i := 0; i < len(w); i++ {
			buf = append(append(buf[:0], w[:i]...), w[i+1:]...)
			k := string(buf)
			m.deletes[k] = append(m.deletes[k], w)
		}
	}
	m.phraseStart = map[string]bool{}
	for k := range m.phrase2 {
		m.phraseStart[k[0]] = true
	}
	for k := range m.phrase3 {
		m.phraseStart[k[0]] = true
	}
	// Last, when every map readWord reads is complete.
	m.words = make(map[string]wordInfo, len(m.stemmed))
	m.wordList = make([]string, 0, len(m.stemmed))
	for w := range m.stemmed {
		info := m.readWord(w)
		if len(w) <= maxSummedWord {
			m.wordList = append(m.wordList, w)
			info.chars = int32(len(m.wordList))
		}
		m.words[w] = info
	}
	m.generic = map[int32]bool{}
	for _, w := range genericWords {
		ids, _, _, _ := m.analyzeQuery(nil, nil, textnorm.Words(nil, textnorm.Normalize(w)))
		for _, id := range ids {
			m.generic[id] = true
		}
	}
	for _, t := range m.topics {
		if t.ID == differenceTopic {
			m.difference = t
		}
	}
	m.scratch.New = func() any {
		return &scratch{
			ws:      make([]string, 0, 64),
			words:   make([]wordInfo, 0, 64),
			terms:   make([]int32, 0, 64),
			scores:  make([]float64, len(m.topics)),
			qScores: make([]float64, len(m.qTopic)),
			qBest:   make([]float64, len(m.topics)),
		}
	}
	return m
}

// canonical is the term a synonym group's name analyses to.
func (m *matcher) canonical(name string) string {
	ws := textnorm.Words(nil, textnorm.Normalize(name))
	for i, w := range ws {
		ws[i] = stem(w)
	}
	return strings.Join(ws, "_")
}

// term returns the id of a term, adding it to the vocabulary.
func (m *matcher) term(t string) int32 {
	if id, ok := m.termID[t]; ok {
		return id
	}
	id := int32(len(m.termID))
	m.termID[t] = id
	return id
}

// analyzeIndex analyses knowledge-base text, growing the vocabulary and the
// surface-word cache the query side uses.
func (m *matcher) analyzeIndex(text string) []int32 {
	ws := textnorm.Words(nil, textnorm.Normalize(text))
	for _, w := range ws {
		m.surface[w] = true
	}
	var out []int32
	for i := 0; i < len(ws); i++ {
		if id, n := m.phraseAt(ws, i); n > 0 {
			out = append(out, id)
			i += n - 1
			continue
		}
		w := ws[i]
		if stopWords[w] {
			continue
		}
		s, ok := m.stemmed[w]
		if !ok {
			s = stem(w)
			m.stemmed[w] = s
		}
		if c, ok := m.synonym[s]; ok {
			s = c
		}
		id := m.term(s)
		m.wordTerm[w] = id
		out = append(out, id)
	}
	return out
}

// genericWords name the two kinds of group and the act of comparing them.
var genericWords = []string{"support group", "group therapy", "therapy group", "support", "group", "therapy", "difference", "same", "different", "compare", "versus"}

// onlyGeneric reports whether every term of a message is generic.
func (m *matcher) onlyGeneric(terms []int32) bool {
	if len(terms) == 0 {
		return false
	}
	for _, id := range terms {
		if !m.generic[id] {
			return false
		}
	}
	return true
}

// phraseAt matches a multi-word synonym at ws[i], returning its term and length.
func (m *matcher) phraseAt(ws []string, i int) (int32, int) {
	if i+2 < len(ws) {
		if id, ok := m.phrase3[[3]string{ws[i], ws[i+1], ws[i+2]}]; ok {
			return id, 3
		}
	}
	if i+1 < len(ws) {
		if id, ok := m.phrase2[[2]string{ws[i], ws[i+1]}]; ok {
			return id, 2
		}
	}
	return 0, 0
}

// wordInfo is what reading one word of a message comes to.
type wordInfo struct {
	word    string // the word, its typo corrected
	feature string // its stem as the classifier reads it: its synonym group's term
	term    int32  // its term outside a phrase, or -1 for none
	stop    bool
	phrase  bool // it may start a two- or three-word synonym phrase
	// chars is the row of the classifier's sums of the word's character
	// n-grams (charSums), plus one: the word's place in the matcher's
	// wordList. 0: none, so all are listed.
	chars int32
}

// readWord reads one word: corrected if it is no word of the knowledge base
// or a stop word, stemmed, and mapped to its synonym group and term.
func (m *matcher) readWord(w string) wordInfo {
	if !m.surface[w] && !stopWords[w] {
		if fix, ok := m.correct(w); ok {
			w = fix
		}
	}
	s, ok := m.stemmed[w]
	if !ok {
		s = w
		if len(w) <= maxStemmed { // no word of ours is this long; stemming it is wasted work
			s = stem(w)
		}
	}
	info := wordInfo{word: w, feature: s, term: -1, stop: stopWords[w], phrase: m.phraseStart[w]}
	if c, ok := m.synonym[s]; ok {
		info.feature = c
	}
	if id, ok := m.wordTerm[w]; ok {
		info.term = id
	} else if id, ok := m.termID[info.feature]; ok && len(w) <= 30 {
		info.term = id
	}
	return info
}

// analyzeQuery turns a message's words into known term ids. Misspelt words are
// corrected first, so "supprt grp" still reads as the phrase "support group";
// unknown words that are no typo of a known one are dropped (they cannot change
// the ranking) but counted, for [coverage]. infos receives what each word came
// to, for the classifier's word features.
func (m *matcher) analyzeQuery(dst []int32, infos []wordInfo, ws []string) (terms []int32, infosOut []wordInfo, content, unknown int) {
	infos = infos[:0]
	for i, w := range ws {
		info, ok := m.words[w]
		if !ok {
			info = m.readWord(w)
		}
		ws[i] = info.word
		infos = append(infos, info)
	}
	for i := 0; i < len(ws); i++ {
		if infos[i].phrase {
			if id, n := m.phraseAt(ws, i); n > 0 {
				dst = appendUnique(dst, id)
				content++
				i += n - 1
				continue
			}
		}
		if infos[i].stop {
			continue
		}
		content++
		if id := infos[i].term; id >= 0 {
			dst = appendUnique(dst, id)
			continue
		}
		unknown++
	}
	return dst, infos, content, unknown
}

func appendUnique(dst []int32, id int32) []int32 {
	for _, x := range dst {
		if x == id {
			return dst
		}
	}
	return append(dst, id)
}

// correct finds the vocabulary word a misspelt word was meant to be: one edit
// away for words of five letters or more, two for eight or more (a transposition
// counts as one edit). Short words are left alone: "cost" one edit away is
// "most", and guessing wrong is worse than not guessing.
func (m *matcher) correct(w string) (string, bool) {
	if len(w) < 5 {
		return "", false
	}
	maxD := 1
	if len(w) >= 8 {
		maxD = 2
	}
	best, bestD := "", maxD+1
	try := func(key string) {
		for _, c := range m.deletes[key] {
			if d := len(c) - len(w); d > maxD || -d > maxD || c[0] != w[0] {
				continue
			}
			if d := textnorm.EditDistance(w, c, maxD); d < bestD || (d == bestD && c < best) {
				best, bestD = c, d
			}
		}
	}
	try(w)
	var buf [32]byte
	for i := 0; i < len(w) && len(w) <= 31; i++ {
		k := append(append(buf[:0], w[:i]...), w[i+1:]...)
		try(string(k))
	}
	return best, best != ""
}

// rank scores every topic for the analysed terms and returns the best two. A
// topic's score is its BM25 as a whole plus the BM25 of its best-matching example
// question (scaled by questionWeight): the first rewards the topic's vocabulary,
// the second the way people phrase it.
func (m *matcher) rank(terms []int32, scores, qScores, qBest []float64) (first, second match) {
	for i := range scores {
		scores[i] = 0
		qBest[i] = 0
	}
	for i := range qScores {
		qScores[i] = 0
	}
	m.topicIdx.score(terms, scores)
	m.questionIdx.score(terms, qScores)
	// Each topic gets the score of its best question on top of its own.
	for q, qs := range qScores {
		if t := m.qTopic[q]; qs*questionWeight > qBest[t] {
			qBest[t] = qs * questionWeight
		}
	}
	for i := range scores {
		scores[i] += qBest[i]
	}
	for i, s := range scores {
		switch {
		case s > first.score:
			second = first
			first = match{topic: m.topics[i], score: s}
		case s > second.score:
			second = match{topic: m.topics[i], score: s}
		}
	}
	return first, second
}

// confidence maps a raw BM25 score onto [0,1). A score of confidenceScale gives
// 0.5; the scale was calibrated on the evaluation set (testdata/eval.yaml) so
// that a message with one telling word lands near the answer threshold and one
// with two or three lands well above it.
const confidenceScale = 3.0

func confidence(score float64) float64 {
	if score <= 0 {
		return 0
	}
	return score / (score + confidenceScale)
}

// lookup analyses normalised text and returns the two best topics with their
// confidence.
func (m *matcher) lookup(norm string) (first, second match, conf1, conf2 float64) {
	sc := m.scratch.Get().(*scratch)
	defer m.scratch.Put(sc)
	return m.analyze(sc, norm)
}

// analyze is [matcher.lookup] on the caller's scratch, which keeps the
// message's words (typos corrected) in sc.ws for further use.
func (m *matcher) analyze(sc *scratch, norm string) (first, second match, conf1, conf2 float64) {
	sc.ws = textnorm.Words(sc.ws[:0], textnorm.FirstWords(norm, maxQueryWords))
	var content, unknown int
	sc.terms, sc.words, content, unknown = m.analyzeQuery(sc.terms[:0], sc.words, sc.ws)
	first, second = m.rank(sc.terms, sc.scores, sc.qScores, sc.qBest)
	cov := coverage(content, unknown)
	conf1, conf2 = cov*confidence(first.score), cov*confidence(second.score)
	if conf1 < answerConfidence && m.difference != nil && m.onlyGeneric(sc.terms) {
		return match{topic: m.difference, score: first.score}, match{}, answerConfidence, 0
	}
	return first, second, conf1, conf2
}

// differenceTopic is the overall difference between the two kinds of group: the
// answer to a message that only names them, and the answer after which the
// triage is offered.
const differenceTopic = "difference"

// coverage discounts a short message most of whose words the knowledge base has
// never seen: "how do i fix my wifi" shares one word with a topic, and that is
// not enough to answer it. Long messages are not discounted: a rambling story
// around a real question is mostly words we do not know, and that is fine.
func coverage(content, unknown int) float64 {
	if content == 0 || content > 8 {
		return 1
	}
	known := float64(content-unknown) / float64(content)
	return 0.5 + 0.5*known
}

// matchReply answers from the knowledge base: the topic when the match is
// confident and clear, a question when two topics are close or the match is
// middling, the fallback otherwise.
func (b *Bot) matchReply(norm string, ev *Event) Reply {
	first, second, c1, c2 := b.matcher.lookup(norm)
	switch {
	case first.topic == nil || c1 < clarifyConfidence:
		return b.fallback()
	case second.topic != nil && c2 >= clarifyConfidence && second.score >= closeRatio*first.score:
		ev.Clarify = true
		return b.clarify(first.topic, second.topic, c1)
	case c1 < answerConfidence:
		ev.Clarify = true
		return b.clarify(first.topic, nil, c1)
	}
	r := b.answer(first.topic, c1)
	if first.topic.ID == differenceTopic {
		// The difference is where most people start; offer the triage next.
		r.Choices = append([]Choice{{Label: b.message("button_triage"), Data: DataTriage}}, r.Choices...)
	}
	return r
}

// clarify asks which of one or two topics was meant, with a way out.
func (b *Bot) clarify(a, c *Topic, score float64) Reply {
	ch := []Choice{{Label: a.Title, Data: DataTopicPrefix + a.ID}}
	if c != nil {
		ch = append(ch, Choice{Label: c.Title, Data: DataTopicPrefix + c.ID})
	}
	ch = append(ch, Choice{Label: b.message("button_other"), Data: DataTopics})
	return Reply{Kind: KindFallback, Score: score, Text: b.message("clarify"), Choices: ch}
}

// stem is the Snowball English stemmer. Stop-word removal is ours (stopWords),
// so the library's own is off.
func stem(w string) string { return english.Stem(w, false) }

// stopWords carry no topic. Question words that do ("who" runs it, "how long",
// "how much") are deliberately not here: BM25 weighs them by how many topics
// use them.
var stopWords = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`
		a an the and or but if so of to in on at by for with from into about as than then
		i im ive id ill me my mine myself we us our you your youre u ur yours he she it its
		they them their this that these those there here
		is are was were be been being am do does did doing done have has had having
		can could would should will shall may might must wont cant dont doesnt didnt isnt arent
		just really very quite pretty kinda sorta like um uh hmm lol ok okay pls please plz
		also too any some all such own same other another more most much many
		what whats which tell know want wanna need get got give let lets say said
		thing things stuff anyone someone something anything one ones bit little
		hi hey hello thanks thank`) {
		stopWords[w] = true
	}
	// "same", "much" and "more" matter in "the same thing?" and "how much": keep them.
	delete(stopWords, "same")
	delete(stopWords, "much")
}
