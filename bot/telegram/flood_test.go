package telegram

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func TestFloodLimit(t *testing.T) {
	now := time.Unix(0, 0)
	f := newFloodLimit(20, 5, func() time.Time { return now })
	var got []string
	for i := range 8 {
		ok, first := f.allow(1)
		got = append(got, fmt.Sprint(i, ok, first))
	}
	want := []string{"0 true false", "1 true false", "2 true false", "3 true false", "4 true false", "5 false true", "6 false false", "7 false false"}
	if !slices.Equal(got, want) {
		t.Errorf("allow sequence %v, want %v", got, want)
	}
	if ok, _ := f.allow(2); !ok {
		t.Errorf("another chat was limited by the first one's messages")
	}
	now = now.Add(3 * time.Second) // 20/min = one token per 3 s
	if ok, _ := f.allow(1); !ok {
		t.Errorf("no token after 3 s at 20/min")
	}
	if ok, first := f.allow(1); ok || !first {
		t.Errorf("after refilling one token: ok %v first %v, want a new first refusal", ok, first)
	}
	now = now.Add(time.Hour)
	f.allow(3) // sweeps idle buckets
	if n := len(f.buckets); n != 1 {
		t.Errorf("%d buckets after an idle hour, want only the new one", n)
	}
	var nilLimit *floodLimit
	if ok, _ := nilLimit.allow(1); !ok {
		t.Errorf("a nil (disabled) limit refused")
	}
}
