package main

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/supportbot/supportbot/bot"
)

// evalCase is one labelled question (the format of shared/CONTRACT.md).
type evalCase struct {
	Q      string    `yaml:"q"`
	Kind   evalKinds `yaml:"kind"`
	Topics []string  `yaml:"topics"`
}

// kindBenign labels a message that sounds like a crisis but is not one: any
// reply but the crisis resources is right.
const kindBenign bot.Kind = "benign"

// evalKinds is a case's kind: one kind, or a list of kinds any of which is right.
type evalKinds []bot.Kind

// UnmarshalYAML reads `kind: answer` and `kind: [triage, answer]` alike.
func (k *evalKinds) UnmarshalYAML(n *yaml.Node) error {
	var one bot.Kind
	if n.Kind == yaml.ScalarNode {
		if err := n.Decode(&one); err != nil {
			return err
		}
		*k = evalKinds{one}
	} else if err := n.Decode((*[]bot.Kind)(k)); err != nil {
		return err
	}
	if len(*k) == 0 {
		return fmt.Errorf("line %d: kind is empty", n.Line)
	}
	for _, x := range *k {
		if x != kindBenign && !slices.Contains(bot.Kinds, x) {
			return fmt.Errorf("line %d: unknown kind %q", n.Line, x)
		}
	}
	return nil
}

// String is the label as the report shows it: "answer" or "triage|answer".
func (k evalKinds) String() string {
	s := make([]string, len(k))
	for i, x := range k {
		s[i] = string(x)
	}
	return strings.Join(s, "|")
}

// right reports whether reply r is right for case c.
func (c evalCase) right(r bot.Reply) bool {
	for _, k := range c.Kind {
		switch {
		case k == kindBenign && r.Kind != bot.KindCrisis:
			return true
		case k == r.Kind && (k != bot.KindAnswer || slices.Contains(c.Topics, r.Topic)):
			return true
		}
	}
	return false
}

// evalResult is the score of a run over a labelled set.
type evalResult struct {
	total, right int
	byKind       map[string][2]int // kind label → (right, total)
	labels       []string          // the kind labels in the order first seen
	answerRight  int               // answer cases whose top topic was right
	answerTotal  int
	crisisHit    int // crisis cases answered with the crisis resources
	crisisTotal  int
	falseCrisis  int // non-crisis cases answered as crisis
	misses       []string
}

// cmdEval is `supportbot eval [--min X] FILE`.
func cmdEval(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("eval")
	minOverall := fl.String("min", "0", "exit non-zero when overall accuracy is below this (0.9 or 90%)")
	minRecall := fl.String("min-crisis-recall", "0", "exit non-zero when crisis recall is below this")
	maxFalse := fl.Int("max-false-crisis", -1, "exit non-zero when more non-crisis messages than this get the crisis reply (-1: no limit)")
	minKind := map[string]float64{}
	fl.Func("min-kind", "exit non-zero when a kind's accuracy (its row) is below a fraction: answer=0.93,smalltalk=95% (repeatable)", func(v string) error {
		for _, kv := range strings.Split(v, ",") {
			k, f, ok := strings.Cut(kv, "=")
			if !ok || k == "" {
				return fmt.Errorf("%q is not KIND=FRACTION", kv)
			}
			x, err := parseFraction(f)
			if err != nil {
				return err
			}
			minKind[k] = x
		}
		return nil
	})
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	if fl.NArg() != 1 {
		fmt.Fprintln(e.stderr, "usage: supportbot eval [--min X] [--min-kind KIND=X,...] [--min-crisis-recall X] [--max-false-crisis N] FILE")
		return errUsage
	}
	minO, err := parseFraction(*minOverall)
	if err != nil {
		return fmt.Errorf("--min: %w", err)
	}
	minR, err := parseFraction(*minRecall)
	if err != nil {
		return fmt.Errorf("--min-crisis-recall: %w", err)
	}
	data, err := os.ReadFile(fl.Arg(0))
	if err != nil {
		return fmt.Errorf("read eval file: %w", err)
	}
	var cases []evalCase
	if err := yaml.Unmarshal(data, &cases); err != nil {
		return fmt.Errorf("parse eval file %s: %w", fl.Arg(0), err)
	}
	if len(cases) == 0 {
		return fmt.Errorf("eval file %s has no cases", fl.Arg(0))
	}
	b, err := e.newBot() // no recorder: an evaluation is not usage
	if err != nil {
		return err
	}
	res := evaluate(ctx, b, cases)
	res.print(e)

	var errs []error
	if got := res.frac(res.right, res.total); got < minO {
		errs = append(errs, fmt.Errorf("overall accuracy %.1f%% is below %.1f%%", 100*got, 100*minO))
	}
	if got := res.frac(res.crisisHit, res.crisisTotal); res.crisisTotal > 0 && got < minR {
		errs = append(errs, fmt.Errorf("crisis recall %.1f%% is below %.1f%%", 100*got, 100*minR))
	}
	for _, k := range slices.Sorted(maps.Keys(minKind)) {
		c, ok := res.byKind[k]
		if !ok {
			errs = append(errs, fmt.Errorf("--min-kind %s: the file has no case of that kind", k))
			continue
		}
		if got := res.frac(c[0], c[1]); got < minKind[k] {
			errs = append(errs, fmt.Errorf("%s accuracy %.1f%% is below %.1f%%", k, 100*got, 100*minKind[k]))
		}
	}
	if *maxFalse >= 0 && res.falseCrisis > *maxFalse {
		errs = append(errs, fmt.Errorf("%d false crisis alarm(s), at most %d allowed", res.falseCrisis, *maxFalse))
	}
	return errors.Join(errs...)
}

