// Command train makes the knowledge base's models from its training files:
// the crisis check's learned second opinion. It is deterministic (the same
// files give the same bytes) and is run by `go generate ./knowledge`.
//
//	go run ./knowledge/train [-kb DIR]
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/supportbot/supportbot/bot"
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
	known, err := knownWords(fsys, tr, k.CrisisLexicons)
	if err != nil {
		return err
	}
	m, rep, err := crisis.Train(k.CrisisLexicons, append(tr.CrisisExamples(), flowAnswers(k.Triage)...), tr.StoryExamples(), known, inputs)
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

	im, irep, err := bot.TrainIntents(k, tr.IntentExamples(), inputs)
	if err != nil {
		return err
	}
	if data, err = im.MarshalBinary(); err != nil {
		return err
	}
	report.Reset()
	irep.Write(&report)
	if err := write(filepath.Join(dir, knowledge.IntentModel), data); err != nil {
		return err
	}
	if err := write(filepath.Join(dir, "models/intents-cv.txt"), report.Bytes()); err != nil {
		return err
	}
	if err := write(filepath.Join(dir, knowledge.StemTable), bot.StemTable(k, tr.IntentExamples())); err != nil {
		return err
	}
	os.Stdout.Write(report.Bytes())
	return nil
}

// flowAnswers are the triage's own answers, as buttons and as typed: short
// replies ("no", "a little", "online would be easier") that answer the bot's
// question and are no sign of crisis. The safety question's first option
// (yes, I am in danger) is left out: it leads to the crisis resources.
func flowAnswers(f bot.Flow) []crisis.Example {
	var out []crisis.Example
	for _, q := range f.Questions {
		for _, o := range q.Options {
			if o.Outcome == bot.OutcomeUrgentHelp {
				continue
			}
			for _, t := range append([]string{o.Label}, o.Typed...) {
				out = append(out, crisis.Example{Text: t, Voice: "flow-answers"})
			}
		}
	}
	return out
}

// corpusWords are the words of the corpus written by at least two voices, or
// three times: real words, which the crisis check must never "correct" into
// crisis words. A typo is rarely made the same way twice by different writers.
func corpusWords(tr knowledge.Training) []string {
	voices := map[string]map[string]bool{}
	count := map[string]int{}
	add := func(voice, text string) {
		for _, w := range textnorm.Words(nil, textnorm.Normalize(textnorm.Sanitize(text))) {
			if voices[w] == nil {
				voices[w] = map[string]bool{}
			}
			voices[w][voice] = true
			count[w]++
		}
	}
	for _, e := range tr.CrisisExamples() {
		// English voices only: the known words also tell an English word
		// from another language's.
		if !strings.HasPrefix(e.Voice, "lang-") {
			add(e.Voice, e.Text)
		}
	}
	var out []string
	for w, vs := range voices {
		// A word with digits in it ("k1ll") is never a known word: leetspeak
		// is repaired, however many writers use it.
		if strings.ContainsAny(w, "0123456789") {
			continue
		}
		if len(vs) >= 2 || count[w] >= 3 {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// knownWords are the words the crisis check's typo repair leaves alone: the
// corpus's own, and the dictionary's real words it would otherwise change.
func knownWords(fsys fs.FS, tr knowledge.Training, lexicons []crisis.Lexicon) ([]string, error) {
	known := corpusWords(tr)
	dict, err := englishWords(fsys)
	if err != nil {
		return nil, err
	}
	realWords, err := crisis.RealWords(lexicons, known, dict)
	if err != nil {
		return nil, err
	}
	known = append(known, realWords...)
	sort.Strings(known)
	return known, nil
}

// englishWords reads the dictionary of real English words.
func englishWords(fsys fs.FS) ([]string, error) {
	f, err := fsys.Open(knowledge.EnglishWords)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	z, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", knowledge.EnglishWords, err)
	}
	data, err := io.ReadAll(z)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", knowledge.EnglishWords, err)
	}
	return strings.Fields(string(data)), nil
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
	known, err := knownWords(fsys, tr, k.CrisisLexicons)
	if err != nil {
		return err
	}
	d, err := crisis.New(k.CrisisLexicons, &crisis.Model{Known: known})
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
