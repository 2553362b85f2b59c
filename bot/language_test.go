package bot_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/knowledge"
)

// TestFallbackInTheirLanguage: a message the bot cannot answer, written in a
// language it recognises but does not answer in, gets that language's note
// before the fallback; English, a borrowed word or two, and a message that
// reads as two languages alike get the fallback alone. A crisis in any
// language still gets the crisis reply.
func TestFallbackInTheirLanguage(t *testing.T) {
	k, err := knowledge.Load(knowledge.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	b, err := bot.New(k)
	if err != nil {
		t.Fatal(err)
	}
	notes := map[string]string{}
	for _, l := range k.Languages {
		notes[l.Code] = l.Note
	}
	tests := []struct {
		text, lang string // lang "": the fallback without a note
		kind       bot.Kind
	}{
		{"hola, ¿me puedes explicar para qué sirve este bot?", "es", bot.KindFallback},
		{"est-ce que tu peux m'expliquer comment ça marche ici ?", "fr", bot.KindFallback},
		{"ich weiß nicht genau, was ich hier fragen soll", "de", bot.KindFallback},
		{"não sei bem o que você faz, pode me explicar?", "pt", bot.KindFallback},
		{"non ho capito bene che cosa fai, me lo spieghi?", "it", bot.KindFallback},
		{"what's the best pizza topping", "", bot.KindFallback},
		{"gracias amigo, how do i fix my bike", "", bot.KindFallback},
		{"sie sie sie sie", "", bot.KindFallback}, // one German word, said four times
		{"o que", "", bot.KindFallback},           // Spanish and Portuguese alike
		{"quiero morirme, ya no puedo más", "", bot.KindCrisis},
	}
	for i, tc := range tests {
		// A conversation each: a crisis reply adds a reminder to the next.
		m := msg(tc.text)
		m.Conversation = strconv.Itoa(i)
		r := b.Handle(context.Background(), m)
		if r.Kind != tc.kind {
			t.Errorf("%q: kind %s, want %s", tc.text, r.Kind, tc.kind)
			continue
		}
		for code, note := range notes {
			if note == "" {
				continue
			}
			if got := strings.Contains(r.Text, note); got != (code == tc.lang) {
				t.Errorf("%q: the %s note is there: %v, want %v\n%s", tc.text, code, got, !got, r.Text)
			}
		}
		if tc.kind == bot.KindFallback && !strings.HasSuffix(r.Text, k.Messages["fallback"]) {
			t.Errorf("%q: the reply does not end with the fallback:\n%s", tc.text, r.Text)
		}
	}
}

// TestLanguageWordsAsRead: a word the bot would never read as written is
// refused when the bot is built.
func TestLanguageWordsAsRead(t *testing.T) {
	k, err := knowledge.Load(knowledge.Embedded())
	if err != nil {
		t.Fatal(err)
	}
	k.Languages = append(k.Languages, bot.Language{Code: "xx", Words: []string{"Qué"}, Note: "x"})
	if _, err := bot.New(k); err == nil || !strings.Contains(err.Error(), `"Qué"`) {
		t.Errorf("bot.New with an unnormalised word: %v, want an error naming it", err)
	}
}
