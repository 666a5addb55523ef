package metrics

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// near reports whether got is within rel of want.
func near(got *float64, want, rel float64) bool {
	return got != nil && math.Abs(*got-want) <= rel*math.Abs(want)
}

func show(v *float64) string {
	if v == nil {
		return "null"
	}
	b, _ := json.Marshal(*v)
	return string(b)
}

func TestStatusFigures(t *testing.T) {
	tests := []struct {
		name  string
		feed  func(m *Metrics)
		get   func(f *Figures) Figure
		want  float64
		rel   float64
		isMet bool
	}{
		{"availability 97 of 100", func(m *Metrics) {
			for i := range 100 {
				status := 200
				if i < 3 {
					status = 500
				}
				m.Request("download", "GET", status, "", ms(10), ms(1), 0)
			}
		}, func(f *Figures) Figure { return f.Availability }, 0.97, 1e-9, false},
		{"upstream 5xx does not count against availability", func(m *Metrics) {
			for i := range 100 {
				m.Request("download", "GET", 200, "", ms(10), ms(1), 0)
				if i < 5 {
					m.Request("download", "GET", 504, "upstream_timeout", ms(10), ms(1), 0)
				}
			}
		}, func(f *Figures) Figure { return f.Availability }, 1, 1e-9, true},
		{"error rate counts every 5xx over valid requests", func(m *Metrics) {
			for range 96 {
				m.Request("download", "GET", 200, "", ms(10), ms(1), 0)
			}
			m.Request("download", "GET", 502, "upstream_unreachable", ms(10), ms(1), 0)
			m.Request("download", "GET", 503, "service_unavailable", ms(10), ms(1), 0)
			m.Request("download", "GET", 404, "upstream_http_error", ms(10), ms(1), 0)
			m.Request("download", "GET", 404, "", ms(10), ms(1), 0)
			for range 50 { // client errors: not valid requests
				m.Request("download", "GET", 400, "validation_error", ms(1), ms(1), 0)
				m.Request("download", "GET", 403, "url_blocked", ms(1), ms(1), 0)
			}
		}, func(f *Figures) Figure { return f.ErrorRate }, 2.0 / 99, 1e-9, false},
		{"service class left out", func(m *Metrics) {
			m.Request("download", "GET", 200, "", ms(10), ms(1), 0)
			for range 10 {
				m.Request("service", "GET", 500, "internal_error", ms(1), ms(1), 0)
			}
		}, func(f *Figures) Figure { return f.Availability }, 1, 1e-9, true},
		{"p95 own of 1..100 ms", func(m *Metrics) {
			for i := 1; i <= 100; i++ {
				m.Request("read", "GET", 200, "", ms(1000+i), ms(i), 0)
			}
		}, func(f *Figures) Figure { return f.P95Own }, 0.095, 0.1, true},
		{"p99 own of 1..100 ms", func(m *Metrics) {
			for i := 1; i <= 100; i++ {
				m.Request("read", "GET", 200, "", ms(1000+i), ms(i), 0)
			}
		}, func(f *Figures) Figure { return f.P99Own }, 0.099, 0.1, true},
		{"p95 whole of 1001..1100 ms", func(m *Metrics) {
			for i := 1; i <= 100; i++ {
				m.Request("read", "GET", 200, "", ms(1000+i), ms(i), 0)
			}
		}, func(f *Figures) Figure { return f.P95 }, 1.095, 0.1, false},
		{"p95 own misses its target", func(m *Metrics) {
			for i := 1; i <= 100; i++ {
				m.Request("read", "GET", 200, "", ms(3000), ms(1500), 0)
			}
		}, func(f *Figures) Figure { return f.P95Own }, 1.5, 0.1, false},
		{"raw ttfb p95", func(m *Metrics) {
			for i := 1; i <= 200; i++ {
				m.RawTTFB(ms(i))
			}
		}, func(f *Figures) Figure { return f.RawTTFBP95 }, 0.190, 0.1, true},
		{"cache hit rate leaves bypass out", func(m *Metrics) {
			for _, r := range []string{"HIT", "STALE", "REVALIDATED", "MISS", "MISS",
				"MISS", "MISS", "MISS", "MISS", "MISS", "BYPASS", "BYPASS"} {
				m.Cache(r)
			}
		}, func(f *Figures) Figure { return f.CacheHitRate }, 0.3, 1e-9, false},
		{"batch success leaves cancelled out", func(m *Metrics) {
			for range 19 {
				m.JobDone("completed", time.Second)
			}
			m.JobDone("failed", time.Second)
			m.JobDone("cancelled", time.Second)
		}, func(f *Figures) Figure { return f.BatchSuccess }, 0.95, 1e-9, false},
		{"batch url success", func(m *Metrics) {
			m.BatchURL(true, "")
			m.BatchURL(true, "")
			m.BatchURL(true, "")
			m.BatchURL(false, "upstream_timeout")
		}, func(f *Figures) Figure { return f.BatchURLs }, 0.75, 1e-9, false},
		{"redis average counts redis only", func(m *Metrics) {
			m.StoreOp("cache", "redis", "get", 200*time.Microsecond, nil)
			m.StoreOp("jobs", "redis", "xadd", 600*time.Microsecond, nil)
			m.StoreOp("cache", "memory", "get", time.Second, nil)
		}, func(f *Figures) Figure { return f.RedisAvg }, 0.0004, 1e-9, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := newTestMetrics(t)
			tt.feed(m)
			st := m.Status()
			f := tt.get(&st.Figures)
			if !near(f.Value, tt.want, tt.rel) {
				t.Fatalf("value = %s, want %v (±%v)", show(f.Value), tt.want, tt.rel)
			}
			if !near(f.Last5m, tt.want, tt.rel) {
				t.Errorf("last_5m = %s, want %v", show(f.Last5m), tt.want)
			}
			if f.Target != nil && (f.Met == nil || *f.Met != tt.isMet) {
				t.Errorf("met = %v, want %v", f.Met, tt.isMet)
			}
			if last := f.Series[len(f.Series)-1]; !near(last, tt.want, tt.rel) {
				t.Errorf("last series point = %s, want %v", show(last), tt.want)
			}
		})
	}
}

