package phrase

import (
	"strings"
	"testing"
)

func TestPhrase(t *testing.T) {
	tests := []struct {
		pattern, text string
		want          bool
	}{
		{"want|wanna ~2 die", "i want to die", true},
		{"want|wanna ~2 die", "i wanna die", true},
		{"want|wanna ~2 die", "i want to go and die", false}, // three words between: beyond the gap
		{"suicid*", "suicidal thoughts", true},
		{"kill myself", "kill time", false},
		{"end it all", "end it", false},
	}
	for _, tc := range tests {
		ps := MustSet(tc.pattern)
		if got := ps.Matches(strings.Fields(tc.text)); got != tc.want {
			t.Errorf("%q matches %q = %v, want %v", tc.pattern, tc.text, got, tc.want)
		}
	}
}

func TestCompilePhraseErrors(t *testing.T) {
	for _, bad := range []string{"", "~2 word", "word ~x other", "word ~2", "a||b"} {
		if _, err := Compile(bad); err == nil {
			t.Errorf("Compile(%q) = nil error, want one", bad)
		}
	}
}
