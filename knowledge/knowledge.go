// Package knowledge provides supportbot's curated knowledge base: one Markdown file
// per topic with a YAML front matter, the fixed messages, the crisis resources, the
// synonyms and the triage flow, all embedded in the binary and replaceable by a
// directory (--kb DIR). [Load] reads any [fs.FS] into a [bot.Knowledge];
// [Check] reports every problem a curator should fix as "file:line: message".
package knowledge

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/crisis"
)

// The training messages (crisis/corpus, examples) are not embedded: the bot
// runs on the models trained from them, and they would add 0.8 MB to the
// binary. `kb check --kb DIR` and the tests read them from the directory.
//
//go:embed topics/*.md *.yaml crisis/lexicon/*.yaml crisis/lexicon/NOTICE crisis/lexicon/LICENSE models
var embedded embed.FS

// Embedded returns the knowledge base built into the binary.
func Embedded() fs.FS { return embedded }

// The files of a knowledge base, relative to its root.
const (
	TopicsDir    = "topics"
	MessagesFile = "messages.yaml"
	CrisisFile   = "crisis.yaml"
	SynonymsFile = "synonyms.yaml"
	TriageFile   = "triage.yaml"
)

// Problem is one thing wrong with a knowledge base, located for a curator.
type Problem struct {
	File string
	Line int // 0 when the problem is about the file as a whole
	Msg  string
}

func (p Problem) String() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", p.File, p.Line, p.Msg)
	}
	return fmt.Sprintf("%s: %s", p.File, p.Msg)
}

// Problems is the error [Load] returns: every problem found, one per line.
type Problems []Problem

func (ps Problems) Error() string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, "\n")
}

// Load reads a knowledge base from fsys and checks it; any problem makes it fail
// with a [Problems] error, so a bot never starts on a knowledge base that
// `supportbot kb check` would reject.
func Load(fsys fs.FS) (bot.Knowledge, error) {
	k, ps := load(fsys)
	if len(ps) > 0 {
		return bot.Knowledge{}, ps
	}
	return k, nil
}

// Check reads a knowledge base and returns every problem found, sorted by file
// and line; none means it is ready to use.
func Check(fsys fs.FS) Problems {
	_, ps := load(fsys)
	// The training files are not needed to run, but a curator extending them
	// hears of a problem here rather than when the models are next trained.
	_, tps := LoadTraining(fsys)
	ps = append(ps, tps...)
	sort.SliceStable(ps, func(i, j int) bool {
		if ps[i].File != ps[j].File {
			return ps[i].File < ps[j].File
		}
		return ps[i].Line < ps[j].Line
	})
	return ps
}

func load(fsys fs.FS) (bot.Knowledge, Problems) {
	var l loader
	k := bot.Knowledge{}
	// The crisis check is the largest part to build (its lexicons in many
	// languages, compiled into one phrase index): it is built beside the rest,
	// on a loader of its own, so start-up takes the longer of the two, not the
	// sum.
	var (
		cl       loader
		lexicons []crisis.Lexicon
		model    *crisis.Model
		detector *crisis.Detector
	)
	// The learned layer's model is read here, not there: it does not depend
	// on the lexicons, and the rest is the shorter of the two.
	modelDone, crisisDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(crisisDone)
		lexicons = cl.lexicons(fsys)
		<-modelDone
		detector = cl.detector(lexicons, model)
	}()
	model = l.crisisModel(fsys)
	close(modelDone)
	k.Topics = l.topics(fsys)
	k.Messages = l.messages(fsys)
	k.Crisis = l.crisis(fsys)
	k.Intents = l.intentModel(fsys)
	k.Stems = l.stems(fsys)
	k.Synonyms = l.synonyms(fsys)
	k.Languages = l.languages(fsys)
	k.Triage = l.triage(fsys, k.Topics)
	l.checkTopics(k)
	<-crisisDone
	k.CrisisLexicons, k.CrisisModel, k.CrisisDetector = lexicons, model, detector
	l.problems = append(l.problems, cl.problems...)
	// Every check bot.New makes (message keys, duplicate ids, bot.CheckFlow) is
	// made above, with a line number, so a base that loads here starts a bot.
	sort.SliceStable(l.problems, func(i, j int) bool {
		a, b := l.problems[i], l.problems[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return k, l.problems
}

// loader collects problems while reading.
type loader struct {
	problems Problems
	// qLine remembers each question's line (file, question) and fieldLine each
	// field's line (file, field; "answer" for the text after the front matter),
	// for problems found only once every topic is read.
	qLine     map[[2]string]int
	fieldLine map[[2]string]int
}

func (l *loader) add(file string, line int, format string, args ...any) {
	l.problems = append(l.problems, Problem{File: file, Line: line, Msg: fmt.Sprintf(format, args...)})
}

// readYAML parses one YAML file into a node tree.
func (l *loader) readYAML(fsys fs.FS, name string) (*yaml.Node, bool) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			l.add(name, 0, "file is missing")
		} else {
			l.add(name, 0, "cannot read: %v", err)
		}
		return nil, false
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		l.add(name, yamlErrLine(err), "not valid YAML: %v", err)
		return nil, false
	}
	if len(doc.Content) == 0 {
		l.add(name, 0, "file is empty")
		return nil, false
	}
	return doc.Content[0], true
}

