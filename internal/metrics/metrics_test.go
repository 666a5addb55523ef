package metrics

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"downloader/internal/testclock"
)

// newTestMetrics returns Metrics on a fresh registry with a clock the test
// moves.
func newTestMetrics(t *testing.T) (*Metrics, *fakeClock) {
	t.Helper()
	clock := testclock.New(time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC))
	return New(prometheus.NewRegistry(), Options{Now: clock.Now, Version: "test"}), clock
}

// fakeClock is a clock the test moves; handlers may read it concurrently.
type fakeClock = testclock.Clock

// scrape reads the /metrics handler's text output.
func scrape(t *testing.T, m *Metrics) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("/metrics answered %d", rec.Code)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(rec.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return fams
}

// value finds the series of name whose labels include want; histograms
// report their sample count.
func value(t *testing.T, fams map[string]*dto.MetricFamily, name string,
	want map[string]string) float64 {
	t.Helper()
	fam, ok := fams[name]
	if !ok {
		t.Fatalf("no metric family %s", name)
	}
	for _, s := range fam.GetMetric() {
		if !hasLabels(s, want) {
			continue
		}
		switch {
		case s.Counter != nil:
			return s.Counter.GetValue()
		case s.Gauge != nil:
			return s.Gauge.GetValue()
		case s.Histogram != nil:
			return float64(s.Histogram.GetSampleCount())
		}
	}
	t.Fatalf("no series %s%v", name, want)
	return 0
}

func hasLabels(s *dto.Metric, want map[string]string) bool {
	got := map[string]string{}
	for _, l := range s.GetLabel() {
		got[l.GetName()] = l.GetValue()
	}
	for k, v := range want {
		if got[k] != v {
			return false
		}
	}
	return true
}

type L = map[string]string

