package telegramtest

import (
	"strings"
	"time"
)

// Failure is a scripted answer for the next call of a method: an error, a
// delay, or both.
type Failure struct {
	Code        int    // HTTP status and error_code: 429, 500, 502...; 0 = process normally (after Delay)
	RetryAfter  int    // parameters.retry_after, for 429
	Description string // default derived from Code
	// Delay holds the answer back, to make the bot's call time out. If the bot
	// gives up first, the request is not processed (nothing is sent).
	Delay time.Duration
}

// FailNext makes the next call of method (case-insensitive) answer f instead of
// being processed. Several calls queue failures in order.
func (s *Server) FailNext(method string, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := strings.ToLower(method)
	s.failures[m] = append(s.failures[m], f)
}

// FailChat makes every call that sends to or edits in chatID answer f (a 429
// storm, say) until FailChat is called again with a zero Failure. Only Code
// and RetryAfter are used.
func (s *Server) FailChat(chatID int64, f Failure) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if f.Code == 0 {
		delete(s.chatFailures, chatID)
		return
	}
	s.chatFailures[chatID] = f
}

// Refused is how many calls to chatID were answered with its FailChat failure.
func (s *Server) Refused(chatID int64) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chatRefused[chatID]
}

// chatFailure is the FailChat failure for a call that sends to a chat.
func (s *Server) chatFailure(method string, p params) (Failure, bool) {
	switch method {
	case "sendmessage", "editmessagetext", "sendphoto":
	default:
		return Failure{}, false
	}
	id, err := p.int64("chat_id")
	if err != nil {
		return Failure{}, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.chatFailures[id]
	if ok {
		s.chatRefused[id]++
	}
	return f, ok
}

// takeFailure pops the next scripted failure of method.
func (s *Server) takeFailure(method string) (Failure, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fs := s.failures[method]
	if len(fs) == 0 {
		return Failure{}, false
	}
	s.failures[method] = fs[1:]
	return fs[0], true
}
