package serve

import (
	"context"
	"errors"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/supportbot/supportbot/bot/bottest"
)

// TestReadyWhileStarting: the endpoint answers as soon as start returns,
// before connectAll has dialled anything, and /readyz must already say the
// platform is connecting. It once said "not connected" in that gap, which a
// busy CI machine hit (TestServeHealthWhileConnecting in cmd/supportbot).
func TestReadyWhileStarting(t *testing.T) {
	cfg := Config{DB: filepath.Join(t.TempDir(), "stats.db"), TelegramToken: "x", HTTP: "127.0.0.1:0"}
	s, err := start(context.Background(), bottest.Knowledge(t), cfg, Options{
		Platforms: func(Deps) []*Platform {
			return []*Platform{{Name: "telegram", TokenVar: "TELEGRAM_BOT_TOKEN", Unauthorized: errors.New("rejected"),
				Connect: func(context.Context) (Adapter, error) { return nil, errors.New("never dialled here") }}}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := errors.Join(s.stopEndpoint(nil), s.closeStore(context.Background())); err != nil {
			t.Error(err)
		}
	}()
	resp, err := http.Get("http://" + s.endpoint.ln.Addr().String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(string(body), "telegram: connecting") {
		t.Errorf("/readyz before connectAll: %d %q, want 503 with %q", resp.StatusCode, body, "telegram: connecting")
	}
}
