package bot

import (
	"sync"

	"github.com/supportbot/supportbot/bot/phrase"
	"github.com/supportbot/supportbot/bot/textnorm"
)

// The crisis check runs on every typed message before anything else. It looks
// for explicit and indirect signs of suicide, self-harm, overdose, abuse or
// danger at home, with common misspellings. It errs on the side of showing the
// resources: a false alarm costs a person a few lines to scroll past, a miss can
// cost far more. Benign phrases that contain crisis words ("a support group for
// people bereaved by suicide") are set aside first.
//
// The phrases live in Go rather than in the knowledge base on purpose: they are
// safety logic, covered by tests and by the evaluation set's 100 % recall gate,
// not wording a curator should tune. The reply itself is data (crisis.yaml).

// people who may hurt someone at home, for the abuse phrases.
const abuser = "husband|wife|partner|boyfriend|girlfriend|bf|gf|dad|father|mom|mum|mother|stepdad|stepfather|stepmom|stepmum|stepmother|parents|parent|brother|sister|uncle|ex|fiance|spouse|he|she|they|someone|somebody|guardian|grandpa|grandfather"

var crisisPhrases = phrase.MustSet(
	// Suicide, explicit.
	"suicide|suicidal|suicidality|unalive|unaliving|kms|kys",
	"kill|killing|kil|murder ~1 myself|meself|self",
	"end|ending|take|taking|took my ~1 life",
	"end|ending it all",
	"want|wanna|going|gonna|plan|planning|ready|about ~3 end|ending it|things|everything",
	"want|wanna|wish|ready|going|gonna|deserve ~3 die|dead|disappear|vanish|gone",
	"wish ~2 never ~2 born|existed|exist|woke",
	"wish ~2 didnt|dont|wasnt ~1 exist|alive|here|born",
	"better ~2 off ~2 dead|gone",
	"better ~2 off ~2 without ~1 me",
	"no|any reason|point|purpose ~3 live|living|alive|exist|existing|life",
	"nothing|noone|nobody ~2 live|living ~1 for",
	"dont|never|cant want|wanna ~3 live|alive|exist|wake",
	"dont|never want|wanna ~3 here|around ~1 anymore|any",
	"cant go|keep|carry ~1 on|going|living",
	"cant ~2 do|take|handle|stand|cope|deal ~3 anymore|any|longer",
	"life ~3 not|isnt|aint|never ~1 worth",
	"not|isnt worth ~2 living|alive",
	"not|isnt worth ~1 it ~1 anymore",
	"sleep ~3 never|not ~2 wake",
	"not|never ~1 wake ~1 up",
	"pills|pill|tablets ~6 not|never|die|dead|kill|enough|overdose",
	"point ~2 of|in ~1 living|life|existing|alive",
	"burden ~1 to|on|for ~1 everyone|everybody|my|them|family|others|people",
	"happier|better ~3 if ~2 i ~1 was|were|wasnt|werent|died|gone|dead|disappeared",
	"giving|gave|give|given ~2 stuff|things|belongings|possessions|everything|all ~2 away",
	"wont|will|not ~2 need ~2 it|them|anything|stuff ~1 soon|anymore|much",
	"not|wont ~2 be ~1 alive|around ~3 next|much|long|longer|soon|tomorrow|anymore",
	"done|finished|tired|sick ~2 with|of ~2 life|living|existing|everything|alive",
	"done|finished|tired|sick ~2 with|of ~1 it ~1 all",
	"hate ~2 myself|life|alive",
	"urge|urges|want|wanna|need|tempted ~2 to ~1 cut|burn|harm|hurt ~1 myself|again|tonight|so",
	"want|wanna ~1 cut|cutting",
	"sliced|slashed|slit|cut|cutting|carved|carving ~2 my|open ~1 arm|arms|wrist|wrists|leg|legs|thigh|thighs|skin|stomach",
	"locks|locked|lock ~1 me ~2 in|out|up",
	"and ~1 hits|beats|slaps|kicks|chokes|punches|strangles me",
	"drank|drunk|drinking|vodka|alcohol|booze ~6 pills|pill|tablets|meds|sleeping",
	"pills|pill|tablets|meds ~6 drank|drunk|drinking|vodka|alcohol|booze|bottle",
	"noone|nobody ~2 miss|notice|care ~4 me|gone|died|dead|die",
	"hang|hanging|hung ~1 myself|me",
	"jump|jumping|jumped ~3 bridge|building|roof|rooftop|train|cliff|balcony|window",
	"give|giving|gave ~1 up ~1 on ~1 life|living|everything",
	"say|saying|said ~2 goodbye ~2 everyone|everybody|forever|world",
	"goodbye ~2 forever|world|cruel",
	"im|am|being ~2 burden",
	"see|find ~2 point ~3 anymore|living|life|anything",
	"plan|plans|planned|planning ~3 suicide|kill|die|death",
	"goodbye|suicide note|letter",
	"feel|feeling|thinking|thought|think|considering|about|ready ~2 end|ending it|things|everything|myself",
	"want|wish|need|make ~3 it|everything|all ~2 to ~1 stop|end",
	"want|wish|need ~3 it|everything|all ~2 to ~1 be ~1 over",
	"make ~1 it ~1 stop",
	"life|everything|living|existence ~2 pointless|meaningless|hopeless",
	"im|am not ~1 safe",
	"im|am ~1 unsafe",
	"dont|do ~2 feel ~1 safe ~2 home|here|anymore|him|her|them|around",
	"thinking|think|thought|thoughts ~3 jumping|dying|death|killing|ending|suicide|overdosing|overdose|cutting|hanging|disappearing",
	"live|living ~1 or ~1 die|dying|dead",
	"sleep|asleep ~2 forever",
	"have|got|bought|buy|buying|found|keep|kept ~3 rope|noose|gun|firearm|pistol|razor|razors|blade|blades",
	"pills|tablets|meds|medication ~3 saved|stockpiled|stockpiling|hoarding|hoarded|collected|collecting|stashed|saving",
	"saved|stockpiled|hoarded|stashed|collecting ~2 pills|tablets|meds",
	"whats|what ~2 point ~1 anymore|now",
	// Overdose.
	"overdose*|od|oded",
	"took|taken|take|swallowed|swallow|ate|downed ~3 bunch|lot|lots|many|all|whole|handful|entire|bottle|pack|box ~3 pills|pill|tablets|meds|medication|medications|painkillers|paracetamol|tylenol|ibuprofen|sleeping",
	// Self-harm.
	"self harm|harming|harmed|injury|injure|injuring",
	"selfharm",
	"hurt|hurting|harm|harming|cut|cutting|burn|burning|burned|burnt|punish|punishing|starve|starving|scratch|scratching|sliced|slashed|stabbed|stabbing ~1 myself|meself",
	"been|started|start|keep|kept|still|relapsed ~1 cutting",
	"cutting|cut ~1 again|myself|deep",
	"cutting|cut|cuts ~1 my|on ~1 arms|arm|wrists|wrist|legs|leg|thighs|thigh|skin",
	"relapse*|relapsing ~3 cutting|harm|sh",
	"wrist|wrists|arm|arms ~3 blade|razor|bleed|bleeding",
	// Abuse and danger at home.
	abuser+" ~3 hits|hit|beats|beat|beating|hitting|punches|punched|punch|chokes|choked|choking|strangled|strangles|kicks|kicked|slaps|slapped|hurts|abuses|abused|abusing|rapes|raped|molests|molested|touches|touched|threatens|threatened|attacks|attacked|hurting ~1 me|us",
	abuser+" ~3 hits|hit|beats|beat|beating|hitting|punches|punched|chokes|choked|strangled|strangles|kicks|kicked|slaps|slapped|abuses|abused|abusing|attacks|attacked ~2 mom|mum|mother|sister|brother|kids|children|son|daughter|baby",
	"going|gonna|will|threatened|threatens|threatening|wants|trying|tried ~3 kill|hurt|beat ~1 me|us",
	"abusive|abuses|abused|abusing|molested|raped|rape|assaulted",
	"domestic violence|abuse",
	"scared|afraid|terrified|frightened|fear ~3 go|going|goin|be ~1 home",
	"scared|afraid|terrified|frightened ~2 of ~1 "+abuser,
	"not|isnt|arent|unsafe|dont|never ~2 safe|unsafe ~3 home|house|here|anymore",
	"unsafe ~2 home|house",
	"in danger|dangerous",
	"danger ~2 home|house",
	"want|wanna|going|gonna|might|could ~3 hurt|kill|harm ~1 someone|somebody|people|him|her|them|everyone",
)

