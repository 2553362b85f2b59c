package textnorm

import (
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/transform"
)

func TestNormalize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Who RUNS a support group?", "who runs a support group"},
		{"don't  can't   I'm", "dont cant im"},
		{"**bold** and _italics_ and `code`", "bold and italics and code"},
		{"see https://example.org/x?y=1 and www.example.com now", "see and now"},
		{"@everyone @here hi", "hi"},
		{"<@123456> <@!42> <#99> hey <:smile:123>", "hey"},
		{"<b>bold</b> <script>alert(1)</script>", "bold alert 1"},
		{"Café thérapie ÜBER", "cafe therapie uber"},
		// Letters NFKD keeps whole fold as people type them without.
		{"bütün hapları içtim", "butun haplari ictim"},
		{"Chciałbym ZNIKNĄĆ, Łukasz", "chcialbym zniknac lukasz"},
		{"Heiße Straße, Ærø, cœur", "heisse strasse aero coeur"},
		{"ｆｕｌｌ ｗｉｄｔｈ", "full width"},
		{"😀😀 !!!", ""},
		{"b/w support & therapy", "b w support therapy"},
	}
	for _, tc := range tests {
		if got := Normalize(Sanitize(tc.in)); got != tc.want {
			t.Errorf("Normalize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestSanitize(t *testing.T) {
	tests := []struct {
		name string
		in   string
	}{
		{"invalid utf-8", "hello \xff\xfe world"},
		{"control characters", "a\x00b\x07c\x1bd"},
		{"huge", strings.Repeat("é", MaxInput)},
		{"newlines", "line one\nline two\r\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Sanitize(tc.in)
			if !utf8.ValidString(got) {
				t.Errorf("Sanitize(%q) is not valid UTF-8", tc.in)
			}
			if len(got) > MaxInput {
				t.Errorf("sanitize gave %d bytes, want at most %d", len(got), MaxInput)
			}
			for _, r := range got {
				if r < 0x20 && r != ' ' && r != '\n' {
					t.Errorf("Sanitize(%q) kept control character %U", tc.in, r)
				}
			}
		})
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		max  int
		want int
	}{
		{"therapy", "therapy", 2, 0},
		{"therpy", "therapy", 2, 1},
		{"thearpy", "therapy", 2, 1}, // a transposition is one edit
		{"suport", "support", 1, 1},
		{"cat", "support", 2, 3}, // beyond max: max+1
	}
	for _, tc := range tests {
		if got := EditDistance(tc.a, tc.b, tc.max); got != tc.want {
			t.Errorf("EditDistance(%q, %q, %d) = %d, want %d", tc.a, tc.b, tc.max, got, tc.want)
		}
	}
}

// TestSanitizeASCII holds Sanitize's paths for ASCII, which read eight bytes
// at a time, to the rune mapping every other text takes.
func TestSanitizeASCII(t *testing.T) {
	byRunes := func(s string) string {
		return strings.Map(func(r rune) rune {
			switch {
			case r == '\n':
				return r
			case r == '\t' || r == '\r':
				return ' '
			case unicode.IsControl(r) || r == utf8.RuneError:
				return -1
			}
			return r
		}, strings.ToValidUTF8(s, " "))
	}
	rng := rand.New(rand.NewPCG(3, 4))
	for range 100000 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(0x80))
			switch rng.IntN(40) {
			case 0:
				b[i] = byte(0x80 + rng.IntN(0x80)) // beyond ASCII, and often invalid
			case 1, 2, 3, 4, 5, 6, 7, 8, 9, 10:
			default:
				b[i] = 'a' + byte(rng.IntN(26))
			}
		}
		if got, want := Sanitize(string(b)), byRunes(string(b)); got != want {
			t.Fatalf("Sanitize(%q) = %q, want %q", b, got, want)
		}
	}
}

