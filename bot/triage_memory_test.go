package bot

import (
	"strconv"
	"testing"
	"time"
)

// TestTriageMemoryEvictionIsConstant fills the memory with live entries and
// keeps putting new ones: each put makes room by dropping the entry closest to
// expiring, looking at a bounded number of entries whatever the size (issue
// 13: a scan of all 10,000 entries under the lock capped the triage at about
// 4,000 steps a second).
func TestTriageMemoryEvictionIsConstant(t *testing.T) {
	const size, more = 1000, 5000
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	m := newTriageMemory(size, time.Hour)
	for k := range uint64(size) {
		m.put(k, "a", now)
		now = now.Add(time.Millisecond)
	}
	// Refresh the oldest: it now expires last and must outlive the others.
	m.put(0, "b", now)
	m.visited = 0
	for k := uint64(size); k < size+more; k++ {
		now = now.Add(time.Millisecond)
		m.put(k, "c", now)
	}
	if got := m.len(); got != size {
		t.Errorf("len after %d more puts: got %d, want %d", more, got, size)
	}
	if m.visited > more {
		t.Errorf("evicting %d times looked at %d entries, want at most %d (one each)", more, m.visited, more)
	}
	if _, ok := m.get(1, now); ok {
		t.Error("entry 1, the oldest, survived; want it evicted first")
	}
	for _, k := range []uint64{size + more - 1, size + more - size} {
		if _, ok := m.get(k, now); !ok {
			t.Errorf("entry %d, among the %d newest, was evicted", k, size)
		}
	}
}

// TestTriageMemoryExpiry: an expired entry is gone on get, expired entries make
// room before a live one is dropped, and forget forgets.
func TestTriageMemoryExpiry(t *testing.T) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	m := newTriageMemory(3, time.Minute)
	m.put(1, "one", now)
	m.put(2, "two", now.Add(10*time.Second))
	m.put(3, "three", now.Add(50*time.Second))
	later := now.Add(75 * time.Second) // 1 and 2 expired, 3 not
	m.put(4, "four", later)            // full: the expired 1 and 2 make room
	if _, ok := m.get(1, later); ok {
		t.Error("get(1) after its ttl: found, want expired")
	}
	if got, ok := m.get(3, later); !ok || got != "three" {
		t.Errorf("get(3): got %q %v, want three (live, not evicted)", got, ok)
	}
	if got, ok := m.get(4, later); !ok || got != "four" {
		t.Errorf("get(4): got %q %v, want four", got, ok)
	}
	if n := m.len(); n != 2 {
		t.Errorf("len: got %d, want 2 (3 and 4)", n)
	}
	m.forget(3)
	m.forget(42) // unknown: nothing happens
	if _, ok := m.get(3, later); ok {
		t.Error("get(3) after forget: found")
	}
	m.put(5, "five", later)
	m.put(6, "six", later)
	m.put(7, "seven", later) // full of live entries: 4, the oldest, goes
	if _, ok := m.get(4, later); ok {
		t.Error("get(4): found, want evicted as the oldest")
	}
	for k := uint64(5); k <= 7; k++ {
		if _, ok := m.get(k, later); !ok {
			t.Errorf("get(%d): evicted, want kept", k)
		}
	}
}

// BenchmarkTriageMemoryFull is one triage step's memory work once more
// conversations are mid-triage than the memory holds: a put that must make
// room, and a get.
func BenchmarkTriageMemoryFull(b *testing.B) {
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	m := newTriageMemory(triageMemorySize, triageMemoryTTL)
	for k := range uint64(triageMemorySize) {
		m.put(k, "0.1", now)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		k := uint64(triageMemorySize + i)
		m.put(k, strconv.Itoa(i&3), now)
		m.get(k, now)
	}
}
