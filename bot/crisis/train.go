package crisis

import (
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/supportbot/supportbot/bot/textclass"
)

// Example is one message of the training corpus.
type Example struct {
	Text   string
	Crisis bool
	// Voice is who wrote it (teen-gamer, older-adult, lang-es, ...): the
	// cross-validation leaves one voice out at a time.
	Voice string
	// Ordinary marks an everyday message to the bot (one of the matcher's
	// examples), not a crisis nor a look-alike written to resemble one: the
	// story around a message in the long messages Train makes.
	Ordinary bool
}

// alwaysTrains reports whether a voice's messages always train and are never
// held out: the other languages' few messages ("lang-…", each language's only
// source), and the bot's own flow answers ("flow-…", not a person's voice).
func alwaysTrains(voice string) bool {
	return strings.HasPrefix(voice, "lang-") || strings.HasPrefix(voice, "flow-")
}

// modelOptions are the learned layer's training settings.
func modelOptions() textclass.Options {
	o := textclass.DefaultOptions()
	o.Bits = 18
	o.Epochs = 10
	o.Weights = []float64{1, 1.5} // safe, crisis: a little more weight on recall
	// Weight decay chosen by leave-one-voice-out cross-validation (1e-6, 1e-5,
	// 1e-4 and 1e-3 tried: 1e-4 had the fewest false alarms at 90 and 95 %
	// recall).
	o.L2 = 1e-4
	return o
}

// Report is what training measured, by cross-validation over voices: each
// voice is scored by a model trained without it.
type Report struct {
	Threshold float64
	Voices    []VoiceScore
	Total     VoiceScore
	Long      LongScore
	Stories   LongScore // the long messages written as stories
}

// LongScore is what a set of long messages measured (those made of the
// corpus, or those written as stories; see [Train]): how many were caught by
// the rules, by the rules and the whole message's score, and with the windows
// too.
type LongScore struct {
	Window       int     // the width chosen, in words
	Threshold    float64 // the windows' threshold chosen
	Crisis, Safe int
	Hit          [3]int // crisis: rules, + whole message, + windows
	False        [3]int // safe ones flagged, the same
	Words        int    // their words in all
	Widths       []int  // the widths tried
}

// VoiceScore counts one held-out voice's results.
type VoiceScore struct {
	Voice                          string
	Crisis, Safe                   int // examples
	RulesHit, ModelHit, BothHit    int // crisis examples caught by the rules, the model, either
	RulesFalse, ModelFalse, Either int // safe examples flagged
}

// Write prints the report as a table.
func (r Report) Write(w io.Writer) {
	fmt.Fprintf(w, "threshold %.2f (maximises F2, recall weighing four times precision, over leave-one-voice-out cross-validation)\n", r.Threshold)
	fmt.Fprintf(w, "%-20s %7s %7s %7s %7s | %6s %7s %7s %7s\n", "held-out voice", "crisis", "rules", "model", "either", "safe", "rules", "model", "either")
	row := func(v VoiceScore) {
		fmt.Fprintf(w, "%-20s %7d %6.1f%% %6.1f%% %6.1f%% | %6d %7d %7d %7d\n", v.Voice, v.Crisis,
			pct(v.RulesHit, v.Crisis), pct(v.ModelHit, v.Crisis), pct(v.BothHit, v.Crisis),
			v.Safe, v.RulesFalse, v.ModelFalse, v.Either)
	}
	for _, v := range r.Voices {
		row(v)
	}
	row(r.Total)
	if l := r.Long; l.Crisis+l.Safe > 0 {
		fmt.Fprintf(w, "\nlong messages made: each held-out message told among ordinary messages of its voice, 50 to 600 words (%d words in all)\n", l.Words)
		l.write(w)
	}
	if l := r.Stories; l.Crisis+l.Safe > 0 {
		fmt.Fprintf(w, "\nlong messages written as stories (crisis/long), each read by the model trained without its voice (%d words in all)\n", l.Words)
		l.write(w)
	}
}

