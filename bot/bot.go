// Package bot is the platform-neutral core of supportbot: it turns one incoming
// [Message] (typed text or a pressed button) into a [Reply] (text in a light markup
// plus [Choice] buttons), checking every message for signs of crisis first.
//
// The core knows nothing about Telegram, Discord, the terminal or SQLite. It must
// never import another package of this module: adapters (bot/telegram, bot/discord,
// bot/console), the knowledge loader and the stats store import bot, not the reverse.
// Usage statistics leave the core only as anonymous [Event] values handed to a
// [Recorder].
package bot

import (
	"context"
	"time"
)

// Kind says what sort of reply the bot gave. The values are part of the outside
// contract (the JSON of `supportbot ask --json` and the stats report).
type Kind string

// The reply kinds.
const (
	KindAnswer    Kind = "answer"    // a knowledge-base topic
	KindTriage    Kind = "triage"    // the guided choice (start, a question, or its outcome)
	KindCrisis    Kind = "crisis"    // crisis resources first
	KindSmalltalk Kind = "smalltalk" // greeting, thanks, help, what are you, bye
	KindFallback  Kind = "fallback"  // nothing matched with confidence, or input we cannot use
)

// Kinds lists every [Kind] in a stable order, for reports and metrics.
var Kinds = []Kind{KindAnswer, KindTriage, KindCrisis, KindSmalltalk, KindFallback}

// Message is one thing a person did: typed Text, or pressed a button whose data is
// Data. Exactly one of the two is normally set; if both are, Data wins.
//
// Platform, Community and Conversation are opaque keys chosen by the adapter.
// Community is a group or guild id, or [CommunityDM] for private chats; it may be
// stored in usage counts. Conversation identifies the person's conversation (for
// typed triage answers and session counting); it is only ever hashed in memory
// with a per-process random key and never stored or logged.
type Message struct {
	Platform     string
	Community    string
	Conversation string
	Text         string
	Data         string
}

// CommunityDM is the community every private chat or direct message counts under,
// so no person's chat id ever reaches the stats.
const CommunityDM = "dm"

// MaxDataLen is the most bytes a [Choice]'s Data may hold: Telegram's limit for
// callback data (Discord allows 100).
const MaxDataLen = 64

// MaxLabelLen is the most characters a [Choice]'s Label may hold (Discord's limit
// for a button label).
const MaxLabelLen = 80

// Choice is one button offered with a reply. Pressing it sends a [Message] whose
// Data is this Data.
type Choice struct {
	Label string `json:"label"`
	Data  string `json:"data"`
}

// Reply is the bot's answer to one [Message].
//
// Text is written in the light markup described in [ParseMarkup]; adapters render
// it for their platform, and [Plain] renders it as plain text.
type Reply struct {
	Kind    Kind     `json:"kind"`
	Topic   string   `json:"topic"`
	Score   float64  `json:"score"`
	Text    string   `json:"text"`
	Choices []Choice `json:"choices"`
	// Replace is true when the reply is the next step of the flow whose button was
	// pressed (a triage question after the previous one): an adapter may edit the
	// message that carried the button instead of sending a new one.
	Replace bool `json:"-"`
}

// Button data understood by the core besides the triage's own encoding. Adapters
// map their commands onto these (for example Telegram's /triage sends
// Message{Data: DataTriage}).
const (
	DataStart  = "start"  // the welcome
	DataHelp   = "help"   // what the bot can do
	DataTopics = "topics" // the list of topics as buttons
	DataTriage = "triage" // start the triage from the beginning
	DataAbout  = "about"  // what the bot is and what it stores (the privacy topic)
	// DataTopicPrefix followed by a topic id answers that topic.
	DataTopicPrefix = "topic:"
)

// Recorder receives anonymous usage events. Record must not block: an
// implementation hands the event off (or drops and counts it) and returns at once,
// because it is called on the reply path. The stats store implements it.
type Recorder interface {
	Record(ctx context.Context, e Event) error
}

// NopRecorder is a [Recorder] that records nothing; it is the default.
type NopRecorder struct{}

// Record does nothing.
func (NopRecorder) Record(context.Context, Event) error { return nil }

// ErrorKind names a class of failure counted in the stats.
type ErrorKind string

// The error kinds.
const (
	ErrorKindForgedPayload ErrorKind = "forged_payload" // button data the bot did not make, or from an older version
	ErrorKindPlatformAPI   ErrorKind = "platform_api"   // a platform API call failed for good
	ErrorKindStore         ErrorKind = "store"          // the stats store could not write
	ErrorKindPanic         ErrorKind = "panic"          // a handler recovered from a panic
)

// Event is one anonymous usage event. It holds no text and no id of a person:
// Session is a keyed hash of the conversation whose key is random per process and
// never written anywhere, so it can tell sessions apart in memory but means
// nothing outside the process that made it.
//
// An event with a Kind is a handled message (a message and its reply); an event
// with only Err set is a failure reported by an adapter or the store.
type Event struct {
	Time      time.Time
	Platform  string
	Community string
	Session   uint64
	Kind      Kind
	Topic     string // the answered topic, for KindAnswer
	Clarify   bool   // the matcher asked which of two close topics was meant
	// TriageStarted, TriageStep and TriageOutcome mark the triage funnel: the
	// triage began, question number TriageStep (1-based) was shown, or it ended in
	// TriageOutcome.
	TriageStarted bool
	TriageStep    int
	TriageOutcome string
	Latency       time.Duration // from receiving the message to the reply being ready
	Err           ErrorKind
}
