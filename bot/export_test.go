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