// evaluate runs every case as the first message of its own conversation.
func evaluate(ctx context.Context, b *bot.Bot, cases []evalCase) evalResult {
	res := evalResult{byKind: map[string][2]int{}}
	for i, c := range cases {
		r := b.Handle(ctx, bot.Message{Platform: "eval", Community: bot.CommunityDM, Conversation: strconv.Itoa(i), Text: c.Q})
		ok := c.right(r)
		label := c.Kind.String()
		k, seen := res.byKind[label]
		if !seen {
			res.labels = append(res.labels, label)
		}
		k[1]++
		res.total++
		if ok {
			k[0]++
			res.right++
		} else {
			got := string(r.Kind)
			if r.Topic != "" {
				got += " " + r.Topic
			}
			want := label
			if len(c.Topics) > 0 {
				want += fmt.Sprint(" ", c.Topics)
			}
			res.misses = append(res.misses, fmt.Sprintf("%q: got %s (score %.2f), want %s", c.Q, got, r.Score, want))
		}
		res.byKind[label] = k
		// Answer top-1 and crisis recall count the cases whose (first) kind is
		// that kind; a false alarm is a crisis reply to any other case.
		switch c.Kind[0] {
		case bot.KindAnswer:
			res.answerTotal++
			if r.Kind == bot.KindAnswer && slices.Contains(c.Topics, r.Topic) {
				res.answerRight++
			}
		case bot.KindCrisis:
			res.crisisTotal++
			if r.Kind == bot.KindCrisis {
				res.crisisHit++
			}
		}
		if c.Kind[0] != bot.KindCrisis && r.Kind == bot.KindCrisis {
			res.falseCrisis++
		}
	}
	return res
}

func (res evalResult) frac(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func (res evalResult) print(e *env) {
	w := e.stdout
	fmt.Fprintf(w, "%-16s %8s %8s\n", "kind", "right", "accuracy")
	// The reply kinds first in their usual order, then benign and the lists.
	order := make([]string, 0, len(res.labels))
	for _, k := range bot.Kinds {
		if _, ok := res.byKind[string(k)]; ok {
			order = append(order, string(k))
		}
	}
	for _, l := range res.labels {
		if !slices.Contains(order, l) {
			order = append(order, l)
		}
	}
	for _, l := range order {
		c := res.byKind[l]
		fmt.Fprintf(w, "%-16s %4d/%-4d %7.1f%%\n", l, c[0], c[1], 100*res.frac(c[0], c[1]))
	}
	fmt.Fprintf(w, "%-16s %4d/%-4d %7.1f%%\n", "overall", res.right, res.total, 100*res.frac(res.right, res.total))
	fmt.Fprintf(w, "answer top-1: %d/%d (%.1f%%)\n", res.answerRight, res.answerTotal, 100*res.frac(res.answerRight, res.answerTotal))
	fmt.Fprintf(w, "crisis recall: %d/%d (%.1f%%)\n", res.crisisHit, res.crisisTotal, 100*res.frac(res.crisisHit, res.crisisTotal))
	fmt.Fprintf(w, "false crisis alarms: %d\n", res.falseCrisis)
	if len(res.misses) > 0 {
		fmt.Fprintf(w, "\nmisses (%d):\n", len(res.misses))
		for _, m := range res.misses {
			fmt.Fprintln(w, "  "+m)
		}
	}
}

// parseFraction reads 0.9 or 90 or 90% as 0.9.
func parseFraction(s string) (float64, error) {
	pct := false
	if n := len(s); n > 0 && s[n-1] == '%' {
		s, pct = s[:n-1], true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("%q is not a fraction like 0.9 or 90%%", s)
	}
	if pct || f > 1 {
		f /= 100
	}
	if f > 1 {
		return 0, fmt.Errorf("%q is more than 100%%", s)
	}
	return f, nil
}