// decode decodes a node into v, reporting a problem at the node's line.
func (l *loader) decode(file string, n *yaml.Node, v any) bool {
	if err := n.Decode(v); err != nil {
		l.add(file, n.Line, "%v", err)
		return false
	}
	return true
}

// yamlErrLine digs the line number out of a yaml.v3 error ("yaml: line 7: ...").
func yamlErrLine(err error) int {
	var line int
	s := err.Error()
	if i := strings.Index(s, "line "); i >= 0 {
		fmt.Sscanf(s[i+5:], "%d", &line)
	}
	return line
}

// mapping returns the value nodes of a YAML mapping by key, with a problem for
// anything that is not a mapping.
func (l *loader) mapping(file string, n *yaml.Node) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		l.add(file, n.Line, "expected a mapping of keys to values")
		return nil
	}
	m := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if _, dup := m[k.Value]; dup {
			l.add(file, k.Line, "key %q appears twice", k.Value)
		}
		m[k.Value] = n.Content[i+1]
	}
	return m
}

// messages reads messages.yaml: key → text.
func (l *loader) messages(fsys fs.FS) map[string]string {
	root, ok := l.readYAML(fsys, MessagesFile)
	if !ok {
		return nil
	}
	nodes := l.mapping(MessagesFile, root)
	out := make(map[string]string, len(nodes))
	for k, v := range nodes {
		var s string
		if l.decode(MessagesFile, v, &s) {
			if strings.TrimSpace(s) == "" {
				l.add(MessagesFile, v.Line, "message %q is empty", k)
			}
			out[k] = strings.TrimSpace(s)
			if strings.HasPrefix(k, "button_") && len([]rune(out[k])) > bot.MaxLabelLen {
				l.add(MessagesFile, v.Line, "button label %q is over %d characters", k, bot.MaxLabelLen)
			}
		}
	}
	for _, k := range bot.MessageKeys {
		if _, ok := nodes[k]; !ok {
			l.add(MessagesFile, root.Line, "message %q is missing: add a line `%s: ...`", k, k)
		}
	}
	return out
}

// synonyms reads synonyms.yaml: a list of groups of words that mean the same.
func (l *loader) synonyms(fsys fs.FS) [][]string {
	root, ok := l.readYAML(fsys, SynonymsFile)
	if !ok {
		return nil
	}
	if root.Kind != yaml.SequenceNode {
		l.add(SynonymsFile, root.Line, "expected a list of groups, each like `- [therapist, counsellor]`")
		return nil
	}
	var out [][]string
	for _, g := range root.Content {
		var words []string
		if !l.decode(SynonymsFile, g, &words) {
			continue
		}
		if len(words) < 2 {
			l.add(SynonymsFile, g.Line, "a synonym group needs at least two words")
			continue
		}
		for _, w := range words {
			if strings.TrimSpace(w) == "" {
				l.add(SynonymsFile, g.Line, "empty word in a synonym group")
			}
		}
		out = append(out, words)
	}
	return out
}

