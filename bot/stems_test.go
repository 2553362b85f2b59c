package bot

import (
	"os"
	"testing"
)

// TestStemTableIsStem holds the table `go generate` wrote to the stemmer: it is
// a cache, and a cache that disagrees with what it caches changes answers.
func TestStemTableIsStem(t *testing.T) {
	data, err := os.ReadFile("../knowledge/models/stems.txt")
	if err != nil {
		t.Fatal(err)
	}
	stems, err := ParseStems(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(stems) < 5000 {
		t.Fatalf("only %d words: the table should hold every word of the examples", len(stems))
	}
	for w, s := range stems {
		if want := stem(w); s != want {
			t.Errorf("the table stems %q as %q, the stemmer as %q", w, s, want)
		}
	}
}

func TestParseStems(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want map[string]string
		bad  bool
	}{
		{in: "", want: map[string]string{}},
		{in: "groups group\nrun\n", want: map[string]string{"groups": "group", "run": "run"}},
		{in: "groups group\n\nrun\n", bad: true},
		{in: "a b c\n", bad: true},
		{in: "groups \n", bad: true},
	} {
		got, err := ParseStems([]byte(tc.in))
		if tc.bad {
			if err == nil {
				t.Errorf("ParseStems(%q) gave no error", tc.in)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("ParseStems(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
			continue
		}
		for w, s := range tc.want {
			if got[w] != s {
				t.Errorf("ParseStems(%q)[%q] = %q, want %q", tc.in, w, got[w], s)
			}
		}
	}
}
