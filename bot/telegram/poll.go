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

	"github.com/supportbot/supportbot/internal/backoff"
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
// the Bot API) delivers that update again; and the updates of a chat whose
// reply waits out a 429 do not hold the offset back (or nothing after them
// could be confirmed for as long as Telegram says), so a crash then loses
// them.

// Poll bounds.
const (
	pollLimit      = 100             // updates per getUpdates, the Bot API's maximum
	maxPollBackoff = 5 * time.Second // between failed polls, doubling from 100ms
	// confirmWindow bounds the updates in hand from the oldest unanswered one
	// on (those of chats waiting out a 429 aside): replies finish out of
	// order, and the ones past the oldest unanswered cannot be confirmed yet,
	// so a crash delivers them again. Telegram sends at most 30 messages a
	// second per bot: this many side by side keep up with it.
	confirmWindow = 16
)

// pollAgainAfter is how long the poller waits for a reply to be sent before it
// polls anyway while updates are being handled: a poll then cannot wait at the
// server (it would return the updates in hand at once), so this is how late a
// new message may be fetched while a reply is slow.
const pollAgainAfter = 100 * time.Millisecond

// pollCoalesce is how long the poller waits, once a reply is sent, for others
// finishing with it before it polls to confirm them.
const pollCoalesce = time.Millisecond

// acks tracks the updates taken from getUpdates until they are handled, to
// know the offset that confirms exactly the handled ones.
type acks struct {
	mu       sync.Mutex
	ids      []int64 // taken and not yet all handled, in increasing order
	chats    []int64 // the chat of each of ids
	done     map[int64]bool
	held     map[int64]int // chat → replies of it waiting out a 429 now
	maxTaken int64
	// progress wakes the poller when an update is handled or a chat starts
	// waiting: capacity 1, so any number of them between two polls is one
	// wake-up.
	progress chan struct{}
}

func newAcks() *acks {
	return &acks{done: map[int64]bool{}, held: map[int64]int{}, progress: make(chan struct{}, 1)}
}

// taken reports whether update id was taken before (a poll returns the
// updates still being handled again).
func (k *acks) taken(id int64) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return id <= k.maxTaken
}

// take records that update id of chat was taken. Updates are taken in
// increasing order.
func (k *acks) take(id, chat int64) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.maxTaken = id
	k.ids = append(k.ids, id)
	k.chats = append(k.chats, chat)
}

// finish records that update id was handled.
func (k *acks) finish(id int64) {
	k.mu.Lock()
	k.done[id] = true
	for len(k.ids) > 0 && k.done[k.ids[0]] {
		delete(k.done, k.ids[0])
		k.ids, k.chats = k.ids[1:], k.chats[1:]
	}
	k.mu.Unlock()
	k.wake()
}

// hold marks chat as waiting out a 429 (on) or no longer (off).
func (k *acks) hold(chat int64, on bool) {
	k.mu.Lock()
	if on {
		k.held[chat]++
	} else if k.held[chat]--; k.held[chat] <= 0 {
		delete(k.held, chat)
	}
	k.mu.Unlock()
	k.wake()
}

func (k *acks) wake() {
	select {
	case k.progress <- struct{}{}:
	default: // a wake-up is already pending
	}
}

// state returns the offset that confirms the handled updates and no other
// (but those of held chats), whether updates not held are being handled, and
// how many updates from offset on are taken and not held: the ones a crash
// now could deliver again.
func (k *acks) state() (offset int64, busy bool, ahead int) {
	k.mu.Lock()
	defer k.mu.Unlock()
	offset = k.maxTaken + 1
	for i, id := range k.ids {
		if k.held[k.chats[i]] > 0 {
			continue
		}
		if !busy && !k.done[id] {
			offset, busy = id, true
		}
		if busy {
			ahead++
		}
	}
	return offset, busy, ahead
}

