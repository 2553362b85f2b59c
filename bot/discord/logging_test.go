package discord

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/bwmarrin/discordgo"
)

func TestSafeErr(t *testing.T) {
	const secret = "SECRET-TOKEN"
	rest := &discordgo.RESTError{
		Response:     &http.Response{StatusCode: 404, Status: "404 Not Found"},
		ResponseBody: []byte(`{"code":10062,"message":"` + secret + `"}`),
		Message:      &discordgo.APIErrorMessage{Code: 10062, Message: secret},
	}
	tests := []struct {
		err  error
		want string
	}{
		{rest, "http status 404 code 10062"},
		{fmt.Errorf("respond: %w", rest), "http status 404 code 10062"},
		{&url.Error{Op: "Post", URL: "https://discord.com/api/v9/webhooks/1/" + secret, Err: errors.New("boom")}, "Post request: boom"},
	}
	for _, tc := range tests {
		got := safeErr(tc.err)
		if got != tc.want || strings.Contains(got, secret) {
			t.Errorf("safeErr(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
