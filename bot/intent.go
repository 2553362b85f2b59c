package bot

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/supportbot/supportbot/bot/textclass"
)

// Understanding what a message asks is a trained classifier over intents: each
// topic, the wish to be helped choosing (triage), small talk by kind, and
// out-of-scope. It reads the message's words as the matcher analyses them
// (typos corrected against the knowledge base, stems, synonyms), its character
// n-grams (which survive misspellings the corrector does not know), and what the
// BM25 ranking over the curated topics says. Thresholds (answer, ask between
// two, fall back) are chosen by cross-validation over the example writers'
// voices when the model is trained (`go generate ./knowledge`).

// Intent class names other than topic ids.
const (
	IntentTriage     = "triage"
	IntentOutOfScope = "out_of_scope"
	IntentSmalltalk  = "smalltalk:" // followed by a messages.yaml key
)

// SmalltalkKeys are the small-talk intents, each answered by the message of
// that key.
var SmalltalkKeys = []string{"greeting", "thanks", "bye", "bot", "help", "ack"}

// IntentMeta is saved with the intent model: its thresholds and what it was
// trained from.
type IntentMeta struct {
	Inputs   string  `json:"inputs"`
	AnswerAt float64 `json:"answer_at"` // below this probability: the fallback
	CloseAt  float64 `json:"close_at"`  // a second topic at least this share of the first: ask which
}

// intents is the trained classifier, resolved against the knowledge base.
type intents struct {
	model   *textclass.Model
	meta    IntentMeta
	classes []intentClass // by class index
	chars   charSums
	pool    sync.Pool
}

// charSums hold, for each word the matcher knows, the model's sums of the
// character n-grams of the word alone (those of " word "): a word of a long
// message then costs the model only the n-grams it makes with the next word,
// not all of its own, each a row of a table of a megabyte read from memory.
// The sums are exact, so the probabilities are Predict's on all the n-grams.
//
// A word's row is summed the first time a message holds the word, not at
// start: summing all of them reads the whole model table from the binary,
// some 2 ms of a start-up that must stay under 50 ms, for a one-off `ask`
// whose message holds a few dozen words. The words are the knowledge base's
// and the training's, so the table stops growing soon after start.
type charSums struct {
	model *textclass.Model
	f     textclass.Featurizer
	words []string // the matcher's wordList: row r is words[r]'s
	sums  []int16  // row r is sums[r*C : r*C+C], C the classes
	n     []uint16 // how many n-grams row r sums
	// state of row r: empty, being summed (by one goroutine; others list
	// the word's n-grams meanwhile), or summed. Its atomics order the row's
	// writes before any reading of it.
	state []atomic.Uint32
}

const (
	rowEmpty uint32 = iota
	rowBusy
	rowSummed
)

// maxSummedWord bounds the words summed ahead: the sum of a word of up to
// this many bytes fits an int16 (two n-grams a byte, each at most 128).
const maxSummedWord = 100

type intentClass struct {
	kind  Kind
	topic *Topic // for KindAnswer
	key   string // the small-talk message key, for KindSmalltalk
}

type intentScratch struct {
	feat  []uint32
	probs []float64
	stems []string
	acc   []int32 // the sums of words' n-grams read from charSums
	n     int     // how many n-grams acc sums
}

// newIntents resolves a trained model's classes against the topics; a class the
// knowledge base does not have is an error (the model is stale).
func newIntents(m *textclass.Model, topics map[string]*Topic, mt *matcher) (*intents, error) {
	in := &intents{model: m}
	if err := json.Unmarshal([]byte(m.Meta), &in.meta); err != nil {
		return nil, fmt.Errorf("intent model: metadata: %w", err)
	}
	for _, c := range m.Classes {
		switch {
		case c == IntentTriage:
			in.classes = append(in.classes, intentClass{kind: KindTriage})
		case c == IntentOutOfScope:
			in.classes = append(in.classes, intentClass{kind: KindFallback})
		case strings.HasPrefix(c, IntentSmalltalk):
			in.classes = append(in.classes, intentClass{kind: KindSmalltalk, key: strings.TrimPrefix(c, IntentSmalltalk)})
		default:
			t, ok := topics[c]
			if !ok {
				return nil, fmt.Errorf("intent model: class %q is no topic of the knowledge base: train the model again", c)
			}
			in.classes = append(in.classes, intentClass{kind: KindAnswer, topic: t})
		}
	}
	n := len(m.Classes)
	in.pool.New = func() any { return &intentScratch{probs: make([]float64, n), acc: make([]int32, n)} }
	C, words := len(m.Classes), mt.wordList
	in.chars = charSums{model: m, f: intentFeaturizer, words: words, sums: make([]int16, len(words)*C), n: make([]uint16, len(words)), state: make([]atomic.Uint32, len(words))}
	return in, nil
}

