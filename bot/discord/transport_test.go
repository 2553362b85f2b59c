package discord

import (
	"testing"
)

func TestRouteOf(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"POST", "interactions/123/aW50ZXJhY3Rpb24/callback", "POST /interactions/{id}/{token}/callback"},
		{"POST", "webhooks/900/tok-en?wait=true", "POST /webhooks/{id}/{token}"},
		{"PATCH", "webhooks/900/tok/messages/@original", "PATCH /webhooks/{id}/{token}/messages/original"},
		{"POST", "channels/555/messages", "POST /channels/{id}/messages"},
		{"PUT", "applications/900/guilds/777/commands", "PUT /applications/{id}/guilds/{id}/commands"},
		{"GET", "gateway/bot", "GET /gateway/bot"},
		{"GET", "users/@me", "GET /users/me"},
	}
	for _, tc := range tests {
		if got := routeOf(tc.method, tc.path); got != tc.want {
			t.Errorf("routeOf(%s, %s) = %q, want %q", tc.method, tc.path, got, tc.want)
		}
	}
}
