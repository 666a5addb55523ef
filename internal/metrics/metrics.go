package metrics

import (
	"math"
	"net/http"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Bucket bounds, in seconds, chosen so the targets of DESIGN.md can be read
// off: own time is fine below 10 ms and still resolves 1 s, 1.5 s and 2 s;
// whole responses resolve 1 s, 1.5 s and 2 s; TTFB resolves 5 ms and 500 ms;
// store operations resolve 1 ms.
var (
	ownBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.025,
		0.05, 0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 5, 10}
	totalBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75,
		1, 1.5, 2, 2.5, 5, 10, 30, 60, 120}
	ttfbBuckets = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
		0.25, 0.5, 1, 2.5, 5, 10, 30}
	storeBuckets = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005,
		0.01, 0.025, 0.05, 0.1, 0.5, 1}
	batchBuckets = []float64{0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800}
)

// Options configures [New].
type Options struct {
	// Now is the clock of the status figures; nil means time.Now.
	Now func() time.Time
	// Version is exported as the version label of downloader_build_info.
	Version string
	// MaxTiers bounds the distinct tier label values; 0 means 16.
	MaxTiers int
}

// Metrics holds every collector of the service on one private registry and
// the in-process window behind /status. All methods are safe for concurrent
// use; a nil *Metrics ignores every call, so packages may leave it unset in
// tests.
type Metrics struct {
	reg     *prometheus.Registry
	version string
	now     func() time.Time
	tiers   *dynamicSet
	win     *window

	requests      *prometheus.CounterVec
	inFlight      *prometheus.GaugeVec
	totalDuration *prometheus.HistogramVec
	ownDuration   *prometheus.HistogramVec
	responseBytes *prometheus.CounterVec
	rawTTFB       prometheus.Histogram

	upstream         *prometheus.CounterVec
	upstreamDuration prometheus.Histogram
	upstreamTTFB     prometheus.Histogram
	retries          prometheus.Counter
	redirects        prometheus.Counter
	breakers         *prometheus.GaugeVec
	breakerOpened    prometheus.Counter
	ssrf             *prometheus.CounterVec

	cache         *prometheus.CounterVec
	cacheEntries  prometheus.Gauge
	cacheBytes    prometheus.Gauge
	storeDuration *prometheus.HistogramVec
	storeErrors   *prometheus.CounterVec

	jobs          *prometheus.CounterVec
	jobDuration   prometheus.Histogram
	batchURLs     *prometheus.CounterVec
	queueDepth    prometheus.Gauge
	reclaimed     prometheus.Counter
	limited       *prometheus.CounterVec
	contentTypes  *prometheus.CounterVec
	extractFailed prometheus.Counter
}

// New registers every collector on reg (never the default registry), with
// the Go runtime and process collectors, and pre-registers the bounded label
// values so that series exist at zero before the first event.
func New(reg *prometheus.Registry, opts Options) *Metrics {
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	maxTiers := opts.MaxTiers
	if maxTiers <= 0 {
		maxTiers = 16
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	)
	m := &Metrics{reg: reg, version: opts.Version, now: now,
		tiers: newDynamicSet(maxTiers), win: newWindow()}
	f := promauto.With(reg)
	m.registerRequests(f)
	m.registerUpstream(f)
	m.registerCache(f)
	m.registerBatch(f)
	m.registerMisc(f, opts.Version)
	m.preregister()
	return m
}

func (m *Metrics) registerRequests(f promauto.Factory) {
	m.requests = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_http_requests_total",
		Help: "HTTP requests answered, by route class, method, status and error_type.",
	}, []string{"class", "method", "status", "error_type"})
	m.inFlight = f.NewGaugeVec(prometheus.GaugeOpts{
		Name: "downloader_http_requests_in_flight",
		Help: "HTTP requests being served, by route class.",
	}, []string{"class"})
	m.totalDuration = f.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "downloader_http_request_duration_seconds",
		Help:    "Whole response time, upstream transfer included.",
		Buckets: totalBuckets,
	}, []string{"class"})
	m.ownDuration = f.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "downloader_http_request_own_duration_seconds",
		Help:    "The service's own time, excluding the upstream transfer (KPI).",
		Buckets: ownBuckets,
	}, []string{"class"})
	m.responseBytes = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_http_response_bytes_total",
		Help: "Response body bytes sent, by route class.",
	}, []string{"class"})
	m.rawTTFB = f.NewHistogram(prometheus.HistogramOpts{
		Name:    "downloader_raw_ttfb_seconds",
		Help:    "Time to first byte of raw downloads (KPI download initiation).",
		Buckets: ttfbBuckets,
	})
}

