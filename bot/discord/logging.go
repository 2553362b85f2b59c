package discord

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/bwmarrin/discordgo"
	"github.com/gorilla/websocket"

	"github.com/supportbot/supportbot/bot"
)

// libLogger receives discordgo's log lines. discordgo.Logger is one package
// variable for every session in the process, so it points here once and the
// newest adapter's logger wins (a process runs one Discord adapter).
var (
	libLogger     atomic.Pointer[slog.Logger]
	libLoggerOnce sync.Once
)

// verbs matches the formatting verbs of discordgo's log formats.
var verbs = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

// routeLibraryLogs sends discordgo's logging through l. Only the format string
// is kept, its verbs blanked: the arguments hold gateway payloads (message text,
// user ids), URLs with interaction tokens and the identify packet with the bot
// token, none of which may reach a log.
func routeLibraryLogs(l *slog.Logger) {
	libLogger.Store(l)
	libLoggerOnce.Do(func() {
		discordgo.Logger = func(level, _ int, format string, _ ...any) {
			l := libLogger.Load()
			if l == nil {
				return
			}
			msg := "discordgo: " + strings.TrimSpace(verbs.ReplaceAllString(format, "_"))
			switch level {
			case discordgo.LogError:
				l.Error(msg)
			case discordgo.LogWarning:
				l.Warn(msg)
			case discordgo.LogInformational:
				l.Info(msg)
			default:
				l.Debug(msg)
			}
		}
	})
}

// safeErr describes err for a log line without what may identify a person or
// leak a secret: a REST error becomes its status and Discord's error code (the
// body and the request URL, which holds interaction tokens, are dropped), a
// transport error loses its URL.
func safeErr(err error) string {
	if err == nil {
		return ""
	}
	var rest *discordgo.RESTError
	if errors.As(err, &rest) {
		s := "http error"
		if rest.Response != nil {
			s = fmt.Sprintf("http status %d", rest.Response.StatusCode)
		}
		if rest.Message != nil && rest.Message.Code != 0 {
			s += fmt.Sprintf(" code %d", rest.Message.Code)
		}
		return s
	}
	var rl *discordgo.RateLimitError
	if errors.As(err, &rl) {
		return "rate limited"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + " request: " + safeErr(ue.Err)
	}
	var ne *net.OpError
	if errors.As(err, &ne) {
		// Addresses and syscalls only: no URL, so no token.
		return ne.Error()
	}
	var ce *websocket.CloseError
	if errors.As(err, &ce) {
		return fmt.Sprintf("gateway closed with code %d", ce.Code)
	}
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err.Error()
	}
	// Library errors are fixed strings with at most an address in them;
	// blank any URL, whose path could hold a token.
	return urls.ReplaceAllString(err.Error(), "<url>")
}

var urls = regexp.MustCompile(`[a-z]+://\S+`)

// httpStatus returns the HTTP status of a REST error, or 0.
func httpStatus(err error) int {
	var rest *discordgo.RESTError
	if errors.As(err, &rest) && rest.Response != nil {
		return rest.Response.StatusCode
	}
	return 0
}

// apiFailed logs a failed platform call without text, ids or tokens and counts
// it in the stats.
func (a *Adapter) apiFailed(ctx context.Context, community, what string, err error) {
	a.callFailed.Add("call", what, "err", safeErr(err))
	a.record(ctx, community, bot.ErrorKindPlatformAPI)
}

// panicked logs a recovered panic and counts it in the stats.
func (a *Adapter) panicked(ctx context.Context, community string, p any) {
	// The panic value is an internal error, not a payload; its type is enough
	// to find it and cannot carry a person's words.
	a.log.Error("recovered from panic", "panic_type", fmt.Sprintf("%T", p))
	a.record(ctx, community, bot.ErrorKindPanic)
}

// record counts a failure in the stats. Record must not block (see
// [bot.Recorder]).
func (a *Adapter) record(ctx context.Context, community string, kind bot.ErrorKind) {
	ev := bot.Event{Time: time.Now(), Platform: Platform, Community: community, Err: kind}
	if err := a.rec.Record(ctx, ev); err != nil {
		a.log.Warn("record failure event", "err", err)
	}
}
