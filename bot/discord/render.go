package discord

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/internal/textsplit"
)

// Discord's limits on what one message may carry.
const (
	maxContent     = 2000 // characters of content
	maxRows        = 5    // action rows per message
	maxRowButtons  = 5    // buttons per action row
	maxCustomIDLen = 100  // characters of a button's custom_id
)

// part is one Discord message a reply becomes.
type part struct {
	Content    string
	Components []discordgo.MessageComponent
}

// render turns a core reply into the Discord messages that show it: the text in
// Discord markdown, split into chunks of at most 2,000 characters, with the
// buttons on the last chunk. It always returns at least one part.
func render(r bot.Reply) []part {
	chunks := splitContent(markdown(r.Text), maxContent)
	parts := make([]part, len(chunks))
	for i, c := range chunks {
		parts[i] = part{Content: c, Components: []discordgo.MessageComponent{}}
	}
	parts[len(parts)-1].Components = buttons(r.Choices)
	return parts
}

// noMentions allows no ping at all: nothing a message says, echoed or not, can
// notify @everyone, a role or a person.
func noMentions() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// markdown renders the core's light markup (see [bot.ParseMarkup]) as Discord
// markdown, escaping every literal character Discord would read as formatting,
// a mention or a masked link.
func markdown(text string) string {
	var b strings.Builder
	for i, l := range bot.ParseMarkup(text) {
		if i > 0 {
			b.WriteByte('\n')
		}
		if l.Bullet {
			b.WriteString("- ")
		}
		for j, sp := range l.Spans {
			lineStart := j == 0 && !l.Bullet
			switch {
			case sp.URL != "" && (sp.URL == sp.Text || "https://"+sp.Text == sp.URL):
				b.WriteString(linkURL(sp.URL))
			case sp.URL != "":
				b.WriteString("[" + escape(sp.Text, false) + "](" + linkURL(sp.URL) + ")")
			case sp.Bold:
				b.WriteString("**" + escape(sp.Text, false) + "**")
			default:
				b.WriteString(escape(sp.Text, lineStart))
			}
		}
	}
	return b.String()
}

// linkURL makes a URL safe inside a markdown link: parentheses would end it.
func linkURL(u string) string {
	return strings.NewReplacer("(", "%28", ")", "%29", "<", "%3C", ">", "%3E").Replace(u)
}

// escape backslash-escapes the characters Discord markdown gives a meaning:
// emphasis, code, spoilers, quotes, mentions (<@id>, <#id>) and masked links.
// Bare http(s) URLs are kept as they are so they stay clickable. At the start
// of a line, heading, quote and list markers are escaped too.
func escape(s string, lineStart bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "https://") || strings.HasPrefix(s[i:], "http://") {
			end := strings.IndexAny(s[i:], " \t\n<>")
			if end < 0 {
				end = len(s) - i
			}
			b.WriteString(s[i : i+end])
			i += end
			lineStart = false
			continue
		}
		c := s[i]
		switch {
		case strings.IndexByte("\\*_~`|<>[]()", c) >= 0:
			b.WriteByte('\\')
		case lineStart && strings.IndexByte("#-+", c) >= 0:
			b.WriteByte('\\')
		case c == '@':
			// "@everyone" and "@here" never ping (allowed_mentions is empty),
			// but a zero-width space keeps them from even looking like one.
			if strings.HasPrefix(s[i:], "@everyone") || strings.HasPrefix(s[i:], "@here") {
				b.WriteString("@\u200b")
				i++
				lineStart = false
				continue
			}
		}
		if c != ' ' && c != '\t' {
			lineStart = false
		}
		b.WriteByte(c)
		i++
	}
	return b.String()
}

// splitContent cuts s into chunks of at most max characters (see
// [textsplit.Lines]), without the blank lines a cut leaves at a chunk's end
// and without blank chunks. Empty input gives one empty chunk.
func splitContent(s string, max int) []string {
	if textsplit.Len(s) <= max {
		return []string{s}
	}
	var chunks []string
	for _, c := range textsplit.Lines(s, max) {
		if c = strings.TrimRight(c, "\n"); strings.TrimSpace(c) != "" {
			chunks = append(chunks, c)
		}
	}
	if len(chunks) == 0 {
		return []string{""}
	}
	return chunks
}

// buttons lays choices out as rows of buttons within Discord's limits: five
// rows of five, labels cut to 80 characters, custom ids of 1 to 100 characters
// and unique within the message. Choices beyond what fits are dropped.
func buttons(choices []bot.Choice) []discordgo.MessageComponent {
	rows := []discordgo.MessageComponent{}
	var row discordgo.ActionsRow
	seen := map[string]bool{}
	for _, c := range choices {
		if len(rows) == maxRows {
			break
		}
		if c.Data == "" || len(c.Data) > maxCustomIDLen || !utf8.ValidString(c.Data) || seen[c.Data] {
			continue
		}
		seen[c.Data] = true
		row.Components = append(row.Components, discordgo.Button{
			Label:    label(c.Label),
			Style:    discordgo.SecondaryButton,
			CustomID: c.Data,
		})
		if len(row.Components) == maxRowButtons {
			rows = append(rows, row)
			row = discordgo.ActionsRow{}
		}
	}
	if len(row.Components) > 0 && len(rows) < maxRows {
		rows = append(rows, row)
	}
	return rows
}

// label fits a button label into 1 to 80 characters.
func label(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return "…"
	}
	if textsplit.Len(s) <= bot.MaxLabelLen {
		return s
	}
	n := 0
	for i, r := range s {
		if n+utf16.RuneLen(r) > bot.MaxLabelLen-1 {
			return s[:i] + "…"
		}
		n += utf16.RuneLen(r)
	}
	return s
}
