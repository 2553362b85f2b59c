package bot

import (
	"context"
	"strings"
	"testing"
)

// recordLast is a Recorder that keeps the last event.
type recordLast struct{ ev Event }

func (r *recordLast) Record(_ context.Context, ev Event) error {
	r.ev = ev
	return nil
}

// FuzzTriageDecode feeds arbitrary button data to the triage's decoder and to
// the whole bot: nothing panics, data the decoder accepts is exactly what the
// encoder makes (one spelling per state, within MaxDataLen), and data the
// triage claims but cannot read is answered politely and counted as forged.
//
//	go test -fuzz=FuzzTriageDecode ./bot
func FuzzTriageDecode(f *testing.F) {
	rec := &recordLast{}
	b := newTestBot(f, WithRecorder(rec))
	tr := b.triage
	for _, s := range []string{
		"", "triage", "topic:cost", "t1.", "t1." + tr.print + ".", "t1." + tr.print + ".10",
		"t1." + tr.print + ".113", "t1." + tr.print + ".99", "t2." + tr.print + ".1",
		"t1.00000000.1", "t1." + tr.print + ".1\x00", "t01." + tr.print + ".1", "t1." + strings.Repeat("9", 80),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data string) {
		answers, mine, ok := tr.decode(data)
		if ok && !mine {
			t.Fatalf("decode(%q): ok without being triage data", data)
		}
		if ok {
			var p position
			if p, ok = tr.walk(answers); ok {
				if got := tr.encode(answers); got != data {
					t.Errorf("decode(%q) accepted a spelling the encoder does not make (%q)", data, got)
				}
				if len(data) > MaxDataLen {
					t.Errorf("decode accepted %d bytes, more than %d", len(data), MaxDataLen)
				}
				if p.question < 0 && p.outcome < 0 {
					t.Errorf("walk(%q) ended without an outcome", answers)
				}
			}
		}
		r := b.Handle(context.Background(), Message{Platform: "fuzz", Conversation: "c", Data: data})
		if strings.TrimSpace(r.Text) == "" {
			t.Errorf("data %q: empty reply", data)
		}
		// ok now says whether the data is a state of this flow.
		if mine && !ok && (rec.ev.Err != ErrorKindForgedPayload || r.Kind != KindFallback) {
			t.Errorf("data %q: got %s, err %q; want the expired reply, counted as forged", data, r.Kind, rec.ev.Err)
		}
	})
}
