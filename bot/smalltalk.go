package bot

import (
	"sync"

	"github.com/supportbot/supportbot/bot/phrase"
	"github.com/supportbot/supportbot/bot/textnorm"
)

// Small talk and the wish to be helped choosing are recognised by phrases over
// normalised words (see [phrase]). Small talk is matched against the whole
// message, after fillers are dropped and a leading greeting or thanks is set
// aside, so "hi, who runs a support group?" is still a question.

var (
	greetingPhrases = phrase.MustSet(
		"hi|hello|hey|heya|hiya|howdy|yo|sup|hola|greetings|hai|helo|hallo|heyy|heyyy|hii|hiii|hellooo|ello",
		"good morning|afternoon|evening|day",
		"morning|evening|gm",
		"whats|wats|wassup|whatsup up",
		"wassup|whatsup",
		"how ~1 are|r ~1 you|u ~1 doing|today",
		"bot|supportbot",
		"hows|how ~1 it ~1 going",
	)
	thanksPhrases = phrase.MustSet(
		"thanks|thank|thx|thnx|thanx|ty|tysm|thankyou|cheers|ta ~1 you|u|so|a|very ~1 much|lot|bunch",
		"thanks|thx|thnx|thanx|ty|tysm|thankyou|cheers|ta",
		"thank you|u",
		"appreciate|appreciated ~1 it|that|you",
		"much appreciated",
		"that|this ~2 helps|helped|helpful|great|perfect|useful",
		"great|perfect|awesome|cool|nice|brilliant|lovely ~1 thanks|thank|thx|ty",
	)
	helpPhrases = phrase.MustSet(
		"help",
		"help me|pls|please",
		"i ~1 need ~1 help",
		"what ~2 can|do ~1 you|u ~1 do|help",
		"what ~1 can ~1 i ~1 ask",
		"how ~2 does|do ~2 this|it|you ~1 work",
		"how ~2 do ~1 i ~1 use ~2 this|you|it",
		"commands|menu|options|start",
		"get|getting started",
		"what is this",
	)
	botPhrases = phrase.MustSet(
		"are|r|is ~1 you|u|this|it ~3 bot|robot|human|real|person|ai|machine|chatbot|therapist|counsellor|counselor|chatgpt|automated|live",
		"am|are ~1 i|we ~3 talking|chatting|speaking ~2 bot|robot|human|real|person|ai|machine",
		"who|what ~1 are|r ~1 you|u",
		"who ~1 made|built|created|runs|wrote ~1 you|u|this",
		"you|u ~1 a|an ~1 bot|robot|ai",
	)
	byePhrases = phrase.MustSet(
		"bye|goodbye|byebye|cya|later|laters|gtg|ttyl|gn|goodnight|farewell",
		"bye bye",
		"see ~1 you|ya|u ~1 later|soon|around",
		"good night",
		"got|gotta|have ~1 to ~1 go",
		"take care",
		"im|i ~1 am ~1 done|off|leaving|going",
		"that|thats ~1 all",
	)
	// fillers are dropped before small talk is matched.
	fillers = map[string]bool{
		"ok": true, "okay": true, "k": true, "so": true, "um": true, "uh": true, "umm": true,
		"well": true, "oh": true, "lol": true, "haha": true, "hmm": true, "please": true,
		"pls": true, "plz": true, "there": true, "again": true, "then": true, "and": true, "yeah": true, "yes": true, "really": true, "just": true,
		"very": true, "much": true, "guys": true, "everyone": true, "friend": true,
		// Words of address: "thanks mate", "hey bro", "cheers pal".
		"mate": true, "bro": true, "bruh": true, "dude": true, "man": true, "buddy": true, "pal": true, "fam": true, "sis": true, "folks": true, "all": true, "yall": true,
	}

	triagePhrases = phrase.MustSet(
		"help|helping|helps ~1 me ~2 decide|choose|pick|figure|decision|work",
		"decide|choose|choosing|deciding|pick|picking ~1 between",
		"which|what|whats ~5 right|best|better|suit|suits|suited|fit|fits|suitable|good|ideal ~1 for ~1 me|myself|my",
		"which ~3 should ~1 i ~1 choose|pick|go|try|join|do|attend|start",
		"which one|option ~2 should",
		"figure ~1 out ~3 which|what",
		"which ~3 fits|suits",
		"enough ~2 for ~1 me",
		"or ~1 do|should ~1 i ~1 need",
		"for ~1 someone|somebody|people ~1 like ~1 me",
		"where ~2 to ~1 start|begin",
		"do|would|should ~1 i ~1 need|try|join ~2 therapy|group|groups|counselling|counseling|support",
		"what ~2 should ~1 i ~2 choose|pick|go|try|join",
		"should|do|would|can ~1 i ~7 or ~5 therapy|group|groups|counselling|counseling|therapist|both",
		"not|unsure|idk|confused|dunno|unclear ~4 which|whether ~4 need|choose|pick|right|go|do|best|better|try|join",
		"not|dont|idk|unsure|confused|dunno ~3 know|sure ~2 what|which ~2 i ~1 need",
		"what ~1 do ~1 i ~1 need",
		"recommend|suggest|recommendation|suggestion ~4 for ~1 me",
		"what ~3 you|u ~1 recommend|suggest",
		"is|are|would ~5 right|suitable|good fit|fit ~1 for ~1 me",
		"where ~2 do|should ~1 i ~1 start|begin",
		"find ~2 out ~2 what|which ~2 right|best|need",
		"triage|quiz|questionnaire",
	)
)

