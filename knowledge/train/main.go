// Command train makes the knowledge base's models from its training files:
// the crisis check's learned second opinion. It is deterministic (the same
// files give the same bytes) and is run by `go generate ./knowledge`.
//
//	go run ./knowledge/train [-kb DIR]
package main

import (
	"bytes"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"sort"

	"github.com/supportbot/supportbot/bot/crisis"
	"github.com/supportbot/supportbot/bot/textnorm"
	"github.com/supportbot/supportbot/knowledge"
)

func main() {
	dir := flag.String("kb", ".", "the knowledge base directory")
	explain := flag.Bool("explain", false, "print the training messages the crisis rules get wrong, and stop (for curators)")
	check := flag.String("check", "", "show how the crisis check reads this message, and stop (for curators)")
	flag.Parse()
	if *check != "" {
		k, err := knowledge.Load(os.DirFS(*dir))
		if err != nil {
			log.Fatal(err)
		}
		d, err := crisis.New(k.CrisisLexicons, k.CrisisModel)
		if err != nil {
			log.Fatal(err)
		}
		fmt.Print(d.Explain(*check))
		return
	}
	if *explain {
		if err := explainRules(*dir); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(*dir); err != nil {
		log.Fatal(err)
	}
}

func run(dir string) error {
	fsys := os.DirFS(dir)
	k, err := knowledge.Load(fsys)
	if err != nil {
		return fmt.Errorf("load %s: %w", dir, err)
	}
	tr, ps := knowledge.LoadTraining(fsys)
	if len(ps) > 0 {
		return ps
	}
	inputs, err := knowledge.TrainingInputs(fsys)
	if err != nil {
		return err
	}
	known := KnownWords(tr)
	m, rep, err := crisis.Train(k.CrisisLexicons, tr.CrisisExamples(), known, inputs)
	if err != nil {
		return err
	}
	data, err := m.MarshalBinary()
	if err != nil {
		return err
	}
	var report bytes.Buffer
	rep.Write(&report)
	if err := write(filepath.Join(dir, knowledge.CrisisModel), data); err != nil {
		return err
	}
	if err := write(filepath.Join(dir, "models/crisis-cv.txt"), report.Bytes()); err != nil {
		return err
	}
	os.Stdout.Write(report.Bytes())
	return nil
}

// KnownWords are the words written by at least two voices: real words, which
// the crisis check must never "correct" into crisis words. A typo is rarely
// made the same way by two different writers.
func KnownWords(tr knowledge.Training) []string {
	voices := map[string]map[string]bool{}
	add := func(voice, text string) {
		for _, w := range textnorm.Words(nil, textnorm.Normalize(textnorm.Sanitize(text))) {
			if voices[w] == nil {
				voices[w] = map[string]bool{}
			}
			voices[w][voice] = true
		}
	}
	for _, e := range tr.CrisisExamples() {
		add(e.Voice, e.Text)
	}
	var out []string
	for w, vs := range voices {
		if len(vs) >= 2 {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

func write(name string, data []byte) error {
	if old, err := os.ReadFile(name); err == nil && bytes.Equal(old, data) {
		return nil
	}
	return os.WriteFile(name, data, 0o644)
}

// explainRules prints, for curators, the corpus messages the lexicon layers
// (without the learned model) get wrong: misses, then false alarms.
func explainRules(dir string) error {
	fsys := os.DirFS(dir)
	k, err := knowledge.Load(fsys)
	if err != nil {
		return err
	}
	tr, ps := knowledge.LoadTraining(fsys)
	if len(ps) > 0 {
		return ps
	}
	d, err := crisis.New(k.CrisisLexicons, &crisis.Model{Known: KnownWords(tr)})
	if err != nil {
		return err
	}
	for _, want := range []bool{true, false} {
		for _, e := range tr.CrisisExamples() {
			if f := d.Check(e.Text); e.Crisis == want && f.Crisis != want {
				if want {
					fmt.Printf("MISS\t%s\t%s\n", e.Voice, e.Text)
				} else {
					fmt.Printf("FALSE\t%s\t%s\t%s\t%s\n", e.Voice, f.Construct, f.Rule, e.Text)
				}
			}
		}
	}
	return nil
}
