package main

import (
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/supportbot/supportbot/internal/serve"
)

// newHTTPHandler serves the operator's endpoints ([serve.Handler]) with
// /metrics from m's registry, in the Prometheus text format.
func newHTTPHandler(m *metrics, checks []serve.Check, log *slog.Logger) http.Handler {
	return serve.Handler(checks, metricsHandler(m, log))
}

// metricsHandler serves m's registry.
func metricsHandler(m *metrics, log *slog.Logger) http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{
		ErrorLog: slogPrintln{log},
		Registry: m.reg, // counts the handler's own requests and errors
	})
}

// slogPrintln lets promhttp report collection errors through our logger.
type slogPrintln struct{ log *slog.Logger }

func (l slogPrintln) Println(v ...any) { l.log.Error("serve /metrics", "err", fmt.Sprint(v...)) }