// frontMatter is the YAML at the top of a topic file.
type frontMatter struct {
	ID        string   `yaml:"id"`
	Title     string   `yaml:"title"`
	Questions []string `yaml:"questions"`
	Keywords  []string `yaml:"keywords"`
	Related   []string `yaml:"related"`
	Sources   []struct {
		Article string `yaml:"article"`
		Section string `yaml:"section"`
	} `yaml:"sources"`
}

// topics reads every topics/*.md file.
func (l *loader) topics(fsys fs.FS) []bot.Topic {
	names, err := fs.Glob(fsys, path.Join(TopicsDir, "*.md"))
	if err != nil || len(names) == 0 {
		l.add(TopicsDir, 0, "no topic files (topics/*.md)")
		return nil
	}
	var out []bot.Topic
	for _, name := range names {
		if t, ok := l.topic(fsys, name); ok {
			out = append(out, t)
		}
	}
	return out
}

// topic reads one topic file: "---", YAML, "---", then the answer.
func (l *loader) topic(fsys fs.FS, name string) (bot.Topic, bool) {
	data, err := fs.ReadFile(fsys, name)
	if err != nil {
		l.add(name, 0, "cannot read: %v", err)
		return bot.Topic{}, false
	}
	data = bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n"))
	text := string(data)
	if !strings.HasPrefix(text, "---\n") {
		l.add(name, 1, "bad front matter: the file must start with a line `---`, then the YAML fields, then `---`")
		return bot.Topic{}, false
	}
	end := strings.Index(text[4:], "\n---\n")
	if end < 0 {
		l.add(name, 1, "bad front matter: no closing `---` line after the YAML fields")
		return bot.Topic{}, false
	}
	yamlText := text[4 : 4+end+1]
	body := text[4+end+5:]
	bodyLine := strings.Count(text[:4+end+5], "\n") + 1

	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(yamlText), &doc); err != nil {
		l.add(name, yamlErrLine(err)+1, "bad front matter: %v", err)
		return bot.Topic{}, false
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		l.add(name, 2, "bad front matter: expected fields like `id: leadership`")
		return bot.Topic{}, false
	}
	root := doc.Content[0]
	var fm frontMatter
	if err := root.Decode(&fm); err != nil {
		l.add(name, yamlErrLine(err)+1, "bad front matter: %v", err)
		return bot.Topic{}, false
	}
	// Front matter lines are counted from the line after the opening "---".
	fields := l.mapping(name, root)
	lineOf := func(key string) int {
		if n, ok := fields[key]; ok {
			return n.Line + 1
		}
		return 2
	}
	if l.fieldLine == nil {
		l.fieldLine = map[[2]string]int{}
	}
	for _, f := range []string{"id", "related"} {
		l.fieldLine[[2]string{name, f}] = lineOf(f)
	}
	l.fieldLine[[2]string{name, "answer"}] = bodyLine
	known := map[string]bool{"id": true, "title": true, "questions": true, "keywords": true, "related": true, "sources": true}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if k := root.Content[i]; !known[k.Value] {
			l.add(name, k.Line+1, "unknown field %q (known: id, title, questions, keywords, related, sources)", k.Value)
		}
	}
	t := bot.Topic{
		ID:        strings.TrimSpace(fm.ID),
		Title:     strings.TrimSpace(fm.Title),
		Questions: fm.Questions,
		Keywords:  fm.Keywords,
		Related:   fm.Related,
		Answer:    strings.TrimSpace(body),
		File:      name,
	}
	for _, s := range fm.Sources {
		t.Sources = append(t.Sources, bot.Source{Article: s.Article, Section: s.Section})
	}
	if t.ID == "" {
		l.add(name, lineOf("id"), "id is missing or empty")
	} else if want := strings.TrimSuffix(path.Base(name), ".md"); t.ID != want {
		l.add(name, lineOf("id"), "id %q does not match the file name: rename the file to %s.md or fix the id", t.ID, t.ID)
	}
	if t.Title == "" {
		l.add(name, lineOf("title"), "title is missing or empty")
	} else if len([]rune(t.Title)) > bot.MaxLabelLen {
		l.add(name, lineOf("title"), "title is %d characters; buttons allow %d", len([]rune(t.Title)), bot.MaxLabelLen)
	}
	if len(t.Questions) < MinQuestions {
		l.add(name, lineOf("questions"), "questions has %d example questions; write at least %d, as people really type them", len(t.Questions), MinQuestions)
	}
	if qs, ok := fields["questions"]; ok {
		for _, q := range qs.Content {
			if l.qLine == nil {
				l.qLine = map[[2]string]int{}
			}
			l.qLine[[2]string{name, q.Value}] = q.Line + 1
			if strings.TrimSpace(q.Value) == "" {
				l.add(name, q.Line+1, "empty question")
			}
		}
	}
	if kws, ok := fields["keywords"]; ok {
		for _, k := range kws.Content {
			if strings.TrimSpace(k.Value) == "" {
				l.add(name, k.Line+1, "empty keyword")
			}
		}
	}
	if t.Answer == "" {
		l.add(name, bodyLine, "the answer (the text after the closing `---`) is empty")
	}
	return t, true
}

