package bot

import (
	"strings"
	"time"

	"github.com/supportbot/supportbot/bot/crisis"
	"github.com/supportbot/supportbot/bot/textnorm"
)

// The crisis check runs on every typed message before anything else, in every
// state of every flow; the detector itself is bot/crisis, built from the
// knowledge base's lexicons and trained model. The reply is data (crisis.yaml):
// in the person's language where a translation exists, with the variant for
// someone worried about another person, and, for the rest of the conversation,
// one line with the resources under every reply.

// crisisReminderTTL is how long after a crisis reply the reminder line stays
// under the conversation's replies.
const crisisReminderTTL = 30 * time.Minute

// IsCrisis reports whether a message shows signs of crisis (suicide, self-harm,
// overdose, abuse or danger at home, someone else at risk). [Bot.Handle] checks
// every typed message itself; adapters use IsCrisis only for messages they
// would otherwise not pass on, such as group chatter not addressed to the bot,
// so that a person in danger gets the resources wherever they wrote.
func (b *Bot) IsCrisis(text string) bool { return b.crisis.Check(text).Crisis }

// crisisReply puts the crisis resources first, in the person's language when
// the knowledge base has it, worded for a helper when someone else is at risk.
func (b *Bot) crisisReply(f crisis.Finding) Reply {
	c := b.know.Crisis
	if t, ok := c.Translations[f.Lang]; ok {
		c = t
	}
	intro, outro := c.Intro, c.Outro
	if f.Other && strings.TrimSpace(c.OtherIntro) != "" {
		intro, outro = c.OtherIntro, c.OtherOutro
	}
	var s strings.Builder
	s.WriteString(strings.TrimSpace(intro))
	s.WriteString("\n")
	for _, r := range c.Resources {
		s.WriteString("\n- **")
		s.WriteString(r.Name)
		s.WriteString("**")
		if r.Where != "" {
			s.WriteString(" (" + r.Where + ")")
		}
		if r.Contact != "" {
			s.WriteString(": " + r.Contact)
		}
		if r.URL != "" {
			s.WriteString(" [" + strings.TrimPrefix(r.URL, "https://") + "](" + r.URL + ")")
		}
	}
	if o := strings.TrimSpace(outro); o != "" {
		s.WriteString("\n\n")
		s.WriteString(o)
	}
	return Reply{Kind: KindCrisis, Text: s.String()}
}

// remindAfterCrisis adds the reminder line under a reply in a conversation
// that had a crisis reply in the last crisisReminderTTL. The memory holds only
// the session hash and the reply's language, like the triage's.
func (b *Bot) remindAfterCrisis(r Reply, session uint64) Reply {
	lang, ok := b.afterCrisis.get(session, b.now())
	if !ok || r.Kind == KindCrisis {
		return r
	}
	c := b.know.Crisis
	if t, ok := c.Translations[lang]; ok {
		c = t
	}
	if c.Reminder != "" {
		r.Text += "\n\n" + c.Reminder
	}
	return r
}

// ownAnswer reports whether normalised text is one of the bot's own triage
// answers, typed ("online would be easier" from the button "Time or distance:
// online would be easier"). The learned layer alone does not overrule the bot's
// own words: a person answering its question with them is answering it. The
// lexicon rules still apply to them, and the safety question's "yes" leads to
// the crisis resources by itself.
func (b *Bot) ownAnswer(norm string) bool {
	if len(norm) < 3 {
		return false
	}
	for _, a := range b.ownAnswers {
		if a == norm || strings.Contains(a, norm) {
			return true
		}
	}
	return false
}

// ownAnswers lists a flow's answers, normalised, but those that lead to urgent
// help.
func ownAnswers(f Flow) []string {
	var out []string
	for _, q := range f.Questions {
		for _, o := range q.Options {
			if o.Outcome == OutcomeUrgentHelp {
				continue
			}
			for _, t := range append([]string{o.Label}, o.Typed...) {
				if n := textnorm.Normalize(textnorm.Sanitize(t)); n != "" {
					out = append(out, n)
				}
			}
		}
	}
	return out
}
