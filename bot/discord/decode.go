package discord

import (
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/supportbot/supportbot/bot"
)

// Platform is the platform name every message and event from Discord carries.
const Platform = "discord"

// requestKind says what the adapter does with an incoming interaction or message.
type requestKind int

const (
	reqIgnore  requestKind = iota // not for us: another bot, a guild message without a mention, a ping
	reqCore                       // hand the message to the core and show its reply
	reqMention                    // a mention in a channel: a short public pointer, or crisis resources
	reqStats                      // /stats
)

// request is an interaction or message translated for the core.
type request struct {
	kind requestKind
	msg  bot.Message
	// ephemeral asks for replies only the invoker sees (interactions in a guild).
	ephemeral bool
	// component is true for a button press: its reply may replace the message.
	component bool
	// manager is true when the invoker may see the guild's stats (Manage Server
	// or Administrator in the channel the command came from).
	manager bool
}

// community is the stats community of a guild id: the guild, or [bot.CommunityDM].
func community(guildID string) string {
	if guildID == "" {
		return bot.CommunityDM
	}
	return guildID
}

// userID returns the invoker of an interaction: the member in a guild, the user
// in a DM.
func userID(i *discordgo.Interaction) string {
	switch {
	case i.Member != nil && i.Member.User != nil:
		return i.Member.User.ID
	case i.User != nil:
		return i.User.ID
	}
	return ""
}

// decodeInteraction translates an interaction. Commands the core knows
// (/triage, /topics, /about) become their button data, /ask its question as
// typed text, a button its custom_id as data (the core decides whether it is
// genuine). An unknown command, say one renamed since, becomes data the core
// will not recognise, so the person gets its "expired" reply.
func decodeInteraction(i *discordgo.Interaction) request {
	req := request{
		msg: bot.Message{
			Platform:     Platform,
			Community:    community(i.GuildID),
			Conversation: i.ChannelID + ":" + userID(i),
		},
		ephemeral: i.GuildID != "",
	}
	switch d := i.Data.(type) {
	case discordgo.ApplicationCommandInteractionData:
		if i.Type != discordgo.InteractionApplicationCommand {
			return request{} // autocomplete: we offer none
		}
		name := strings.ToLower(d.Name)
		switch name {
		case "ask":
			req.kind = reqCore
			for _, o := range d.Options {
				if o != nil && o.Name == "question" {
					if s, ok := o.Value.(string); ok {
						req.msg.Text = s
					}
				}
			}
			return req
		case "stats":
			req.kind = reqStats
			req.manager = i.GuildID != "" && i.Member != nil &&
				i.Member.Permissions&(discordgo.PermissionManageGuild|discordgo.PermissionAdministrator) != 0
			return req
		}
		req.kind = reqCore
		if data, ok := bot.CommandData(name); ok {
			req.msg.Data = data
		} else {
			req.msg.Data = "command:" + name
		}
		return req
	case discordgo.MessageComponentInteractionData:
		req.kind = reqCore
		req.component = true
		req.msg.Data = d.CustomID
		if req.msg.Data == "" {
			// Data must be non-empty to be read as a button; an empty id is
			// as forged as any other.
			req.msg.Data = "\x00"
		}
		return req
	}
	return request{}
}

// decodeMessage translates a message the gateway delivered. A DM is a
// conversation with the core. In a guild, only a message mentioning the bot
// concerns us (without the message content intent the others arrive empty);
// its text still goes to the core so that crisis is caught, but the answer is
// never shown in public.
func decodeMessage(m *discordgo.Message, botID string) request {
	if m == nil || m.Author == nil || m.Author.Bot || m.Author.System || m.Author.ID == botID || m.WebhookID != "" {
		return request{}
	}
	if m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply {
		return request{}
	}
	req := request{msg: bot.Message{
		Platform:     Platform,
		Community:    community(m.GuildID),
		Conversation: m.ChannelID + ":" + m.Author.ID,
		Text:         m.Content,
	}}
	if m.GuildID == "" {
		req.kind = reqCore
		return req
	}
	mentioned := false
	for _, u := range m.Mentions {
		if u != nil && u.ID == botID {
			mentioned = true
		}
	}
	if !mentioned {
		return request{}
	}
	req.kind = reqMention
	req.msg.Text = stripMention(m.Content, botID)
	return req
}

// stripMention removes the bot's own mention from a message's text.
func stripMention(s, botID string) string {
	s = strings.ReplaceAll(s, "<@"+botID+">", " ")
	s = strings.ReplaceAll(s, "<@!"+botID+">", " ")
	return strings.TrimSpace(s)
}