// Limits a curator's text must keep.
const (
	// MinQuestions is how many example questions each topic needs, so the
	// matcher learns the many ways people ask.
	MinQuestions = 8
	// MinAnswerWords and MaxAnswerWords keep answers readable in a chat.
	MinAnswerWords = 60
	MaxAnswerWords = 200
	// MaxRenderedLen is the longest rendered answer: one Discord message.
	MaxRenderedLen = 2000
)

// RequiredTopics are the topic ids every knowledge base must have (see
// shared/knowledge/TOPICS.md): reports, evaluation sets and stats rely on them.
var RequiredTopics = []string{
	"difference", "purpose", "leadership", "structure", "open-closed",
	"confidentiality", "membership", "techniques", "topics", "dynamics",
	"duration", "relational-healing", "gender-groups", "online", "cost",
	"finding", "both", "first-meeting", "individual-therapy", "privacy",
}

// checkTopics checks what spans topics: required and duplicate ids, duplicate
// questions, related links, answer lengths.
func (l *loader) checkTopics(k bot.Knowledge) {
	byID := map[string]string{}
	seenQ := map[string]string{}
	for _, t := range k.Topics {
		if t.ID == "" {
			continue
		}
		if other, dup := byID[t.ID]; dup {
			l.add(t.File, l.fieldLine[[2]string{t.File, "id"}], "duplicate id %q: also used by %s", t.ID, other)
		}
		byID[t.ID] = t.File
		for _, q := range t.Questions {
			key := strings.ToLower(strings.Join(strings.Fields(q), " "))
			if key == "" {
				continue
			}
			if other, dup := seenQ[key]; dup && other != t.File {
				l.add(t.File, l.qLine[[2]string{t.File, q}], "duplicate question %q: also in %s", q, other)
			} else if dup {
				l.add(t.File, l.qLine[[2]string{t.File, q}], "question %q appears twice", q)
			}
			seenQ[key] = t.File
		}
	}
	for _, id := range RequiredTopics {
		if _, ok := byID[id]; !ok {
			l.add(TopicsDir, 0, "required topic %q is missing: add %s/%s.md", id, TopicsDir, id)
		}
	}
	for _, t := range k.Topics {
		for _, r := range t.Related {
			if _, ok := byID[r]; !ok {
				l.add(t.File, l.fieldLine[[2]string{t.File, "related"}], "related topic %q does not exist (related links must name a topic id)", r)
			} else if r == t.ID {
				l.add(t.File, l.fieldLine[[2]string{t.File, "related"}], "related lists the topic itself")
			}
		}
		if t.Answer == "" {
			continue
		}
		rendered := bot.Plain(t.Answer + "\n\n" + k.Messages["disclaimer"])
		if n := len([]rune(rendered)); n > MaxRenderedLen {
			l.add(t.File, l.fieldLine[[2]string{t.File, "answer"}], "answer is %d characters once rendered; one Discord message holds %d: shorten it", n, MaxRenderedLen)
		}
		words := len(strings.Fields(bot.Plain(t.Answer)))
		if words < MinAnswerWords || words > MaxAnswerWords {
			l.add(t.File, l.fieldLine[[2]string{t.File, "answer"}], "answer has %d words; keep it between %d and %d", words, MinAnswerWords, MaxAnswerWords)
		}
	}
}

//go:generate go run ./train
