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
	// Weight decay chosen by leave-one-voice-out cross-validation: the fewest
	// false alarms at 95, 97 and 98 % recall. With the everyday messages
	// (corpus/everyday-*, farewell-*), whose verbs are crisis words and whose
	// objects are not, 6e-4 (351, 522 and 697 of 18,033) and 1e-3 (358, 515,
	// 686) beat 3e-5, 1e-4 (411, 644, 804) and 3e-4, with 3e-3 (360, 531,
	// 689) close behind; of the two, 1e-3 flags 45 of the 144 safe stories
	// of crisis/long read whole, 6e-4 34. (Measured before the languages'
	// everyday-lang-* files, which do not take part in the cross-validation.)
	// (Before them, 1e-4 had beaten 1e-6, 1e-5 and 1e-3 at 90 and 95 %.)
	o.L2 = 6e-4
	return o
}

// recallFloor is the share of held-out crisis messages the rules and the
// learned layer together must catch: the threshold is the highest that still
// does. A floor, not the maximum of a score such as F2: F2 is flat near its
// top (within 0.1 % from 0.16 to 0.21): a few hundred new examples moved its
// maximum by up to 0.09, and a fold of Turkish letters that touches no
// English message by 0.01. Recall falls steadily as the threshold rises, so a floor
// moves the threshold only as far as the examples' scores move. 97.5 % is
// where F2's maximum lay (0.20) when the floor replaced it.
const recallFloor = 0.975

// heldOutScore is one held-out message for choosing the threshold: whether it is a
// crisis, whether the rules flag it, and the learned layer's out-of-fold score.
type heldOutScore struct {
	crisis, rules bool
	score         float64
}

// chooseThreshold returns the highest threshold, in steps of 0.01 from 0.05 to
// 0.95, at which the rules or the learned layer catch at least floor of the
// crisis messages; 0.05 if none does, the most the learned layer may catch.
func chooseThreshold(points []heldOutScore, floor float64) float64 {
	best := 0.05
	for step := 5; step <= 95; step++ {
		t := float64(step) / 100
		caught, crises := 0, 0
		for _, p := range points {
			if p.crisis {
				crises++
				caught += b2i(p.rules || p.score >= t)
			}
		}
		if crises == 0 || float64(caught) < floor*float64(crises) {
			break // recall only falls from here
		}
		best = t
	}
	return best
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
	// FalseRate is the share of the safe ones the windows were allowed to
	// flag that the rules and the whole message did not (chooseWindow).
	FalseRate float64
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
	fmt.Fprintf(w, "threshold %.2f (the highest at which the rules and the learned layer catch at least %.1f %% of the crisis messages, over leave-one-voice-out cross-validation)\n", r.Threshold, 100*recallFloor)
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
		fmt.Fprintf(w, "\nlong messages made: each held-out message told among ordinary messages of its voice, %d to %d words (%d words in all); the windows' width and threshold are chosen on them: the most crisis caught while the windows flag at most %.2f %% of the safe ones more, the share of safe short messages the learned layer flags above\n", longWords, longWords+550, l.Words, 100*l.FalseRate)
		l.write(w)
	}
	if l := r.Stories; l.Crisis+l.Safe > 0 {
		fmt.Fprintf(w, "\nlong messages written as stories (crisis/long), each read by the model trained without its voice, with the windows chosen above (%d words in all)\n", l.Words)
		l.write(w)
	}
}

