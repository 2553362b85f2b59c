package knowledge

// Tests over the training material: the crisis corpus and the example
// messages must load, stay apart from every evaluation set, and the models
// built into the binary must have been trained on exactly these files.

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"go.yaml.in/yaml/v3"

	"github.com/supportbot/supportbot/bot/crisis"
	"github.com/supportbot/supportbot/bot/textnorm"
)

// evalGlobs are every labelled evaluation set the project can see, relative to
// this package's directory: our own, the held-out set, and the development set
// written outside the project (shared/ beside the checkout).
var evalGlobs = []string{"../bot/testdata/*eval*.yaml", "../bot/testdata/heldout*.yaml", "../bot/testdata/long-messages.yaml", "../../shared/eval/*.yaml"}

// TestTrainingIsNotEvaluation keeps training and evaluation apart: no
// training message may equal an evaluation case once both are normalised, so
// a score never rewards a message the models were shown.
func TestTrainingIsNotEvaluation(t *testing.T) {
	tr, ps := LoadTraining(os.DirFS("."))
	if len(ps) > 0 {
		t.Fatalf("training files: %v", ps)
	}
	norm := func(s string) string { return textnorm.Normalize(textnorm.Sanitize(s)) }
	type source struct{ file, text string }
	training := map[string]source{} // normalised → where
	for _, c := range tr.Corpus {
		for _, ms := range c.Crisis {
			for _, m := range ms {
				training[norm(m)] = source{c.File, m}
			}
		}
		for _, ms := range c.Benign {
			for _, m := range ms {
				training[norm(m)] = source{c.File, m}
			}
		}
	}
	for _, e := range tr.Examples {
		for _, m := range e.Messages() {
			training[norm(m.Text)] = source{e.File, m.Text}
		}
	}
	for _, f := range tr.Stories {
		for _, list := range [][]Story{f.Benign, f.Crisis} {
			for _, st := range list {
				training[norm(st.Text)] = source{f.File, st.Text}
				if st.Sign != "" {
					training[norm(st.Sign)] = source{f.File, st.Sign}
				}
			}
		}
	}
	sawDev := false
	for _, g := range evalGlobs {
		files, _ := filepath.Glob(g)
		for _, f := range files {
			if filepath.Base(f) == "README.md" {
				continue
			}
			if filepath.Base(f) == "dev.yaml" {
				sawDev = true
			}
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var cases []struct {
				Q string `yaml:"q"`
			}
			if err := yaml.Unmarshal(data, &cases); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			for _, c := range cases {
				if from, ok := training[norm(c.Q)]; ok && norm(c.Q) != "" {
					t.Errorf("%s: %q is the evaluation case %q of %s: training and evaluation must stay apart", from.file, from.text, c.Q, f)
				}
			}
		}
	}
	if !sawDev {
		if os.Getenv("CI") != "" {
			t.Fatal("shared/eval/dev.yaml is missing: run the tests from a checkout next to shared/")
		}
		t.Log("shared/eval/dev.yaml is not here; checked the project's own sets only")
	}
}

// TestTrainingVolume holds the corpus to what the learned layers need: enough
// messages, in enough voices, to generalise beyond any one writer.
func TestTrainingVolume(t *testing.T) {
	tr, _ := LoadTraining(os.DirFS("."))
	var crisisN, benignN, voices int
	for _, c := range tr.Corpus {
		if len(c.Crisis) > 0 || len(c.Benign) > 0 {
			voices++
		}
		for _, ms := range c.Crisis {
			crisisN += len(ms)
		}
		for _, ms := range c.Benign {
			benignN += len(ms)
		}
	}
	safe := benignN
	for _, e := range tr.Examples {
		safe += len(e.Messages())
	}
	if crisisN < 1500 || safe < 3000 {
		t.Errorf("crisis corpus: %d crisis and %d non-crisis messages, want at least 1500 and 3000", crisisN, safe)
	}
	if voices < 6 {
		t.Errorf("crisis corpus in %d voices, want at least 6", voices)
	}
}

