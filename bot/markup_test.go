package bot

import (
	"reflect"
	"testing"
)

func TestParseMarkup(t *testing.T) {
	got := ParseMarkup("Hello **world**\n\n- see [the site](https://example.org) now\n- a ** lone")
	want := []Line{
		{Spans: []Span{{Text: "Hello "}, {Text: "world", Bold: true}}},
		{},
		{Bullet: true, Spans: []Span{{Text: "see "}, {Text: "the site", URL: "https://example.org"}, {Text: " now"}}},
		{Bullet: true, Spans: []Span{{Text: "a ** lone"}}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseMarkup:\ngot  %#v\nwant %#v", got, want)
	}
}

func TestPlain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"**Bold** text", "Bold text"},
		{"- one\n- two", "• one\n• two"},
		{"[988lifeline.org](https://988lifeline.org)", "https://988lifeline.org"},
		{"[the lifeline](https://988lifeline.org)", "the lifeline (https://988lifeline.org)"},
		{"[not a link](javascript:alert(1))", "[not a link](javascript:alert(1))"},
	}
	for _, tc := range tests {
		if got := Plain(tc.in); got != tc.want {
			t.Errorf("Plain(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