// sum sums row r for the first message that holds its word, and reports
// whether it is summed: false while another goroutine sums it. feat is
// working memory, returned for reuse.
func (cs *charSums) sum(r int, feat []uint32) ([]uint32, bool) {
	C := len(cs.model.Classes)
	row := cs.sums[r*C : r*C+C]
	if !cs.state[r].CompareAndSwap(rowEmpty, rowBusy) {
		return feat, cs.state[r].Load() == rowSummed
	}
	w := cs.words[r]
	start := len(feat)
	feat = cs.f.CharsIn(feat, w, 0, len(w)+1)
	acc := make([]int32, C) // once a word for the process's life
	cs.model.Sum(acc, feat[start:])
	for c, x := range acc {
		row[c] = int16(x)
	}
	cs.n[r] = uint16(len(feat) - start)
	cs.state[r].Store(rowSummed)
	return feat[:start], true
}

// intentFeaturizer makes the intent model's word and character features, the
// same in training and at run time.
var intentFeaturizer = textclass.Featurizer{MinN: 3, MaxN: 4}

// intentFeatures are the classifier's inputs for normalised text. The words
// are analysed once, as the matcher does (typos corrected in place), and serve
// both the BM25 ranking and the word features. With chars, the character
// n-grams of the words it sums are added to sc.acc (sc.n of them), not
// listed; without (training, which lists every feature), all are listed.
func (m *matcher) intentFeatures(dst []uint32, f textclass.Featurizer, sc *intentScratch, norm string, chars *charSums) []uint32 {
	msc := m.scratch.Get().(*scratch)
	defer m.scratch.Put(msc)
	first, second, c1, _ := m.analyze(msc, norm)
	sc.stems = sc.stems[:0]
	prev := ""
	for i, w := range msc.ws {
		// A word said again at once counts once ("blah blah blah").
		if w == prev {
			continue
		}
		prev = w
		sc.stems = append(sc.stems, msc.words[i].feature) // read once, by analyze
	}
	dst = f.Words(dst, sc.stems)
	text := norm
	if len(text) > maxCharText {
		text = text[:maxCharText]
	}
	if chars == nil {
		dst = f.Chars(dst, text)
	} else {
		dst = chars.add(dst, sc, text, msc.words)
	}
	// What the BM25 ranking over the curated topics says, as evidence.
	if first.topic != nil {
		b := int(c1 * 10)
		dst = append(dst, textclass.Feature("bm25:"+first.topic.ID), textclass.Feature("bm25conf:"+first.topic.ID+":"+strconv.Itoa(b)), textclass.Feature("bm25c:"+strconv.Itoa(b)))
		if second.topic != nil {
			dst = append(dst, textclass.Feature("bm25second:"+second.topic.ID))
		}
	} else {
		dst = append(dst, textclass.Feature("bm25:none"))
	}
	if n := len(msc.ws); n <= 3 {
		dst = append(dst, textclass.Feature("len:"+strconv.Itoa(n)))
	}
	return dst
}

// maxCharText is how much of a message (bytes) the classifier reads the
// character n-grams of.
const maxCharText = 1000

// add is [textclass.Featurizer.Chars] of text for a model whose words' sums
// cs holds: a word the matcher knew as it is (infos, by word of text, as
// analyze read them) adds its sums to sc.acc and lists only the n-grams that
// reach into the next word; any other word lists all of its own. Positions
// are those of [textclass.Featurizer.CharsIn]: word k begins after the space
// at position from, and its n-grams begin from there to the space after it.
// The last word's run to the end of the text, which may cut it short.
func (cs *charSums) add(dst []uint32, sc *intentScratch, text string, infos []wordInfo) []uint32 {
	f, C := cs.f, len(sc.acc)
	clear(sc.acc)
	sc.n = 0
	from, k := 0, 0
	for from <= len(text) {
		end := strings.IndexByte(text[from:], ' ')
		if end < 0 {
			// The last word: its n-grams to the end space, none of the next.
			return f.CharsIn(dst, text, from, len(text)+2)
		}
		if end == 0 {
			// Two spaces, which normalised text never holds; were it to,
			// textnorm.Words skips the empty word, and so does k.
			dst = f.CharsIn(dst, text, from, from+1)
			from++
			continue
		}
		to := from + end + 1 // the space after the word
		if k < len(infos) && infos[k].chars > 0 {
			r := int(infos[k].chars - 1)
			ok := cs.state[r].Load() == rowSummed
			if !ok {
				dst, ok = cs.sum(r, dst)
			}
			if ok {
				for c, x := range cs.sums[r*C : r*C+C] {
					sc.acc[c] += int32(x)
				}
				sc.n += int(cs.n[r])
				dst = f.Across(dst, text, from, to)
				from, k = to, k+1
				continue
			}
		}
		dst = f.CharsIn(dst, text, from, to)
		from, k = to, k+1
	}
	return dst
}