// TestSanitizeKeepsLineBreaks: a message whose only control bytes are line
// breaks is its own sanitised form, handed back without a copy (a pasted
// letter of many paragraphs); one more control byte anywhere, and it is
// sanitised as before.
func TestSanitizeKeepsLineBreaks(t *testing.T) {
	for _, in := range []string{"\n", "a\n", "\nb", "line one\nline two\n\nline three, a bit longer than eight bytes\n"} {
		if got := Sanitize(in); got != in || unsafe.StringData(got) != unsafe.StringData(in) {
			t.Errorf("Sanitize(%q) = %q, a copy or changed", in, got)
		}
		for _, c := range []string{"\t", "\r", "\x00", "\x7f"} {
			for _, at := range []int{0, len(in) / 2, len(in)} {
				mixed := in[:at] + c + in[at:]
				want := strings.ReplaceAll(strings.ReplaceAll(mixed, "\t", " "), "\r", " ")
				want = strings.ReplaceAll(strings.ReplaceAll(want, "\x00", ""), "\x7f", "")
				if got := Sanitize(mixed); got != want {
					t.Errorf("Sanitize(%q) = %q, want %q", mixed, got, want)
				}
			}
		}
	}
}

// TestNormalizeAsByBytes holds Normalize, which looks for a URL only where
// one can begin, to the same loop testing every word that begins with "h",
// "w" or "@".
func TestNormalizeAsByBytes(t *testing.T) {
	parts := []string{"a", "b", "z", "h", "w", "H", "W", "@", "0", "9", " ", "  ", ".", "'", "`", "<", ">", "/", ":",
		"http://x.y", "HTTPS://A", "www.", "WwW.x", "hello", "wheel", "ht", "wt", "ww", "@here", "<b>", "<@12>", "é", "Ü", "ł", "’", "\u00a0", "日本", "don't", "Abc", "xyz123"}
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50000 {
		var b strings.Builder
		for range rng.IntN(12) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		s := Sanitize(b.String())
		if got, want := Normalize(s), normalizeByBytes(s); got != want {
			t.Fatalf("Normalize(%q) = %q, a byte at a time %q", s, got, want)
		}
	}
}

