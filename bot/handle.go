package bot

import (
	"context"
	"fmt"
	"hash/maphash"
	"log/slog"
	"strings"
	"time"
	"unicode"

	"github.com/supportbot/supportbot/bot/crisis"
	"github.com/supportbot/supportbot/bot/textnorm"
)

// Bot is the core. It is safe for concurrent use by many adapters and
// conversations at once.
type Bot struct {
	know    Knowledge
	topics  map[string]*Topic
	matcher *matcher
	triage  *triage
	crisis  *crisis.Detector
	intents *intents // nil: the matcher and phrase rules alone
	// languages tells a message in another language, for the fallback's note.
	languages *languages
	// afterCrisis remembers, by session hash, the conversations that had a
	// crisis reply lately (and its language), for the reminder line.
	afterCrisis *triageMemory
	// ownAnswers are the triage's answers as the bot offers them (labels and
	// typed forms, normalised), but the one that leads to urgent help.
	ownAnswers []string
	rec        Recorder
	log        *slog.Logger
	now        func() time.Time
	// seed keys the session hash. maphash seeds are random per process and cannot
	// be read back, which is exactly the property the anonymity promise needs.
	seed maphash.Seed
}

// Option configures a [Bot].
type Option func(*Bot)

// WithRecorder sends usage events to r (the default records nothing).
func WithRecorder(r Recorder) Option { return func(b *Bot) { b.rec = r } }

// WithLogger logs through l (the default discards). The core never logs message
// text or ids.
func WithLogger(l *slog.Logger) Option { return func(b *Bot) { b.log = l } }

// WithClock replaces time.Now, for tests of expiry.
func WithClock(now func() time.Time) Option { return func(b *Bot) { b.now = now } }

// New builds a bot over a knowledge base. It fails if the knowledge base lacks
// something the core cannot do without (a message key, a triage flow that does
// not hold together).
func New(k Knowledge, opts ...Option) (*Bot, error) {
	b := &Bot{
		know:   k,
		topics: make(map[string]*Topic, len(k.Topics)),
		rec:    NopRecorder{},
		log:    slog.New(slog.DiscardHandler),
		now:    time.Now,
		seed:   maphash.MakeSeed(),
	}
	for _, o := range opts {
		o(b)
	}
	for _, key := range MessageKeys {
		if strings.TrimSpace(k.Messages[key]) == "" {
			return nil, fmt.Errorf("knowledge base: message %q is missing", key)
		}
	}
	for i := range k.Topics {
		t := &k.Topics[i]
		if _, dup := b.topics[t.ID]; dup {
			return nil, fmt.Errorf("knowledge base: topic %q defined twice", t.ID)
		}
		b.topics[t.ID] = t
	}
	b.crisis = k.CrisisDetector
	if b.crisis == nil {
		if len(k.CrisisLexicons) == 0 {
			return nil, fmt.Errorf("knowledge base: no crisis lexicon: the bot does not start without its crisis check")
		}
		det, err := crisis.New(k.CrisisLexicons, k.CrisisModel)
		if err != nil {
			return nil, fmt.Errorf("knowledge base: %w", err)
		}
		b.crisis = det
	}
	langs, err := newLanguages(k.Languages)
	if err != nil {
		return nil, fmt.Errorf("knowledge base: %w", err)
	}
	b.languages = langs
	b.afterCrisis = newTriageMemory(triageMemorySize, crisisReminderTTL)
	b.ownAnswers = ownAnswers(k.Triage)
	b.matcher = newMatcher(k.Topics, k.Synonyms, k.Stems)
	if k.Intents != nil {
		in, err := newIntents(k.Intents, b.topics, b.matcher)
		if err != nil {
			return nil, fmt.Errorf("knowledge base: %w", err)
		}
		b.intents = in
	}
	tr, err := newTriage(k.Triage, b)
	if err != nil {
		return nil, fmt.Errorf("knowledge base: triage: %w", err)
	}
	b.triage = tr
	return b, nil
}

