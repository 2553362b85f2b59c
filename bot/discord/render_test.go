package discord

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/internal/textsplit"
)

func TestMarkdown(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"**bold** and *star* _under_", "**bold** and \\*star\\* \\_under\\_"},
		{"- a bullet\n- another", "- a bullet\n- another"},
		{"# not a heading\n> not a quote", "\\# not a heading\n\\> not a quote"},
		{"see [the guide](https://example.org/a_(b)", "see [the guide](https://example.org/a_%28b)"},
		{"call [988lifeline.org](https://988lifeline.org)", "call https://988lifeline.org"},
		{"bare https://example.org/a_b_c stays", "bare https://example.org/a_b_c stays"},
		{"hey @everyone and @here", "hey @\u200beveryone and @\u200bhere"},
		{"<@123> <#456> <t:1:R>", "\\<@123\\> \\<#456\\> \\<t:1:R\\>"},
		{"`code` ||spoiler|| ~~strike~~ \\", "\\`code\\` \\|\\|spoiler\\|\\| \\~\\~strike\\~\\~ \\\\"},
		{"[not a link](javascript:alert(1))", "\\[not a link\\]\\(javascript:alert\\(1\\)\\)"},
		{"**unclosed", "\\*\\*unclosed"},
	}
	for _, tc := range tests {
		if got := markdown(tc.in); got != tc.want {
			t.Errorf("markdown(%q)\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestSplitContent(t *testing.T) {
	line := strings.Repeat("a", 99)
	long := strings.Repeat(line+"\n", 50) // 5,000 characters
	tests := []struct {
		name   string
		in     string
		max    int
		chunks int
	}{
		{"short", "hello", 2000, 1},
		{"empty", "", 2000, 1},
		{"exactly the limit", strings.Repeat("x", 2000), 2000, 1},
		{"one over", strings.Repeat("x", 2001), 2000, 2},
		{"lines", long, 2000, 3},
		{"one long line with spaces", strings.Repeat("word ", 1000), 2000, 3},
		{"wide runes", strings.Repeat("😀", 1500), 2000, 2}, // 3,000 UTF-16 units
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := splitContent(tc.in, tc.max)
			if len(got) != tc.chunks {
				t.Fatalf("splitContent(%d chars) gave %d chunks, want %d", len(tc.in), len(got), tc.chunks)
			}
			var total int
			for _, c := range got {
				if n := textsplit.Len(c); n > tc.max {
					t.Errorf("chunk of %d characters, over %d", n, tc.max)
				}
				if !utf8.ValidString(c) {
					t.Errorf("chunk cut inside a rune")
				}
				total += len(strings.Join(strings.Fields(c), ""))
			}
			if want := len(strings.Join(strings.Fields(tc.in), "")); total != want {
				t.Errorf("chunks hold %d non-space bytes, input %d: text lost", total, want)
			}
		})
	}
}

func TestRender(t *testing.T) {
	var many []bot.Choice
	for i := range 30 {
		many = append(many, bot.Choice{Label: fmt.Sprintf("choice %d", i), Data: fmt.Sprintf("topic:t%d", i)})
	}
	t.Run("buttons on the last part, five by five", func(t *testing.T) {
		r := bot.Reply{Text: strings.Repeat("a line of text\n", 300), Choices: many}
		parts := render(r)
		if len(parts) < 2 {
			t.Fatalf("got %d parts, want a split", len(parts))
		}
		for _, p := range parts[:len(parts)-1] {
			if len(p.Components) != 0 {
				t.Errorf("buttons on a part before the last")
			}
		}
		rows := parts[len(parts)-1].Components
		if len(rows) != maxRows {
			t.Fatalf("got %d rows, want %d", len(rows), maxRows)
		}
		for _, row := range rows {
			if n := len(row.(discordgo.ActionsRow).Components); n != maxRowButtons {
				t.Errorf("row of %d buttons, want %d", n, maxRowButtons)
			}
		}
	})
	t.Run("labels and ids within limits, duplicates dropped", func(t *testing.T) {
		rows := buttons([]bot.Choice{
			{Label: strings.Repeat("é", 200), Data: "a"},
			{Label: "  ", Data: "b"},
			{Label: "dup", Data: "a"},
			{Label: "too long id", Data: strings.Repeat("x", 101)},
			{Label: "no id", Data: ""},
			{Label: "bad utf8", Data: "\xff"},
		})
		if len(rows) != 1 {
			t.Fatalf("got %d rows, want 1", len(rows))
		}
		bs := rows[0].(discordgo.ActionsRow).Components
		if len(bs) != 2 {
			t.Fatalf("got %d buttons, want 2 (a and b)", len(bs))
		}
		for _, b := range bs {
			l := b.(discordgo.Button).Label
			if n := textsplit.Len(l); n < 1 || n > bot.MaxLabelLen {
				t.Errorf("label %q of %d characters", l, n)
			}
		}
	})
	t.Run("no choices gives an empty component list, not null", func(t *testing.T) {
		p := render(bot.Reply{Text: "hi"})
		if len(p) != 1 || p[0].Components == nil {
			t.Fatalf("got %+v", p)
		}
	})
}
