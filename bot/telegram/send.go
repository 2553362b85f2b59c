package telegram

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"
	"github.com/go-telegram/bot/models"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/internal/backoff"
)

// errStopping is why a reply waiting to retry was abandoned: the adapter is
// stopping, and the wait would outlast the shutdown.
var errStopping = errors.New("stopping")

// Retry bounds for Bot API calls.
const (
	// maxStopWait is the longest retry wait still waited out while stopping;
	// the shutdown gives replies in flight a few seconds.
	maxStopWait = time.Second
	// stopGrace is how long a call in flight may go on once stopping starts:
	// `supportbot run` gives replies 5 seconds to drain.
	stopGrace     = 3 * time.Second
	maxRetries    = 3                // after the first attempt, for 429, 5xx and timeouts
	maxRetryAfter = 60 * time.Second // a longer retry_after is not waited for: the call fails
	callTimeout   = 15 * time.Second // default for one attempt of one call (uploads included)
	baseBackoff   = 250 * time.Millisecond
)

// call runs one Bot API method with bounded retries: a 429 waits its retry_after,
// a 5xx or a timeout backs off exponentially with jitter. Each attempt is
// reported to OnAPICall. A call that fails for good is logged (method, status,
// redacted error: never text or ids) and counted as [bot.ErrorKindPlatformAPI] under
// community.
func (a *Adapter) call(ctx context.Context, method, community string, fn func(ctx context.Context) error) error {
	s, _ := ctx.Value(slotKey{}).(*slot)
	if s != nil {
		// The chat is throttled: Telegram said when to try again, for every
		// message to it, not only the one it refused.
		if d := a.throttle.left(s.chat, time.Now()); d > 0 {
			if werr := a.waitRetry(ctx, d); werr != nil {
				return fmt.Errorf("%s: %w while the chat is throttled", method, werr)
			}
		}
	}
	b := backoff.Backoff{Min: baseBackoff, Max: baseBackoff << maxRetries}
	var err error
	for attempt := 0; ; attempt++ {
		actx, cancel := context.WithTimeout(ctx, a.cfg.CallTimeout)
		unhold := a.holdIfSlow(ctx)
		err = fn(actx)
		unhold()
		cancel()
		if err != nil && errors.Is(context.Cause(ctx), errStopping) {
			// Cut off stopGrace into the shutdown (see Run).
			err = fmt.Errorf("%w: %w", errStopping, err)
			break
		}
		if a.cfg.OnAPICall != nil {
			a.cfg.OnAPICall(method, err)
		}
		if err == nil || ctx.Err() != nil || attempt == maxRetries {
			break
		}
		wait, retry := retryDelay(err, &b)
		if !retry {
			break
		}
		var tooMany *tgbot.TooManyRequestsError
		if s != nil && errors.As(err, &tooMany) {
			a.throttle.set(s.chat, time.Now().Add(wait))
		}
		a.retryWarn.Add("method", method, "status", statusOf(err), "attempt", attempt+1, "wait_ms", wait.Milliseconds(), "err", safeErr(err))
		if werr := a.waitRetry(ctx, wait); werr != nil {
			err = fmt.Errorf("%s: %w while waiting to retry: %w", method, werr, err)
			break
		}
	}
	if err == nil {
		return nil
	}
	if errors.Is(err, errStopping) {
		a.log.Debug("telegram call abandoned at shutdown", "method", method)
		return err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		// Shutting down (only setup calls run on a cancellable context; replies
		// in flight do not): not a failure to count.
		a.log.Debug("telegram call cancelled", "method", method)
		return err
	}
	a.callFailed.Add("method", method, "status", statusOf(err), "err", safeErr(err))
	a.record(ctx, community, bot.ErrorKindPlatformAPI)
	return err
}

// statusOf is the HTTP status behind a failed call, for the logs: the
// library's typed errors and sentinels name it, an [httpError] carries it; 0
// for a transport failure.
func statusOf(err error) int {
	var tooMany *tgbot.TooManyRequestsError
	var status *httpError
	switch {
	case errors.As(err, &tooMany):
		return http.StatusTooManyRequests
	case errors.As(err, &status):
		return status.Status
	case errors.Is(err, tgbot.ErrorBadRequest):
		return http.StatusBadRequest
	case errors.Is(err, tgbot.ErrorUnauthorized):
		return http.StatusUnauthorized
	case errors.Is(err, tgbot.ErrorForbidden):
		return http.StatusForbidden
	case errors.Is(err, tgbot.ErrorNotFound):
		return http.StatusNotFound
	case errors.Is(err, tgbot.ErrorConflict):
		return http.StatusConflict
	}
	return 0
}

// throttle remembers, per chat, until when Telegram asked (429) not to send
// to it. Entries are forgotten once past; the map is swept when it grows.
type throttle struct {
	mu    sync.Mutex
	until map[int64]time.Time
}

// left is how long chat is still throttled at now (0: not).
func (t *throttle) left(chat int64, now time.Time) time.Duration {
	t.mu.Lock()
	defer t.mu.Unlock()
	u, ok := t.until[chat]
	if !ok {
		return 0
	}
	if !now.Before(u) {
		delete(t.until, chat)
		return 0
	}
	return u.Sub(now)
}

// set throttles chat until u.
func (t *throttle) set(chat int64, u time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.until == nil {
		t.until = map[int64]time.Time{}
	}
	if len(t.until) >= 1<<14 {
		now := time.Now()
		for c, v := range t.until {
			if !now.Before(v) {
				delete(t.until, c)
			}
		}
	}
	if u.After(t.until[chat]) {
		t.until[chat] = u
	}
}