// intentDecision is what the classifier decided for one message.
type intentDecision struct {
	class  int     // the best class, or -1 for the fallback
	second int     // a close second topic to ask about, or -1
	p      float64 // the best class's probability
	// lean is the likeliest topic or wish to choose, whatever the decision:
	// what a message read as off-topic as a whole still leans to, if
	// anything in it is about groups.
	lean int
}

// decide applies the thresholds to class probabilities.
func (in *intents) decide(probs []float64) intentDecision {
	return decideIntent(probs, in.classes, in.meta.AnswerAt, in.meta.CloseAt)
}

func decideIntent(probs []float64, classes []intentClass, answerAt, closeAt float64) intentDecision {
	c1, c2 := -1, -1
	for i, p := range probs {
		switch {
		case c1 < 0 || p > probs[c1]:
			c2, c1 = c1, i
		case c2 < 0 || p > probs[c2]:
			c2 = i
		}
	}
	d := intentDecision{class: c1, second: -1, p: probs[c1], lean: -1}
	for i, p := range probs {
		if k := classes[i].kind; (k == KindAnswer || k == KindTriage) && (d.lean < 0 || p > probs[d.lean]) {
			d.lean = i
		}
	}
	if probs[c1] < answerAt {
		d.class = -1
		return d
	}
	if c2 >= 0 && classes[c1].kind == KindAnswer && classes[c2].kind == KindAnswer && probs[c2] >= closeAt*probs[c1] {
		d.second = c2
	}
	return d
}

// actionable reports whether a decision says what to do: answer, start the
// triage or reply to small talk, rather than fall back.
func (in *intents) actionable(d intentDecision) bool {
	return d.class >= 0 && in.classes[d.class].kind != KindFallback
}

// classify runs the classifier on normalised text.
func (b *Bot) classify(norm string) intentDecision {
	in := b.intents
	sc := in.pool.Get().(*intentScratch)
	defer in.pool.Put(sc)
	b.predict(sc, norm, &in.chars)
	return in.decide(sc.probs)
}

// predict writes the class probabilities of normalised text into sc.probs:
// with chars, from the known words' sums of n-grams, as replies are made;
// without, from every feature listed, as in training.
func (b *Bot) predict(sc *intentScratch, norm string, chars *charSums) {
	in := b.intents
	sc.feat = b.matcher.intentFeatures(sc.feat[:0], intentFeaturizer, sc, norm, chars)
	if chars == nil {
		in.model.Predict(sc.feat, sc.probs)
		return
	}
	in.model.PredictSummed(sc.acc, sc.n, sc.feat, sc.probs)
}

// intentReply turns a decision into a reply.
func (b *Bot) intentReply(d intentDecision, m Message, ev *Event) Reply {
	if d.class < 0 {
		return b.fallback()
	}
	c := b.intents.classes[d.class]
	switch c.kind {
	case KindAnswer:
		if d.second >= 0 {
			ev.Clarify = true
			return b.clarify(c.topic, b.intents.classes[d.second].topic, d.p)
		}
		r := b.answer(c.topic, d.p)
		if c.topic.ID == differenceTopic {
			// The difference is where most people start; offer the triage next.
			r.Choices = append([]Choice{{Label: b.message("button_triage"), Data: DataTriage}}, r.Choices...)
		}
		return r
	case KindTriage:
		// The wish to be helped choosing starts the triage at once.
		if r, ok := b.triage.handleData(Message{Platform: m.Platform, Community: m.Community, Conversation: m.Conversation, Data: DataTriage}, ev); ok {
			return r
		}
		return Reply{Kind: KindTriage, Text: b.message("triage_offer"), Choices: []Choice{{Label: b.message("button_triage"), Data: DataTriage}}}
	case KindSmalltalk:
		return b.smalltalkReply(c.key)
	}
	return b.fallback()
}
