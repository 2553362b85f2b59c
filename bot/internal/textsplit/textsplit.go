// Package textsplit measures and splits text the way the chat platforms limit
// it: Telegram and Discord both count a message's characters in UTF-16 code
// units (Telegram after entity parsing, Discord as JavaScript's string length),
// and both adapters must cut a long reply into messages within that limit,
// never inside a character.
package textsplit

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Len is s's length in UTF-16 code units, which is never less than its count
// of runes. Invalid UTF-8 counts one unit per bad byte (it shows as U+FFFD).
func Len(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// Cut returns the longest prefix of s of at most room UTF-16 units, ending
// after a space or line break when there is one in its second half, and the
// rest. head is empty when not even s's first character fits.
func Cut(s string, room int) (head, rest string) {
	n, end, lastSpace := 0, 0, -1
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		w := utf16.RuneLen(r) // invalid UTF-8 decodes as U+FFFD: one unit
		if n+w > room {
			break
		}
		n += w
		end += size
		if r == ' ' || r == '\n' {
			lastSpace = end
		}
	}
	if end == len(s) {
		return s, ""
	}
	if lastSpace > 0 && lastSpace >= end/2 {
		end = lastSpace
	}
	return s[:end], s[end:]
}

// Lines splits text into parts of at most max UTF-16 units, at line breaks
// where it can: lines are packed into a part while they fit, and a line longer
// than max is cut with [Cut] (one character per part at least, even when max
// is below its width). Empty text gives no parts.
func Lines(text string, max int) []string {
	var parts []string
	var cur strings.Builder
	curLen := 0
	flush := func() {
		if curLen > 0 {
			parts = append(parts, cur.String())
		}
		cur.Reset()
		curLen = 0
	}
	for _, line := range strings.Split(text, "\n") {
		rest := line
		for {
			n := Len(rest)
			if curLen > 0 && curLen+1+n <= max {
				cur.WriteByte('\n')
				cur.WriteString(rest)
				curLen += 1 + n
				break
			}
			if curLen == 0 && n <= max {
				cur.WriteString(rest)
				curLen = n
				break
			}
			if curLen > 0 {
				flush()
				continue
			}
			head, tail := Cut(rest, max)
			if head == "" { // max below one character's width: take one anyway
				_, size := utf8.DecodeRuneInString(rest)
				head, tail = rest[:size], rest[size:]
			}
			cur.WriteString(head)
			curLen = Len(head)
			flush()
			rest = tail
		}
	}
	flush()
	return parts
}