// poll serves updates by long polling until ctx is done.
func (a *Adapter) poll(ctx context.Context) {
	b := backoff.Backoff{Min: 100 * time.Millisecond, Max: maxPollBackoff}
	for ctx.Err() == nil {
		offset, busy, ahead := a.acks.state()
		room := confirmWindow - ahead
		if room <= 0 {
			// As many updates in hand past the oldest unanswered one as a
			// crash may deliver twice: take more once a reply is sent.
			select {
			case <-a.acks.progress:
			case <-ctx.Done():
			}
			continue
		}
		timeout := a.cfg.PollTimeout
		if busy {
			// Replies are being sent: confirm those done and take what is
			// new, without waiting at the server (it would answer at once
			// with the updates in hand anyway).
			timeout = 0
		}
		raws, err := a.getUpdates(ctx, offset, room+ahead, timeout)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			a.connected.Store(false)
			wait := b.Next()
			a.pollFailed.Add("err", safeErr(err), "retry_ms", wait.Milliseconds())
			if !backoff.Sleep(ctx, wait) {
				return
			}
			continue
		}
		b.Reset()
		a.connected.Store(true)
		fresh := 0
		for _, raw := range raws {
			id, err := updateID(raw)
			if err != nil {
				// Without an id it cannot be confirmed on its own; the next
				// update's confirms it.
				a.skipUpdate(err)
				continue
			}
			if a.acks.taken(id) {
				continue // in hand already: polls return them until answered
			}
			u, err := decodeUpdateJSON(raw, id)
			a.acks.take(id, chatOf(u))
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
		if busy && fresh == 0 {
			// Nothing new: poll again once the offset moves (the oldest
			// reply in hand was sent, or its chat started waiting out a
			// 429), or after a while (to fetch new messages while a reply
			// is slow). A reply sent past the oldest changes nothing a
			// poll could confirm.
			t := time.NewTimer(pollAgainAfter)
		wait:
			for {
				select {
				case <-a.acks.progress:
					if now, _, _ := a.acks.state(); now == offset {
						continue
					}
					// Let the replies finishing at about the same time be
					// confirmed by the same poll.
					backoff.Sleep(ctx, pollCoalesce)
				case <-t.C:
				case <-ctx.Done():
				}
				break wait
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
	a.skipped.Add("type_error", errors.As(err, &typ), "skipped_total", a.undecodable.Load())
	if a.cfg.OnAPICall != nil {
		a.cfg.OnAPICall("undecodable_update", ErrUndecodable)
	}
}

// ErrUndecodable is reported to [Config.OnAPICall] (method
// "undecodable_update") for each update skipped because it could not be
// decoded.
var ErrUndecodable = errors.New("undecodable update")

// getUpdates asks for the updates from offset on, waiting up to timeout for
// one to arrive, and returns them undecoded. go-telegram/bot has no seam for
// this: its getUpdates is unexported and decodes the whole answer at once (see
// above), so this one request is built here, sent through the same [client] as
// the library's. The Bot API wants the token in the path; a transport error's
// *url.Error, which quotes the URL, is unwrapped to its cause so the token
// never leaves this function.
func (a *Adapter) getUpdates(ctx context.Context, offset int64, limit int, timeout time.Duration) ([]json.RawMessage, error) {
	form := url.Values{
		"offset":          {strconv.FormatInt(offset, 10)},
		"limit":           {strconv.Itoa(min(max(limit, 1), pollLimit))},
		"timeout":         {strconv.Itoa(int(timeout.Seconds()))},
		"allowed_updates": {`["message","callback_query"]`},
	}
	// The request outlives the long poll by a margin; a hanging API fails it.
	rctx, cancel := context.WithTimeout(ctx, timeout+a.cfg.CallTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodPost, a.apiURL()+"/bot"+a.cfg.Token+"/getUpdates", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, errors.New("getUpdates: cannot build the request") // its error would quote the URL
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := a.client.Do(req)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		err = fmt.Errorf("getUpdates: %s: %w", ue.Op, ue.Err)
	}
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
	offset, _, _ := a.acks.state()
	if offset <= 1 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if _, err := a.getUpdates(ctx, offset, 1, 0); err != nil {
		a.log.Warn("confirm updates", "err", safeErr(err))
	}
}