func (l LongScore) write(w io.Writer) {
	fmt.Fprintf(w, "the learned layer read in windows of %d words (of %v), threshold %.2f, chosen to maximise F2 as above; measured only, not used:\n", l.Window, l.Widths, l.Threshold)
	fmt.Fprintf(w, "%-44s %7s %7s | %6s %7s\n", "read by", "crisis", "caught", "safe", "flagged")
	for i, name := range []string{"the rules", "the rules and the whole message", "the rules, the whole message and the windows"} {
		fmt.Fprintf(w, "%-44s %7d %6.1f%% | %6d %7d\n", name, l.Crisis, pct(l.Hit[i], l.Crisis), l.Safe, l.False[i])
	}
}

func pct(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return 100 * float64(n) / float64(d)
}

// modelMeta is saved with the classifier.
type modelMeta struct {
	Inputs    string   `json:"inputs"` // a hash of what it was trained from
	Threshold float64  `json:"threshold"`
	Known     []string `json:"known"`
}

// Train fits the learned layer on the examples, over the lexicons' features,
// and chooses its threshold by leave-one-voice-out cross-validation. known are
// the real words of the corpus (never "corrected" into crisis words); inputs is
// a hash of the training files, saved so a stale model can be told apart.
//
// Long messages are measured too (Report.Long). There are few to learn from,
// so they are made (see makeLongs), and the model trained without a voice
// scores that voice's: as a whole, and in windows of a few words, whose width
// and threshold are chosen by F2 as the threshold is. The windows are
// measured only; the detector does not use them. stories are long messages
// written as stories (crisis/long), measured the same way (Report.Stories)
// and not trained on: trained on sentence by sentence, they only moved the
// threshold, flagging more short messages and catching no more stories.
func Train(lexicons []Lexicon, examples, stories []Example, known []string, inputs string) (*Model, Report, error) {
	if len(examples) == 0 {
		return nil, Report{}, errors.New("crisis: no training examples")
	}
	d, err := New(lexicons, &Model{Known: known})
	if err != nil {
		return nil, Report{}, err
	}
	type row struct {
		ex     textclass.Example
		rules  bool
		voice  string
		judged bool // the learned layer may judge it (see enoughToJudge)
	}
	rows := make([]row, len(examples))
	var voices []string
	sc := new(scratch)
	for i, e := range examples {
		f := d.check(sc, e.Text, normalizeText(e.Text))
		class := 0
		if e.Crisis {
			class = 1
		}
		rows[i] = row{ex: textclass.Example{Features: slices.Clone(sc.feat[:sc.whole]), Class: class}, rules: f.Crisis, voice: e.Voice, judged: d.enoughToJudge(sc.ws, sc.hits)}
		if !slices.Contains(voices, e.Voice) {
			voices = append(voices, e.Voice)
		}
	}
	slices.Sort(voices)
	classes := []string{"safe", "crisis"}

	// Out-of-fold probabilities, one voice held out at a time. The other
	// languages' messages (voices "lang-…") are few and each language's only
	// source: they always train, and are scored in-sample, never held out.
	oof := make([]float64, len(rows))
	var heldOut []string
	for _, v := range voices {
		if !alwaysTrains(v) {
			heldOut = append(heldOut, v)
		}
	}
	longs := makeLongs(examples, heldOut)
	scored := make([]longScored, len(longs))
	told := make([]longMessage, len(stories))
	for i, e := range stories {
		told[i] = longMessage{text: e.Text, crisis: e.Crisis, voice: e.Voice, words: len(strings.Fields(e.Text))}
	}
	toldScored := make([]longScored, len(told))
	for _, v := range heldOut {
		var train []textclass.Example
		for _, r := range rows {
			if r.voice != v {
				train = append(train, r.ex)
			}
		}
		m, err := textclass.Train(train, classes, modelOptions())
		if err != nil {
			return nil, Report{}, err
		}
		for i, r := range rows {
			if r.voice == v && r.judged {
				oof[i] = sigmoid(m.Logit(m.Margin(r.ex.Features), len(r.ex.Features)))
			}
		}
		for i, l := range longs {
			if l.voice == v {
				scored[i] = d.scoreLong(sc, m, l)
			}
		}
		for i, l := range told {
			if l.voice == v {
				toldScored[i] = d.scoreLong(sc, m, l)
			}
		}
	}
	// The threshold that maximises F2 over the held-out voices: the rules and
	// the model together, recall weighing four times as much as precision (a
	// missed crisis costs far more than a false alarm, but a bot that cries
	// wolf on ordinary questions is not trusted either).
	best, bestF := 0.5, -1.0
	for t := 0.05; t < 0.951; t += 0.01 {
		var tp, fn, fp float64
		for i, r := range rows {
			if alwaysTrains(r.voice) {
				continue
			}
			flagged := r.rules || oof[i] >= t
			switch {
			case r.ex.Class == 1 && flagged:
				tp++
			case r.ex.Class == 1:
				fn++
			case flagged:
				fp++
			}
		}
		if f := 5 * tp / (5*tp + 4*fn + fp); f > bestF {
			best, bestF = t, f
		}
	}
	rep := Report{Threshold: best}
	rep.Total.Voice = "all held out"
	for _, v := range heldOut {
		s := VoiceScore{Voice: v}
		for i, r := range rows {
			if r.voice != v {
				continue
			}
			model := oof[i] >= best
			if r.ex.Class == 1 {
				s.Crisis++
				s.RulesHit += b2i(r.rules)
				s.ModelHit += b2i(model)
				s.BothHit += b2i(r.rules || model)
			} else {
				s.Safe++
				s.RulesFalse += b2i(r.rules)
				s.ModelFalse += b2i(model)
				s.Either += b2i(r.rules || model)
			}
		}
		rep.Voices = append(rep.Voices, s)
		t := &rep.Total
		t.Crisis += s.Crisis
		t.Safe += s.Safe
		t.RulesHit += s.RulesHit
		t.ModelHit += s.ModelHit
		t.BothHit += s.BothHit
		t.RulesFalse += s.RulesFalse
		t.ModelFalse += s.ModelFalse
		t.Either += s.Either
	}
	rep.Long = chooseWindow(longs, scored, best)

	all := make([]textclass.Example, len(rows))
	for i, r := range rows {
		all[i] = r.ex
	}
	m, err := textclass.Train(all, classes, modelOptions())
	if err != nil {
		return nil, Report{}, err
	}
	meta, err := json.Marshal(modelMeta{Inputs: inputs, Threshold: best, Known: known})
	if err != nil {
		return nil, Report{}, err
	}
	m.Meta = string(meta)
	// A story in a voice the corpus has not is read by the model trained on
	// all of it, which never saw that voice either.
	for i, l := range told {
		if !slices.Contains(heldOut, l.voice) {
			toldScored[i] = d.scoreLong(sc, m, l)
		}
	}
	rep.Stories = chooseWindow(told, toldScored, best)
	return &Model{Classifier: m, Threshold: best, Known: known}, rep, nil
}

