package discord

import "github.com/bwmarrin/discordgo"

// commands are the slash commands the bot registers. Their names and
// descriptions are the bot's interface in Discord's command picker.
func commands() []*discordgo.ApplicationCommand {
	manageServer := int64(discordgo.PermissionManageGuild)
	guildOnly := []discordgo.InteractionContextType{discordgo.InteractionContextGuild}
	noDM := false
	return []*discordgo.ApplicationCommand{
		{
			Name:        "ask",
			Description: "Ask about support groups or group therapy (only you see the answer)",
			Options: []*discordgo.ApplicationCommandOption{{
				Type:        discordgo.ApplicationCommandOptionString,
				Name:        "question",
				Description: "Your question, in your own words",
				Required:    true,
				MaxLength:   1000,
			}},
		},
		{Name: "triage", Description: "A few questions to help you choose: support group or group therapy"},
		{Name: "topics", Description: "Browse the topics I can answer"},
		{Name: "about", Description: "What this bot is, and what it stores (nothing about you)"},
		{
			Name:        "stats",
			Description: "Anonymous usage numbers for this server (Manage Server)",
			// Hidden from members without Manage Server by default; the
			// permission is checked again when the command arrives, because
			// server admins can override the default.
			DefaultMemberPermissions: &manageServer,
			DMPermission:             &noDM,
			Contexts:                 &guildOnly,
		},
	}
}
