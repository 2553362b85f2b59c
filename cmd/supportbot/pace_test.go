package main

import (
	"runtime/debug"
	"testing"
)

func TestHoldGCWhileStarting(t *testing.T) {
	orig := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(orig); started = func() {} })

	holdGCWhileStarting(func(string) string { return "" })
	if got := debug.SetGCPercent(startGCPercent); got != startGCPercent {
		t.Errorf("while starting: pace %d, want %d", got, startGCPercent)
	}
	started()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Errorf("once started: pace %d, want 100 again", got)
	}
	debug.SetGCPercent(150)
	started() // a second bot built in one process changes nothing
	if got := debug.SetGCPercent(100); got != 150 {
		t.Errorf("after a second call: pace %d, want 150 as set", got)
	}

	debug.SetGCPercent(250) // an operator's GOGC=250
	started = func() {}
	holdGCWhileStarting(func(k string) string {
		if k == "GOGC" {
			return "250"
		}
		return ""
	})
	if got := debug.SetGCPercent(250); got != 250 {
		t.Errorf("with GOGC set: pace %d, want the operator's 250", got)
	}
}
