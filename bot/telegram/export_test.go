package telegram

import (
	"testing"
	"time"
)

// SetStragglerAfter sets how long an update being handled may hold the
// confirmation offset back, until the test ends. Tests that call it do not run
// in parallel.
func SetStragglerAfter(t testing.TB, d time.Duration) {
	old := stragglerAfter
	stragglerAfter = d
	t.Cleanup(func() { stragglerAfter = old })
}
