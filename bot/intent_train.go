package bot

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/supportbot/supportbot/bot/textclass"
	"github.com/supportbot/supportbot/bot/textnorm"
)

// IntentExample is one labelled message for the intent model: Intent is a
// topic id, [IntentTriage], [IntentOutOfScope] or [IntentSmalltalk]+key.
type IntentExample struct {
	Text, Intent string
	// Voice is who wrote it; the cross-validation leaves one voice out at a
	// time. The curated example questions of the topics are voice "curated"
	// and always train.
	Voice string
}

// IntentReport is what training measured by leave-one-voice-out
// cross-validation.
type IntentReport struct {
	AnswerAt, CloseAt float64
	Voices            []IntentScore
	Total             IntentScore
}

// IntentScore counts one held-out voice's results (a reply of the right kind
// and, for topics, the right topic; asking between two topics one of which is
// right counts half).
type IntentScore struct {
	Voice         string
	Right, Total  float64
	ByClass       map[string][2]float64 // "topic", "triage", "smalltalk", "out_of_scope" → right, total
	OutOfScopeHit int                   // out-of-scope messages answered from the knowledge base
}

// Write prints the report.
func (r IntentReport) Write(w io.Writer) {
	fmt.Fprintf(w, "answer at p >= %.2f; ask between two topics when the second has >= %.2f of the first (both chosen by leave-one-voice-out cross-validation)\n", r.AnswerAt, r.CloseAt)
	fmt.Fprintf(w, "%-20s %8s %8s %8s %8s %8s %8s\n", "held-out voice", "overall", "topic", "triage", "smalltalk", "out", "n")
	row := func(s IntentScore) {
		cell := func(k string) string {
			c := s.ByClass[k]
			if c[1] == 0 {
				return "-"
			}
			return fmt.Sprintf("%.1f%%", 100*c[0]/c[1])
		}
		fmt.Fprintf(w, "%-20s %7.1f%% %8s %8s %8s %8s %8.0f\n", s.Voice, 100*s.Right/s.Total, cell("topic"), cell("triage"), cell("smalltalk"), cell("out_of_scope"), s.Total)
	}
	for _, v := range r.Voices {
		row(v)
	}
	row(r.Total)
	out := r.Total.ByClass["out_of_scope"]
	fmt.Fprintf(w, "out-of-scope messages answered from the knowledge base: %d of %.0f (%.1f%%)\n", r.Total.OutOfScopeHit, out[1], 100*float64(r.Total.OutOfScopeHit)/max(out[1], 1))
}

// intentOptions are the intent model's training settings.
func intentOptions() textclass.Options {
	o := textclass.DefaultOptions()
	// 2^15 buckets: 28 classes of int8 weights is 0.9 MB in the binary; 2^16
	// doubled that for 0.1 point of held-out accuracy.
	o.Bits = 15
	o.Epochs = 8
	// Chosen by leave-one-voice-out cross-validation: 1e-4 got 94.6 % of
	// held-out messages right, 1e-5 94.1 %, 1e-6 93.6 % (16 epochs or a rate
	// of 0.2 did no better).
	o.L2 = 1e-4
	return o
}

