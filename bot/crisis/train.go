package crisis

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
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
func Train(lexicons []Lexicon, examples []Example, known []string, inputs string) (*Model, Report, error) {
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
		rows[i] = row{ex: textclass.Example{Features: slices.Clone(sc.feat), Class: class}, rules: f.Crisis, voice: e.Voice, judged: d.enoughToJudge(sc.ws, sc.hits)}
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
	probs := make([]float64, 2)
	var heldOut []string
	for _, v := range voices {
		if !alwaysTrains(v) {
			heldOut = append(heldOut, v)
		}
	}
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
				m.Predict(r.ex.Features, probs)
				oof[i] = probs[1]
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
	return &Model{Classifier: m, Threshold: best, Known: known}, rep, nil
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
