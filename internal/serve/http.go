package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Check is one condition of readiness: Name says what (a platform, the stats
// store, the knowledge base), Ready returns nil when it holds.
type Check struct {
	Name  string
	Ready func(ctx context.Context) error
}

// readyTimeout bounds all the checks of one /readyz request: an orchestrator
// polls it every few seconds and a stuck check must not pile requests up.
const readyTimeout = 2 * time.Second

// Handler serves the operator's endpoints:
//
//   - /healthz: 200 while the process is alive and serving HTTP;
//   - /readyz: 200 when every check holds, else 503; the body has one line per
//     check, "name: ok" or "name: what is wrong";
//   - /metrics: served by metrics (nil: not served).
func Handler(checks []Check, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
		defer cancel()
		var b strings.Builder
		ready := true
		for _, c := range checks {
			if err := c.Ready(ctx); err != nil {
				ready = false
				fmt.Fprintf(&b, "%s: %v\n", c.Name, err)
				continue
			}
			fmt.Fprintf(&b, "%s: ok\n", c.Name)
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		fmt.Fprint(w, b.String())
	})
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	return mux
}

// endpoint is the operator's HTTP endpoint, listening from the start so a bad
// address fails `supportbot run` at once.
type endpoint struct {
	ln  net.Listener
	srv *http.Server
}

// listen listens on addr (as given to --http).
func listen(addr string, h http.Handler) (*endpoint, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--http / SUPPORTBOT_HTTP: %w", err)
	}
	return &endpoint{ln: ln, srv: &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       60 * time.Second,
	}}, nil
}

// httpShutdownTimeout is what requests in flight get at shutdown: the endpoint
// stops last, after the replies drained and the stats were flushed, and the
// whole shutdown must fit in Docker's 10 seconds.
const httpShutdownTimeout = time.Second

// serve serves until ctx ends, then shuts down, giving requests in flight up to
// httpShutdownTimeout.
func (s *endpoint) serve(ctx context.Context) error {
	errc := make(chan error, 1) // Serve's one result; buffered so it never blocks
	go func() { errc <- s.srv.Serve(s.ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("http: %w", err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), httpShutdownTimeout)
	defer cancel()
	err := s.srv.Shutdown(sctx)
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	if err != nil {
		return fmt.Errorf("http shutdown: %w", err)
	}
	return nil
}
