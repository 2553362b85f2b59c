package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/go-telegram/bot/models"
)

// Long polling. The adapter polls getUpdates itself instead of through the
// library, for two reasons:
//
//   - The library decodes a whole getUpdates answer at once: one update with a
//     field of the wrong JSON type fails every poll from then on, and nothing
//     after it is ever handled. Here each update is decoded on its own; one
//     that cannot be is counted, logged (summarised) and confirmed like any
//     other.
//   - The Bot API confirms updates only by a later getUpdates whose offset is
//     above them. The library confirms a batch when it asks for the next one,
//     after handing the whole batch over: replies sent in the meantime are not
//     confirmed, and a crash there delivers them again. Here an update is
//     confirmed by the first poll after its reply was sent: polls follow the
//     replies (one at a time, as the Bot API allows only one getUpdates at
//     once), with the offset just past the oldest update still being handled.
//
// What remains: a crash between a reply and the next poll (one round trip to
// the Bot API) delivers that update again, and an update still being handled
// after stragglerAfter (a chat waiting out a 429) is confirmed before its
// reply, so that polling goes on for everyone else; a crash then loses it.

// Poll bounds.
const (
	pollLimit      = 100             // updates per getUpdates, the Bot API's maximum
	maxPollBackoff = 5 * time.Second // between failed polls, doubling from 100ms
)

// stragglerAfter is how long the oldest update in hand may hold the offset
// back. Replies take tens of milliseconds; past this, the update is waiting (a
// 429's retry_after), and the poll moves past it so that other people's
// messages are fetched without delay. A variable for tests.
var stragglerAfter = 250 * time.Millisecond

// acks tracks the updates taken from getUpdates until they are handled, to
// know the offset that confirms exactly the handled ones.
type acks struct {
	mu       sync.Mutex
	ids      []int64     // taken and not yet all handled, in increasing order
	since    []time.Time // when each of ids was taken
	done     map[int64]bool
	maxTaken int64
	// progress wakes the poller when an update is handled: capacity 1, so
	// any number of completions between two polls is one wake-up.
	progress chan struct{}
}

func newAcks() *acks {
	return &acks{done: map[int64]bool{}, progress: make(chan struct{}, 1)}
}

// take records that update id was taken; false if it was taken before (a poll
// returns the updates still being handled again).
func (k *acks) take(id int64, now time.Time) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if id <= k.maxTaken {
		return false
	}
	k.maxTaken = id
	k.ids = append(k.ids, id)
	k.since = append(k.since, now)
	return true
}

// finish records that update id was handled.
func (k *acks) finish(id int64) {
	k.mu.Lock()
	k.done[id] = true
	for len(k.ids) > 0 && k.done[k.ids[0]] {
		delete(k.done, k.ids[0])
		k.ids, k.since = k.ids[1:], k.since[1:]
	}
	k.mu.Unlock()
	select {
	case k.progress <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// state returns the highest id below which every taken update is handled, the
// highest id taken, and when the oldest update still in hand was taken (zero
// if none is).
func (k *acks) state() (handled, maxTaken int64, oldest time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.ids) == 0 {
		return k.maxTaken, k.maxTaken, time.Time{}
	}
	return k.ids[0] - 1, k.maxTaken, k.since[0]
}

// poll serves updates by long polling until ctx is done.
func (a *Adapter) poll(ctx context.Context) {
	var backoff time.Duration
	for ctx.Err() == nil {
		handled, maxTaken, oldest := a.acks.state()
		offset, timeout := handled+1, a.cfg.PollTimeout
		var settle time.Duration
		if !oldest.IsZero() {
			if age := time.Since(oldest); age < a.straggle && maxTaken-handled < pollLimit/2 {
				// Replies are being sent: confirm those done, take what is
				// new, and do not wait at the server (the updates in hand
				// would be answered at once anyway).
				timeout, settle = 0, a.straggle-age
			} else {
				offset = maxTaken + 1
			}
		}
		raws, err := a.getUpdates(ctx, offset, timeout)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.connected.Store(false)
			backoff = min(max(2*backoff, 100*time.Millisecond), maxPollBackoff)
			a.pollFailed.add("err", a.redact(err), "retry_ms", backoff.Milliseconds())
			if !sleepCtx(ctx, backoff) {
				return
			}
			continue
		}
		backoff = 0
		a.connected.Store(true)
		fresh := 0
		for _, raw := range raws {
			id, u, err := decodeRawUpdate(raw)
			if id == 0 {
				// Without an id it cannot be confirmed on its own; the next
				// update's confirms it.
				a.skipUpdate(err)
				continue
			}
			if !a.acks.take(id, time.Now()) {
				continue
			}
			fresh++
			if err != nil {
				a.skipUpdate(err)
				a.acks.finish(id)
				continue
			}
			if !a.enqueue(ctx, u, func() { a.acks.finish(id) }) {
				return
			}
		}
		if timeout == 0 && fresh == 0 {
			// Nothing new: poll again when a reply is sent (to confirm it),
			// or when the oldest update in hand becomes a straggler.
			t := time.NewTimer(settle)
			select {
			case <-a.acks.progress:
			case <-t.C:
			case <-ctx.Done():
			}
			t.Stop()
		}
	}
}