func (m *Metrics) registerUpstream(f promauto.Factory) {
	m.upstream = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_upstream_requests_total",
		Help: "Upstream exchanges by outcome; error_type is empty on success.",
	}, []string{"error_type"})
	m.upstreamDuration = f.NewHistogram(prometheus.HistogramOpts{
		Name:    "downloader_upstream_duration_seconds",
		Help:    "Whole upstream exchange time, body included.",
		Buckets: totalBuckets,
	})
	m.upstreamTTFB = f.NewHistogram(prometheus.HistogramOpts{
		Name:    "downloader_upstream_ttfb_seconds",
		Help:    "Time until the upstream's response headers arrived.",
		Buckets: ttfbBuckets,
	})
	m.retries = f.NewCounter(prometheus.CounterOpts{
		Name: "downloader_upstream_retries_total",
		Help: "Upstream attempts retried.",
	})
	m.redirects = f.NewCounter(prometheus.CounterOpts{
		Name: "downloader_upstream_redirects_total",
		Help: "Upstream redirects followed.",
	})
	m.breakers = f.NewGaugeVec(prometheus.GaugeOpts{
		Name: "downloader_upstream_circuit_breakers",
		Help: "Circuit breakers in each state.",
	}, []string{"state"})
	m.breakerOpened = f.NewCounter(prometheus.CounterOpts{
		Name: "downloader_upstream_circuit_breaker_opened_total",
		Help: "Circuit breakers that moved to the open state.",
	})
	m.ssrf = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_ssrf_refusals_total",
		Help: "Destinations refused by the SSRF policy, by reason.",
	}, []string{"reason"})
}

func (m *Metrics) registerCache(f promauto.Factory) {
	m.cache = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_cache_requests_total",
		Help: "Cache outcomes: hit, miss, stale, revalidated, bypass.",
	}, []string{"result"})
	m.cacheEntries = f.NewGauge(prometheus.GaugeOpts{
		Name: "downloader_cache_entries",
		Help: "Entries held by the response cache.",
	})
	m.cacheBytes = f.NewGauge(prometheus.GaugeOpts{
		Name: "downloader_cache_size_bytes",
		Help: "Bytes held by the response cache.",
	})
	m.storeDuration = f.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "downloader_store_operation_duration_seconds",
		Help:    "Shared-state operations (Redis or memory) by component, backend, op.",
		Buckets: storeBuckets,
	}, []string{"component", "backend", "op"})
	m.storeErrors = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_store_operation_errors_total",
		Help: "Shared-state operations that failed, by component, backend, op.",
	}, []string{"component", "backend", "op"})
}

func (m *Metrics) registerBatch(f promauto.Factory) {
	m.jobs = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_batch_jobs_total",
		Help: "Batch jobs finished, by final status.",
	}, []string{"status"})
	m.jobDuration = f.NewHistogram(prometheus.HistogramOpts{
		Name:    "downloader_batch_job_duration_seconds",
		Help:    "Batch job time from creation to its final status.",
		Buckets: batchBuckets,
	})
	m.batchURLs = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_batch_urls_total",
		Help: "Batch URLs finished, by outcome and error_type.",
	}, []string{"outcome", "error_type"})
	m.queueDepth = f.NewGauge(prometheus.GaugeOpts{
		Name: "downloader_batch_queue_depth",
		Help: "URL tasks waiting in the job queue.",
	})
	m.reclaimed = f.NewCounter(prometheus.CounterOpts{
		Name: "downloader_batch_reclaimed_tasks_total",
		Help: "URL tasks reclaimed from a consumer that stopped.",
	})
}

func (m *Metrics) registerMisc(f promauto.Factory, version string) {
	m.limited = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_ratelimit_refusals_total",
		Help: "Requests refused by a rate limit or a quota, by tier and kind.",
	}, []string{"tier", "kind"})
	m.contentTypes = f.NewCounterVec(prometheus.CounterOpts{
		Name: "downloader_content_types_total",
		Help: "Detected upstream content kinds.",
	}, []string{"kind"})
	m.extractFailed = f.NewCounter(prometheus.CounterOpts{
		Name: "downloader_extraction_failures_total",
		Help: "Conversions whose article extraction failed.",
	})
	f.NewGauge(prometheus.GaugeOpts{
		Name:        "downloader_build_info",
		Help:        "Always 1; the labels describe the build.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version()},
	}).Set(1)
	f.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "downloader_memory_limit_bytes",
		Help: "The Go memory limit (GOMEMLIMIT); 0 when unlimited.",
	}, memoryLimit)
}

// memoryLimit reads the soft memory limit without changing it.
func memoryLimit() float64 {
	limit := debug.SetMemoryLimit(-1)
	if limit <= 0 || limit == math.MaxInt64 {
		return 0
	}
	return float64(limit)
}

// preregister creates the zero-valued series that rules and dashboards
// divide by, so a ratio is 0 (not absent) before the first event.
func (m *Metrics) preregister() {
	for r := range cacheResults {
		m.cache.WithLabelValues(r)
	}
	for s := range jobStatuses {
		m.jobs.WithLabelValues(s)
	}
	for s := range breakerState {
		m.breakers.WithLabelValues(s)
	}
	for c := range classes {
		m.inFlight.WithLabelValues(c)
	}
	m.upstream.WithLabelValues("")
	m.batchURLs.WithLabelValues("success", "")
}

// Handler serves the registry in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}
