package telegram

import (
	"encoding/json"
	"testing"
)

// TestAcksOffset: the offset confirms the handled updates up to the oldest
// unanswered one, skipping the updates of a chat waiting out a 429.
func TestAcksOffset(t *testing.T) {
	k := newAcks()
	if off, busy, ahead := k.state(); off != 1 || busy || ahead != 0 {
		t.Fatalf("empty: state %d %v %d, want 1 false 0", off, busy, ahead)
	}
	k.take(1, 10)
	k.take(2, 20)
	k.take(3, 30)
	k.take(4, 20)
	steps := []struct {
		name   string
		do     func()
		offset int64
		busy   bool
		ahead  int
	}{
		{"all in hand", func() {}, 1, true, 4},
		{"3 answered", func() { k.finish(3) }, 1, true, 4},
		{"chat 10 throttled", func() { k.hold(10, true) }, 2, true, 3},
		{"chat 20 throttled too", func() { k.hold(20, true) }, 5, false, 0},
		{"chat 10 no longer", func() { k.hold(10, false) }, 1, true, 2},
		{"1 answered", func() { k.finish(1) }, 5, false, 0},
		{"chat 20 no longer", func() { k.hold(20, false) }, 2, true, 3},
		{"2 and 4 answered", func() { k.finish(2); k.finish(4) }, 5, false, 0},
	}
	for _, s := range steps {
		s.do()
		if off, busy, ahead := k.state(); off != s.offset || busy != s.busy || ahead != s.ahead {
			t.Errorf("%s: state %d %v %d, want %d %v %d", s.name, off, busy, ahead, s.offset, s.busy, s.ahead)
		}
	}
	if !k.taken(4) || k.taken(5) {
		t.Errorf("taken(4) %v taken(5) %v, want true false", k.taken(4), k.taken(5))
	}
}

// FuzzPollUpdate feeds arbitrary JSON through what the poller does with one
// update of a getUpdates answer: nothing may panic, and an update that decodes
// keeps the id read first.
func FuzzPollUpdate(f *testing.F) {
	for _, s := range []string{
		`{"update_id":7,"message":{"message_id":1,"date":1,"chat":{"id":5,"type":"private"},"from":{"id":5,"is_bot":false,"first_name":"x"},"text":"hi"}}`,
		`{"update_id":"8","message":{"message_id":"x"}}`,
		`{"update_id":9,"callback_query":{"id":"q","from":{"id":1},"data":7}}`,
		`{"message":{}}`, `[]`, `{"update_id":-1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		id, err := updateID(json.RawMessage(raw))
		if err != nil {
			return
		}
		u, err := decodeUpdateJSON(json.RawMessage(raw), id)
		if err != nil {
			return
		}
		if u.ID != id {
			t.Fatalf("update id %d, want %d", u.ID, id)
		}
		chatOf(u)
		decodeUpdate(u, testMe, testIsCrisis)
	})
}