// windowWidths are the windows' widths tried, in words: about a sentence.
var windowWidths = []int{6, 8, 10, 12, 16}

// A long message made for the cross-validation.
type longMessage struct {
	text   string
	crisis bool
	voice  string
	words  int
}

// longScored is how the rules, the whole message and the windows of each
// width read one long message.
type longScored struct {
	rules  bool
	whole  float64   // probability
	window []float64 // log-odds, by windowWidths
}

// makeLongs tells each message of the voices inside a long one: ordinary
// messages of the same voice, drawn at random, before and after it, 50 to 600
// words in all. So the long messages are crisis, look-alike and ordinary in
// the proportions the short ones are, and F2 over them weighs a miss and a
// false alarm as it does over the short ones. A voice with no ordinary
// messages has none made. Deterministic: the same examples, the same
// messages.
func makeLongs(examples []Example, voices []string) []longMessage {
	var out []longMessage
	for _, v := range voices {
		var ordinary []string
		for _, e := range examples {
			if e.Voice == v && e.Ordinary {
				ordinary = append(ordinary, e.Text)
			}
		}
		if len(ordinary) == 0 {
			continue
		}
		h := fnv.New64a()
		h.Write([]byte(v))
		rng := rand.New(rand.NewPCG(1, h.Sum64()))
		var parts []string
		for _, e := range examples {
			if e.Voice != v {
				continue
			}
			words, want := len(strings.Fields(e.Text)), 50+rng.IntN(551)
			parts = parts[:0]
			for words < want {
				o := ordinary[rng.IntN(len(ordinary))]
				parts = append(parts, o)
				words += len(strings.Fields(o))
			}
			parts = slices.Insert(parts, rng.IntN(len(parts)+1), e.Text)
			out = append(out, longMessage{text: joinMessages(parts), crisis: e.Crisis, voice: v, words: words})
		}
	}
	return out
}

