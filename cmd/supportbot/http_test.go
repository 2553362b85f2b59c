package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/internal/serve"
	"github.com/supportbot/supportbot/store"
)

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

func TestHealthz(t *testing.T) {
	m := newMetrics(nil, nil, nil)
	srv := httptest.NewServer(newHTTPHandler(m, nil, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	code, body := get(t, srv.URL+"/healthz")
	if code != http.StatusOK || body != "ok\n" {
		t.Errorf("GET /healthz = %d %q, want 200 \"ok\\n\"", code, body)
	}
}

func TestReadyz(t *testing.T) {
	storeDown := errors.New("stats store: last write failed: disk I/O error")
	tests := []struct {
		name      string
		telegram  bool
		discord   bool
		stats     error
		wantCode  int
		wantLines []string
	}{
		{"all ready", true, true, nil, 200, []string{"knowledge: ok", "telegram: ok", "discord: ok", "stats: ok"}},
		{"discord down", true, false, nil, 503, []string{"knowledge: ok", "telegram: ok", "discord: not connected", "stats: ok"}},
		{"store not writable", true, true, storeDown, 503, []string{"telegram: ok", "discord: ok", "stats: " + storeDown.Error()}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := func(ok bool) func(context.Context) error {
				return func(context.Context) error {
					if !ok {
						return errors.New("not connected")
					}
					return nil
				}
			}
			checks := []serve.Check{
				{Name: "knowledge", Ready: up(true)},
				{Name: "telegram", Ready: up(tc.telegram)},
				{Name: "discord", Ready: up(tc.discord)},
				{Name: "stats", Ready: func(context.Context) error { return tc.stats }},
			}
			srv := httptest.NewServer(newHTTPHandler(newMetrics(nil, nil, nil), checks, slog.New(slog.DiscardHandler)))
			defer srv.Close()
			code, body := get(t, srv.URL+"/readyz")
			if code != tc.wantCode {
				t.Errorf("GET /readyz: status %d, want %d; body:\n%s", code, tc.wantCode, body)
			}
			for _, l := range tc.wantLines {
				if !strings.Contains(body, l+"\n") {
					t.Errorf("GET /readyz: body lacks line %q; body:\n%s", l, body)
				}
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	qs := store.QueueStats{Depth: 3, Dropped: 2, Written: 40, Errors: 1}
	connected := map[string]bool{"telegram": true}
	m := newMetrics([]string{"telegram", "discord"}, func() store.QueueStats { return qs },
		func(p string) bool { return connected[p] })
	var got []bot.Event
	rec := metricsRecorder{m: m, next: recorderFunc(func(_ context.Context, ev bot.Event) error {
		got = append(got, ev)
		return nil
	})}
	ctx := context.Background()
	events := []bot.Event{
		{Platform: "telegram", Community: "-100123456789", Session: 987654321, Kind: bot.KindAnswer, Topic: "cost", Latency: 300 * time.Microsecond},
		{Platform: "telegram", Community: bot.CommunityDM, Kind: bot.KindTriage, Latency: 2 * time.Millisecond},
		{Platform: "discord", Community: "112233445566778899", Kind: bot.KindCrisis, Latency: 40 * time.Millisecond},
		{Platform: "telegram", Err: bot.ErrorKindPlatformAPI},
	}
	for _, ev := range events {
		if err := rec.Record(ctx, ev); err != nil {
			t.Fatalf("Record(%+v) = %v", ev, err)
		}
	}
	if len(got) != len(events) {
		t.Errorf("the store got %d events, want %d", len(got), len(events))
	}
	m.apiCall("telegram", "sendMessage", nil)
	m.apiCall("telegram", "sendMessage", errors.New("502 Bad Gateway"))
	m.apiCall("discord", "POST /channels/{channel_id}/messages", nil)
	m.apiCall("discord", "POST /channels/112233445566778899/messages", nil) // an id leaked into the route

	srv := httptest.NewServer(newHTTPHandler(m, nil, slog.New(slog.DiscardHandler)))
	defer srv.Close()
	code, body := get(t, srv.URL+"/metrics")
	if code != http.StatusOK {
		t.Fatalf("GET /metrics: status %d", code)
	}
	for _, want := range []string{
		`supportbot_replies_total{kind="answer",platform="telegram"} 1`,
		`supportbot_replies_total{kind="triage",platform="telegram"} 1`,
		`supportbot_replies_total{kind="crisis",platform="discord"} 1`,
		`supportbot_replies_total{kind="fallback",platform="discord"} 0`,
		`supportbot_reply_latency_seconds_bucket{platform="telegram",le="0.0005"} 1`,
		`supportbot_reply_latency_seconds_bucket{platform="telegram",le="0.0025"} 2`,
		`supportbot_reply_latency_seconds_count{platform="discord"} 1`,
		`supportbot_failures_total{kind="platform_api",platform="telegram"} 1`,
		`supportbot_platform_api_calls_total{method="sendMessage",platform="telegram"} 2`,
		`supportbot_platform_api_errors_total{method="sendMessage",platform="telegram"} 1`,
		`supportbot_platform_api_calls_total{method="POST /channels/{channel_id}/messages",platform="discord"} 1`,
		`supportbot_platform_api_calls_total{method="other",platform="discord"} 1`,
		`supportbot_platform_connected{platform="telegram"} 1`,
		`supportbot_platform_connected{platform="discord"} 0`,
		`supportbot_stats_queue_depth 3`,
		`supportbot_stats_events_dropped_total 2`,
		`supportbot_stats_events_written_total 40`,
		`supportbot_stats_write_errors_total 1`,
		`supportbot_build_info{commit="",goversion="go`,
		`go_goroutines `,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	// No id of a chat, guild or session, wherever it came from.
	for _, id := range []string{"100123456789", "112233445566778899", "987654321"} {
		if strings.Contains(body, id) {
			t.Errorf("/metrics contains the id %s", id)
		}
	}
}

// TestMethodLabelBounded checks that an adapter passing ever new method names
// cannot grow the series without end.
func TestMethodLabelBounded(t *testing.T) {
	m := newMetrics(nil, nil, nil)
	for i := range 3 * maxMethods {
		m.apiCall("telegram", "method"+strings.Repeat("x", i%200), nil)
	}
	var buf bytes.Buffer
	mfs, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "supportbot_platform_api_calls_total" {
			if n := len(mf.GetMetric()); n > maxMethods+1 {
				t.Errorf("%d method series, want at most %d", n, maxMethods+1)
			}
			buf.WriteString("found")
		}
	}
	if buf.Len() == 0 {
		t.Error("no supportbot_platform_api_calls_total series")
	}
}

type recorderFunc func(context.Context, bot.Event) error

func (f recorderFunc) Record(ctx context.Context, ev bot.Event) error { return f(ctx, ev) }

func TestHealthCommand(t *testing.T) {
	ok := httptest.NewServer(newHTTPHandler(newMetrics(nil, nil, nil), nil, slog.New(slog.DiscardHandler)))
	defer ok.Close()
	sick := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	}))
	defer sick.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedAddr := closed.Listener.Addr().String()
	closed.Close()

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr bool
	}{
		{"healthy via --http", []string{"--http", ok.Listener.Addr().String()}, nil, false},
		{"healthy via SUPPORTBOT_HTTP", nil, map[string]string{"SUPPORTBOT_HTTP": ok.Listener.Addr().String()}, false},
		{"healthy via :PORT", []string{"--http", ":" + port(ok.Listener.Addr().String())}, nil, false},
		{"unhealthy", []string{"--http", sick.Listener.Addr().String()}, nil, true},
		{"nothing listening", []string{"--http", closedAddr}, nil, true},
		{"bad address", []string{"--http", "localhost"}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"supportbot"}, tc.args...)
			args = append(args, "health")
			err := run(context.Background(), args, getenvFrom(tc.env), strings.NewReader(""), &stdout, &stderr)
			if (err != nil) != tc.wantErr {
				t.Errorf("run %v: err = %v, want error: %v", args, err, tc.wantErr)
			}
		})
	}
}

func TestHealthURL(t *testing.T) {
	for addr, want := range map[string]string{
		":8080":          "http://127.0.0.1:8080/healthz",
		"0.0.0.0:8080":   "http://127.0.0.1:8080/healthz",
		"[::]:9000":      "http://[::1]:9000/healthz",
		"127.0.0.1:8080": "http://127.0.0.1:8080/healthz",
		"example:81":     "http://example:81/healthz",
	} {
		got, err := healthURL(addr)
		if err != nil || got != want {
			t.Errorf("healthURL(%q) = %q, %v; want %q", addr, got, err, want)
		}
	}
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

func getenvFrom(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}
