package knowledge

import (
	"errors"
	"io/fs"
	"regexp"
	"strings"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/textnorm"
	"go.yaml.in/yaml/v3"
)

// LanguagesFile lists the languages the bot recognises in a message (see
// [bot.Language]). It is optional: without it, the fallback has no note in
// another language.
const LanguagesFile = "languages.yaml"

// minListedWords is the fewest words a language may list: with fewer, a
// message in it seldom has two of them.
const minListedWords = 10

var languageCode = regexp.MustCompile(`^[a-z]{2,3}$`)

// languages reads languages.yaml: language code → its words and its note.
func (l *loader) languages(fsys fs.FS) []bot.Language {
	if _, err := fs.Stat(fsys, LanguagesFile); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	root, ok := l.readYAML(fsys, LanguagesFile)
	if !ok {
		return nil
	}
	if root.Kind != yaml.MappingNode {
		l.add(LanguagesFile, root.Line, "expected a mapping of language codes, each with `words` and `note`")
		return nil
	}
	var out []bot.Language
	answered := 0
	seen := map[string]bool{}
	for i := 0; i+1 < len(root.Content); i += 2 {
		key, val := root.Content[i], root.Content[i+1]
		code := key.Value
		if !languageCode.MatchString(code) {
			l.add(LanguagesFile, key.Line, "%q is not a language code (two or three lower-case letters, like es)", code)
			continue
		}
		if seen[code] {
			l.add(LanguagesFile, key.Line, "language %q appears twice", code)
			continue
		}
		seen[code] = true
		var v struct {
			Words []string `yaml:"words"`
			Note  string   `yaml:"note"`
		}
		if !l.decode(LanguagesFile, val, &v) {
			continue
		}
		lang := bot.Language{Code: code, Note: strings.TrimSpace(v.Note)}
		if lang.Note == "" {
			answered++
		}
		if len(v.Words) < minListedWords {
			l.add(LanguagesFile, val.Line, "language %q lists %d words: it needs at least %d", code, len(v.Words), minListedWords)
		}
		words := map[string]bool{}
		for _, w := range v.Words {
			n := textnorm.Normalize(w)
			switch {
			case n == "" || strings.Contains(n, " "):
				l.add(LanguagesFile, val.Line, "language %q: %q is not one word", code, w)
				continue
			case n != w:
				l.add(LanguagesFile, val.Line, "language %q: write %q as the bot reads it: %q", code, w, n)
				continue
			case words[w]:
				l.add(LanguagesFile, val.Line, "language %q lists %q twice", code, w)
				continue
			}
			words[w] = true
			lang.Words = append(lang.Words, w)
		}
		out = append(out, lang)
	}
	if answered != 1 {
		l.add(LanguagesFile, root.Line, "exactly one language must have no note (the one the bot answers in); %d have none", answered)
	}
	if len(out) > bot.MaxLanguages {
		l.add(LanguagesFile, root.Line, "%d languages: at most %d", len(out), bot.MaxLanguages)
	}
	return out
}
