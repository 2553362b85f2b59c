package discord_test

import (
	"strings"
	"testing"

	"github.com/supportbot/supportbot/bot/discord/discordtest"
)

// TestRepeatedWarningsSummarised: a burst of 429s writes one log line per
// interval, with a count, not one line each (issue 13: 584 lines in one run).
func TestRepeatedWarningsSummarised(t *testing.T) {
	h := newHarness(t)
	const n = 20
	for range n {
		h.fake.FailNext(discordtest.RouteCallback, discordtest.Failure{Status: 429, RetryAfter: 0.01})
	}
	for range n {
		if _, err := h.fake.Command(inGuild, "ask", map[string]string{"question": h.secret("what is group therapy")}); err != nil {
			t.Fatal(err)
		}
	}
	h.wait(n, func(c discordtest.Call) bool { return c.Route == discordtest.RouteCallback })
	if got := h.fake.Attempts(discordtest.RouteCallback); got != 2*n {
		t.Fatalf("%d callback attempts, want %d (each 429, then its retry)", got, 2*n)
	}
	if lines := strings.Count(h.logs.String(), "rate limited, retrying"); lines < 1 || lines > 2 {
		t.Errorf("%d 429s logged in %d lines, want 1 or 2:\n%s", n, lines, h.logs.String())
	}
}
