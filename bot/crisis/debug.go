package crisis

import (
	"fmt"
	"strings"
)

// Explain describes how a message was read: the repaired words and every
// signal and concept found, for curators tuning a lexicon (never for logs: it
// holds the message's words).
func (d *Detector) Explain(text string) string {
	sc := new(scratch)
	f := d.checkText(sc, text)
	var b strings.Builder
	fmt.Fprintf(&b, "words: %s\n", strings.Join(sc.ws, " "))
	for _, h := range sc.hits {
		k := "concept"
		if h.e.kind == kindSignal {
			k = "signal"
		}
		fmt.Fprintf(&b, "  %s %s (%s) at %d-%d\n", k, h.e.name, h.e.lang, h.start, h.end)
	}
	fmt.Fprintf(&b, "finding: %+v\n", f)
	return b.String()
}