// Topics returns the knowledge base's topics in their loaded order.
func (b *Bot) Topics() []Topic { return b.know.Topics }

// Handle turns one message into a reply. It never fails: bad input, forged button
// data and internal errors all get a polite reply. Every typed message is checked
// for signs of crisis before anything else. One anonymous [Event] goes to the
// [Recorder] without waiting on it.
func (b *Bot) Handle(ctx context.Context, m Message) (r Reply) {
	start := b.now()
	ev := Event{
		Time:      start,
		Platform:  m.Platform,
		Community: m.Community,
		Session:   maphash.String(b.seed, m.Platform+"\x00"+m.Community+"\x00"+m.Conversation),
	}
	defer func() {
		if p := recover(); p != nil {
			// An impossible state, but a person is waiting: log without the
			// message and answer with the fallback.
			b.log.Error("handler panic", "platform", m.Platform, "panic", fmt.Sprint(p))
			r = b.fallback()
			ev.Err = ErrorKindPanic
		}
		ev.Kind = r.Kind
		if r.Kind == KindAnswer {
			ev.Topic = r.Topic
		}
		ev.Latency = b.now().Sub(start)
		if err := b.rec.Record(ctx, ev); err != nil {
			b.log.Warn("record usage event", "err", err)
		}
	}()
	if m.Data != "" {
		r = b.handleData(m, &ev)
	} else {
		r = b.handleText(m, &ev)
	}
	return b.remindAfterCrisis(r, ev.Session)
}

// message returns the fixed reply for key.
func (b *Bot) message(key string) string { return b.know.Messages[key] }

// handleData answers a pressed button (or a command an adapter mapped to one).
func (b *Bot) handleData(m Message, ev *Event) Reply {
	data := m.Data
	switch {
	case data == DataStart:
		return Reply{Kind: KindSmalltalk, Text: b.message("welcome"), Choices: b.menuChoices()}
	case data == DataHelp:
		return Reply{Kind: KindSmalltalk, Text: b.message("help"), Choices: b.menuChoices()}
	case data == DataTopics:
		return b.topicList()
	case data == DataAbout:
		if t, ok := b.topics["privacy"]; ok {
			return b.answer(t, 1)
		}
		return Reply{Kind: KindSmalltalk, Text: b.message("bot"), Choices: b.menuChoices()}
	case strings.HasPrefix(data, DataTopicPrefix):
		if t, ok := b.topics[strings.TrimPrefix(data, DataTopicPrefix)]; ok {
			return b.answer(t, 1)
		}
	}
	if r, ok := b.triage.handleData(m, ev); ok {
		return r
	}
	ev.Err = ErrorKindForgedPayload
	return b.expired()
}

// expired is the reply to button data the bot cannot read.
func (b *Bot) expired() Reply {
	return Reply{Kind: KindFallback, Text: b.message("expired"), Choices: b.menuChoices()}
}

// handleText answers typed text: crisis first, then an answer to a triage
// question in progress, small talk, the wish to be helped choosing, and finally
// the knowledge base.
func (b *Bot) handleText(m Message, ev *Event) Reply {
	text := textnorm.Sanitize(m.Text)
	// Room on the stack for the sentences of all but a long story.
	var room [64]int32
	norm, ends := textnorm.NormalizeSentences(text, room[:0])
	if f := b.crisis.CheckNormalized(text, norm, ends); f.Crisis && !(f.Rule == "model" && b.ownAnswer(norm)) {
		b.afterCrisis.put(ev.Session, f.Lang, b.now())
		return b.crisisReply(f)
	}
	// Before the check for letters: "2" answers a triage question.
	if r, ok := b.triage.handleText(m, norm, ev); ok {
		return r
	}
	if letters(norm) < 2 {
		// Nothing readable: no letters, or one among digits and symbols (a
		// terminal's escape codes leave "31m").
		return Reply{Kind: KindFallback, Text: b.message("empty"), Choices: b.menuChoices()}
	}
	r := b.understand(m, text, norm, ev)
	if r.Kind == KindFallback {
		// Not understood, and perhaps not English: say so in the person's
		// language.
		if note := b.languages.note(norm); note != "" {
			r.Text = note + "\n\n" + r.Text
		}
	}
	return r
}

