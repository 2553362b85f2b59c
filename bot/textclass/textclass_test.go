package textclass

import (
	"bytes"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// examples is a small task with a clear signal: messages about cats or dogs.
func examples(f Featurizer) ([]Example, []string) {
	cats := []string{"my cat purrs", "the kitten meows", "cat food brand", "a cat on the sofa", "kitten toys", "why do cats purr"}
	dogs := []string{"my dog barks", "the puppy chews", "dog food brand", "a dog in the park", "puppy training", "why do dogs bark"}
	var ex []Example
	for _, s := range cats {
		ex = append(ex, Example{Features: f.Chars(f.Words(nil, strings.Fields(s)), s), Class: 0})
	}
	for _, s := range dogs {
		ex = append(ex, Example{Features: f.Chars(f.Words(nil, strings.Fields(s)), s), Class: 1})
	}
	return ex, []string{"cat", "dog"}
}

func TestTrainPredict(t *testing.T) {
	var f Featurizer
	ex, classes := examples(f)
	m, err := Train(ex, classes, DefaultOptions())
	if err != nil {
		t.Fatal(err)
	}
	probs := make([]float64, 2)
	for _, tc := range []struct {
		text string
		want string
	}{
		{"my kitten", "cat"},
		{"cats", "cat"},
		{"puppy park", "dog"},
		{"dogs barking", "dog"},
	} {
		feat := f.Chars(f.Words(nil, strings.Fields(tc.text)), tc.text)
		if got := m.Classes[m.Predict(feat, probs)]; got != tc.want {
			t.Errorf("%q: got %s (%v), want %s", tc.text, got, probs, tc.want)
		}
		if s := probs[0] + probs[1]; s < 0.999 || s > 1.001 {
			t.Errorf("%q: probabilities sum to %v", tc.text, s)
		}
	}
}

// TestDeterministic: the same data and options give the same bytes, so a
// model made by `go generate` can be checked for freshness byte for byte.
func TestDeterministic(t *testing.T) {
	var f Featurizer
	ex, classes := examples(f)
	a, _ := Train(ex, classes, DefaultOptions())
	b, _ := Train(ex, classes, DefaultOptions())
	ab, _ := a.MarshalBinary()
	bb, _ := b.MarshalBinary()
	if !bytes.Equal(ab, bb) {
		t.Fatal("two trainings on the same data differ")
	}
}

func TestMarshalRoundTrip(t *testing.T) {
	var f Featurizer
	ex, classes := examples(f)
	m, _ := Train(ex, classes, DefaultOptions())
	m.Meta = `{"x":1}`
	data, err := m.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	got, err := Load(data)
	if err != nil {
		t.Fatal(err)
	}
	if got.Meta != m.Meta || strings.Join(got.Classes, ",") != "cat,dog" {
		t.Errorf("round trip: meta %q classes %v", got.Meta, got.Classes)
	}
	p1, p2 := make([]float64, 2), make([]float64, 2)
	feat := f.Words(nil, []string{"my", "cat"})
	m.Predict(feat, p1)
	got.Predict(feat, p2)
	if p1[0] != p2[0] {
		t.Errorf("predictions differ after a round trip: %v vs %v", p1, p2)
	}
	for _, bad := range [][]byte{nil, []byte("TXCL"), data[:len(data)-1], append(append([]byte{}, data...), 0)} {
		if _, err := Load(bad); err == nil {
			t.Errorf("Load accepted %d damaged bytes", len(bad))
		}
	}
}

func TestTrainRejects(t *testing.T) {
	if _, err := Train(nil, []string{"one"}, DefaultOptions()); err == nil {
		t.Error("one class accepted")
	}
	if _, err := Train([]Example{{Features: []uint32{1}, Class: 5}}, []string{"a", "b"}, DefaultOptions()); err == nil {
		t.Error("an out-of-range class accepted")
	}
}

func FuzzLoad(f *testing.F) {
	var fz Featurizer
	ex, classes := examples(fz)
	m, _ := Train(ex, classes, DefaultOptions())
	data, _ := m.MarshalBinary()
	f.Add(data)
	f.Add([]byte("TXCL\x01\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Load(b)
		if err != nil {
			return
		}
		probs := make([]float64, len(m.Classes))
		m.Predict([]uint32{1, 2, 3}, probs)
	})
}

// benchModel is a model the size of the intent classifier's (2^15 buckets,
// 28 classes) with random weights.
func benchModel(classes int) (*Model, []uint32) {
	rng := rand.New(rand.NewPCG(1, 2))
	m := &Model{Classes: make([]string, classes), bits: 15, scale: 0.01, bias: make([]float32, classes)}
	m.w = make([]int8, (1<<m.bits)*classes)
	for i := range m.w {
		m.w[i] = int8(rng.IntN(255) - 127)
	}
	features := make([]uint32, 150)
	for i := range features {
		features[i] = rng.Uint32()
	}
	return m, features
}

func BenchmarkPredict(b *testing.B) {
	for _, classes := range []int{2, 28} {
		b.Run(strconv.Itoa(classes), func(b *testing.B) {
			m, features := benchModel(classes)
			probs := make([]float64, classes)
			b.ReportAllocs()
			for b.Loop() {
				m.Predict(features, probs)
			}
		})
	}
}

// TestPredictSums: the summing loop agrees with a plain one on every class
// count around the width it processes at once, with the most extreme weights.
func TestPredictSums(t *testing.T) {
	for classes := 1; classes <= 70; classes++ {
		m, features := benchModel(classes)
		for i := range m.w {
			if i%7 == 0 {
				m.w[i] = -127
			} else if i%11 == 0 {
				m.w[i] = 127
			}
		}
		features = append(features, features...) // more than 256 features
		probs := make([]float64, classes)
		m.Predict(features, probs)
		want := make([]float64, classes)
		mask := uint32(1)<<m.bits - 1
		for c := range want {
			var sum int32
			for _, f := range features {
				sum += int32(m.w[int(f&mask)*classes+c])
			}
			want[c] = float64(sum)*float64(m.scale)/math.Sqrt(float64(len(features))) + float64(m.bias[c])
		}
		softmax(want)
		for c := range want {
			if math.Abs(want[c]-probs[c]) > 1e-9 {
				t.Fatalf("%d classes: class %d has p=%v, want %v", classes, c, probs[c], want[c])
			}
		}
	}
}

// TestPredictSummed: features summed ahead in pieces with Sum, then handed to
// PredictSummed with the rest listed, give Predict's probabilities on all of
// them, bit for bit.
func TestPredictSummed(t *testing.T) {
	for _, classes := range []int{2, 28, 70} {
		m, features := benchModel(classes)
		want := make([]float64, classes)
		m.Predict(features, want)
		for _, cut := range []int{0, 1, 60, len(features)} {
			acc := make([]int32, classes)
			m.Sum(acc, features[:cut/2])
			m.Sum(acc, features[cut/2:cut])
			got := make([]float64, classes)
			m.PredictSummed(acc, cut, features[cut:], got)
			if !slices.Equal(got, want) {
				t.Errorf("%d classes, %d summed ahead: %v, want %v", classes, cut, got, want)
			}
		}
	}
}

// TestCharsInside holds Chars, which reads the inside of a text without
// testing where each byte comes from, to the n-grams of the text with its
// end spaces written out.
func TestCharsInside(t *testing.T) {
	byPadding := func(f Featurizer, text string) []uint32 {
		lo, hi := f.MinN, f.MaxN
		if lo == 0 {
			lo, hi = 3, 5
		}
		p := " " + text + " "
		var out []uint32
		for i := range len(p) {
			h := uint32(seedChar)
			for k := 0; k < hi && i+k < len(p); k++ {
				h = (h ^ uint32(p[i+k])) * prime32
				if k+1 >= lo {
					out = append(out, h^uint32(k))
				}
			}
		}
		return out
	}
	rng := rand.New(rand.NewPCG(5, 6))
	for _, f := range []Featurizer{{}, {MinN: 3, MaxN: 4}, {MinN: 1, MaxN: 2}} {
		for range 2000 {
			b := make([]byte, rng.IntN(12))
			for i := range b {
				b[i] = 'a' + byte(rng.IntN(4))
			}
			if got, want := f.Chars(nil, string(b)), byPadding(f, string(b)); !slices.Equal(got, want) {
				t.Fatalf("%+v.Chars(%q) = %v, want %v", f, b, got, want)
			}
		}
	}
}

// TestCharsInPieces: the n-grams of a text, taken word by word with CharsIn
// (each word from the space before it to its end), are those of Chars in the
// same order, so a message's features can be grouped by word.
func TestCharsInPieces(t *testing.T) {
	var f Featurizer
	for _, text := range []string{"", "a", "ab", "i want to go", "one", "x yz"} {
		ws := strings.Fields(text)
		var got []uint32
		off := 0
		for k, w := range ws {
			to := off + len(w) + 1
			if k == len(ws)-1 {
				to = len(text) + 2
			}
			got = f.CharsIn(got, text, off, to)
			off += len(w) + 1
		}
		if len(ws) == 0 {
			got = f.CharsIn(got, text, 0, len(text)+2)
		}
		if want := f.Chars(nil, text); !slices.Equal(got, want) {
			t.Errorf("%q word by word: %v, want %v", text, got, want)
		}
	}
}

// TestMarginLogit: for two classes, a margin summed in pieces and its logit
// give the probability Predict gives for all the features at once.
func TestMarginLogit(t *testing.T) {
	m, features := benchModel(2)
	m.bias = []float32{0.3, -0.2}
	for _, n := range []int{0, 1, 7, 150} {
		fs := features[:n]
		margin := m.Margin(fs[:n/2]) + m.Margin(fs[n/2:])
		probs := make([]float64, 2)
		m.Predict(fs, probs)
		got := 1 / (1 + math.Exp(-m.Logit(margin, n)))
		if math.Abs(got-probs[1]) > 1e-9 {
			t.Errorf("%d features: Logit gives p=%v, Predict %v", n, got, probs[1])
		}
	}
}

// TestAcrossWordAlone: a word's n-grams in a text (CharsIn from the space
// before it to its end) are those of the word alone (Chars) and those that
// run on past the space after it (Across), whatever words stand around it:
// short words ("i", "a"), whose n-grams reach two words on, among them.
func TestAcrossWordAlone(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, f := range []Featurizer{{}, {MinN: 3, MaxN: 4}, {MinN: 2, MaxN: 3}} {
		for range 3000 {
			ws := make([]string, 1+rng.IntN(5))
			for i := range ws {
				b := make([]byte, 1+rng.IntN(6))
				for j := range b {
					b[j] = 'a' + byte(rng.IntN(3))
				}
				ws[i] = string(b)
			}
			text := strings.Join(ws, " ")
			off := 0
			for k, w := range ws {
				to := off + len(w) + 1
				if k == len(ws)-1 {
					to = len(text) + 2
				}
				want := f.CharsIn(nil, text, off, to)
				got := f.Across(f.Chars(nil, w), text, off, to)
				slices.Sort(want)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("%+v: word %q of %q: %v, want %v", f, w, text, got, want)
				}
				off = to
			}
		}
	}
}

// TestPairAndWord: Word and Pair give the features WordAt gives.
func TestPairAndWord(t *testing.T) {
	ws := []string{"i", "want", "", "to", "go"}
	for _, f := range []Featurizer{{}, {NoBigrams: true}} {
		for i, w := range ws {
			want := f.WordAt(nil, ws, i)
			got := f.Word(nil, w)
			if i+1 < len(ws) {
				got = f.Pair(got, w, ws[i+1])
			}
			if !slices.Equal(got, want) {
				t.Errorf("%+v: word %d: %v, want %v", f, i, got, want)
			}
		}
	}
}
