package main

import (
	"context"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/supportbot/supportbot/bot"
	"github.com/supportbot/supportbot/store"
)

// metrics is what /metrics serves, on a registry of its own (never the global
// one, so tests and a second instance in one process do not collide).
//
// The usage counters are those of [store.Counters] that name a Metric, so the
// stats report and /metrics count from one list.
//
// Every label value comes from a small fixed set: platform names, a counter's
// known keys (reply kinds, error kinds), API method names or route templates.
// None holds text, a user, chat or guild id, or a token; [metrics.apiCall]
// enforces that for the one label an adapter chooses freely.
type metrics struct {
	reg *prometheus.Registry

	counters  []counterMetric
	latency   *prometheus.HistogramVec // platform
	apiCalls  *prometheus.CounterVec   // platform, method
	apiErrors *prometheus.CounterVec   // platform, method

	// methods bounds the method label's values per platform: an adapter that
	// passed something unexpected (say a route with an id in it) would otherwise
	// grow the series without end.
	mu      sync.Mutex
	methods map[string]map[string]bool
}

// maxMethods is the most distinct method labels kept per platform; the Telegram
// adapter uses about ten methods and the Discord one fewer routes. Beyond it
// calls count under "other".
const maxMethods = 64

// latencyBuckets cover a reply made in-process (tens of microseconds) up to
// one that waited on something slow. Seconds, as Prometheus wants.
var latencyBuckets = []float64{
	0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
}

// newMetrics registers every collector. platforms are the platforms served, so
// their series exist (at zero) from the start; queue reads the stats store's
// queue (nil when there is none); connected reports a platform's connection.
func newMetrics(platforms []string, queue func() store.QueueStats, connected func(platform string) bool) *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "supportbot_reply_latency_seconds",
			Help:    "Time from receiving a message to its reply being ready, by platform.",
			Buckets: latencyBuckets,
		}, []string{"platform"}),
		apiCalls: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "supportbot_platform_api_calls_total",
			Help: "Calls to a platform's API, by platform and method (Telegram) or route (Discord).",
		}, []string{"platform", "method"}),
		apiErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "supportbot_platform_api_errors_total",
			Help: "Failed calls to a platform's API, by platform and method or route.",
		}, []string{"platform", "method"}),
		methods: map[string]map[string]bool{},
	}
	m.reg.MustRegister(m.latency, m.apiCalls, m.apiErrors)
	for _, c := range store.Counters {
		if c.Metric == "" || c.Of == nil {
			continue
		}
		labels := []string{"platform"}
		if c.Label != "" {
			labels = append(labels, c.Label)
		}
		vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: c.Metric, Help: c.Help}, labels)
		m.reg.MustRegister(vec)
		m.counters = append(m.counters, counterMetric{c: c, vec: vec})
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	info := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "supportbot_build_info",
		Help: "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{
			"version":   version,
			"commit":    commit,
			"goversion": runtime.Version(),
		},
	})
	info.Set(1)
	m.reg.MustRegister(info)

	for _, p := range platforms {
		for _, cm := range m.counters {
			cm.zero(p)
		}
		m.latency.WithLabelValues(p)
		if connected != nil {
			m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name:        "supportbot_platform_connected",
				Help:        "1 while the platform is connected, else 0.",
				ConstLabels: prometheus.Labels{"platform": p},
			}, func() float64 {
				if connected(p) {
					return 1
				}
				return 0
			}))
		}
	}

	if queue != nil {
		m.reg.MustRegister(
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{
				Name: "supportbot_stats_queue_depth",
				Help: "Usage events waiting to be written to the stats store.",
			}, func() float64 { return float64(queue().Depth) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "supportbot_stats_events_dropped_total",
				Help: "Usage events dropped because the stats queue was full or closed.",
			}, func() float64 { return float64(queue().Dropped) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "supportbot_stats_events_written_total",
				Help: "Usage events whose counts are committed to the stats store.",
			}, func() float64 { return float64(queue().Written) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{
				Name: "supportbot_stats_write_errors_total",
				Help: "Failed writes to the stats store (each is retried).",
			}, func() float64 { return float64(queue().Errors) }),
		)
	}
	return m
}

// observe counts one usage event from the core or an adapter.
func (m *metrics) observe(ev bot.Event) {
	p := platformLabel(ev.Platform)
	for _, cm := range m.counters {
		if key, ok := cm.c.Of(ev); ok {
			cm.inc(p, key)
		}
	}
	if ev.Kind != "" {
		m.latency.WithLabelValues(p).Observe(ev.Latency.Seconds())
	}
}

// counterMetric is one of [store.Counters] on /metrics.
type counterMetric struct {
	c   store.Counter
	vec *prometheus.CounterVec // platform, and c.Label if it has one
}

// zero makes the platform's series exist at zero, one per known key, so that
// a rate is defined from the start.
func (cm counterMetric) zero(platform string) {
	if cm.c.Label == "" {
		cm.vec.WithLabelValues(platform)
		return
	}
	for _, k := range cm.c.Keys {
		cm.vec.WithLabelValues(platform, k)
	}
}

// inc counts one under key; a key the counter does not know counts as "other".
func (cm counterMetric) inc(platform, key string) {
	if cm.c.Label == "" {
		cm.vec.WithLabelValues(platform).Inc()
		return
	}
	if !slices.Contains(cm.c.Keys, key) {
		key = "other"
	}
	cm.vec.WithLabelValues(platform, key).Inc()
}

// apiCall counts one call to a platform's API. It is the adapters' OnAPICall.
func (m *metrics) apiCall(platform, method string, err error) {
	p := platformLabel(platform)
	method = m.methodLabel(p, method)
	m.apiCalls.WithLabelValues(p, method).Inc()
	if err != nil {
		m.apiErrors.WithLabelValues(p, method).Inc()
	}
}

// methodLabel keeps a method or route name as a label only if it cannot carry
// an id: no run of digits (a chat, guild or message id; tokens hold digits too)
// and nothing long. Anything else, and anything past maxMethods distinct
// names, counts as "other".
func (m *metrics) methodLabel(platform, method string) string {
	if method == "" || len(method) > 64 {
		return "other"
	}
	for _, r := range method {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || strings.ContainsRune("_-/{}: ", r)
		if !ok {
			return "other"
		}
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := m.methods[platform]
	if seen == nil {
		seen = map[string]bool{}
		m.methods[platform] = seen
	}
	if !seen[method] {
		if len(seen) >= maxMethods {
			return "other"
		}
		seen[method] = true
	}
	return method
}

// platformLabel passes the platforms we know and folds anything else.
func platformLabel(p string) string {
	switch p {
	case "telegram", "discord", "console":
		return p
	}
	return "other"
}

// metricsRecorder feeds every event to the metrics and then to the next
// recorder (the stats store). Like every [bot.Recorder] it never blocks.
type metricsRecorder struct {
	m    *metrics
	next bot.Recorder
}

// Record implements [bot.Recorder].
func (r metricsRecorder) Record(ctx context.Context, ev bot.Event) error {
	r.m.observe(ev)
	return r.next.Record(ctx, ev)
}
