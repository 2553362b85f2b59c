package knowledge

import (
	"io/fs"

	"github.com/supportbot/supportbot/bot"
)

// triage reads triage.yaml into the core's flow. STUB: built with the triage
// (issue 4).
func (l *loader) triage(fsys fs.FS, topics []bot.Topic) bot.Flow {
	return bot.Flow{}
}
