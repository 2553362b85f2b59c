// Package textnorm turns what people type into what the matchers read: valid,
// bounded UTF-8 ([Sanitize]), then lower-case words with accents, markup, URLs
// and mentions removed ([Normalize]).
package textnorm

import (
	"math/bits"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// MaxInput is how many bytes of a message the core reads. Longer messages are
// truncated, not rejected: a person who pastes a whole diary still gets an
// answer, and the matcher's work stays bounded.
const MaxInput = 16 << 10

// Sanitize makes arbitrary input safe to work with: valid UTF-8, no control
// characters but line breaks, at most MaxInput bytes (cut at a rune
// boundary). A line break is kept as "\n" ("\r\n" as " \n"), for it often
// ends a sentence in chat where no full stop does ("hi\nwhat does a group
// cost"); tabs and carriage returns become spaces. [Normalize] reads a line
// break as a space.
func Sanitize(s string) string {
	if len(s) > MaxInput {
		cut := MaxInput
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	i := plainUntil(s, 0)
	if i == len(s) {
		return s
	}
	if IsASCII(s[i:]) {
		// Most messages with a control byte are ASCII with line breaks,
		// which are kept: such a message is its own sanitised form, and a
		// pasted letter of many paragraphs is not copied.
		j := i
		for j < len(s) && s[j] == '\n' {
			j = plainUntil(s, j+1)
		}
		if j == len(s) {
			return s
		}
		// Others: the same as the rune mapping below, copying the runs
		// between control bytes whole.
		var b strings.Builder
		b.Grow(len(s))
		start := 0
		for i < len(s) {
			b.WriteString(s[start:i])
			switch s[i] {
			case '\n':
				b.WriteByte('\n')
			case '\t', '\r':
				b.WriteByte(' ')
			}
			start = i + 1
			i = plainUntil(s, start)
		}
		b.WriteString(s[start:])
		return b.String()
	}
	s = strings.ToValidUTF8(s, " ")
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
	}, s)
}

// plainUntil returns the index of the first byte of s from i on that is not
// printable ASCII (a control byte, DEL or a byte beyond ASCII), or len(s). It
// tests eight bytes at a time, as in "Bit Twiddling Hacks": a long message is
// mostly printable ASCII.
func plainUntil(s string, i int) int {
	const ones, high = 0x0101010101010101, 0x8080808080808080
	for ; i+8 <= len(s); i += 8 {
		x := word64(s, i)
		below := (x - 0x20*ones) &^ x // a byte under 0x20 sets its high bit
		del := x ^ 0x7f*ones          // a DEL byte becomes zero...
		del = (del - ones) &^ del     // ...and sets its high bit
		if (x|below|del)&high != 0 {
			break
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			return i
		}
	}
	return i
}

// word64 is s[i:i+8] as a little-endian word.
func word64(s string, i int) uint64 {
	return uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
		uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
}