// TestModelsAreFresh fails when a training file changed and the models were
// not trained again: run `go generate ./knowledge`.
func TestModelsAreFresh(t *testing.T) {
	// The files in this directory, as the binary embeds them (the models) and
	// as the trainer reads them (everything else).
	want, err := TrainingInputs(os.DirFS("."))
	if err != nil {
		t.Fatal(err)
	}
	data, err := Embedded().(interface {
		ReadFile(string) ([]byte, error)
	}).ReadFile(CrisisModel)
	if err != nil {
		t.Fatalf("the crisis model is missing (%v): run go generate ./knowledge", err)
	}
	m, err := crisis.LoadModel(data)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Inputs(); got != want {
		t.Errorf("%s was trained on other files than these (inputs %.12s, now %.12s): run go generate ./knowledge", CrisisModel, got, want)
	}
}

// TestStoryChecks: a story file that would mislead the training is reported
// at the story's line, and a good one loads.
func TestStoryChecks(t *testing.T) {
	words := func(n int) string { return strings.Repeat("we went to the shops and ", n/6+1) }
	long := words(120)
	tests := []struct {
		name, file, want string
	}{
		{"good", "voice: v\nbenign:\n  - kind: grief\n    text: " + long + "\ncrisis:\n  - kind: desire\n    sign: I want to die\n    text: " + long + " I want  to die.\n", ""},
		{"kind", "benign:\n  - kind: sad\n    text: " + long + "\n", "story kind \"sad\""},
		{"short", "benign:\n  - kind: grief\n    text: " + words(30) + "\n", "a long message has at least 100"},
		{"no sign", "crisis:\n  - kind: desire\n    text: " + long + "\n", "needs its sign"},
		{"sign elsewhere", "crisis:\n  - kind: desire\n    sign: I want to die\n    text: " + long + "\n", "is not in the story's text"},
		{"benign sign", "benign:\n  - kind: grief\n    sign: shops\n    text: " + long + "\n", "a benign story has no sign"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{StoriesDir + "/v.yaml": &fstest.MapFile{Data: []byte(tc.file)}}
			tr, ps := LoadTraining(fsys)
			if tc.want == "" {
				if len(ps) > 0 {
					t.Fatalf("problems in a good file: %v", ps)
				}
				if n := len(tr.StoryExamples()); n != 2 || tr.Stories[0].Voice != "v" {
					t.Fatalf("%d stories loaded (voice %q), want 2 of voice v", n, tr.Stories[0].Voice)
				}
				return
			}
			if len(ps) != 1 || !strings.Contains(ps[0].Msg, tc.want) || ps[0].Line == 0 {
				t.Fatalf("problems %v, want one saying %q at the story's line", ps, tc.want)
			}
		})
	}
}

// TestIntentOnlyExamples: a file of everyday material for the intent model
// trains it, but not the crisis check, whose prior it would move.
func TestIntentOnlyExamples(t *testing.T) {
	fsys := fstest.MapFS{
		ExamplesDir + "/a.yaml": &fstest.MapFile{Data: []byte("voice: a\nout_of_scope:\n  - \"how do i reset my router\"\n")},
		ExamplesDir + "/b.yaml": &fstest.MapFile{Data: []byte("voice: b\nintent_only: true\nout_of_scope:\n  - \"the car is at the garage again\"\n")},
	}
	tr, ps := LoadTraining(fsys)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	var intents, crises []string
	for _, e := range tr.IntentExamples() {
		intents = append(intents, e.Voice)
	}
	for _, e := range tr.CrisisExamples() {
		crises = append(crises, e.Voice)
	}
	if !slices.Equal(intents, []string{"a", "b"}) || !slices.Equal(crises, []string{"a"}) {
		t.Errorf("the intent model trains on voices %v (want a, b), the crisis check on %v (want a)", intents, crises)
	}
}
