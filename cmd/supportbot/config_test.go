package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestWebhookSecretOK checks the hand-written check against the regular
// expression it replaces, on the edges of its length and alphabet.
func TestWebhookSecretOK(t *testing.T) {
	re := regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
	tests := []struct {
		secret string
		want   bool
	}{
		{"", false},
		{"a", true},
		{"right_secret", true},
		{"s3cret-for-the-test", true},
		{"ABCXYZabcxyz0189_-", true},
		{strings.Repeat("x", 256), true},
		{strings.Repeat("x", 257), false},
		{strings.Repeat("é", 100), false}, // 200 bytes, none allowed
		{"has spaces", false},
		{"trailing\n", false},
		{"\nleading", false},
		{"dot.ted", false},
		{"slash/", false},
		{"colon:", false},
		{"plus+", false},
		{"equals=", false},
		{"at@", false},
		{"bracket[", false},
		{"backtick`", false},
		{"brace{", false},
		{"tilde~", false},
		{"nul\x00", false},
		{"del\x7f", false},
		{"\xff", false},
		{"ünïcode", false},
	}
	for _, tc := range tests {
		if got := webhookSecretOK(tc.secret); got != tc.want {
			t.Errorf("webhookSecretOK(%q) = %v, want %v", tc.secret, got, tc.want)
		}
		if re.MatchString(tc.secret) != tc.want {
			t.Errorf("the table is wrong: the regular expression says %v for %q", !tc.want, tc.secret)
		}
	}
	// Every single byte, as the only character.
	for c := range 256 {
		s := string([]byte{byte(c)})
		if got, want := webhookSecretOK(s), re.MatchString(s); got != want {
			t.Errorf("webhookSecretOK(%q) = %v, want %v (as the regular expression)", s, got, want)
		}
	}
}
