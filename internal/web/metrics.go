package web

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"tiny/internal/analytics"
	"tiny/internal/shortener"
)

// metrics are tiny's Prometheus collectors, on a registry of their own.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	redirect prometheus.Histogram
	// unreadable counts the requests fasthttp could not read, by class.
	unreadable *prometheus.CounterVec
	// fastRequests are the request counters of the fast path, resolved once
	// so that counting a redirect does not allocate.
	fastRequests map[int]prometheus.Counter
}

func newMetrics(links *shortener.Service, clicks *analytics.Recorder, limits *rateLimiter) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tiny_http_requests_total",
			Help: "HTTP requests by route pattern and status code.",
		}, []string{"route", "code"}),
		unreadable: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tiny_http_unreadable_requests_total",
			Help: "Requests that could not be read as HTTP, by class: malformed, headers_too_large, body_too_large, timeout, connection.",
		}, []string{"class"}),
		redirect: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "tiny_redirect_duration_seconds",
			Help:    "Time to answer a redirect, from routing to the last header.",
			Buckets: []float64{.00001, .000025, .00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .1, .5},
		}),
	}
	m.fastRequests = make(map[int]prometheus.Counter)
	for _, status := range []int{301, 302, 307, 308} {
		m.fastRequests[status] = m.requests.WithLabelValues(redirectRouteLabel, strconv.Itoa(status))
	}
	batches := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "tiny_click_batch_seconds",
		Help:    "Time to write one batch of clicks, with its rollups, in one transaction.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
	})
	clicks.ObserveBatches(func(_ int, d time.Duration) { batches.Observe(d.Seconds()) })
	counter := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Name: name, Help: help}, f)
	}
	gauge := func(name, help string, f func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, f)
	}
	m.registry.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.redirect, m.unreadable,
		counter("tiny_cache_hits_total", "Redirect cache lookups that found the link.",
			func() float64 { return float64(links.Stats().CacheHits) }),
		counter("tiny_cache_misses_total", "Redirect cache lookups that went to the store.",
			func() float64 { return float64(links.Stats().CacheMisses) }),
		gauge("tiny_cache_entries", "Links held in the redirect cache.",
			func() float64 { return float64(links.Stats().CacheSize) }),
		counter("tiny_store_errors_total", "Store calls that failed with an unexpected error.",
			func() float64 { return float64(links.Stats().StoreErrors) }),
		counter("tiny_clicks_enqueued_total", "Clicks handed to the click queue.",
			func() float64 { return float64(clicks.Stats().Enqueued) }),
		counter("tiny_clicks_dropped_total", "Clicks dropped because the click queue was full.",
			func() float64 { return float64(clicks.Stats().Dropped) }),
		counter("tiny_clicks_written_total", "Clicks written to the store.",
			func() float64 { return float64(clicks.Stats().Written) }),
		counter("tiny_clicks_failed_total", "Clicks lost because their batch could not be written.",
			func() float64 { return float64(clicks.Stats().Failed) }),
		gauge("tiny_click_queue_depth", "Clicks waiting in the click queue.",
			func() float64 { return float64(clicks.Stats().QueueDepth) }),
		batches,
		counter("tiny_ratelimit_refused_total", "API calls refused by a rate limit.",
			func() float64 { return float64(limits.refused.Load()) }),
	)
	if f, ok := limits.limiter.(interface{ Failures() uint64 }); ok {
		m.registry.MustRegister(counter("tiny_ratelimit_failures_total",
			"Rate-limit checks that failed (Redis unreachable) and were allowed through.",
			func() float64 { return float64(f.Failures()) }))
	}
	return m
}
