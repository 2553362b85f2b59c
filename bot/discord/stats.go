package discord

import (
	"bytes"
	"context"

	"github.com/bwmarrin/discordgo"

	"github.com/supportbot/supportbot/bot"
)

// stats answers /stats: only in a guild, only for members with Manage Server
// (checked here again, whatever the command's default permissions say), only
// that guild's numbers. Drawing the chart may take a while, so the interaction
// is deferred first and the report, picture attached, follows.
func (a *Adapter) stats(ctx context.Context, i *discordgo.Interaction, req request, responded *bool) {
	reply := func(text string) {
		*responded = true
		a.respond(ctx, i, req, render(bot.Reply{Text: text}), false, false)
	}
	switch {
	case !req.manager:
		reply(statsDeniedLine)
		return
	case a.cfg.Stats == nil:
		reply(statsOffLine)
		return
	}
	a.acknowledge(ctx, i, req)
	*responded = true
	text, png, err := a.cfg.Stats.Summary(ctx, Platform, i.GuildID, statsSince)
	if err != nil {
		a.log.Error("stats summary", "err", err)
		a.followups(ctx, i, req, render(bot.Reply{Text: statsFailedLine}), discordgo.MessageFlagsEphemeral, nil)
		return
	}
	var parts []part
	for _, c := range splitContent(text, maxContent-len("```\n\n```")) {
		parts = append(parts, part{Content: "```\n" + c + "\n```", Components: []discordgo.MessageComponent{}})
	}
	var files []*discordgo.File
	if len(png) > 0 {
		files = []*discordgo.File{{Name: "stats.png", ContentType: "image/png", Reader: bytes.NewReader(png)}}
	}
	a.followups(ctx, i, req, parts, discordgo.MessageFlagsEphemeral, files)
}
