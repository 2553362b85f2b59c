package knowledge

// Tests over the content built into the binary: the topics, the synonyms and
// the labelled evaluation set in ../bot/testdata/eval.yaml. They guard what a
// curator could break without touching code: a missing topic, a sentence
// copied from a source article, an eval case that just repeats an example
// question, an eval set that stops covering every topic and kind.

import (
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"go.yaml.in/yaml/v3"

	"github.com/supportbot/supportbot/bot"
)

const (
	// seedsGlob is where the two source articles live, relative to this
	// package's directory (knowledge/ inside the checkout, next to shared/).
	seedsGlob = "../../shared/seeds/*.txt"
	// evalFile is the labelled evaluation set.
	evalFile = "../bot/testdata/eval.yaml"
	// maxSharedRun is the longest run of consecutive words an answer or a
	// question may share with a source article: one more is a copied phrase.
	maxSharedRun = 7
)

// embeddedTopics reads the embedded topics even when some other part of the
// knowledge base has a problem (reported by TestEmbeddedKnowledgeChecks), so
// the content tests below still say something useful.
func embeddedTopics(t *testing.T) []bot.Topic {
	t.Helper()
	k, _ := load(Embedded())
	if len(k.Topics) == 0 {
		t.Fatal("no topics could be read from the embedded knowledge base")
	}
	return k.Topics
}

func TestEmbeddedKnowledgeChecks(t *testing.T) {
	for _, p := range Check(Embedded()) {
		t.Errorf("kb check: %s", p)
	}
}

func TestRequiredTopicsPresent(t *testing.T) {
	byID := map[string]bot.Topic{}
	for _, tp := range embeddedTopics(t) {
		byID[tp.ID] = tp
	}
	for _, id := range RequiredTopics {
		t.Run(id, func(t *testing.T) {
			tp, ok := byID[id]
			if !ok {
				t.Fatalf("topic %q is missing: add topics/%s.md", id, id)
			}
			if len(tp.Questions) < MinQuestions {
				t.Errorf("topic %q has %d example questions, want at least %d", id, len(tp.Questions), MinQuestions)
			}
			if len(tp.Keywords) == 0 {
				t.Errorf("topic %q has no keywords", id)
			}
			if n := len(tp.Related); n < 2 || n > 4 {
				t.Errorf("topic %q lists %d related topics, want 2 to 4", id, n)
			}
			if len(tp.Sources) == 0 {
				t.Errorf("topic %q names no sources", id)
			}
		})
	}
}

// TestAnswersUseOnlyLightMarkup keeps answers to what every adapter renders:
// no headings, italics, numbered lists or code.
func TestAnswersUseOnlyLightMarkup(t *testing.T) {
	for _, tp := range embeddedTopics(t) {
		for i, line := range strings.Split(tp.Answer, "\n") {
			trimmed := strings.TrimSpace(line)
			switch {
			case strings.HasPrefix(trimmed, "#"):
				t.Errorf("%s: answer line %d is a heading; use plain text or **bold**", tp.File, i+1)
			case strings.Contains(line, "`"):
				t.Errorf("%s: answer line %d uses backticks", tp.File, i+1)
			case strings.HasPrefix(trimmed, "* ") || strings.HasPrefix(trimmed, "+ "):
				t.Errorf("%s: answer line %d is a bullet not written as \"- \"", tp.File, i+1)
			case len(trimmed) > 2 && trimmed[0] >= '0' && trimmed[0] <= '9' && (trimmed[1] == '.' || trimmed[1] == ')'):
				t.Errorf("%s: answer line %d is a numbered list; use \"- \" bullets", tp.File, i+1)
			case line != trimmed && trimmed != "" && !strings.HasPrefix(line, "- "):
				t.Errorf("%s: answer line %d is indented", tp.File, i+1)
			}
			plain := strings.ReplaceAll(line, "**", "")
			for _, w := range strings.Fields(plain) {
				if len(w) > 2 && (w[0] == '_' || w[len(w)-1] == '_') && !strings.Contains(w, "://") {
					t.Errorf("%s: answer line %d looks like _italics_: %q", tp.File, i+1, w)
				}
			}
		}
	}
}

// words splits text into lower-case words with punctuation removed:
// apostrophes vanish ("you've" → "youve"), any other character that is not a
// letter or digit separates words ("mental-health" → "mental health").
func words(s string) []string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '’' || r == '‘':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		default:
			b.WriteByte(' ')
		}
	}
	return strings.Fields(b.String())
}

type seed struct {
	name  string
	words []string
}

