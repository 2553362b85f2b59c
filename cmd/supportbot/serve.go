package main

import (
	"context"
	"errors"
)

// errNoPlatform is returned by `supportbot run` when no platform token is set.
var errNoPlatform = errors.New("no platform configured: set TELEGRAM_BOT_TOKEN and/or DISCORD_BOT_TOKEN to serve Telegram or Discord, or try the bot in the terminal with `supportbot chat`")

// cmdServe is `supportbot run`. STUB until the adapters exist (issue 8).
func cmdServe(ctx context.Context, e *env, args []string) error {
	fl := e.flagSet("run")
	if err := fl.Parse(args); err != nil {
		return errUsage
	}
	if err := e.cfg.validate(); err != nil {
		return err
	}
	if e.cfg.TelegramToken == "" && e.cfg.DiscordToken == "" {
		return errNoPlatform
	}
	return errors.New("serving platforms is not built yet")
}