// normalizeByBytes is Normalize as it was before it tested a word's second
// byte for a URL.
func normalizeByBytes(s string) string {
	if !IsASCII(s) {
		if t, _, err := transform.String(foldAccents, s); err == nil {
			s = t
		}
	}
	b := make([]byte, 0, len(s))
	space := true
	i := 0
	for i < len(s) {
		c := s[i]
		if space && (c == 'h' || c == 'H' || c == 'w' || c == 'W' || c == '@') {
			if n := skipNonWord(s[i:]); n > 0 {
				i += n
				continue
			}
		}
		if c == '<' {
			if n := skipTag(s[i:]); n > 0 {
				i += n
				continue
			}
		}
		if c < utf8.RuneSelf {
			switch {
			case lowerOrDigit[c]:
				j := i + 1
				for j < len(s) && lowerOrDigit[s[j]] {
					j++
				}
				b = append(b, s[i:j]...)
				space = false
				i = j
				continue
			case 'A' <= c && c <= 'Z':
				b = append(b, c+'a'-'A')
				space = false
			case (c == '\'' || c == '`') && !space && i+1 < len(s) && isLetterAt(s, i+1):
			default:
				if !space {
					b = append(b, ' ')
					space = true
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b = appendFolded(b, unicode.ToLower(r))
			space = false
		case (r == '\'' || r == '’' || r == '`') && !space && i+size < len(s) && isLetterAt(s, i+size):
		default:
			if !space {
				b = append(b, ' ')
				space = true
			}
		}
		i += size
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return string(b)
}

// BenchmarkLong reads the 1,000-word story every long-message benchmark uses.
func BenchmarkLong(b *testing.B) {
	data, err := os.ReadFile("../testdata/long-story.txt")
	if err != nil {
		b.Fatal(err)
	}
	s := string(data)
	b.Run("Sanitize", func(b *testing.B) {
		for b.Loop() {
			Sanitize(s)
		}
	})
	clean := Sanitize(s)
	b.Run("Normalize", func(b *testing.B) {
		for b.Loop() {
			Normalize(clean)
		}
	})
	norm := Normalize(clean)
	var ws []string
	b.Run("Words", func(b *testing.B) {
		for b.Loop() {
			ws = Words(ws[:0], norm)
		}
	})
}

func TestWords(t *testing.T) {
	for _, tc := range []struct {
		norm string
		want []string
	}{
		{"", nil},
		{" ", nil},
		{"a", []string{"a"}},
		{"i want to talk", []string{"i", "want", "to", "talk"}},
		{"  two  spaces  ", []string{"two", "spaces"}},
		{"end ", []string{"end"}},
		{" start", []string{"start"}},
	} {
		got := Words([]string{"kept"}, tc.norm)
		if !slices.Equal(got, append([]string{"kept"}, tc.want...)) {
			t.Errorf("Words(%q) = %q, want %q after what dst held", tc.norm, got[1:], tc.want)
		}
	}
}

func TestFirstWords(t *testing.T) {
	for _, tc := range []struct {
		norm string
		n    int
		want string
	}{
		{"", 3, ""},
		{"one two three four", 2, "one two "},
		{"one two three", 3, "one two three"},
		{"one two three", 5, "one two three"},
		{"  one  two  three", 1, "  one  "},
		{"one", 0, ""},
	} {
		got := FirstWords(tc.norm, tc.n)
		if got != tc.want {
			t.Errorf("FirstWords(%q, %d) = %q, want %q", tc.norm, tc.n, got, tc.want)
		}
		if ws, all := Words(nil, got), Words(nil, tc.norm); !slices.Equal(ws, all[:min(tc.n, len(all))]) {
			t.Errorf("FirstWords(%q, %d) holds %q, not the first words of %q", tc.norm, tc.n, ws, all)
		}
	}
}

func TestNormalizeSentences(t *testing.T) {
	// starts are the words that begin a sentence, as Words numbers them.
	tests := []struct {
		in     string
		starts []int
	}{
		{"I don't. I want to die", []int{2}},
		{"Hi! How are you? ok\nbye", []int{1, 4, 5}},
		{"it costs 3.50 a week", nil},
		{"i wanna s.h again. sorry", []int{5}},
		{"I don't.I want to die", []int{2}},
		{"I don’t.I want to die", []int{2}},
		{"i dont know... i want to die", []int{3}},
		{"end.", nil},
		{"... hello", nil},
		{"see https://example.com/a.b now. then go", []int{2}}, // the link is no word
		{"你好。再见", []int{1}},
		{"", nil},
	}
	for _, tc := range tests {
		norm, ends := NormalizeSentences(Sanitize(tc.in), nil)
		if norm != Normalize(Sanitize(tc.in)) {
			t.Errorf("NormalizeSentences(%q) = %q, Normalize gives %q", tc.in, norm, Normalize(Sanitize(tc.in)))
		}
		var starts []int
		off := 0
		for i, w := range Words(nil, norm) {
			if slices.Contains(ends, int32(off-1)) {
				starts = append(starts, i)
			}
			off += len(w) + 1
		}
		if !slices.Equal(starts, tc.starts) {
			t.Errorf("NormalizeSentences(%q): sentences start at words %v (ends %v), want %v", tc.in, starts, ends, tc.starts)
		}
	}
}

// TestIsASCII: a byte of 0x80 or more anywhere, in a word of eight or in the
// tail after the last one, makes text not ASCII.
func TestIsASCII(t *testing.T) {
	for n := range 20 {
		s := []byte(strings.Repeat("a", n))
		if !IsASCII(string(s)) {
			t.Errorf("%d plain bytes: not ASCII", n)
		}
		for i := range n {
			for _, c := range []byte{0x80, 0xc3, 0xff} {
				b := slices.Clone(s)
				b[i] = c
				if IsASCII(string(b)) {
					t.Errorf("byte %#x at %d of %d: ASCII", c, i, n)
				}
			}
		}
	}
}

// TestWordsBySpaces: Words, eight bytes at a time, splits as a byte loop
// does, wherever the spaces fall against the words of eight, with spaces
// doubled or at either end (normalised text has none, but Words must not
// care), and beside bytes one off a space ('!', 0x1f) and past ASCII.
func TestWordsBySpaces(t *testing.T) {
	oracle := func(s string) []string {
		var out []string
		for _, w := range strings.Split(s, " ") {
			if w != "" {
				out = append(out, w)
			}
		}
		return out
	}
	alphabet := []string{"a", "b", " ", " ", "!", "\x1f", "\xa0", "é", "0"}
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 2000 {
		var b strings.Builder
		for range n % 40 {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := b.String()
		if got, want := Words(nil, s), oracle(s); !slices.Equal(got, want) {
			t.Fatalf("Words(%q) = %q, want %q", s, got, want)
		}
	}
}