func readSeeds(t *testing.T) []seed {
	t.Helper()
	names, err := filepath.Glob(seedsGlob)
	if err != nil || len(names) == 0 {
		// CI always has shared/ beside the checkout, and there the check must
		// run; a clone on its own (a contributor's laptop) has no articles to
		// compare with.
		if os.Getenv("CI") == "" {
			t.Skipf("the source articles are not here (no files match %s): the copy check runs in CI, next to shared/", seedsGlob)
		}
		t.Fatalf("the source articles are missing: no files match %s (run the tests from a checkout next to shared/)", seedsGlob)
	}
	var out []seed
	for _, n := range names {
		data, err := os.ReadFile(n)
		if err != nil {
			t.Fatalf("reading source article: %v", err)
		}
		out = append(out, seed{name: filepath.Base(n), words: words(string(data))})
	}
	return out
}

// seedRuns maps every run of maxSharedRun+1 consecutive words in the source
// articles to the article it comes from.
func seedRuns(seeds []seed) map[string]string {
	n := maxSharedRun + 1
	runs := map[string]string{}
	for _, s := range seeds {
		for i := 0; i+n <= len(s.words); i++ {
			runs[strings.Join(s.words[i:i+n], " ")] = s.name
		}
	}
	return runs
}

// copiedRuns returns each stretch of text that shares more than maxSharedRun
// consecutive words with a source article, as "article: run" (the first
// too-long run of each stretch).
func copiedRuns(runs map[string]string, text string) []string {
	n := maxSharedRun + 1
	ws := words(text)
	var out []string
	last := -1 // index of the last word of the stretch already reported
	for i := 0; i+n <= len(ws); i++ {
		run := strings.Join(ws[i:i+n], " ")
		if art, ok := runs[run]; ok {
			if i > last {
				out = append(out, art+": "+strconv.Quote(run))
			}
			last = i + n - 1
		}
	}
	return out
}

// TestCopyDetector makes sure the check below would notice a copied sentence
// even with its case and punctuation changed, and leaves our own words alone.
func TestCopyDetector(t *testing.T) {
	seeds := readSeeds(t)
	runs := seedRuns(seeds)
	ws := seeds[0].words
	if len(ws) < 40 {
		t.Fatalf("source article %s is suspiciously short", seeds[0].name)
	}
	copied := "So, " + strings.ToUpper(strings.Join(ws[20:30], ", ")) + "!"
	if got := copiedRuns(runs, copied); len(got) != 1 {
		t.Errorf("copiedRuns(%q) = %v, want one copied stretch reported", copied, got)
	}
	own := "A peer usually keeps the meeting going, while a licensed therapist runs group therapy."
	if got := copiedRuns(runs, own); len(got) != 0 {
		t.Errorf("copiedRuns(%q) = %v, want none", own, got)
	}
}

// TestNoRunCopiedFromSources fails when an answer, a question, a title or a
// keyword shares more than maxSharedRun consecutive words with a source
// article: every text must be in the project's own words.
func TestNoRunCopiedFromSources(t *testing.T) {
	runs := seedRuns(readSeeds(t))
	for _, tp := range embeddedTopics(t) {
		texts := map[string]string{"answer": tp.Answer, "title": tp.Title}
		for i, q := range tp.Questions {
			texts["question "+strconv.Itoa(i+1)+" ("+q+")"] = q
		}
		for i, k := range tp.Keywords {
			texts["keyword "+strconv.Itoa(i+1)] = k
		}
		for what, text := range texts {
			for _, c := range copiedRuns(runs, text) {
				t.Errorf("topic %q, %s: %d or more consecutive words copied from %s; say it in our own words", tp.ID, what, maxSharedRun+1, c)
			}
		}
	}
}

// TestSynonymGroupsAreTight checks no word or phrase belongs to two synonym
// groups (the matcher would merge two meanings) or appears twice in one.
func TestSynonymGroupsAreTight(t *testing.T) {
	k, _ := load(Embedded())
	if len(k.Synonyms) == 0 {
		t.Fatal("no synonym groups")
	}
	seen := map[string]string{}
	for _, g := range k.Synonyms {
		inGroup := map[string]bool{}
		for _, w := range g {
			key := strings.ToLower(strings.Join(strings.Fields(w), " "))
			if inGroup[key] {
				t.Errorf("synonym group %q lists %q twice", g[0], w)
			}
			inGroup[key] = true
			if other, ok := seen[key]; ok && other != g[0] {
				t.Errorf("%q is in two synonym groups: %q and %q", w, other, g[0])
			}
			seen[key] = g[0]
		}
	}
}

