package bot

import "strings"

type matcher struct{}

func newMatcher(topics []Topic, synonyms [][]string) *matcher { return &matcher{} }

func (b *Bot) matchReply(norm string, ev *Event) Reply { return b.fallback() }

func sanitize(s string) string { return s }

func normalize(s string) string { return strings.ToLower(s) }

func hasLetters(s string) bool { return strings.TrimSpace(s) != "" }

func smalltalk(norm string) (string, bool) { return "", false }

func wantsTriage(norm string) bool { return false }