// foldAccents turns "café" into "cafe" and full-width or stylised letters into
// plain ones (NFKD, then drop the combining marks).
var foldAccents = transform.Chain(norm.NFKD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// foldLetters are the Latin letters NFKD leaves whole, written as people type
// them without the letter: Turkish "hapları" typed "haplari", Polish
// "chciałbym" typed "chcialbym", German "heiße" typed "heisse". Without the fold,
// a message that mixes both ways of writing ("bütün hapları" folds to "butun"
// but kept "ı") matches neither the lexicon's plain nor its native spelling.
var foldLetters = map[rune]string{
	'ı': "i", 'ł': "l", 'ø': "o", 'đ': "d", 'ð': "d", 'ħ': "h", 'ŧ': "t",
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'þ': "th", 'ŀ': "l",
}

// foldBelow is past every letter of foldLetters (Latin-1 and Latin
// Extended-A), so Cyrillic, Arabic or Chinese text skips the map.
const foldBelow = 0x180

// appendFolded appends the lower-case letter r, folded by foldLetters.
func appendFolded(b []byte, r rune) []byte {
	if r < foldBelow {
		if f, ok := foldLetters[r]; ok {
			return append(b, f...)
		}
	}
	return utf8.AppendRune(b, r)
}

// Normalize turns sanitised text into what the matchers read: lower-case words
// separated by single spaces, with accents folded, apostrophes dropped inside
// words ("don't" → "dont"), and URLs, mentions, markup and HTML tags removed.
func Normalize(s string) string {
	norm, _ := normalize(s, nil, false)
	return norm
}

// NormalizeSentences is [Normalize], and appends to ends the byte offset in
// the result of the end of each sentence's last word: where a full stop, "!",
// "?", "。", "！", "？" or a line break followed it. A full stop between
// digits ("3.5") or inside a shortened word ("s.h") ends nothing. The
// punctuation is gone from the words; what reads them word by word and must
// not reach from one sentence into the next ("I don't. I want to die": the
// "don't" denies nothing of the wish) learns where one ends here: the word
// that starts at an offset one past an end begins a sentence.
func NormalizeSentences(s string, ends []int32) (string, []int32) {
	return normalize(s, ends, true)
}

// normalize is Normalize, and with sentences NormalizeSentences. The
// sentences cost nothing per word, only where a sentence ends.
func normalize(s string, ends []int32, sentences bool) (string, []int32) {
	if !IsASCII(s) {
		if t, _, err := transform.String(foldAccents, s); err == nil {
			s = t
		}
	}
	// Appended to a byte slice of room enough for ASCII, where nothing grows,
	// and handed out without a copy: a strings.Builder's checks on every word
	// cost a long message dearly.
	b := make([]byte, 0, len(s))
	space := true // at the start, as after a space: no leading space
	i := 0
	for i < len(s) {
		c := s[i]
		// Things that are not words: skip them whole.
		// Only "http", "www" and "@" can begin one: the second byte is tested
		// here, for most words of a message begin with "h" or "w" ("have",
		// "was", "when") and none of them is a URL.
		if space && (c == '@' || i+1 < len(s) && (c|0x20 == 'h' && s[i+1]|0x20 == 't' || c|0x20 == 'w' && s[i+1]|0x20 == 'w')) {
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
		// ASCII, most of what people type, without decoding runes.
		if c < utf8.RuneSelf {
			switch {
			case lowerOrDigit[c]:
				// A run of them at once: most of a message is lower-case
				// letters, and a byte at a time costs a long one dearly.
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
				// An apostrophe inside a word is dropped, so "don't" and "dont" match.
			default:
				if sentences && (c == '.' || c == '!' || c == '?' || c == '\n') && endsSentence(s, i) {
					ends = endOfSentence(ends, b, space)
				}
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
			// An apostrophe inside a word is dropped, so "don't" and "dont" match.
		default:
			if sentences && (r == '。' || r == '！' || r == '？') {
				ends = endOfSentence(ends, b, space)
			}
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
	if len(b) == 0 {
		return "", ends
	}
	return unsafe.String(&b[0], len(b)), ends // b is never written again
}

// endOfSentence appends to ends the end of the last word written to b, if
// any and not there already: b ends in that word, or in the space after it
// when space.
func endOfSentence(ends []int32, b []byte, space bool) []int32 {
	end := int32(len(b))
	if space {
		end--
	}
	if end <= 0 || len(ends) > 0 && ends[len(ends)-1] == end {
		return ends
	}
	return append(ends, end)
}

// endsSentence reports whether the ASCII byte s[i] ends a sentence: "!",
// "?", a line break, or a full stop but one between two digits ("3.5") or
// after a letter standing alone and before another ("s.h", "o.d", "e.g"),
// as people shorten words.
func endsSentence(s string, i int) bool {
	switch s[i] {
	case '!', '?', '\n':
		return true
	case '.':
		if i == 0 || i+1 >= len(s) {
			return true
		}
		digit := func(j int) bool { return s[j] >= '0' && s[j] <= '9' }
		letter := func(j int) bool { return j >= 0 && isLetterAt(s, j) }
		if digit(i-1) && digit(i+1) {
			return false
		}
		// The byte before the letter: part of a word too ("don't.I") if a
		// letter, an apostrophe or beyond ASCII (the end of "’").
		wordy := i >= 2 && (letter(i-2) || s[i-2] == '\'' || s[i-2] >= utf8.RuneSelf)
		return !(letter(i-1) && !wordy && letter(i+1))
	}
	return false
}

// lowerOrDigit marks the bytes Normalize copies as they are.
var lowerOrDigit = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	return t
}()

// IsASCII reports whether s is all ASCII, eight bytes at a time: a long
// message is asked this more than once.
func IsASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := word64(s, i)
		if x&0x8080808080808080 != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

func isLetterAt(s string, i int) bool {
	r, _ := utf8.DecodeRuneInString(s[i:])
	return unicode.IsLetter(r)
}

// skipNonWord returns the length of a URL or mention at the start of s, or 0.
func skipNonWord(s string) int {
	switch {
	case hasPrefixFold(s, "http://"), hasPrefixFold(s, "https://"), hasPrefixFold(s, "www."):
		return wordEnd(s)
	case strings.HasPrefix(s, "@"):
		// @everyone, @here, @BotName: never content.
		return wordEnd(s)
	}
	return 0
}

// skipTag returns the length of an HTML tag or a Discord mention (<@123>,
// <#123>, <:emoji:123>) at the start of s, or 0.
func skipTag(s string) int {
	end := strings.IndexByte(s, '>')
	if end < 2 || end > 64 {
		return 0
	}
	inner := s[1:end]
	if strings.ContainsAny(inner, "<\n") {
		return 0
	}
	c := inner[0]
	if c == '/' || c == '@' || c == '#' || c == ':' || c == '!' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') {
		return end + 1
	}
	return 0
}

func wordEnd(s string) int {
	for i, r := range s {
		if unicode.IsSpace(r) {
			return i
		}
	}
	return len(s)
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

// HasLetters reports whether normalised text holds any letter at all (not only
// digits, emoji or punctuation).
func HasLetters(norm string) bool {
	for _, r := range norm {
		if unicode.IsLetter(r) {
			return true
		}
	}
	return false
}

// Words splits normalised text into its words, appending to dst to spare an
// allocation on the hot path.
//
// It looks for spaces eight bytes at a time (a 1,000-word message is split
// by the crisis check and the classifier both), not with strings.IndexByte:
// words are a few bytes long, and the vector search costs more to set up than
// it saves on so short a run.
func Words(dst []string, norm string) []string {
	start, i := 0, 0
	for ; i+8 <= len(norm); i += 8 {
		for m := spaces(word64(norm, i)); m != 0; m &= m - 1 {
			at := i + bits.TrailingZeros64(m)/8
			if at > start {
				dst = append(dst, norm[start:at])
			}
			start = at + 1
		}
	}
	for ; i < len(norm); i++ {
		if norm[i] == ' ' {
			if i > start {
				dst = append(dst, norm[start:i])
			}
			start = i + 1
		}
	}
	if start < len(norm) {
		dst = append(dst, norm[start:])
	}
	return dst
}

// spaces marks the space bytes of x with their high bit, and only those: x
// XOR spaces has a zero byte there, and adding 0x7f to each byte's low seven
// bits carries into the high bit of every byte but a zero one.
func spaces(x uint64) uint64 {
	const low7, blanks = 0x7f7f7f7f7f7f7f7f, 0x2020202020202020
	v := x ^ blanks
	return ^((v&low7 + low7) | v | low7)
}

// FirstWords returns the start of normalised text that holds its first n
// words: a reader that looks at only so many words need not split the rest.
func FirstWords(norm string, n int) string {
	inWord := false
	for i := 0; i < len(norm); i++ {
		if norm[i] == ' ' {
			inWord = false
			continue
		}
		if !inWord {
			if n == 0 {
				return norm[:i]
			}
			inWord = true
			n--
		}
	}
	return norm
}

// EditDistance is the optimal-string-alignment distance between a and b
// (insertions, deletions, substitutions and transpositions of neighbours), or
// max+1 as soon as it must exceed max.
func EditDistance(a, b string, max int) int {
	if len(a) > 32 || len(b) > 32 {
		return max + 1
	}
	// Three rows on the stack: this runs for every candidate of every unknown
	// word, so it must not allocate.
	var rows [3][33]int
	prev2, prev, cur := &rows[0], &rows[1], &rows[2]
	for j := 0; j <= len(b); j++ {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			v := min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				v = min(v, prev2[j-2]+1)
			}
			cur[j] = v
			rowMin = min(rowMin, v)
		}
		if rowMin > max {
			return max + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