// evalCase is one labelled question of bot/testdata/eval.yaml (see
// shared/CONTRACT.md).
type evalCase struct {
	Q      string   `yaml:"q"`
	Kind   string   `yaml:"kind"`
	Topics []string `yaml:"topics"`
}

func readEval(t *testing.T) []evalCase {
	t.Helper()
	data, err := os.ReadFile(evalFile)
	if err != nil {
		t.Fatalf("reading the eval set: %v", err)
	}
	var cases []evalCase
	if err := yaml.Unmarshal(data, &cases); err != nil {
		t.Fatalf("%s is not a valid list of cases: %v", evalFile, err)
	}
	return cases
}

func normQ(s string) string { return strings.ToLower(strings.Join(strings.Fields(s), " ")) }

// Minimums of the eval set.
const (
	minEvalCases    = 230
	minPerTopic     = 8
	minTriage       = 12
	minSmalltalk    = 12
	minFallback     = 12
	minCrisis       = 35
	minBenignAlarms = 15
)

// alarmWords sound like crisis. Eval cases that use them but are not a crisis
// ("this queue is killing me") keep the crisis detector honest.
var alarmWords = map[string]bool{
	"kill": true, "kills": true, "killing": true, "killed": true, "killer": true,
	"die": true, "dying": true, "died": true, "dead": true, "death": true,
	"suicide": true, "suicidal": true, "overdose": true, "overdosed": true,
	"cut": true, "cutting": true, "hurt": true, "hurting": true, "harm": true,
	"pills": true, "murder": true, "abuse": true, "abused": true, "hit": true,
	"hits": true, "beat": true, "lifesaver": true, "shoot": true, "life": true,
}

func TestEvalSet(t *testing.T) {
	cases := readEval(t)
	topics := embeddedTopics(t)
	kbQ := map[string]string{}
	known := map[string]bool{}
	for _, tp := range topics {
		known[tp.ID] = true
		for _, q := range tp.Questions {
			kbQ[normQ(q)] = tp.ID
		}
	}
	kinds := map[string]int{}
	perTopic := map[string]int{}
	benign := 0
	seen := map[string]int{}
	for i, c := range cases {
		where := "case " + strconv.Itoa(i+1) + " (" + c.Q + ")"
		key := normQ(c.Q)
		if key == "" {
			t.Errorf("%s: empty question", where)
			continue
		}
		if id, ok := kbQ[key]; ok {
			t.Errorf("%s: a verbatim copy of an example question of topic %q; write a fresh one", where, id)
		}
		if j, ok := seen[key]; ok {
			t.Errorf("%s: same question as case %d", where, j)
		}
		seen[key] = i + 1
		kinds[c.Kind]++
		switch c.Kind {
		case "answer":
			if len(c.Topics) == 0 || len(c.Topics) > 2 {
				t.Errorf("%s: an answer case needs one topic, or two when genuinely ambiguous; has %v", where, c.Topics)
			}
			for _, id := range c.Topics {
				if !known[id] {
					t.Errorf("%s: unknown topic %q", where, id)
				}
			}
			if len(c.Topics) > 0 {
				perTopic[c.Topics[0]]++
			}
		case "triage", "crisis", "smalltalk", "fallback":
			if len(c.Topics) > 0 {
				t.Errorf("%s: only answer cases name topics", where)
			}
		default:
			t.Errorf("%s: unknown kind %q (answer, triage, crisis, smalltalk, fallback)", where, c.Kind)
		}
		if c.Kind != "crisis" {
			for _, w := range words(c.Q) {
				if alarmWords[w] {
					benign++
					break
				}
			}
		}
	}
	if len(cases) < minEvalCases {
		t.Errorf("the eval set has %d cases, want at least %d", len(cases), minEvalCases)
	}
	for _, id := range RequiredTopics {
		if perTopic[id] < minPerTopic {
			t.Errorf("topic %q is the first label of %d answer cases, want at least %d", id, perTopic[id], minPerTopic)
		}
	}
	for kind, min := range map[string]int{"triage": minTriage, "smalltalk": minSmalltalk, "fallback": minFallback, "crisis": minCrisis} {
		if kinds[kind] < min {
			t.Errorf("%d %s cases, want at least %d", kinds[kind], kind, min)
		}
	}
	if benign < minBenignAlarms {
		t.Errorf("%d non-crisis cases use crisis-sounding words, want at least %d", benign, minBenignAlarms)
	}
	if testing.Verbose() {
		ids := make([]string, 0, len(perTopic))
		for id := range perTopic {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			t.Logf("topic %-20s %d", id, perTopic[id])
		}
		t.Logf("kinds %v, benign alarms %d, total %d", kinds, benign, len(cases))
	}
}
