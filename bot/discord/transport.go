package discord

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/bwmarrin/discordgo"
)

// DefaultAPIURL is Discord's REST API, the version included.
const DefaultAPIURL = "https://discord.com/api/v10"

// rewriter is the one place that sends discordgo's REST calls to the configured
// API base. discordgo builds its endpoints at init from EndpointAPI
// (https://discord.com/api/v9/), so instead of reassigning its package
// variables we rewrite each request's URL on the way out: every endpoint,
// present and future, follows, and nothing global changes.
//
// It also asks /gateway/bot instead of /gateway for the gateway address (the
// bot's own, authenticated endpoint), and reports each call's route (with ids
// and tokens templated away) to onCall for the metrics.
type rewriter struct {
	base   http.RoundTripper
	from   string // discordgo.EndpointAPI
	to     string // the API base with a trailing slash
	onCall func(route string, err error)
}

func newRewriter(base http.RoundTripper, apiURL string, onCall func(string, error)) *rewriter {
	if base == nil {
		base = http.DefaultTransport
	}
	return &rewriter{
		base:   base,
		from:   discordgo.EndpointAPI,
		to:     strings.TrimRight(apiURL, "/") + "/",
		onCall: onCall,
	}
}

// RoundTrip implements [http.RoundTripper].
func (t *rewriter) RoundTrip(req *http.Request) (*http.Response, error) {
	rest, ok := strings.CutPrefix(req.URL.String(), t.from)
	if !ok {
		// Not the API (the CDN, say): leave it alone.
		return t.base.RoundTrip(req)
	}
	if p, q, _ := strings.Cut(rest, "?"); p == "gateway" {
		rest = "gateway/bot"
		if q != "" {
			rest += "?" + q
		}
	}
	u, err := url.Parse(t.to + rest)
	if err != nil {
		return nil, fmt.Errorf("discord api url: %w", err)
	}
	out := req.Clone(req.Context())
	out.URL = u
	out.Host = ""
	resp, err := t.base.RoundTrip(out)
	if t.onCall != nil {
		callErr := err
		if err == nil && resp.StatusCode >= 400 {
			callErr = fmt.Errorf("http status %d", resp.StatusCode)
		}
		t.onCall(routeOf(req.Method, rest), callErr)
	}
	return resp, err
}

// routeWords are the path segments kept in a route; every other segment is an
// id or a token and becomes a placeholder.
var routeWords = map[string]bool{
	"gateway": true, "bot": true, "users": true, "@me": true, "channels": true,
	"messages": true, "applications": true, "commands": true, "guilds": true,
	"interactions": true, "callback": true, "webhooks": true, "@original": true,
}

// routeOf names a call for logs and metrics without any id or token in it:
// "POST /interactions/{id}/{token}/callback", "GET /users/me".
func routeOf(method, path string) string {
	path, _, _ = strings.Cut(path, "?")
	seg := strings.Split(strings.Trim(path, "/"), "/")
	for i, s := range seg {
		if routeWords[s] {
			// "@me" and "@original" lose their "@": metric labels keep
			// letters and a few separators only.
			seg[i] = strings.TrimPrefix(s, "@")
			continue
		}
		if i > 0 && (seg[i-1] == "webhooks" || seg[i-1] == "interactions") {
			seg[i] = "{id}"
			continue
		}
		if i > 1 && (seg[i-2] == "webhooks" || seg[i-2] == "interactions") {
			seg[i] = "{token}"
			continue
		}
		seg[i] = "{id}"
	}
	return method + " /" + strings.Join(seg, "/")
}
