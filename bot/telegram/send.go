package telegram

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/supportbot/supportbot/bot"
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

// statusKey carries a *int through the library into [statusClient], which stores
// the HTTP status of the attempt there: the library reports a 5xx only as text.
type statusKey struct{}

// statusClient wraps the HTTP client the library uses. It records each
// response's status for the retry decision, and sends each body in one piece.
type statusClient struct {
	next tgbot.HttpClient
}

func (c *statusClient) Do(req *http.Request) (*http.Response, error) {
	if err := bufferBody(req); err != nil {
		return nil, err
	}
	resp, err := c.next.Do(req)
	status := 0
	if err == nil {
		status = resp.StatusCode
	}
	if p, ok := req.Context().Value(statusKey{}).(*int); ok {
		*p = status
	}
	return resp, err
}

// bufferBody reads a request body of unknown length into memory. The library
// streams its multipart form through a pipe, which the transport then sends in
// many small writes (chunked, about 17 write system calls per reply, a third of
// the process's CPU under load); a body of known length goes out in one or two.
// Bodies are a few KB (a reply is at most 4096 characters; the /stats chart a
// few dozen KB).
func bufferBody(req *http.Request) error {
	if req.Body == nil || req.Body == http.NoBody || req.ContentLength > 0 {
		return nil
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return fmt.Errorf("read request body: %w", err)
	}
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		// A body of length 0 that is not NoBody would still be sent chunked.
		req.Body, req.GetBody = http.NoBody, func() (io.ReadCloser, error) { return http.NoBody, nil }
		return nil
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	return nil
}

// call runs one Bot API method with bounded retries: a 429 waits its retry_after,
// a 5xx or a timeout backs off exponentially with jitter. Each attempt is
// reported to OnAPICall. A call that fails for good is logged (method, status,
// redacted error: never text or ids) and counted as [bot.ErrorKindPlatformAPI] under
// community.
func (a *Adapter) call(ctx context.Context, method, community string, fn func(ctx context.Context) error) error {
	var err error
	status := 0
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
	for attempt := 0; ; attempt++ {
		status = 0
		actx, cancel := context.WithTimeout(context.WithValue(ctx, statusKey{}, &status), a.cfg.CallTimeout)
		// At shutdown, an attempt still running after stopGrace is cut off.
		abandon := context.AfterFunc(a.abandon, cancel)
		unhold := a.holdIfSlow(ctx)
		err = fn(actx)
		unhold()
		abandon()
		cancel()
		if err != nil && a.abandon.Err() != nil && ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", errStopping, err)
			break
		}
		if a.cfg.OnAPICall != nil {
			a.cfg.OnAPICall(method, err)
		}
		if err == nil || ctx.Err() != nil || attempt == maxRetries {
			break
		}
		wait, retry := retryDelay(err, status, attempt)
		if !retry {
			break
		}
		var tooMany *tgbot.TooManyRequestsError
		if s != nil && errors.As(err, &tooMany) {
			a.throttle.set(s.chat, time.Now().Add(wait))
		}
		a.retryWarn.Add("method", method, "status", status, "attempt", attempt+1, "wait_ms", wait.Milliseconds(), "err", a.redact(err))
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
	a.callFailed.Add("method", method, "status", status, "err", a.redact(err))
	a.record(ctx, community, bot.ErrorKindPlatformAPI)
	return err
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
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-stopping:
		return errStopping
	case <-t.C:
		return nil
	}
}

// retryDelay decides whether a failed attempt is worth another and how long to
// wait first.
func retryDelay(err error, status, attempt int) (time.Duration, bool) {
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		d := time.Duration(tooMany.RetryAfter) * time.Second
		if d <= 0 {
			d = time.Second
		}
		return d, d <= maxRetryAfter
	}
	if status >= 500 || (status == 0 && isTransient(err)) {
		d := baseBackoff << attempt
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

// redact returns a loggable form of err: the token removed, and a response body
// the library quoted (it may contain message text) cut off.
func (a *Adapter) redact(err error) string {
	return redactError(err, a.cfg.Token)
}

func redactError(err error, token string) string {
	if err == nil {
		return ""
	}
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		return fmt.Sprintf("too many requests, retry_after %d", tooMany.RetryAfter)
	}
	s := err.Error()
	if token != "" {
		s = strings.ReplaceAll(s, token, "***")
		// The part after the bot id is the secret; be thorough if it appears alone.
		if _, secret, ok := strings.Cut(token, ":"); ok && len(secret) >= 8 {
			s = strings.ReplaceAll(s, secret, "***")
		}
	}
	// "error decode response body for method X, <body>, <err>" quotes the body.
	if i := strings.Index(s, "error decode"); i >= 0 {
		if j := strings.Index(s[i:], ", "); j >= 0 {
			s = s[:i+j] + ", (body omitted)"
		}
	}
	if i := strings.Index(s, "{"); i >= 0 {
		s = s[:i] + "(payload omitted)"
	}
	const maxLen = 300
	if len(s) > maxLen {
		s = strings.ToValidUTF8(s[:maxLen], "") + "…"
	}
	return s
}

// record counts a failure in the stats. Record must not block (see
// [bot.Recorder]).
func (a *Adapter) record(ctx context.Context, community string, kind bot.ErrorKind) {
	if a.cfg.Recorder == nil {
		return
	}
	ev := bot.Event{Time: time.Now(), Platform: Platform, Community: community, Err: kind}
	if err := a.cfg.Recorder.Record(ctx, ev); err != nil {
		a.log.Warn("record failure event", "err", err)
	}
}
