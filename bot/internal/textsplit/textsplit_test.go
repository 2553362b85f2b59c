package textsplit_test

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/supportbot/supportbot/bot/internal/textsplit"
)

func TestLen(t *testing.T) {
	cases := []struct {
		in   string
		want int
	}{
		{"", 0},
		{"abc", 3},
		{"é", 1},
		{"😀", 2}, // a surrogate pair
		{"\xff", 1},
	}
	for _, tc := range cases {
		if got := textsplit.Len(tc.in); got != tc.want {
			t.Errorf("Len(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}

func TestCut(t *testing.T) {
	cases := []struct {
		in         string
		room       int
		head, rest string
	}{
		{"hello world", 20, "hello world", ""},
		{"hello world", 8, "hello ", "world"},
		{"abcdefgh", 5, "abcde", "fgh"},
		{"a bcdefgh", 6, "a bcde", "fgh"}, // the space is in the first half: cut anywhere
		{"😀😀", 3, "😀", "😀"},
		{"😀", 1, "", "😀"},
	}
	for _, tc := range cases {
		head, rest := textsplit.Cut(tc.in, tc.room)
		if head != tc.head || rest != tc.rest {
			t.Errorf("Cut(%q, %d) = %q, %q; want %q, %q", tc.in, tc.room, head, rest, tc.head, tc.rest)
		}
	}
}

func TestLines(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want []string
	}{
		{"a\nb\nc", 3, []string{"a\nb", "c"}},
		{"abcdef", 4, []string{"abcd", "ef"}},
		{"", 4, nil},
		{"ab\n\ncd", 10, []string{"ab\n\ncd"}},
		{"😀x", 1, []string{"😀", "x"}}, // below one character's width
	}
	for _, tc := range cases {
		if got := textsplit.Lines(tc.in, tc.max); !slices.Equal(got, tc.want) {
			t.Errorf("Lines(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func FuzzLines(f *testing.F) {
	f.Add("word word\nline\n\n😀😀", 3)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 2 || max > 100 || !utf8.ValidString(s) {
			t.Skip()
		}
		parts := textsplit.Lines(s, max)
		for _, p := range parts {
			if n := textsplit.Len(p); n > max {
				t.Errorf("part %q has %d units, over %d", p, n, max)
			}
		}
		if got, want := strings.Join(strings.Fields(strings.Join(parts, " ")), ""), strings.Join(strings.Fields(s), ""); got != want {
			t.Errorf("Lines(%q, %d) lost text: %q", s, max, parts)
		}
	})
}