func TestStatusWindowMoves(t *testing.T) {
	m, clock := newTestMetrics(t)
	for range 60 {
		m.Request("download", "GET", 500, "", ms(10), ms(1), 0)
	}
	clock.Add(10 * time.Minute)
	for range 60 {
		m.Request("download", "GET", 200, "", ms(10), ms(1), 0)
	}
	st := m.Status()
	a := st.Figures.Availability
	if !near(a.Value, 0.5, 1e-9) || !near(a.Last5m, 1, 1e-9) {
		t.Fatalf("availability hour=%s 5m=%s, want 0.5 and 1", show(a.Value), show(a.Last5m))
	}
	if len(a.Series) != 60 || st.StepSeconds != 60 || st.WindowSeconds != 3600 {
		t.Fatalf("series of %d points, step %d, window %d", len(a.Series),
			st.StepSeconds, st.WindowSeconds)
	}
	if !near(a.Series[49], 0, 1e-9) || a.Series[50] != nil || !near(a.Series[59], 1, 1e-9) {
		t.Errorf("series[49,50,59] = %s %s %s, want 0 null 1",
			show(a.Series[49]), show(a.Series[50]), show(a.Series[59]))
	}
	tp := st.Figures.Throughput
	if !near(tp.Value, 120.0/3600, 1e-9) || !near(tp.Last5m, 60.0/300, 1e-9) {
		t.Errorf("throughput hour=%s 5m=%s", show(tp.Value), show(tp.Last5m))
	}
	if !near(tp.Series[59], 1, 1e-9) {
		t.Errorf("throughput last minute = %s req/s, want 1", show(tp.Series[59]))
	}

	clock.Add(55 * time.Minute) // the failures are now over an hour old
	a = m.Status().Figures.Availability
	if !near(a.Value, 1, 1e-9) || a.Samples != 60 || a.Last5m != nil {
		t.Errorf("after an hour: availability=%s samples=%d last5m=%s, want 1, 60, null",
			show(a.Value), a.Samples, show(a.Last5m))
	}
	clock.Add(time.Hour)
	m.Request("download", "GET", 503, "service_unavailable", ms(10), ms(1), 0)
	a = m.Status().Figures.Availability
	if !near(a.Value, 0, 1e-9) || a.Samples != 1 {
		t.Errorf("reused slot: availability=%s samples=%d, want 0 and 1", show(a.Value), a.Samples)
	}
}