// understand answers a message that is no crisis, no answer to the triage
// and not empty: from the classifier (or the matcher and phrase rules).
func (b *Bot) understand(m Message, text, norm string, ev *Event) Reply {
	if b.intents != nil {
		// A command typed where the platform has no commands ("/start" in the
		// terminal) is the command.
		if name, ok := strings.CutPrefix(strings.TrimSpace(text), "/"); ok {
			if data, ok := CommandData(strings.Fields(name + " x")[0]); ok {
				return b.handleData(Message{Platform: m.Platform, Community: m.Community, Conversation: m.Conversation, Data: data}, ev)
			}
		}
		// A message of a few words that is small talk from end to end ("hi",
		// "thanks!", "cheers mate", "help") is answered by the phrase rules,
		// which know these words exactly; anything longer goes to the
		// classifier ("are you a therapist, and do you log my messages?").
		if !moreWordsThan(norm, 3) {
			if key, rest := smalltalk(norm); key != "" && rest == "" {
				return b.smalltalkReply(key)
			}
		}
		d := b.classify(norm)
		// A long story that ends in a question: the question says what the
		// person wants to know, the story mostly what they live with. A story
		// of everyday life reads as off-topic as a whole; a question about
		// groups at its end still deserves its answer. In a message of a few
		// sentences, those before the question often say what it asks ("I
		// want someone trained in charge. Which group gives me that?"): there
		// the question is read alone only when the whole says nothing to act
		// on, and only a question about a topic is taken ("My son is bullied.
		// What should I do?" is no wish to choose a group).
		if q, long := lastQuestion(text); q != "" && (long || !b.intents.actionable(d)) {
			dq := b.classify(textnorm.Normalize(q))
			if b.intents.actionable(dq) && (!b.intents.actionable(d) || dq.p > d.p) && (long || b.intents.classes[dq.class].kind == KindAnswer) {
				d = dq
			}
		}
		if !b.intents.actionable(d) && moreWordsThan(text, longMessageWords) {
			// A long message that reads as off-topic as a whole, with no
			// question at its end that says otherwise: the ask may come first
			// ("What do these cost? Here's my situation…"), in the middle, or
			// without a question mark ("I'd like to know what they cost").
			// Read it a sentence at a time.
			if ds, ok := b.askingSentence(text, d.lean); ok {
				d = ds
			}
		}
		return b.intentReply(d, m, ev)
	}
	key, rest := smalltalk(norm)
	if key != "" && rest == "" {
		return b.smalltalkReply(key)
	}
	if wantsTriage(rest) {
		return Reply{Kind: KindTriage, Text: b.message("triage_offer"), Choices: []Choice{{Label: b.message("button_triage"), Data: DataTriage}}}
	}
	r := b.matchReply(rest, ev)
	if q, long := lastQuestion(text); q != "" && long {
		// A long story that ends in a question: the question says what the
		// person wants to know, the story mostly what they live with.
		var qev Event
		if rq := b.matchReply(textnorm.Normalize(q), &qev); rq.Kind == KindAnswer {
			ev.Clarify = false
			r = rq
		}
	}
	if key != "" && r.Kind == KindFallback {
		// "Hi, um, so" then nothing we know: the greeting deserves its answer.
		ev.Clarify = false
		return b.smalltalkReply(key)
	}
	return r
}

func (b *Bot) smalltalkReply(key string) Reply {
	return Reply{Kind: KindSmalltalk, Text: b.message(key), Choices: b.menuChoices()}
}

// menuChoices are the buttons offered where the person may not know what to ask.
func (b *Bot) menuChoices() []Choice {
	return []Choice{
		{Label: b.message("button_triage"), Data: DataTriage},
		{Label: b.message("button_topics"), Data: DataTopics},
	}
}

// fallback is the reply when nothing matched with confidence.
func (b *Bot) fallback() Reply {
	return Reply{Kind: KindFallback, Text: b.message("fallback"), Choices: b.menuChoices()}
}

