package telegram

import (
	"html"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/internal/textsplit"
)

// MaxText is the most characters (UTF-16 code units, as Telegram counts them) one
// message may hold after entity parsing; longer replies are split.
const MaxText = 4096

// renderHTML renders the core's light markup as Telegram HTML and splits it into
// messages of at most max visible characters each: at paragraph boundaries
// first, then at line boundaries, then (for a single overlong line) between
// characters, never inside a tag or an entity.
func renderHTML(markup string, max int) []string {
	lines := bot.ParseMarkup(markup)
	// Drop leading and trailing blank lines: Telegram rejects blank messages and
	// trims anyway.
	for len(lines) > 0 && blank(lines[0]) {
		lines = lines[1:]
	}
	for len(lines) > 0 && blank(lines[len(lines)-1]) {
		lines = lines[:len(lines)-1]
	}
	var pieces []Line
	for _, l := range lines {
		pieces = append(pieces, cutLine(validLine(l), max)...)
	}
	var chunks []string
	var cur []Line
	curLen := 0
	flush := func() {
		for len(cur) > 0 && blank(cur[len(cur)-1]) {
			cur = cur[:len(cur)-1]
		}
		if len(cur) > 0 {
			chunks = append(chunks, joinHTML(cur))
		}
		cur, curLen = nil, 0
	}
	for i := 0; i < len(pieces); {
		// A paragraph runs to the next blank line; keep it whole when it fits.
		j := i
		for j < len(pieces) && !blank(pieces[j]) {
			j++
		}
		para := pieces[i:j]
		paraLen := linesLen(para)
		sep := 0
		if len(cur) > 0 {
			sep = 2 // the "\n\n" between paragraphs
		}
		switch {
		case curLen+sep+paraLen <= max:
			if len(cur) > 0 {
				cur = append(cur, Line{})
			}
			cur = append(cur, para...)
			curLen += sep + paraLen
		case paraLen <= max:
			flush()
			cur, curLen = append(cur, para...), paraLen
		default:
			// Too long even alone: pack it line by line.
			flush()
			for _, l := range para {
				n := lineLen(l)
				if len(cur) > 0 && curLen+1+n > max {
					flush()
				}
				if len(cur) > 0 {
					curLen++
				}
				cur = append(cur, l)
				curLen += n
			}
		}
		i = j
		for i < len(pieces) && blank(pieces[i]) {
			i++
		}
	}
	flush()
	return chunks
}

// Line is a [bot.Line] as the renderer splits it.
type Line = bot.Line

func blank(l Line) bool {
	if l.Bullet {
		return false
	}
	for _, s := range l.Spans {
		if strings.TrimSpace(s.Text) != "" {
			return false
		}
	}
	return true
}

// lineLen is a line's visible length: what Telegram counts after parsing.
func lineLen(l Line) int {
	n := 0
	if l.Bullet {
		n += textsplit.Len(bulletMark)
	}
	for _, s := range l.Spans {
		n += textsplit.Len(s.Text)
	}
	return n
}

func linesLen(ls []Line) int {
	n := 0
	for i, l := range ls {
		if i > 0 {
			n++
		}
		n += lineLen(l)
	}
	return n
}

const bulletMark = "• "

// validLine replaces each run of invalid UTF-8 in l's text by one U+FFFD, as
// Telegram would show it, before the line is measured and cut: cutting inside a
// run would show one replacement character per piece instead of one in all.
func validLine(l Line) Line {
	cloned := false
	for i, s := range l.Spans {
		if utf8.ValidString(s.Text) {
			continue
		}
		if !cloned { // the parsed lines are not ours to change
			l.Spans, cloned = slices.Clone(l.Spans), true
		}
		l.Spans[i].Text = strings.ToValidUTF8(s.Text, "\uFFFD")
	}
	return l
}

// cutLine cuts a line longer than max into lines of at most max characters,
// splitting a span's text at a rune boundary (preferring a space) so each piece
// keeps its own bold or link.
func cutLine(l Line, max int) []Line {
	if lineLen(l) <= max {
		return []Line{l}
	}
	var out []Line
	cur := Line{Bullet: l.Bullet}
	room := max
	if l.Bullet {
		room -= textsplit.Len(bulletMark)
	}
	for _, sp := range l.Spans {
		text := sp.Text
		for text != "" {
			if room <= 0 {
				out = append(out, cur)
				cur, room = Line{}, max
			}
			head, rest := textsplit.Cut(text, room)
			if head == "" {
				// Not even one character fits (a surrogate pair with one unit of
				// room): start a new line.
				out = append(out, cur)
				cur, room = Line{}, max
				continue
			}
			cur.Spans = append(cur.Spans, bot.Span{Text: head, Bold: sp.Bold, URL: sp.URL})
			room -= textsplit.Len(head)
			text = rest
		}
	}
	if len(cur.Spans) > 0 || cur.Bullet {
		out = append(out, cur)
	}
	return out
}

// joinHTML renders lines as Telegram HTML, every piece of text escaped.
func joinHTML(ls []Line) string {
	var b strings.Builder
	for i, l := range ls {
		if i > 0 {
			b.WriteByte('\n')
		}
		if l.Bullet {
			b.WriteString(bulletMark)
		}
		for _, s := range l.Spans {
			text := html.EscapeString(strings.ToValidUTF8(s.Text, "\uFFFD"))
			switch {
			case s.URL != "" && utf8.ValidString(s.URL):
				b.WriteString(`<a href="`)
				b.WriteString(html.EscapeString(s.URL))
				b.WriteString(`">`)
				if s.Bold {
					b.WriteString("<b>" + text + "</b>")
				} else {
					b.WriteString(text)
				}
				b.WriteString("</a>")
			case s.Bold:
				b.WriteString("<b>" + text + "</b>")
			case s.URL != "":
				// A link Telegram would reject: show its label, never a broken href.
				b.WriteString(text)
			default:
				b.WriteString(text)
			}
		}
	}
	return b.String()
}

// keyboard builds the inline keyboard for a reply's choices, one button per row
// (labels are sentences, not single words). A choice Telegram would reject
// (data empty or over [bot.MaxDataLen] bytes, no label) is dropped and reported
// through drop; it is never sent. extra rows (the private-chat link) go last.
func keyboard(choices []bot.Choice, drop func(reason string), extra ...models.InlineKeyboardButton) *models.InlineKeyboardMarkup {
	var rows [][]models.InlineKeyboardButton
	for _, c := range choices {
		switch {
		case c.Data == "" || len(c.Data) > bot.MaxDataLen || !utf8.ValidString(c.Data):
			drop("callback data empty, invalid or over 64 bytes")
			continue
		case strings.TrimSpace(c.Label) == "":
			drop("button label empty")
			continue
		}
		label := strings.ToValidUTF8(c.Label, "\uFFFD")
		rows = append(rows, []models.InlineKeyboardButton{{Text: label, CallbackData: c.Data}})
	}
	for _, b := range extra {
		rows = append(rows, []models.InlineKeyboardButton{b})
	}
	if len(rows) == 0 {
		return nil
	}
	return &models.InlineKeyboardMarkup{InlineKeyboard: rows}
}

func escape(s string) string { return joinHTML([]Line{{Spans: []bot.Span{{Text: s}}}}) }

func noPreview() *models.LinkPreviewOptions {
	t := true
	return &models.LinkPreviewOptions{IsDisabled: &t}
}
