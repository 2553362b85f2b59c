package bot

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/supportbot/supportbot/bot/textnorm"
)

// Language is a language the bot recognises in a message. It answers in one
// of them only (the one without a note); a message it cannot answer that
// reads as another gets that language's note before the fallback, so a
// person learns in their own words why the bot did not understand and where
// to turn if they are in danger.
type Language struct {
	Code string
	// Words are common words that mark the language, normalised: a message
	// reads as the language when at least minLanguageWords of its words
	// (each counted once) are the language's, more than of any other.
	Words []string
	// Note is said before the fallback (markup as in the messages); empty for
	// the language the bot answers in.
	Note string
}

// minLanguageWords is how many of a language's words a message needs to read
// as that language: one ("hola", "ciao") is as often a word borrowed into
// an English message.
const minLanguageWords = 2

// MaxLanguages bounds the languages a knowledge base may list: a word's
// languages are bits of a uint32.
const MaxLanguages = 32

// languages tells which of the knowledge base's languages a message reads as.
type languages struct {
	list  []Language
	marks map[string]uint32 // word → a bit for each language that has it
}

func newLanguages(list []Language) (*languages, error) {
	if len(list) > MaxLanguages {
		return nil, fmt.Errorf("%d languages, at most %d", len(list), MaxLanguages)
	}
	ls := &languages{list: list, marks: map[string]uint32{}}
	for i, l := range list {
		for _, w := range l.Words {
			if n := textnorm.Normalize(w); n != w || strings.Contains(w, " ") || w == "" {
				return nil, fmt.Errorf("language %s: word %q is not one word as the bot reads it (%q)", l.Code, w, n)
			}
			ls.marks[w] |= 1 << i
		}
	}
	return ls, nil
}

// note returns the note for a message (normalised) that reads as a language
// the bot does not answer in, or "". A tie between languages says nothing:
// "o que e" is Portuguese and Spanish alike.
func (ls *languages) note(norm string) string {
	if ls == nil || len(ls.list) == 0 {
		return ""
	}
	var counts [MaxLanguages]int
	// Each word counts once: "sie ... sie" in Polish, "hai ... hai" in
	// Hindi are one German and one Italian word, not two.
	seen := map[string]bool{}
	for w := range strings.FieldsSeq(norm) {
		m := ls.marks[w]
		if m == 0 || seen[w] {
			continue
		}
		seen[w] = true
		for ; m != 0; m &= m - 1 {
			counts[bits.TrailingZeros32(m)]++
		}
	}
	best, tie := 0, false
	for i := 1; i < len(ls.list); i++ {
		switch {
		case counts[i] > counts[best]:
			best, tie = i, false
		case counts[i] == counts[best]:
			tie = true
		}
	}
	if tie || counts[best] < minLanguageWords {
		return ""
	}
	return ls.list[best].Note
}