// topicList offers every topic as a button.
func (b *Bot) topicList() Reply {
	ch := make([]Choice, 0, len(b.know.Topics))
	for i := range b.know.Topics {
		t := &b.know.Topics[i]
		ch = append(ch, Choice{Label: t.Title, Data: DataTopicPrefix + t.ID})
	}
	return Reply{Kind: KindSmalltalk, Text: b.message("topics"), Choices: ch}
}

// answer replies with a topic, its disclaimer and its related topics as buttons.
func (b *Bot) answer(t *Topic, score float64) Reply {
	ch := make([]Choice, 0, len(t.Related)+1)
	for _, id := range t.Related {
		if rt, ok := b.topics[id]; ok {
			ch = append(ch, Choice{Label: rt.Title, Data: DataTopicPrefix + rt.ID})
		}
	}
	return Reply{
		Kind:    KindAnswer,
		Topic:   t.ID,
		Score:   score,
		Text:    t.Answer + "\n\n" + b.message("disclaimer"),
		Choices: ch,
	}
}

// letters counts the letters of s, up to two.
func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			if n++; n == 2 {
				break
			}
		}
	}
	return n
}

// lastQuestion returns the last sentence ending in "?" of a message of more
// than one sentence, or "", and whether the message is long (more than
// longMessageWords words).
func lastQuestion(text string) (q string, long bool) {
	end := strings.LastIndexByte(text, '?')
	if end < 0 {
		return "", false
	}
	start := strings.LastIndexAny(text[:end], ".!?\n") + 1
	if start <= 0 {
		return "", false
	}
	return text[start:end], moreWordsThan(text, longMessageWords)
}

// askingSentence reads the sentences of a long message one by one, up to
// sentenceReadWords words, and returns the decision of the one most surely
// about lean, the topic (or the wish to choose) the whole message leans to.
// A sentence alone is read without its story: "we're all completely
// different travellers" reads as the difference between groups, but the
// whole message, about a trip, leans elsewhere. Both readings must agree.
// The classifier learnt from everyday sentences of the kind told around a
// question (knowledge/examples/everyday-*) that such a sentence asks
// nothing; without them the sentences of a story read as topics.
// Sentences of fewer than minSentenceWords words say too little alone
// ("Long story.", "Anyway.").
func (b *Bot) askingSentence(text string, lean int) (intentDecision, bool) {
	best, found, read := intentDecision{}, false, 0
	for len(text) > 0 && read < sentenceReadWords {
		end := strings.IndexAny(text, ".!?\n")
		if end < 0 {
			end = len(text)
		}
		sentence := text[:end]
		text = text[min(end+1, len(text)):]
		n := words(sentence, sentenceReadWords)
		read += n
		if n < minSentenceWords {
			continue
		}
		d := b.classify(textnorm.Normalize(sentence))
		if lean < 0 || d.class != lean {
			continue
		}
		if !found || d.p > best.p {
			best, found = d, true
		}
	}
	return best, found
}

// sentenceReadWords bounds how far into a long message askingSentence reads:
// about as far as the matcher reads a message whole (maxQueryWords), so a pasted
// diary costs no more than that.
const sentenceReadWords = 200

// minSentenceWords is the fewest words a sentence needs to be read alone.
const minSentenceWords = 4

// longMessageWords is where a message counts as a story rather than a question.
const longMessageWords = 25

// moreWordsThan reports whether s has more than n space-separated words,
// without splitting it (this runs on every message with a question mark).
func moreWordsThan(s string, n int) bool { return words(s, n+1) > n }

// words counts the words of s separated by spaces, tabs or line breaks, up to limit:
// without building the list of them.
func words(s string, limit int) int {
	n, inWord := 0, false
	for i := 0; i < len(s) && n < limit; i++ {
		space := s[i] == ' ' || s[i] == '\t' || s[i] == '\n'
		if !space && !inWord {
			n++
		}
		inWord = !space
	}
	return n
}