// benignPhrases contain crisis words but are about something else; they are set
// aside before the crisis phrases are looked for. Keep them narrow: a message
// that also has a sign of crisis elsewhere still gets the resources.
var benignPhrases = phrase.MustSet(
	"bereaved|bereavement ~3 suicide|suicides|overdose|overdoses",
	"lost|losses|loss ~4 to|from|through ~1 suicide|suicides|overdose|overdoses",
	"suicide|overdose ~1 bereavement|loss|losses|survivors|prevention|awareness|grief",
	"died|death|deaths|passed ~2 by|of|from ~1 suicide|overdose",
	"affected|touched|impacted ~1 by ~1 suicide|overdose",
	"abuse|abused|abusive ~1 survivors|survivor",
	"survivors|survivor ~2 of ~2 abuse|assault|rape|violence",
	"domestic violence ~2 survivors|survivor",
)

// crisisSpellings maps common misspellings and run-together forms of crisis
// words to the words the phrases use.
var crisisSpellings = map[string]string{
	"sucide": "suicide", "suicde": "suicide", "suiside": "suicide", "suicid": "suicide",
	"suecide": "suicide", "sucicide": "suicide", "siucide": "suicide",
	"suicdie": "suicide", "suiced": "suicide", "suacide": "suicide", "suicidel": "suicidal",
	"sucidal": "suicidal", "suicidial": "suicidal", "suicidle": "suicidal", "suisidal": "suicidal",
	"suicadal": "suicidal", "sucidial": "suicidal",
	"myslef": "myself", "mysef": "myself", "myselff": "myself", "myelf": "myself", "msyelf": "myself", "mself": "myself",
	"slef": "self", "sefl": "self",
	"kil": "kill", "kll": "kill", "kilk": "kill",
	"doesnt": "dont", "cannot": "cant", "couldnt": "cant", "cnt": "cant", "cnat": "cant",
	"wnat": "want", "wan": "want", "wana": "wanna", "wannna": "wanna",
	"anymroe": "anymore", "nomore": "anymore",
	"overdoes": "overdose", "overdossed": "overdosed", "ovrdose": "overdose",
	"iam": "im", "nobodys": "nobody",
	"harme": "harm", "hurtt": "hurt",
	"pils": "pills", "pillz": "pills",
}

