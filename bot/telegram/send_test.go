package telegram

import (
	"context"
	"fmt"
	"testing"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/supportbot/supportbot/internal/backoff"
)

func TestRetryDelay(t *testing.T) {
	cases := []struct {
		name  string
		err   error
		min   time.Duration
		max   time.Duration
		retry bool
	}{
		{"429", &tgbot.TooManyRequestsError{RetryAfter: 3}, 3 * time.Second, 3 * time.Second, true},
		{"429 wrapped", fmt.Errorf("send: %w", &tgbot.TooManyRequestsError{RetryAfter: 2}), 2 * time.Second, 2 * time.Second, true},
		{"429 too long", &tgbot.TooManyRequestsError{RetryAfter: 3600}, 0, time.Hour, false},
		{"500", fmt.Errorf("error do request for method sendMessage, %w", &httpError{Status: 500}), baseBackoff / 2, baseBackoff, true},
		{"timeout", context.DeadlineExceeded, baseBackoff / 2, baseBackoff, true},
		{"400", tgbot.ErrorBadRequest, 0, 0, false},
		{"403", tgbot.ErrorForbidden, 0, 0, false},
		{"cancelled", context.Canceled, 0, 0, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, retry := retryDelay(tc.err, &backoff.Backoff{Min: baseBackoff, Max: baseBackoff << maxRetries})
			if retry != tc.retry || (retry && (d < tc.min || d > tc.max)) {
				t.Errorf("retryDelay(%v) = %v, %v; want retry %v within [%v, %v]", tc.err, d, retry, tc.retry, tc.min, tc.max)
			}
		})
	}
}
