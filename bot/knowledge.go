package bot

import (
	"github.com/supportbot/supportbot/bot/crisis"
	"github.com/supportbot/supportbot/bot/textclass"
)

// Topic is one curated entry of the knowledge base: the questions people ask about
// it and the answer the bot gives.
type Topic struct {
	ID        string   // stable id, e.g. "leadership" (see shared/knowledge/TOPICS.md)
	Title     string   // short human title, used on buttons
	Questions []string // example questions as people really type them; the matcher learns from these
	Keywords  []string // extra words or phrases that point to this topic
	Related   []string // ids of topics offered as buttons after the answer
	Sources   []Source // where the facts come from
	Answer    string   // the answer, in the light markup of [ParseMarkup]
	File      string   // the file it was loaded from, for messages to curators
}

// Source names the article and section a topic's facts are drawn from.
type Source struct {
	Article string
	Section string
}

// Crisis holds the crisis reply, kept as data so a community can localise it.
type Crisis struct {
	Intro     string     // the first, warm lines (markup)
	Resources []Resource // phone lines and services, in the order shown
	Outro     string     // what follows the list (markup)
	// OtherIntro and OtherOutro replace Intro and Outro when the person at
	// risk is someone else: how to help them.
	OtherIntro, OtherOutro string
	// Reminder is the one line kept under every reply for the rest of a
	// conversation that had a crisis reply.
	Reminder string
	// Translations are the same reply in other languages, by language code
	// ("es"); a language without one gets this (English) reply.
	Translations map[string]Crisis
}

// Resource is one place a person in crisis can turn to.
type Resource struct {
	Name    string // e.g. "988 Suicide & Crisis Lifeline"
	Where   string // e.g. "US", "UK and Ireland", "anywhere"
	Contact string // e.g. "call or text 988"
	URL     string // optional
}

// Knowledge is everything the core needs that curators, not programmers, write:
// loaded by the knowledge package and handed to [New].
type Knowledge struct {
	Topics []Topic
	// Synonyms are groups of words or phrases that mean the same to the matcher
	// (therapist, counsellor, psychologist). The first of each group is its name.
	Synonyms [][]string
	// Messages are the fixed replies by key (see [MessageKeys]).
	Messages map[string]string
	Crisis   Crisis
	Triage   Flow
	// CrisisLexicons and CrisisModel are what the crisis check is built from:
	// the vocabulary per construct and language, and the learned second
	// opinion trained on the crisis corpus (nil: the lexicons alone).
	CrisisLexicons []crisis.Lexicon
	CrisisModel    *crisis.Model
	// CrisisDetector is the check built from them, when the loader built it
	// already (nil: [New] builds it).
	CrisisDetector *crisis.Detector
	// Intents is the trained intent classifier (topics, triage, small talk,
	// out-of-scope); nil: the BM25 matcher and phrase rules alone.
	Intents *textclass.Model
	// Stems caches the stems of the words the knowledge base and the
	// intent examples use ([StemTable]); nil: every word is stemmed.
	Stems map[string]string
	// Languages the bot recognises in a message, for a note in the person's
	// language when it cannot answer; nil: none.
	Languages []Language
}

// MessageKeys lists the keys [Knowledge.Messages] must define.
var MessageKeys = []string{
	"welcome",      // the first message (/start): what the bot does, the privacy line
	"help",         // what the bot can help with
	"greeting",     // hi / hello
	"thanks",       // thank you
	"bot",          // are you a bot / a human?
	"bye",          // goodbye
	"ack",          // ok, cool, nice, lol: chit-chat that needs no answer
	"fallback",     // nothing matched: what the bot can help with
	"clarify",      // two topics are close: which one did you mean?
	"triage_offer", // the person wants help choosing: offer to start the triage
	"expired",      // a button the bot cannot read any more
	"empty",        // an empty message, only emoji, or nothing readable
	"topics",       // the heading above the list of topics
	"disclaimer",   // not a substitute for professional help (appended to answers)
	// Button labels (at most 80 characters).
	"button_triage", // starts the triage
	"button_topics", // lists the topics
	"button_other",  // none of the topics offered when the bot asks which was meant
}
