package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	tgbot "github.com/go-telegram/bot"

	"github.com/supportbot/supportbot/bot"
)

// safeErr describes err for a log line without what may identify a person or
// leak the token: a 429 becomes its retry_after, a 5xx its status, a transport
// error loses its URL (the Bot API puts the token in the path), an answer that
// was not JSON its body, and anything else a payload it quotes.
func safeErr(err error) string {
	if err == nil {
		return ""
	}
	var tooMany *tgbot.TooManyRequestsError
	if errors.As(err, &tooMany) {
		return fmt.Sprintf("too many requests, retry_after %d", tooMany.RetryAfter)
	}
	var status *httpError
	if errors.As(err, &status) {
		return status.Error()
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " request: " + safeErr(ue.Err)
	}
	// The library quotes the whole answer in front of the decoder's error.
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return "answer not JSON: " + syn.Error()
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "answer undecodable: " + typ.Error()
	}
	s := err.Error()
	if i := strings.Index(s, "{"); i >= 0 {
		// A payload quoted in a message we do not know (it may hold text).
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
