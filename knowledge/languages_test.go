package knowledge

import (
	"strings"
	"testing"
)

const tenWords = "[uno, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, diez]"

// TestLanguagesProblems: kb check tells a curator what is wrong in
// languages.yaml, at the line.
func TestLanguagesProblems(t *testing.T) {
	answered := "en:\n  words: [the, and, is, are, was, what, how, who, why, where]\n"
	tests := []struct {
		name, file, want string
	}{
		{"code", answered + "Spanish:\n  words: " + tenWords + "\n  note: Hola.\n", `"Spanish" is not a language code`},
		{"twice", answered + "es:\n  words: " + tenWords + "\n  note: Hola.\nes:\n  words: " + tenWords + "\n  note: Hola.\n", `language "es" appears twice`},
		{"few words", answered + "es:\n  words: [que, el]\n  note: Hola.\n", `lists 2 words: it needs at least 10`},
		{"accent", answered + "es:\n  words: [qué, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, diez]\n  note: Hola.\n", `write "qué" as the bot reads it: "que"`},
		{"two words", answered + "es:\n  words: [por que, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, diez]\n  note: Hola.\n", `"por que" is not one word`},
		{"listed twice", answered + "es:\n  words: [dos, dos, tres, cuatro, cinco, seis, siete, ocho, nueve, diez]\n  note: Hola.\n", `lists "dos" twice`},
		{"no answered language", "es:\n  words: " + tenWords + "\n  note: Hola.\n", `exactly one language must have no note`},
		{"two answered", answered + "es:\n  words: " + tenWords + "\n", `2 have none`},
		{"not a mapping", "- es\n", `expected a mapping of language codes`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ps := Check(withFile(t, LanguagesFile, tc.file))
			found := false
			for _, p := range ps {
				if p.File == LanguagesFile && strings.Contains(p.Msg, tc.want) && p.Line > 0 {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %v, want one in %s saying %q with its line", ps, LanguagesFile, tc.want)
			}
		})
	}
}

// TestLanguagesOptional: a knowledge base without languages.yaml loads, with
// no languages; the built-in one lists English, which the bot answers in,
// first among its languages without a note.
func TestLanguagesOptional(t *testing.T) {
	m := withFile(t, LanguagesFile, "")
	delete(m, LanguagesFile)
	k, err := Load(m)
	if err != nil {
		t.Fatal(err)
	}
	if k.Languages != nil {
		t.Errorf("languages without the file: %v", k.Languages)
	}
	k, err = Load(Embedded())
	if err != nil {
		t.Fatal(err)
	}
	var answered []string
	for _, l := range k.Languages {
		if l.Note == "" {
			answered = append(answered, l.Code)
		}
	}
	if len(answered) != 1 || answered[0] != "en" || len(k.Languages) < 2 {
		t.Errorf("languages %d, answered in %v: want English alone and others", len(k.Languages), answered)
	}
}