func (l LongScore) write(w io.Writer) {
	fmt.Fprintf(w, "the learned layer read in windows of %d words (of %v), threshold %.2f; measured only, not used:\n", l.Window, l.Widths, l.Threshold)
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
// scores that voice's: as a whole, and in windows of a few words (see
// window.go), whose width and threshold are chosen over them (see
// chooseWindow). The windows are measured only; the detector does not use
// them: at the width and threshold so chosen, tried in the detector with the
// model trained on everything, they flagged 9 of the 36 ordinary long
// questions of bot/testdata/long-messages.yaml.
// stories are long messages written as stories (crisis/long), read the same
// way with the windows chosen on the made ones (Report.Stories): neither
// trained on nor chosen by, so they measure. Trained on sentence by sentence,
// they only moved the threshold, flagging more short messages and catching no
// more stories.
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
		f := d.checkText(sc, e.Text)
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
	var points []heldOutScore
	for i, r := range rows {
		if !alwaysTrains(r.voice) {
			points = append(points, heldOutScore{crisis: r.ex.Class == 1, rules: r.rules, score: oof[i]})
		}
	}
	best := chooseThreshold(points, recallFloor)
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
	rep.Long = chooseWindow(longs, scored, best, float64(rep.Total.ModelFalse)/float64(max(rep.Total.Safe, 1)))

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
	rep.Stories = measureWindow(told, toldScored, best, rep.Long.Window, rep.Long.Threshold)
	return &Model{Classifier: m, Threshold: best, Known: known}, rep, nil
}

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
// messages of the same voice, drawn at random, before and after it, longWords
// to longWords+550 words in all. So the long messages are crisis, look-alike
// and ordinary in the proportions the short ones are, and what is caught and
// flagged among them compares with the short ones. A voice with no ordinary
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
			words, want := len(strings.Fields(e.Text)), longWords+rng.IntN(551)
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
	f := d.checkText(sc, l.text)
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
		if len(sc.uniq) > w && len(sc.ws) >= longWords {
			// Windows are read only in a long message with more words
			// than one window holds.
			s.window[i], _ = d.bestWindow(sc, m, sums, w)
		}
	}
	return s
}

// chooseWindow picks the windows' width and threshold that catch the most
// crisis long messages, with the rules and the whole message's score at its
// own threshold, while flagging at most a share falseRate of the safe ones
// that these do not: the windows may alarm on a long message no more readily
// than the learned layer does on a short one. (F2, which once chose the short
// messages' threshold, chooses windows of six words that alarm on one safe long message in
// sixteen and on "so I will stop here, my tea has gone cold": cut from its
// sentence, a window of a few words reads like many a farewell.)
func chooseWindow(longs []longMessage, scored []longScored, threshold, falseRate float64) LongScore {
	if !bothKinds(longs) {
		return LongScore{}
	}
	var window int
	var wt float64
	base, safe := 0, 0
	for i, m := range longs {
		if !m.crisis {
			safe++
			base += b2i(scored[i].rules || scored[i].whole >= threshold)
		}
	}
	budget := base + int(falseRate*float64(safe))
	bestTP, bestFP := -1, 0
	for wi, w := range windowWidths {
		for t := 0.05; t < 0.991; t += 0.01 {
			z := math.Log(t / (1 - t))
			var tp, fp int
			for i, m := range longs {
				s := scored[i]
				flagged := s.rules || s.whole >= threshold || s.window[wi] >= z
				switch {
				case m.crisis && flagged:
					tp++
				case flagged:
					fp++
				}
			}
			if fp <= budget && (tp > bestTP || tp == bestTP && fp < bestFP) {
				bestTP, bestFP, window, wt = tp, fp, w, t
			}
		}
	}
	l := measureWindow(longs, scored, threshold, window, wt)
	l.FalseRate = falseRate
	return l
}

func bothKinds(longs []longMessage) bool {
	return slices.ContainsFunc(longs, func(m longMessage) bool { return m.crisis }) &&
		slices.ContainsFunc(longs, func(m longMessage) bool { return !m.crisis })
}

// measureWindow counts what the rules, the whole message's score at threshold,
// and the windows of width words at windowThreshold catch and flag.
func measureWindow(longs []longMessage, scored []longScored, threshold float64, width int, windowThreshold float64) LongScore {
	if !bothKinds(longs) {
		return LongScore{}
	}
	l := LongScore{Widths: windowWidths, Window: width, Threshold: windowThreshold}
	for _, m := range longs {
		l.Words += m.words
		if m.crisis {
			l.Crisis++
		} else {
			l.Safe++
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
