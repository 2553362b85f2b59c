package bot

import "github.com/supportbot/supportbot/bot/textnorm"

// MatchTopic exposes the matcher alone to the external tests and benchmarks,
// which need the embedded knowledge base (package knowledge imports bot, so only
// an external test package can load it).
func (b *Bot) MatchTopic(text string) (topic string, confidence float64) {
	first, _, c1, _ := b.matcher.lookup(textnorm.Normalize(textnorm.Sanitize(text)))
	if first.topic == nil {
		return "", 0
	}
	return first.topic.ID, c1
}

// IntentProbs returns the classifier's probabilities for text two ways: with
// the character n-grams of the words it knows summed ahead, as replies are
// made, and with every feature listed, as in training; and how many n-grams
// were summed ahead.
func (b *Bot) IntentProbs(text string) (summed, listed []float64, n int) {
	in := b.intents
	norm := textnorm.Normalize(textnorm.Sanitize(text))
	sc := in.pool.Get().(*intentScratch)
	defer in.pool.Put(sc)
	b.predict(sc, norm, &in.chars)
	summed, n = append(summed, sc.probs...), sc.n
	b.predict(sc, norm, nil)
	listed = append(listed, sc.probs...)
	return summed, listed, n
}
