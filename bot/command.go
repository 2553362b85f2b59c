package bot

import "strings"

// CommandData maps a slash command an adapter received (without the slash, any
// "@BotName" suffix or arguments) to the button data the core understands, so
// that /triage on Telegram, Discord and the terminal does the same thing. ok is
// false for commands the core does not handle (an adapter's own, like /stats,
// or /ask, whose argument is typed text).
func CommandData(name string) (data string, ok bool) {
	switch strings.ToLower(name) {
	case "start":
		return DataStart, true
	case "help":
		return DataHelp, true
	case "topics":
		return DataTopics, true
	case "triage":
		return DataTriage, true
	case "about", "privacy":
		return DataAbout, true
	}
	return "", false
}