// crisisWordsPool recycles the word buffer of the crisis check.
var crisisWordsPool = sync.Pool{New: func() any { s := make([]string, 0, 64); return &s }}

// IsCrisis reports whether a message shows signs of crisis (suicide, self-harm,
// overdose, abuse or danger at home). [Bot.Handle] checks every typed message
// itself; adapters use IsCrisis only for messages they would otherwise not pass
// on, such as group chatter not addressed to the bot, so that a person in danger
// gets the resources wherever they wrote.
func IsCrisis(text string) bool { return isCrisis(textnorm.Sanitize(text)) }

// isCrisis reports whether sanitised text shows signs of crisis.
func isCrisis(text string) bool {
	return isCrisisNorm(textnorm.Normalize(text))
}

func isCrisisNorm(norm string) bool {
	bufp := crisisWordsPool.Get().(*[]string)
	defer func() {
		*bufp = (*bufp)[:0]
		crisisWordsPool.Put(bufp)
	}()
	ws := crisisWords((*bufp)[:0], norm)
	*bufp = ws
	benignPhrases.Blank(ws)
	return crisisPhrases.Matches(ws)
}

// crisisWords splits normalised text into words with crisis misspellings fixed
// and two-word forms joined ("no one" → "noone", "my self" → "myself", "self
// harm" kept as two words, "any more" → "anymore").
func crisisWords(dst []string, norm string) []string {
	dst = textnorm.Words(dst, norm)
	out := dst[:0]
	for i := 0; i < len(dst); i++ {
		w := dst[i]
		if fix, ok := crisisSpellings[w]; ok {
			w = fix
		} else if len(w) >= 6 && len(w) <= 10 && w[0] == 's' && (textnorm.EditDistance(w, "suicide", 2) <= 2 || textnorm.EditDistance(w, "suicidal", 2) <= 2) {
			w = "suicide"
		}
		if i+1 < len(dst) {
			next := dst[i+1]
			switch {
			case (w == "no" && next == "one") || (w == "no" && next == "body"):
				w = "noone"
				i++
			case w == "my" && (next == "self" || next == "slef"):
				w = "myself"
				i++
			case w == "any" && next == "more":
				w = "anymore"
				i++
			case w == "can" && next == "not":
				w = "cant"
				i++
			case w == "do" && next == "not":
				w = "dont"
				i++
			case w == "un" && next == "alive":
				w = "unalive"
				i++
			case w == "over" && next == "dose":
				w = "overdose"
				i++
			}
		}
		out = append(out, w)
	}
	return out
}