// smalltalk recognises small talk. key is the messages.yaml key of the reply
// ("greeting", "thanks", "help", "bot", "bye"), or "" if the message is not small
// talk at all. When a greeting or thanks opens a longer message, key names it and
// rest is the remainder for the other checks: the greeting is the reply only if
// nothing better answers the rest.
func smalltalk(norm string) (key, rest string) {
	sc := smalltalkPool.Get().(*[]string)
	defer smalltalkPool.Put(sc)
	all := textnorm.Words((*sc)[:0], norm)
	*sc = all
	if len(all) > 12 {
		return "", norm // a long message is a question, whatever its first word
	}
	ws := all[:0] // filter in place: all is this call's scratch
	for _, w := range all {
		if !fillers[w] {
			ws = append(ws, w)
		}
	}
	// A leading greeting or thanks, possibly both ("hi thanks").
	for _, p := range []struct {
		set *phrase.Set
		key string
	}{{greetingPhrases, "greeting"}, {thanksPhrases, "thanks"}, {greetingPhrases, "greeting"}} {
		if k, start, end := p.set.Find(ws); k >= 0 && start == 0 {
			ws = ws[end:]
			if key == "" || p.key == "thanks" {
				key = p.key
			}
		}
	}
	if len(ws) == 0 {
		return key, ""
	}
	for _, p := range []struct {
		set *phrase.Set
		key string
	}{{helpPhrases, "help"}, {botPhrases, "bot"}, {byePhrases, "bye"}, {thanksPhrases, "thanks"}, {greetingPhrases, "greeting"}} {
		if p.set.MatchesWhole(ws) {
			return p.key, ""
		}
	}
	// In a short message, asking whether this is a bot or saying goodbye
	// anywhere is enough ("am i talking to a real person?", "tired, bye for now").
	if len(ws) <= 8 {
		if botPhrases.Matches(ws) {
			return "bot", ""
		}
		if byePhrases.Matches(ws) {
			return "bye", ""
		}
	}
	if key == "" {
		return "", norm
	}
	return key, joinWords(ws)
}

var smalltalkPool = sync.Pool{New: func() any { s := make([]string, 0, 16); return &s }}

func joinWords(ws []string) string {
	n := 0
	for _, w := range ws {
		n += len(w) + 1
	}
	b := make([]byte, 0, n)
	for i, w := range ws {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, w...)
	}
	return string(b)
}

// wantsTriage reports whether the person asks to be helped choosing ("which one is
// right for me?", "help me decide").
func wantsTriage(norm string) bool {
	sc := smalltalkPool.Get().(*[]string)
	defer smalltalkPool.Put(sc)
	ws := textnorm.Words((*sc)[:0], norm)
	*sc = ws
	return triagePhrases.Matches(ws)
}
