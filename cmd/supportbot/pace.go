package main

import (
	"runtime/debug"
	"sync"
)

// startGCPercent is the collector's pace (as GOGC) while the process starts.
//
// Starting allocates some 25 MB within milliseconds, most of it garbage at
// once (the parsed YAML, the lexicons' pattern strings), beside some 15 MB
// that lives on. At the default pace the collector ran several cycles over it
// from the first megabytes, while the stats store opened and the knowledge
// base loaded: a tenth of `supportbot ask` (44 → 39 ms, farm-bench), for
// a megabyte more at its peak.
const startGCPercent = 400

// started sets the collector's usual pace again; [holdGCWhileStarting] sets
// it, [env.newBot] calls it once the bot is built.
var started = func() {}

// holdGCWhileStarting slows the collector until [started] is called. An
// operator's GOGC is left alone.
func holdGCWhileStarting(getenv func(string) string) {
	if getenv("GOGC") != "" {
		return
	}
	prev := debug.SetGCPercent(startGCPercent)
	started = sync.OnceFunc(func() { debug.SetGCPercent(prev) })
}
