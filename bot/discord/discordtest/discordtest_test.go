package discordtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// post sends a JSON body to the fake the way a bot would.
func post(t *testing.T, s *Server, method, path string, body any) int {
	t.Helper()
	raw, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(method, s.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bot "+Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func button(label, id string) map[string]any {
	return map[string]any{"type": 2, "style": 2, "label": label, "custom_id": id}
}

func row(bs ...map[string]any) map[string]any { return map[string]any{"type": 1, "components": bs} }

var none = map[string]any{"parse": []string{}}

// TestRulesAreEnforced shows that every rule the fake claims to enforce does
// produce a violation when broken, so a test of the bot that passes against
// the fake means something.
func TestRulesAreEnforced(t *testing.T) {
	six := []map[string]any{}
	for i := range 6 {
		six = append(six, row(button("b", fmt.Sprint("r", i))))
	}
	tests := []struct {
		name string
		msg  map[string]any
		want string // part of the violation
	}{
		{"content over 2,000", map[string]any{"content": strings.Repeat("é", 2001), "allowed_mentions": none}, "content of 2001"},
		{"no allowed_mentions", map[string]any{"content": "hi"}, "no allowed_mentions"},
		{"allowed_mentions that pings", map[string]any{"content": "hi", "allowed_mentions": map[string]any{"parse": []string{"everyone"}}}, "allows pings"},
		{"null parse", map[string]any{"content": "hi", "allowed_mentions": map[string]any{"parse": nil}}, "allows pings"},
		{"six rows", map[string]any{"content": "hi", "allowed_mentions": none, "components": six}, "6 component rows"},
		{"six in a row", map[string]any{"content": "hi", "allowed_mentions": none, "components": []any{row(button("1", "a"), button("2", "b"), button("3", "c"), button("4", "d"), button("5", "e"), button("6", "f"))}}, "a row of 6"},
		{"long label", map[string]any{"content": "hi", "allowed_mentions": none, "components": []any{row(button(strings.Repeat("x", 81), "a"))}}, "label of 81"},
		{"long custom_id", map[string]any{"content": "hi", "allowed_mentions": none, "components": []any{row(button("x", strings.Repeat("i", 101)))}}, "custom_id of 101"},
		{"duplicate custom_id", map[string]any{"content": "hi", "allowed_mentions": none, "components": []any{row(button("x", "a"), button("y", "a"))}}, "duplicate custom_id"},
		{"empty message", map[string]any{"content": " ", "allowed_mentions": none}, "empty message"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := NewServer(Options{})
			defer s.Close()
			if code := post(t, s, "POST", "/channels/1/messages", tc.msg); code != http.StatusOK {
				t.Fatalf("status %d", code)
			}
			v := s.Violations()
			if len(v) != 1 || !strings.Contains(v[0], tc.want) {
				t.Errorf("violations %q, want one about %q", v, tc.want)
			}
		})
	}
	t.Run("a valid message breaks nothing", func(t *testing.T) {
		s := NewServer(Options{})
		defer s.Close()
		post(t, s, "POST", "/channels/1/messages", map[string]any{"content": "hi", "allowed_mentions": none, "components": []any{row(button("x", "a"))}})
		if v := s.Violations(); len(v) != 0 {
			t.Errorf("violations %q", v)
		}
	})
}

func TestInteractionRules(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	cmd := s.newInteraction(false)
	msg := map[string]any{"content": "hi", "allowed_mentions": none}
	// A followup before the interaction was answered.
	if code := post(t, s, "POST", "/webhooks/"+s.AppID+"/"+cmd.Token, msg); code != http.StatusNotFound {
		t.Errorf("early followup: status %d, want 404", code)
	}
	// An update (type 7) is for buttons only.
	post(t, s, "POST", "/interactions/"+cmd.ID+"/"+cmd.Token+"/callback", map[string]any{"type": 7, "data": msg})
	// Answered, then answered again.
	if code := post(t, s, "POST", "/interactions/"+cmd.ID+"/"+cmd.Token+"/callback", map[string]any{"type": 4, "data": msg}); code != http.StatusNoContent {
		t.Errorf("answer: status %d", code)
	}
	post(t, s, "POST", "/interactions/"+cmd.ID+"/"+cmd.Token+"/callback", map[string]any{"type": 4, "data": msg})
	unanswered := s.newInteraction(true)
	want := []string{"before the interaction was answered", "for components only", "answered twice"}
	v := s.Violations()
	if len(v) != len(want) {
		t.Fatalf("violations %q, want %d", v, len(want))
	}
	for i, w := range want {
		if !strings.Contains(v[i], w) {
			t.Errorf("violation %d = %q, want %q", i, v[i], w)
		}
	}
	if u := s.Unanswered(); len(u) != 1 || u[0] != unanswered.Token {
		t.Errorf("Unanswered() = %q, want the one unanswered interaction", u)
	}
}

func TestAnswerDeadline(t *testing.T) {
	now := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	s := NewServer(Options{Now: func() time.Time { return now }})
	defer s.Close()
	msg := map[string]any{"type": 4, "data": map[string]any{"content": "hi", "allowed_mentions": none}}
	inTime, late := s.newInteraction(false), s.newInteraction(false)
	now = now.Add(AnswerDeadline)
	if code := post(t, s, "POST", "/interactions/"+inTime.ID+"/"+inTime.Token+"/callback", msg); code != http.StatusNoContent {
		t.Errorf("answer at the deadline: status %d", code)
	}
	now = now.Add(time.Millisecond)
	if code := post(t, s, "POST", "/interactions/"+late.ID+"/"+late.Token+"/callback", msg); code != http.StatusNotFound {
		t.Errorf("late answer: status %d, want 404 Unknown interaction", code)
	}
	if v := s.Violations(); len(v) != 1 || !strings.Contains(v[0], "answered after") {
		t.Errorf("violations %q, want the late answer", v)
	}
}

func TestCommandNames(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	post(t, s, "PUT", "/applications/"+s.AppID+"/commands", []map[string]any{
		{"name": "ask", "description": "fine"},
		{"name": "Ask", "description": "upper case"},
		{"name": "two words", "description": "space"},
		{"name": "nodesc", "description": ""},
	})
	if v := s.Violations(); len(v) != 3 {
		t.Errorf("violations %q, want 3", v)
	}
	if got := s.Commands(""); len(got) != 4 || got[0].ID == "" {
		t.Errorf("commands %+v", got)
	}
}

func TestFailNext(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	s.FailNext(RouteChannelMsg, Failure{Status: 429, RetryAfter: 0.5})
	msg := map[string]any{"content": "hi", "allowed_mentions": none}
	if code := post(t, s, "POST", "/channels/1/messages", msg); code != http.StatusTooManyRequests {
		t.Errorf("first call: status %d, want 429", code)
	}
	if code := post(t, s, "POST", "/channels/1/messages", msg); code != http.StatusOK {
		t.Errorf("second call: status %d, want 200", code)
	}
	if n := s.Attempts(RouteChannelMsg); n != 2 {
		t.Errorf("Attempts = %d, want 2", n)
	}
}

func TestRejectsWrongToken(t *testing.T) {
	s := NewServer(Options{})
	defer s.Close()
	req, _ := http.NewRequest("GET", s.URL+"/users/@me", nil)
	req.Header.Set("Authorization", "Bot nope")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("status %d, want 401", resp.StatusCode)
	}
}
