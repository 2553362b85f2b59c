package discord

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/bwmarrin/discordgo"

	"github.com/supportbot/supportbot/bot"
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