// TrainIntents fits the intent model on the examples over a knowledge base's
// matcher, and chooses its thresholds by leave-one-voice-out cross-validation.
// It is deterministic.
func TrainIntents(k Knowledge, examples []IntentExample, inputs string) (*textclass.Model, IntentReport, error) {
	for i := range k.Topics {
		for _, q := range k.Topics[i].Questions {
			examples = append(examples, IntentExample{Text: q, Intent: k.Topics[i].ID, Voice: "curated"})
		}
	}
	if len(examples) == 0 {
		return nil, IntentReport{}, errors.New("intents: no examples")
	}
	m := newMatcher(k.Topics, k.Synonyms, k.Stems)
	topics := map[string]*Topic{}
	for i := range k.Topics {
		topics[k.Topics[i].ID] = &k.Topics[i]
	}
	var classes []string
	for _, e := range examples {
		if !slices.Contains(classes, e.Intent) {
			classes = append(classes, e.Intent)
		}
	}
	sort.Strings(classes)
	classIdx := map[string]int{}
	var resolved []intentClass
	for i, c := range classes {
		classIdx[c] = i
		switch {
		case c == IntentTriage:
			resolved = append(resolved, intentClass{kind: KindTriage})
		case c == IntentOutOfScope:
			resolved = append(resolved, intentClass{kind: KindFallback})
		case strings.HasPrefix(c, IntentSmalltalk):
			resolved = append(resolved, intentClass{kind: KindSmalltalk, key: strings.TrimPrefix(c, IntentSmalltalk)})
		default:
			t, ok := topics[c]
			if !ok {
				return nil, IntentReport{}, fmt.Errorf("intents: examples name %q, which is no topic", c)
			}
			resolved = append(resolved, intentClass{kind: KindAnswer, topic: t})
		}
	}
	f := intentFeaturizer
	sc := &intentScratch{}
	rows := make([]textclass.Example, len(examples))
	var voices []string
	for i, e := range examples {
		norm := textnorm.Normalize(textnorm.Sanitize(e.Text))
		rows[i] = textclass.Example{Features: slices.Clone(m.intentFeatures(nil, f, sc, norm, nil)), Class: classIdx[e.Intent]}
		if e.Voice != "curated" && !slices.Contains(voices, e.Voice) {
			voices = append(voices, e.Voice)
		}
	}
	sort.Strings(voices)

	// Out-of-fold probabilities.
	oof := make([][]float64, len(rows))
	for _, v := range voices {
		var train []textclass.Example
		for i, r := range rows {
			if examples[i].Voice != v {
				train = append(train, r)
			}
		}
		model, err := textclass.Train(train, classes, intentOptions())
		if err != nil {
			return nil, IntentReport{}, err
		}
		for i, r := range rows {
			if examples[i].Voice == v {
				oof[i] = make([]float64, len(classes))
				model.Predict(r.Features, oof[i])
			}
		}
	}
	score := func(i int, d intentDecision) float64 {
		want := resolved[rows[i].Class]
		switch {
		case d.class < 0:
			return b2f(want.kind == KindFallback)
		case d.second >= 0:
			if want.kind == KindAnswer && (resolved[d.class].topic == want.topic || resolved[d.second].topic == want.topic) {
				return 0.5
			}
			return 0
		}
		got := resolved[d.class]
		return b2f(got.kind == want.kind && got.topic == want.topic)
	}
	// The thresholds that get the most held-out messages right.
	bestA, bestC, bestS := 0.0, 1.01, -1.0
	for a := 0.0; a < 0.91; a += 0.05 {
		for _, c := range []float64{0.5, 0.6, 0.7, 0.8, 0.9, 1.01} {
			s := 0.0
			for i := range rows {
				if oof[i] != nil {
					s += score(i, decideIntent(oof[i], resolved, a, c))
				}
			}
			if s > bestS+1e-9 {
				bestA, bestC, bestS = a, c, s
			}
		}
	}
	rep := IntentReport{AnswerAt: bestA, CloseAt: bestC, Total: IntentScore{Voice: "all held out", ByClass: map[string][2]float64{}}}
	group := func(c intentClass) string {
		switch c.kind {
		case KindAnswer:
			return "topic"
		case KindTriage:
			return "triage"
		case KindSmalltalk:
			return "smalltalk"
		}
		return "out_of_scope"
	}
	for _, v := range voices {
		s := IntentScore{Voice: v, ByClass: map[string][2]float64{}}
		for i := range rows {
			if examples[i].Voice != v {
				continue
			}
			d := decideIntent(oof[i], resolved, bestA, bestC)
			got := score(i, d)
			g := group(resolved[rows[i].Class])
			c := s.ByClass[g]
			c[0] += got
			c[1]++
			s.ByClass[g] = c
			s.Right += got
			s.Total++
			if g == "out_of_scope" && d.class >= 0 && resolved[d.class].kind == KindAnswer {
				s.OutOfScopeHit++
			}
		}
		rep.Voices = append(rep.Voices, s)
		rep.Total.Right += s.Right
		rep.Total.Total += s.Total
		rep.Total.OutOfScopeHit += s.OutOfScopeHit
		for k, c := range s.ByClass {
			t := rep.Total.ByClass[k]
			rep.Total.ByClass[k] = [2]float64{t[0] + c[0], t[1] + c[1]}
		}
	}

	model, err := textclass.Train(rows, classes, intentOptions())
	if err != nil {
		return nil, IntentReport{}, err
	}
	meta, err := json.Marshal(IntentMeta{Inputs: inputs, AnswerAt: bestA, CloseAt: bestC})
	if err != nil {
		return nil, IntentReport{}, err
	}
	model.Meta = string(meta)
	return model, rep, nil
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