// wordSums are a long message's learned-layer sums, word by word: each
// word's margin (see [textclass.Model.Margin]) and number of features with the
// rules' features found at it, and how many signs or judged concepts begin at
// it; every* are those found at no word (a script without spaces), which every
// window holds. Summed once, they score a window of any width.
type wordSums struct {
	margin, count, sign    []int32
	everyM, everyN, everyS int32
}

// sumWords sums the message in sc (read with sc.allWords) word by word.
func sumWords(m *textclass.Model, sc *scratch) wordSums {
	n := len(sc.ends)
	s := wordSums{margin: make([]int32, n), count: make([]int32, n), sign: make([]int32, n)}
	from := int32(len(sc.fired))
	for k, end := range sc.ends {
		s.margin[k], s.count[k] = m.Margin(sc.feat[from:end]), end-from
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
	// A window is judged only if the lexicons found something in it: a
	// signal, or a concept that makes even a short message worth judging.
	for _, h := range sc.hits {
		if h.e.kind != kindSignal && !judgeConcepts[h.e.name] {
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

// best is the highest log-odds of crisis of any width words in a row that
// holds a sign, and the first word of that window; -Inf if none does.
func (s wordSums) best(m *textclass.Model, width int) (float64, int) {
	best, at := math.Inf(-1), 0
	sumM, sumN, sumS := s.everyM, s.everyN, s.everyS
	n := len(s.margin)
	for k := range n {
		sumM, sumN, sumS = sumM+s.margin[k], sumN+s.count[k], sumS+s.sign[k]
		if k >= width {
			sumM, sumN, sumS = sumM-s.margin[k-width], sumN-s.count[k-width], sumS-s.sign[k-width]
		}
		if (k >= width-1 || k == n-1) && sumS > 0 {
			if z := m.Logit(sumM, int(sumN)); z > best {
				best, at = z, max(k-width+1, 0)
			}
		}
	}
	return best, at
}

// joinMessages writes messages one after another as sentences.
func joinMessages(parts []string) string {
	var b strings.Builder
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
		if !strings.HasSuffix(p, ".") && !strings.HasSuffix(p, "!") && !strings.HasSuffix(p, "?") {
			b.WriteByte('.')
		}
	}
	return b.String()
}

// scoreLong reads a long message with the rules and with the model m (trained
// without its voice): the whole message and every window width.
func (d *Detector) scoreLong(sc *scratch, m *textclass.Model, l longMessage) longScored {
	sc.allWords = true
	defer func() { sc.allWords = false }()
	f := d.check(sc, l.text, normalizeText(l.text))
	s := longScored{rules: f.Crisis, window: make([]float64, len(windowWidths))}
	if !d.enoughToJudge(sc.ws, sc.hits) {
		for i := range s.window {
			s.window[i] = math.Inf(-1)
		}
		return s
	}
	s.whole = sigmoid(m.Logit(m.Margin(sc.feat[:sc.whole]), sc.whole))
	sums := sumWords(m, sc)
	for i, w := range windowWidths {
		s.window[i] = math.Inf(-1)
		if len(sc.uniq) > w {
			s.window[i], _ = sums.best(m, w)
		}
	}
	return s
}

// chooseWindow picks the windows' width and threshold that maximise F2 over
// the long messages, with the rules and the whole message's score at its own
// threshold.
func chooseWindow(longs []longMessage, scored []longScored, threshold float64) LongScore {
	var l LongScore
	l.Widths = windowWidths
	for _, m := range longs {
		l.Words += m.words
		if m.crisis {
			l.Crisis++
		} else {
			l.Safe++
		}
	}
	if l.Crisis == 0 || l.Safe == 0 {
		return LongScore{}
	}
	bestF := -1.0
	for wi, w := range windowWidths {
		for t := 0.05; t < 0.991; t += 0.01 {
			z := math.Log(t / (1 - t))
			var tp, fn, fp float64
			for i, m := range longs {
				s := scored[i]
				flagged := s.rules || s.whole >= threshold || s.window[wi] >= z
				switch {
				case m.crisis && flagged:
					tp++
				case m.crisis:
					fn++
				case flagged:
					fp++
				}
			}
			if f := 5 * tp / (5*tp + 4*fn + fp); f > bestF {
				bestF, l.Window, l.Threshold = f, w, t
			}
		}
	}
	wi := slices.Index(windowWidths, l.Window)
	z := math.Log(l.Threshold / (1 - l.Threshold))
	for i, m := range longs {
		s := scored[i]
		read := [3]bool{s.rules, s.rules || s.whole >= threshold, s.rules || s.whole >= threshold || s.window[wi] >= z}
		for k, r := range read {
			if m.crisis {
				l.Hit[k] += b2i(r)
			} else {
				l.False[k] += b2i(r)
			}
		}
	}
	return l
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// LoadModel decodes a model written by [Model.MarshalBinary].
func LoadModel(data []byte) (*Model, error) {
	c, err := textclass.Load(data)
	if err != nil {
		return nil, fmt.Errorf("crisis model: %w", err)
	}
	var meta modelMeta
	if err := json.Unmarshal([]byte(c.Meta), &meta); err != nil {
		return nil, fmt.Errorf("crisis model: metadata: %w", err)
	}
	return &Model{Classifier: c, Threshold: meta.Threshold, Known: meta.Known}, nil
}

// Inputs returns the hash of the training files a model was made from.
func (m *Model) Inputs() string {
	var meta modelMeta
	if m.Classifier != nil {
		_ = json.Unmarshal([]byte(m.Classifier.Meta), &meta)
	}
	return meta.Inputs
}

// MarshalBinary encodes the model for embedding.
func (m *Model) MarshalBinary() ([]byte, error) { return m.Classifier.MarshalBinary() }

// RealWords returns the words of an English dictionary that the typo repair,
// knowing only the corpus's words, would change into others: "below" into
// "blow", "pending" into "ending", "chord" into "cord", "undercut" into "under
// cut". Added to the known words, they are read as written. Only these are
// kept, not the whole dictionary: every other word is left alone already, and
// each known word is a word the detector holds.
func RealWords(lexicons []Lexicon, known, dictionary []string) ([]string, error) {
	d, err := New(lexicons, &Model{Known: known})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, w := range dictionary {
		info, ok := d.class[w]
		if ok && info.class&(classVocab|classKnown|classSpelling) != 0 {
			continue // a crisis word, a spelling the lexicons repair on purpose, or known
		}
		got := d.repair(nil, w, info.class, true)
		if len(got) == 1 && (got[0] == w || sameFamily(w, got[0])) {
			// As written, or read as another form of a crisis word
			// ("abusers" as "abuses", "overdone" as "overdose"), which the
			// lexicons then know: left as the repair reads it.
			continue
		}
		out = append(out, w)
	}
	return out, nil
}

// sameFamily reports whether a and b look like two forms of one word: they
// differ only in their last three letters, and share at least five.
func sameFamily(a, b string) bool {
	n := 0
	for n < len(a) && n < len(b) && a[n] == b[n] {
		n++
	}
	return n >= 5 && n >= len(a)-3 && n >= len(b)-3
}