// skipUpdate counts and logs (summarised) an update that cannot be decoded.
// The decoder's error may quote the payload: only its class is logged.
func (a *Adapter) skipUpdate(err error) {
	a.undecodable.Add(1)
	var typ *json.UnmarshalTypeError
	a.skipped.add("type_error", errors.As(err, &typ), "skipped_total", a.undecodable.Load())
	if a.cfg.OnAPICall != nil {
		a.cfg.OnAPICall("undecodable_update", ErrUndecodable)
	}
}

// decodeRawUpdate decodes one update of a getUpdates answer. id is its
// update_id (0 if even that is unreadable); err is set if the update as a
// whole cannot be decoded.
func decodeRawUpdate(raw json.RawMessage) (int64, *models.Update, error) {
	var head struct {
		ID json.RawMessage `json:"update_id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return 0, nil, err
	}
	// An integer, or one written as a string: either way it confirms.
	id, err := strconv.ParseInt(strings.Trim(string(head.ID), `"`), 10, 64)
	if err != nil || id <= 0 {
		return 0, nil, fmt.Errorf("update_id %w", ErrUndecodable)
	}
	var u models.Update
	if err := json.Unmarshal(raw, &u); err != nil {
		return id, nil, err
	}
	u.ID = id
	return id, &u, nil
}

// ErrUndecodable is reported to [Config.OnAPICall] (method
// "undecodable_update") for each update skipped because it could not be
// decoded.
var ErrUndecodable = errors.New("undecodable update")

// getUpdates asks for the updates from offset on, waiting up to timeout for
// one to arrive, and returns them undecoded.
func (a *Adapter) getUpdates(ctx context.Context, offset int64, timeout time.Duration) ([]json.RawMessage, error) {
	form := url.Values{
		"offset":          {strconv.FormatInt(offset, 10)},
		"limit":           {strconv.Itoa(pollLimit)},
		"timeout":         {strconv.Itoa(int(timeout.Seconds()))},
		"allowed_updates": {`["message","callback_query"]`},
	}
	// The request outlives the long poll by a margin; a hanging API fails it.
	rctx, cancel := context.WithTimeout(ctx, timeout+a.cfg.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, a.apiURL()+"/bot"+a.cfg.Token+"/getUpdates", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.client.next.Do(req)
	if a.cfg.OnAPICall != nil && ctx.Err() == nil {
		a.cfg.OnAPICall("getUpdates", err)
	}
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("getUpdates: read: %w", err)
	}
	var r struct {
		OK          bool              `json:"ok"`
		Result      []json.RawMessage `json:"result"`
		ErrorCode   int               `json:"error_code"`
		Description string            `json:"description"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		// Not the Bot API's JSON (a proxy's error page): its status says enough.
		return nil, fmt.Errorf("getUpdates: HTTP %d, answer not JSON", resp.StatusCode)
	}
	if !r.OK {
		return nil, fmt.Errorf("getUpdates: %d %s", r.ErrorCode, r.Description)
	}
	return r.Result, nil
}

func (a *Adapter) apiURL() string {
	if u := strings.TrimRight(a.cfg.APIURL, "/"); u != "" {
		return u
	}
	return "https://api.telegram.org"
}

// confirm acknowledges, with one last getUpdates, the updates handled, so the
// next process does not receive them again; the ones not handled (a reply
// abandoned at shutdown) stay unconfirmed and come back.
func (a *Adapter) confirm(ctx context.Context) {
	handled, _, _ := a.acks.state()
	if handled == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := a.getUpdates(ctx, handled+1, 0); err != nil {
		a.log.Warn("confirm updates", "err", a.redact(err))
	}
}

// sleepCtx waits d or until ctx ends, reporting whether the full wait passed.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
