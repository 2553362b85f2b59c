package bot

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/supportbot/supportbot/bot/textnorm"
)

// StemTable lists the stem of every word of the knowledge base and of the
// intent examples, one "word stem" line each (the word alone when it is its
// own stem), sorted. `go generate` writes it beside the models, so that most
// words of a message are looked up instead of stemmed: stemming was the
// costliest step of reading a long message, and the words people write are
// mostly words the examples' many voices wrote too. It is a cache of [stem]
// and nothing more: a word it lacks is stemmed as before.
func StemTable(k Knowledge, examples []IntentExample) []byte {
	seen := map[string]bool{}
	add := func(text string) {
		for _, w := range textnorm.Words(nil, textnorm.Normalize(textnorm.Sanitize(text))) {
			if len(w) <= maxStemmed {
				seen[w] = true
			}
		}
	}
	for _, e := range examples {
		add(e.Text)
	}
	for _, t := range k.Topics {
		add(t.Title)
		for _, s := range t.Keywords {
			add(s)
		}
		for _, s := range t.Questions {
			add(s)
		}
	}
	for _, g := range k.Synonyms {
		for _, s := range g {
			add(s)
		}
	}
	for w := range stopWords {
		seen[w] = true
	}
	var b bytes.Buffer
	for _, w := range slices.Sorted(maps.Keys(seen)) {
		b.WriteString(w)
		if s := stem(w); s != w {
			b.WriteByte(' ')
			b.WriteString(s)
		}
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// ParseStems reads a [StemTable].
func ParseStems(data []byte) (map[string]string, error) {
	text := string(data) // one copy: the map's strings share it
	stems := make(map[string]string, strings.Count(text, "\n"))
	for n := 1; text != ""; n++ {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		w, s, two := strings.Cut(line, " ")
		if !two {
			s = w
		}
		if w == "" || s == "" || strings.Contains(s, " ") {
			return nil, fmt.Errorf("line %d: want a word and its stem, got %q", n, line)
		}
		stems[w] = s
	}
	return stems, nil
}

// maxStemmed is the longest word worth stemming: no word of ours is longer.
const maxStemmed = 30
