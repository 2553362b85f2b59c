package bot_test

import (
	"slices"
	"strings"
	"sync"
	"testing"
)

// TestIntentCharSumsExact holds the classifier's reading of a message, with
// the character n-grams of known words summed ahead, to its reading with
// every n-gram listed, as the model was trained: the same probabilities, to
// the last bit. The story's prefixes cut it at every kind of place (inside a
// word, at a space, past the classifier's 1,000 bytes).
func TestIntentCharSumsExact(t *testing.T) {
	b := newBot(t)
	story := longStory(t)
	msgs := []string{
		"",
		"hi",
		"who runs a support group?",
		"who runs a suport grup? who runs it",
		"no no no no no no",
		"qué es un grupo de apoyo",
		strings.Repeat("a", 150) + " support group",
		"support " + strings.Repeat("b", 150),
		strings.Repeat("is it free ", 120),
	}
	for n := 1; n < 1300; n += 37 {
		msgs = append(msgs, story[:n])
	}
	msgs = append(msgs, story)
	summedAny := false
	for _, m := range msgs {
		summed, listed, n := b.IntentProbs(m)
		summedAny = summedAny || n > 0
		for c := range listed {
			if summed[c] != listed[c] {
				t.Errorf("%.40q…: class %d: %v summed ahead, %v listed", m, c, summed[c], listed[c])
				break
			}
		}
	}
	if !summedAny {
		t.Error("no message had a word's n-grams summed ahead: the test compares nothing")
	}
}

// TestIntentCharSumsConcurrent reads the story from many goroutines at once on
// a bot that has read nothing yet, so that they sum the same words' rows side
// by side: every reading is still exact (and the race detector, in CI, sees
// no row read while written).
func TestIntentCharSumsConcurrent(t *testing.T) {
	b := newBot(t)
	story := longStory(t)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Go(func() {
			for n := 200 + 97*g; n <= len(story); n += 401 {
				summed, listed, _ := b.IntentProbs(story[:n])
				if !slices.Equal(summed, listed) {
					t.Errorf("goroutine %d, %d bytes: %v summed ahead, %v listed", g, n, summed, listed)
					return
				}
			}
		})
	}
	wg.Wait()
}
