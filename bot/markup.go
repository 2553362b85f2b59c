package bot

import (
	"strings"
)

// Span is a run of text inside one [Line]: plain, bold, or a link.
type Span struct {
	Text string
	Bold bool
	URL  string // set for a link; Text is then its label
}

// Line is one line of a reply. A blank line (no spans, not a bullet) separates
// paragraphs.
type Line struct {
	Bullet bool
	Spans  []Span
}

// ParseMarkup reads the light markup every reply's Text is written in, small
// enough that each adapter can render it faithfully:
//
//   - a line starting with "- " is a bullet;
//   - **two asterisks** around text make it bold;
//   - [label](https://example.org) is a link (http and https only);
//   - a blank line separates paragraphs.
//
// Anything else is literal text: adapters escape it for their platform. Markup
// that does not close (a lone "**") is kept as literal text.
func ParseMarkup(s string) []Line {
	raw := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	lines := make([]Line, 0, len(raw))
	for _, r := range raw {
		r = strings.TrimRight(r, " \t")
		var l Line
		if rest, ok := strings.CutPrefix(r, "- "); ok {
			l.Bullet = true
			r = rest
		}
		l.Spans = parseSpans(r)
		lines = append(lines, l)
	}
	return lines
}

func parseSpans(s string) []Span {
	var spans []Span
	var text strings.Builder
	flush := func() {
		if text.Len() > 0 {
			spans = append(spans, Span{Text: text.String()})
			text.Reset()
		}
	}
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "**") {
			if end := strings.Index(s[i+2:], "**"); end > 0 {
				flush()
				spans = append(spans, Span{Text: s[i+2 : i+2+end], Bold: true})
				i += 2 + end + 2
				continue
			}
		}
		if s[i] == '[' {
			if label, url, n, ok := parseLink(s[i:]); ok {
				flush()
				spans = append(spans, Span{Text: label, URL: url})
				i += n
				continue
			}
		}
		text.WriteByte(s[i])
		i++
	}
	flush()
	return spans
}

// parseLink reads "[label](url)" at the start of s.
func parseLink(s string) (label, url string, n int, ok bool) {
	closeLabel := strings.Index(s, "](")
	if closeLabel < 2 {
		return "", "", 0, false
	}
	closeURL := strings.IndexByte(s[closeLabel+2:], ')')
	if closeURL < 1 {
		return "", "", 0, false
	}
	label = s[1:closeLabel]
	url = s[closeLabel+2 : closeLabel+2+closeURL]
	if strings.ContainsAny(label, "[]") || strings.ContainsAny(url, " \t") ||
		!(strings.HasPrefix(url, "https://") || strings.HasPrefix(url, "http://")) {
		return "", "", 0, false
	}
	return label, url, closeLabel + 2 + closeURL + 1, true
}

// Plain renders markup as plain text: bold loses its asterisks, a link becomes
// "label (url)" (or just the url when the label is the url), bullets become "• ".
func Plain(s string) string {
	var b strings.Builder
	for i, l := range ParseMarkup(s) {
		if i > 0 {
			b.WriteByte('\n')
		}
		if l.Bullet {
			b.WriteString("• ")
		}
		for _, sp := range l.Spans {
			switch {
			case sp.URL != "" && sp.URL != sp.Text && "https://"+sp.Text != sp.URL:
				b.WriteString(sp.Text)
				b.WriteString(" (")
				b.WriteString(sp.URL)
				b.WriteString(")")
			case sp.URL != "":
				b.WriteString(sp.URL)
			default:
				b.WriteString(sp.Text)
			}
		}
	}
	return b.String()
}
