package telegram

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	tgbot "github.com/go-telegram/bot"
)

func TestSafeErr(t *testing.T) {
	const token = "123456:AAHsecretSECRETsecret"
	cases := []struct {
		name string
		err  error
		want string // a substring the redacted text must keep
	}{
		{"transport", &url.Error{Op: "Post", URL: "https://api.telegram.org/bot" + token + "/sendMessage", Err: errors.New("connection refused")}, "connection refused"},
		{"429", &tgbot.TooManyRequestsError{Message: "too many requests", RetryAfter: 7}, "retry_after 7"},
		{"body quoted", fmt.Errorf("error decode response body for method sendMessage, {\"text\":\"my secret grief\"}, bad"), "error decode response body"},
		{"wrapped 400", fmt.Errorf("%w, Bad Request: chat not found", tgbot.ErrorBadRequest), "chat not found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := safeErr(tc.err)
			if strings.Contains(got, "AAHsecret") || strings.Contains(got, "grief") {
				t.Errorf("safeErr = %q: leaks the token or text", got)
			}
			if !strings.Contains(got, tc.want) {
				t.Errorf("safeErr = %q, want it to keep %q", got, tc.want)
			}
		})
	}
}