// slowCall is how long a call may take before its chat's updates stop holding
// back the confirmation of everyone else's (see poll.go): replies take tens of
// milliseconds, and one that hangs (up to CallTimeout, then its retries) must
// not stop the others from being taken.
const slowCall = time.Second

// holdIfSlow holds the chat of the update being handled (if any) once the
// call starting now has taken slowCall; the returned func, called when the
// call returns, undoes it.
func (a *Adapter) holdIfSlow(ctx context.Context) (unhold func()) {
	s, _ := ctx.Value(slotKey{}).(*slot)
	if s == nil {
		return func() {}
	}
	var mu sync.Mutex
	held, over := false, false
	t := time.AfterFunc(slowCall, func() {
		mu.Lock()
		defer mu.Unlock()
		if !over {
			held = true
			a.acks.hold(s.chat, true)
		}
	})
	return func() {
		t.Stop()
		mu.Lock()
		defer mu.Unlock()
		over = true
		if held {
			a.acks.hold(s.chat, false)
		}
	}
}

// waitRetry waits d before a retry. The update's slot is given back for the
// wait, so a throttled chat holds no place that another chat could use; it is
// taken again after. While the adapter stops, a wait longer than maxStopWait
// is not waited: it returns errStopping.
func (a *Adapter) waitRetry(ctx context.Context, d time.Duration) error {
	stopping := a.stopping
	if d <= maxStopWait {
		stopping = nil // short: waited out even while stopping
	}
	select {
	case <-stopping:
		return errStopping
	default:
	}
	s, _ := ctx.Value(slotKey{}).(*slot)
	s.release()
	defer s.acquire()
	if s != nil && d > maxStopWait {
		// A long wait: the chat's updates must not hold back the
		// confirmation of everyone else's (see poll.go).
		a.acks.hold(s.chat, true)
		defer a.acks.hold(s.chat, false)
	}
	// Not backoff.Sleep: a long wait also ends when the adapter starts
	// stopping, which is not ctx (replies in flight outlive Run's context).
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return context.Cause(ctx) // errStopping once the update is abandoned
	case <-stopping:
		return errStopping
	case <-t.C:
		return nil
	}
}

// retryDelay decides whether a failed attempt is worth another and how long to
// wait first: a 429 its retry_after, a 5xx or a transport failure the next
// delay of b, with jitter so that replies failing together do not retry
// together.
func retryDelay(err error, b *backoff.Backoff) (time.Duration, bool) {
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		d := time.Duration(tooMany.RetryAfter) * time.Second
		if d <= 0 {
			d = time.Second
		}
		return d, d <= maxRetryAfter
	}
	var status *httpError
	if errors.As(err, &status) || isTransient(err) {
		d := b.Next()
		return d/2 + rand.N(d/2+1), true
	}
	return 0, false
}

// isTransient reports a transport failure worth retrying: a timeout or a
// connection that failed, not a cancelled call or a request we built wrongly.
func isTransient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe)
}

// send sends the parts of a reply in order, the keyboard on the last. With
// edit, the single part replaces the message that carried the pressed button; if
// that message cannot be edited any more, it is sent as a new message.
func (a *Adapter) send(ctx context.Context, in request, chunks []string, kb *models.InlineKeyboardMarkup, edit bool) error {
	var markup models.ReplyMarkup
	if kb != nil {
		markup = kb
	}
	if edit {
		stale := false
		err := a.call(ctx, "editMessageText", in.msg.Community, func(ctx context.Context) error {
			_, err := a.tg.EditMessageText(ctx, &tgbot.EditMessageTextParams{
				ChatID: in.chatID, MessageID: in.messageID, Text: chunks[0],
				ParseMode: models.ParseModeHTML, ReplyMarkup: markup,
				LinkPreviewOptions: noPreview(),
			})
			switch {
			case err == nil:
			case errors.Is(err, tgbot.ErrorBadRequest) && strings.Contains(err.Error(), "message is not modified"):
				// The same step again: what is shown is already right. The Bot
				// API tells this 400 from the others only by its description,
				// which the library keeps only in the error's text.
				return nil
			case errors.Is(err, tgbot.ErrorBadRequest):
				// Too old, deleted, or not editable: not a failure, the reply
				// goes out as a new message instead.
				stale = true
				return nil
			}
			return err
		})
		if err != nil || !stale {
			return err
		}
		a.log.Debug("message not editable, sending the step anew")
	}
	for i, c := range chunks {
		p := &tgbot.SendMessageParams{
			ChatID: in.chatID, MessageThreadID: in.threadID, Text: c,
			ParseMode: models.ParseModeHTML, LinkPreviewOptions: noPreview(),
		}
		if i == len(chunks)-1 {
			p.ReplyMarkup = markup
		}
		if i == 0 && in.group && in.callbackID == "" && in.messageID != 0 {
			// In a busy group, show whose message this answers.
			p.ReplyParameters = &models.ReplyParameters{MessageID: in.messageID, AllowSendingWithoutReply: true}
		}
		if err := a.call(ctx, "sendMessage", in.msg.Community, func(ctx context.Context) error {
			_, err := a.tg.SendMessage(ctx, p)
			return err
		}); err != nil {
			return err // counted and logged by call; later parts would read out of order
		}
	}
	return nil
}
