package bot

import (
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// A triage button's data is the whole state of the triage, so that a restart, a
// second instance or a button pressed an hour later continues where the person
// was:
//
//	t1.8c1f02ab.102
//	│  │        └ the answers so far, one digit each: the option's index
//	│  └ the flow's fingerprint (8 hex digits)
//	└ the encoding's version
//
// At most 3+8+1+MaxFlowQuestions = 17 bytes, well within [MaxDataLen]. The
// prefix "t" + digits + "." cannot be mistaken for the core's own data (start,
// help, topics, triage, about, topic:<id>).
const (
	triageVersion = "t1."
	printLen      = 8
)

// encode makes a button's data for a sequence of answers.
func (t *triage) encode(answers string) string {
	return triageVersion + t.print + "." + answers
}

// decode reads a button's data strictly. mine is false for data that is not the
// triage's at all; ok is false for triage data this flow cannot read (another
// version, another flow's fingerprint, a wrong shape). Whether the answers fit
// the flow is for [triage.walk] to say.
func (t *triage) decode(data string) (answers string, mine, ok bool) {
	if !isTriageData(data) {
		return "", false, false
	}
	rest, found := strings.CutPrefix(data, triageVersion)
	if !found || len(rest) < printLen+1 || rest[:printLen] != t.print || rest[printLen] != '.' {
		return "", true, false
	}
	answers = rest[printLen+1:]
	if len(answers) > MaxFlowQuestions {
		return "", true, false
	}
	for i := 0; i < len(answers); i++ {
		if answers[i] < '0' || answers[i] > '9' {
			return "", true, false
		}
	}
	return answers, true, true
}

// isTriageData reports whether data has the shape of triage data of any
// version: "t", one or more digits, ".".
func isTriageData(data string) bool {
	if len(data) < 3 || data[0] != 't' {
		return false
	}
	i := 1
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i > 1 && i < len(data) && data[i] == '.'
}

// fingerprint hashes the shape of a flow: its questions, how many answers each
// has and where each leads. Wording is left out on purpose, so a curator who
// fixes a typo does not expire every button already sent.
func fingerprint(f Flow) string {
	h := fnv.New64a()
	put := func(s string) {
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	put(strconv.Itoa(len(f.Questions)))
	for _, q := range f.Questions {
		put(q.ID)
		put(strconv.Itoa(len(q.Options)))
		for _, o := range q.Options {
			put(o.Next)
			put(o.Outcome)
		}
	}
	return fmt.Sprintf("%0*x", printLen, h.Sum64()>>(64-4*printLen))
}