func TestMetricsMoveWithCalls(t *testing.T) {
	tests := []struct {
		name   string
		call   func(m *Metrics)
		metric string
		labels L
		want   float64
	}{
		{"request counted", func(m *Metrics) {
			m.Request("download", "GET", 200, "", time.Second, time.Millisecond, 10)
		}, "downloader_http_requests_total",
			L{"class": "download", "method": "GET", "status": "200", "error_type": ""}, 1},
		{"timeout counted", func(m *Metrics) {
			m.Request("download", "GET", 504, "upstream_timeout", 3*time.Second, ms(1), 0)
		}, "downloader_http_requests_total",
			L{"status": "504", "error_type": "upstream_timeout"}, 1},
		{"whole duration observed", func(m *Metrics) {
			m.Request("read", "GET", 200, "", time.Second, time.Millisecond, 10)
			m.Request("read", "GET", 200, "", time.Second, time.Millisecond, 10)
		}, "downloader_http_request_duration_seconds", L{"class": "read"}, 2},
		{"own duration observed", func(m *Metrics) {
			m.Request("batch", "POST", 202, "", time.Second, time.Millisecond, 10)
		}, "downloader_http_request_own_duration_seconds", L{"class": "batch"}, 1},
		{"bytes added", func(m *Metrics) {
			m.Request("download", "GET", 200, "", time.Second, time.Millisecond, 1234)
			m.Request("download", "GET", 200, "", time.Second, time.Millisecond, 1000)
		}, "downloader_http_response_bytes_total", L{"class": "download"}, 2234},
		{"raw ttfb", func(m *Metrics) { m.RawTTFB(3 * time.Millisecond) },
			"downloader_raw_ttfb_seconds", nil, 1},
		{"upstream success", func(m *Metrics) { m.Upstream("", time.Second, time.Millisecond) },
			"downloader_upstream_requests_total", L{"error_type": ""}, 1},
		{"upstream timeout", func(m *Metrics) { m.Upstream("upstream_timeout", time.Second, 0) },
			"downloader_upstream_requests_total", L{"error_type": "upstream_timeout"}, 1},
		{"upstream ttfb", func(m *Metrics) { m.Upstream("", time.Second, time.Millisecond) },
			"downloader_upstream_ttfb_seconds", nil, 1},
		{"retries", func(m *Metrics) { m.Retry(); m.Retry() },
			"downloader_upstream_retries_total", nil, 2},
		{"redirects", func(m *Metrics) { m.Redirect() },
			"downloader_upstream_redirects_total", nil, 1},
		{"breaker moves", func(m *Metrics) {
			m.BreakerState("closed", 2)
			m.BreakerState("closed", -1)
			m.BreakerState("open", 1)
		}, "downloader_upstream_circuit_breakers", L{"state": "closed"}, 1},
		{"breaker opened", func(m *Metrics) { m.BreakerState("open", 1) },
			"downloader_upstream_circuit_breaker_opened_total", nil, 1},
		{"ssrf refusal", func(m *Metrics) { m.SSRFRefusal("link_local") },
			"downloader_ssrf_refusals_total", L{"reason": "link_local"}, 1},
		{"cache hit", func(m *Metrics) { m.Cache("HIT") },
			"downloader_cache_requests_total", L{"result": "hit"}, 1},
		{"cache revalidated", func(m *Metrics) { m.Cache("REVALIDATED") },
			"downloader_cache_requests_total", L{"result": "revalidated"}, 1},
		{"redis op", func(m *Metrics) {
			m.CacheStoreOp("redis", "GET", 300*time.Microsecond, nil)
		}, "downloader_store_operation_duration_seconds",
			L{"component": "cache", "backend": "redis", "op": "get"}, 1},
		{"redis error", func(m *Metrics) {
			m.StoreOp("jobs", "redis", "xadd", time.Millisecond, errors.New("down"))
		}, "downloader_store_operation_errors_total",
			L{"component": "jobs", "backend": "redis", "op": "xadd"}, 1},
		{"cache entries", func(m *Metrics) { m.CacheSize(7, 700) },
			"downloader_cache_entries", nil, 7},
		{"cache bytes", func(m *Metrics) { m.CacheSize(7, 700) },
			"downloader_cache_size_bytes", nil, 700},
		{"job done", func(m *Metrics) { m.JobDone("completed", time.Second) },
			"downloader_batch_jobs_total", L{"status": "completed"}, 1},
		{"job duration", func(m *Metrics) { m.JobDone("failed", time.Second) },
			"downloader_batch_job_duration_seconds", nil, 1},
		{"batch url failed", func(m *Metrics) { m.BatchURL(false, "url_blocked") },
			"downloader_batch_urls_total",
			L{"outcome": "failure", "error_type": "url_blocked"}, 1},
		{"batch url ok drops error type", func(m *Metrics) { m.BatchURL(true, "url_blocked") },
			"downloader_batch_urls_total", L{"outcome": "success", "error_type": ""}, 1},
		{"queue depth", func(m *Metrics) { m.QueueDepth(5); m.QueueDepth(3) },
			"downloader_batch_queue_depth", nil, 3},
		{"reclaimed", func(m *Metrics) { m.Reclaimed(4) },
			"downloader_batch_reclaimed_tasks_total", nil, 4},
		{"rate limited", func(m *Metrics) { m.RateLimited("free") },
			"downloader_ratelimit_refusals_total", L{"tier": "free", "kind": "rate"}, 1},
		{"quota", func(m *Metrics) { m.QuotaExceeded("") },
			"downloader_ratelimit_refusals_total", L{"tier": "none", "kind": "quota"}, 1},
		{"content type", func(m *Metrics) { m.ContentType("markdown") },
			"downloader_content_types_total", L{"kind": "markdown"}, 1},
		{"extraction failure", func(m *Metrics) { m.ExtractionFailure() },
			"downloader_extraction_failures_total", nil, 1},
		{"build info", func(m *Metrics) {}, "downloader_build_info", L{"version": "test"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestMetrics(t)
			tt.call(m)
			if got := value(t, scrape(t, m), tt.metric, tt.labels); got != tt.want {
				t.Errorf("%s%v = %v, want %v", tt.metric, tt.labels, got, tt.want)
			}
		})
	}
}

func TestInFlight(t *testing.T) {
	m, _ := newTestMetrics(t)
	done1 := m.RequestStarted("download")
	done2 := m.RequestStarted("download")
	labels := L{"class": "download"}
	if got := value(t, scrape(t, m), "downloader_http_requests_in_flight", labels); got != 2 {
		t.Fatalf("in flight = %v, want 2", got)
	}
	done1()
	done2()
	if got := value(t, scrape(t, m), "downloader_http_requests_in_flight", labels); got != 0 {
		t.Fatalf("in flight after done = %v, want 0", got)
	}
}

func TestRuntimeCollectors(t *testing.T) {
	m, _ := newTestMetrics(t)
	fams := scrape(t, m)
	for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes",
		"process_open_fds", "process_max_fds", "process_resident_memory_bytes",
		"downloader_memory_limit_bytes"} {
		if _, ok := fams[name]; !ok {
			t.Errorf("%s is not exported", name)
		}
	}
}