func TestStatusEmpty(t *testing.T) {
	m, _ := newTestMetrics(t)
	st := m.Status()
	if f := st.Figures.Availability; f.Value != nil || f.Met != nil || f.Samples != 0 {
		t.Errorf("empty availability = %s met=%v samples=%d", show(f.Value), f.Met, f.Samples)
	}
	if f := st.Figures.Throughput; !near(f.Value, 0, 0) && (f.Value == nil || *f.Value != 0) {
		t.Errorf("empty throughput = %s, want 0", show(f.Value))
	}
}

func TestQuantileError(t *testing.T) {
	for _, want := range []time.Duration{30 * time.Microsecond, 400 * time.Microsecond,
		7 * time.Millisecond, 830 * time.Millisecond, 12 * time.Second} {
		var h latHist
		for range 1000 {
			h[latBin(want)]++
		}
		got := h.quantile(0.95)
		if rel := math.Abs(got-want.Seconds()) / want.Seconds(); rel > 0.1 &&
			want.Seconds() > latBase {
			t.Errorf("p95 of constant %v = %vs (%.0f%% off)", want, got, rel*100)
		}
	}
}

func TestStatusHandlers(t *testing.T) {
	m, _ := newTestMetrics(t)
	m.Request("download", "GET", 200, "", ms(10), ms(1), 0)
	tests := []struct {
		name, method string
		h            http.Handler
		code         int
		ctype, body  string
	}{
		{"page", http.MethodGet, m.StatusHandler(), 200, "text/html", "status.json"},
		{"page head", http.MethodHead, m.StatusHandler(), 200, "text/html", ""},
		{"json", http.MethodGet, m.StatusJSONHandler(), 200, "application/json",
			`"availability":{"label":"Availability"`},
		{"json post refused", http.MethodPost, m.StatusJSONHandler(), 405,
			"application/problem+json", "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := httptest.NewRecorder()
			tt.h.ServeHTTP(rec, httptest.NewRequest(tt.method, "/status", nil))
			if rec.Code != tt.code {
				t.Fatalf("status %d, want %d", rec.Code, tt.code)
			}
			if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tt.ctype) {
				t.Errorf("Content-Type %q, want %q", ct, tt.ctype)
			}
			if !strings.Contains(rec.Body.String(), tt.body) {
				t.Errorf("body lacks %q: %.300s", tt.body, rec.Body.String())
			}
			if tt.body == "" && rec.Body.Len() != 0 {
				t.Errorf("HEAD sent a body of %d bytes", rec.Body.Len())
			}
		})
	}
}

func BenchmarkRequest(b *testing.B) {
	m := New(newRegistry(), Options{})
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Request("download", "GET", 200, "", ms(10), ms(1), 100)
		}
	})
}

func BenchmarkStatus(b *testing.B) {
	m := New(newRegistry(), Options{})
	for i := range 10000 {
		m.Request("download", "GET", 200, "", ms(i%1000), ms(i%10), 100)
	}
	for b.Loop() {
		_ = m.Status()
	}
}

// TestConcurrentUse records from many goroutines while status is read; run
// with -race. The totals must add up exactly.
func TestConcurrentUse(t *testing.T) {
	m, _ := newTestMetrics(t)
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range each {
				done := m.RequestStarted("download")
				m.Request("download", "GET", 200, "", ms(i%50), ms(i%5), 10)
				m.Cache("HIT")
				m.StoreOp("cache", "redis", "get", time.Millisecond, nil)
				done()
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			_ = m.Status()
		}
	})
	wg.Wait()
	st := m.Status()
	if n := st.Figures.Availability.Samples; n != workers*each {
		t.Errorf("window counted %d requests, want %d", n, workers*each)
	}
	labels := L{"class": "download", "status": "200"}
	if got := value(t, scrape(t, m), "downloader_http_requests_total", labels); got != workers*each {
		t.Errorf("exported %v requests, want %d", got, workers*each)
	}
}
