package discord

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/bot/internal/textsplit"
)

// decodeInteraction reads an interaction the way discordgo reads it from the
// gateway, so the tests exercise the real wire format.
func unmarshalInteraction(t *testing.T, raw string) *discordgo.Interaction {
	t.Helper()
	var i discordgo.Interaction
	if err := json.Unmarshal([]byte(raw), &i); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	return &i
}

func TestInteractionRequest(t *testing.T) {
	const member = `"member":{"user":{"id":"42"},"permissions":"%d"}`
	tests := []struct {
		name string
		raw  string
		want request
	}{
		{
			name: "ask in a guild is ephemeral typed text",
			raw:  `{"id":"1","type":2,"guild_id":"7","channel_id":"9",` + fmt.Sprintf(member, 0) + `,"data":{"name":"ask","type":1,"options":[{"name":"question","type":3,"value":"who runs a group?"}]}}`,
			want: request{kind: reqCore, ephemeral: true, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42", Text: "who runs a group?"}},
		},
		{
			name: "triage in a DM counts under dm",
			raw:  `{"id":"1","type":2,"channel_id":"9","user":{"id":"42"},"data":{"name":"triage","type":1}}`,
			want: request{kind: reqCore, msg: bot.Message{Platform: "discord", Community: bot.CommunityDM, Conversation: "9:42", Data: bot.DataTriage}},
		},
		{
			name: "topics",
			raw:  `{"id":"1","type":2,"guild_id":"7","channel_id":"9",` + fmt.Sprintf(member, 0) + `,"data":{"name":"topics","type":1}}`,
			want: request{kind: reqCore, ephemeral: true, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42", Data: bot.DataTopics}},
		},
		{
			name: "about",
			raw:  `{"id":"1","type":2,"guild_id":"7","channel_id":"9",` + fmt.Sprintf(member, 0) + `,"data":{"name":"about","type":1}}`,
			want: request{kind: reqCore, ephemeral: true, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42", Data: bot.DataAbout}},
		},
		{
			name: "an unknown command goes to the core as data it will not know",
			raw:  `{"id":"1","type":2,"guild_id":"7","channel_id":"9",` + fmt.Sprintf(member, 0) + `,"data":{"name":"oldname","type":1}}`,
			want: request{kind: reqCore, ephemeral: true, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42", Data: "command:oldname"}},
		},
		{
			name: "stats by a manager",
			raw:  `{"id":"1","type":2,"guild_id":"7","channel_id":"9",` + fmt.Sprintf(member, discordgo.PermissionManageGuild|discordgo.PermissionSendMessages) + `,"data":{"name":"stats","type":1}}`,
			want: request{kind: reqStats, ephemeral: true, manager: true, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42"}},
		},
		{
			name: "stats by an administrator",
			raw:  `{"id":"1","type":2,"guild_id":"7","channel_id":"9",` + fmt.Sprintf(member, discordgo.PermissionAdministrator) + `,"data":{"name":"stats","type":1}}`,
			want: request{kind: reqStats, ephemeral: true, manager: true, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42"}},
		},
		{
			name: "stats by a member",
			raw:  `{"id":"1","type":2,"guild_id":"7","channel_id":"9",` + fmt.Sprintf(member, discordgo.PermissionSendMessages) + `,"data":{"name":"stats","type":1}}`,
			want: request{kind: reqStats, ephemeral: true, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42"}},
		},
		{
			name: "stats in a DM is never allowed",
			raw:  `{"id":"1","type":2,"channel_id":"9","user":{"id":"42"},"data":{"name":"stats","type":1}}`,
			want: request{kind: reqStats, msg: bot.Message{Platform: "discord", Community: bot.CommunityDM, Conversation: "9:42"}},
		},
		{
			name: "button press in a guild",
			raw:  `{"id":"1","type":3,"guild_id":"7","channel_id":"9",` + fmt.Sprintf(member, 0) + `,"data":{"custom_id":"topic:cost","component_type":2},"message":{"id":"5"}}`,
			want: request{kind: reqCore, ephemeral: true, component: true, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42", Data: "topic:cost"}},
		},
		{
			name: "button with an empty custom_id is still data",
			raw:  `{"id":"1","type":3,"channel_id":"9","user":{"id":"42"},"data":{"custom_id":"","component_type":2}}`,
			want: request{kind: reqCore, component: true, msg: bot.Message{Platform: "discord", Community: bot.CommunityDM, Conversation: "9:42", Data: "\x00"}},
		},
		{
			name: "autocomplete is ignored",
			raw:  `{"id":"1","type":4,"guild_id":"7","channel_id":"9",` + fmt.Sprintf(member, 0) + `,"data":{"name":"ask","type":1}}`,
			want: request{},
		},
		{
			name: "ping is ignored",
			raw:  `{"id":"1","type":1}`,
			want: request{},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := decodeInteraction(unmarshalInteraction(t, tc.raw))
			if got != tc.want {
				t.Errorf("decodeInteraction(%s)\n got %+v\nwant %+v", tc.raw, got, tc.want)
			}
		})
	}
}

func TestMessageRequest(t *testing.T) {
	const botID = "100"
	msg := func(guild, author, content string, bot, mention bool) *discordgo.Message {
		m := &discordgo.Message{ID: "1", ChannelID: "9", GuildID: guild, Content: content, Author: &discordgo.User{ID: author, Bot: bot}}
		if mention {
			m.Mentions = []*discordgo.User{{ID: botID}}
		}
		return m
	}
	tests := []struct {
		name string
		m    *discordgo.Message
		want request
	}{
		{"a DM is a conversation", msg("", "42", "is it free?", false, false),
			request{kind: reqCore, msg: bot.Message{Platform: "discord", Community: bot.CommunityDM, Conversation: "9:42", Text: "is it free?"}}},
		{"a mention in a guild, mention stripped", msg("7", "42", "<@100> is it free?", false, true),
			request{kind: reqMention, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42", Text: "is it free?"}}},
		{"a nickname mention", msg("7", "42", "<@!100>   hello", false, true),
			request{kind: reqMention, msg: bot.Message{Platform: "discord", Community: "7", Conversation: "9:42", Text: "hello"}}},
		{"a guild message without mention", msg("7", "42", "", false, false), request{}},
		{"another bot", msg("", "43", "hi", true, false), request{}},
		{"ourselves", msg("", botID, "hi", false, false), request{}},
		{"no author", &discordgo.Message{ChannelID: "9", Content: "hi"}, request{}},
		{"nil", nil, request{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := decodeMessage(tc.m, botID); got != tc.want {
				t.Errorf("decodeMessage(%+v)\n got %+v\nwant %+v", tc.m, got, tc.want)
			}
		})
	}
}

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

func TestRouteOf(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"POST", "interactions/123/aW50ZXJhY3Rpb24/callback", "POST /interactions/{id}/{token}/callback"},
		{"POST", "webhooks/900/tok-en?wait=true", "POST /webhooks/{id}/{token}"},
		{"PATCH", "webhooks/900/tok/messages/@original", "PATCH /webhooks/{id}/{token}/messages/original"},
		{"POST", "channels/555/messages", "POST /channels/{id}/messages"},
		{"PUT", "applications/900/guilds/777/commands", "PUT /applications/{id}/guilds/{id}/commands"},
		{"GET", "gateway/bot", "GET /gateway/bot"},
		{"GET", "users/@me", "GET /users/me"},
	}
	for _, tc := range tests {
		if got := routeOf(tc.method, tc.path); got != tc.want {
			t.Errorf("routeOf(%s, %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}

func TestSafeErr(t *testing.T) {
	const secret = "SECRET-TOKEN"
	rest := &discordgo.RESTError{
		Response:     &http.Response{StatusCode: 404, Status: "404 Not Found"},
		ResponseBody: []byte(`{"code":10062,"message":"` + secret + `"}`),
		Message:      &discordgo.APIErrorMessage{Code: 10062, Message: secret},
	}
	tests := []struct {
		err  error
		want string
	}{
		{rest, "http status 404 code 10062"},
		{fmt.Errorf("respond: %w", rest), "http status 404 code 10062"},
		{&url.Error{Op: "Post", URL: "https://discord.com/api/v9/webhooks/1/" + secret, Err: errors.New("boom")}, "Post request: boom"},
	}
	for _, tc := range tests {
		got := safeErr(tc.err)
		if got != tc.want || strings.Contains(got, secret) {
			t.Errorf("safeErr(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
