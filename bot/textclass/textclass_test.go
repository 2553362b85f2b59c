package textclass

import (
	"bytes"
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