// TestLabelsBounded feeds hostile values (URLs, hosts, keys) to every
// labelled method and checks that each label value stays in its bounded set.
func TestLabelsBounded(t *testing.T) {
	m, _ := newTestMetrics(t)
	hostile := []string{"https://secret.example/a?key=abc", "10.0.0.1", "sk_live_123",
		"job-0193", "GET /x", strings.Repeat("a", 300)}
	for _, h := range hostile {
		m.RequestStarted(h)()
		m.Request(h, h, 999, h, time.Second, time.Second, 1)
		m.Upstream(h, time.Second, time.Second)
		m.BreakerState(h, 1)
		m.SSRFRefusal(h)
		m.Cache(h)
		m.StoreOp(h, h, h, time.Millisecond, errors.New("x"))
		m.JobDone(h, time.Second)
		m.BatchURL(false, h)
		m.RateLimited(h)
		m.QuotaExceeded(h)
		m.ContentType(h)
	}
	for i := range 40 {
		m.RateLimited("tier" + strings.Repeat("x", i%30) + string(rune('a'+i%26)))
	}
	allowed := map[string]map[string]bool{
		"class":      set(ClassDownload, ClassBatch, ClassRead, ClassOther, ClassService),
		"method":     set("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other"),
		"status":     set("0"),
		"error_type": set("", "unknown"),
		"state":      set("closed", "half_open", "open", "other"),
		"reason":     set("unknown"),
		"result":     set("hit", "miss", "stale", "revalidated", "bypass", "other"),
		"component":  set("cache", "ratelimit", "auth", "jobs", "usage", "other"),
		"backend":    set("memory", "redis", "other"),
		"op":         set("other"),
		"outcome":    set("success", "failure"),
		"kind":       set("rate", "quota", "other"),
	}
	tiers := map[string]bool{}
	for _, fam := range scrape(t, m) {
		if !strings.HasPrefix(fam.GetName(), "downloader_") {
			continue
		}
		for _, s := range fam.GetMetric() {
			for _, l := range s.GetLabel() {
				name, v := l.GetName(), l.GetValue()
				switch name {
				case "tier":
					tiers[v] = true
				case "status":
					if fam.GetName() == "downloader_batch_jobs_total" {
						if !jobStatuses[v] && v != other {
							t.Errorf("%s: status=%q", fam.GetName(), v)
						}
						continue
					}
					if !allowed[name][v] && (len(v) != 3 || v[0] < '1' || v[0] > '5') {
						t.Errorf("%s: status=%q", fam.GetName(), v)
					}
				case "version", "goversion", "le":
				default:
					if a, ok := allowed[name]; ok && !a[v] && !knownValue(name, v) {
						t.Errorf("%s: %s=%q is outside its bounded set", fam.GetName(), name, v)
					}
				}
			}
		}
	}
	if len(tiers) > 16+2 {
		t.Errorf("tier label has %d values, want at most 18: %v", len(tiers), tiers)
	}
	for v := range tiers {
		if strings.ContainsAny(v, "/:. ") || len(v) > 32 {
			t.Errorf("tier label value %q should have been bounded", v)
		}
	}
}

// knownValue accepts the legitimate values of labels whose sets are long.
func knownValue(name, v string) bool {
	switch name {
	case "error_type":
		return errorTypeLabel(v) == v
	case "reason":
		return reasonLabel(v) == v
	case "op":
		return storeOps[v]
	case "kind":
		return contentKinds[v]
	}
	return false
}

func TestNilMetricsIgnoresCalls(t *testing.T) {
	var m *Metrics
	m.RequestStarted("download")()
	m.Request("download", "GET", 200, "", 0, 0, 0)
	m.RawTTFB(0)
	m.Upstream("", 0, 0)
	m.Retry()
	m.Redirect()
	m.BreakerState("open", 1)
	m.SSRFRefusal("loopback")
	m.Cache("HIT")
	m.CacheStoreOp("redis", "get", 0, nil)
	m.CacheSize(1, 1)
	m.JobDone("completed", 0)
	m.BatchURL(true, "")
	m.QueueDepth(1)
	m.Reclaimed(1)
	m.RateLimited("free")
	m.QuotaExceeded("free")
	m.ContentType("html")
	m.ExtractionFailure()
}

func newRegistry() *prometheus.Registry { return prometheus.NewRegistry() }
