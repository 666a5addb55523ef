package metrics

import (
	"encoding/json"
	"math"
	"net/http"
	"time"

	"downloader/internal/problem"
	"downloader/web"
)

// Status is the document of GET /status.json: aggregate figures over the
// last hour, each with its target from DESIGN.md.
type Status struct {
	GeneratedAt   time.Time `json:"generated_at"`
	Version       string    `json:"version"`
	WindowSeconds int       `json:"window_seconds"`
	StepSeconds   int       `json:"step_seconds"`
	Figures       Figures   `json:"figures"`
}

// Figures are the KPIs, in the order the status page shows them.
type Figures struct {
	Availability   Figure `json:"availability"`
	ErrorRate      Figure `json:"error_rate"`
	P95Own         Figure `json:"p95_own_seconds"`
	P99Own         Figure `json:"p99_own_seconds"`
	P95            Figure `json:"p95_seconds"`
	P99            Figure `json:"p99_seconds"`
	RawTTFBP95     Figure `json:"raw_ttfb_p95_seconds"`
	Throughput     Figure `json:"throughput_per_second"`
	CacheHitRate   Figure `json:"cache_hit_rate"`
	BatchSuccess   Figure `json:"batch_success"`
	BatchURLs      Figure `json:"batch_url_success"`
	RedisAvg       Figure `json:"redis_avg_seconds"`
	RedisErrorRate Figure `json:"redis_error_rate"`
}

// Figure is one KPI. Value covers the whole window, Last5m the last five
// minutes, Series one point per step, oldest first; each is null when there
// was nothing to measure. Met is null without a target or without data.
type Figure struct {
	Label   string     `json:"label"`
	Unit    string     `json:"unit"`
	Value   *float64   `json:"value"`
	Last5m  *float64   `json:"last_5m"`
	Samples int64      `json:"samples"`
	Target  *Target    `json:"target"`
	Met     *bool      `json:"met"`
	Series  []*float64 `json:"series"`
}

// Target is a KPI goal: the figure must be Op ("<" or ">=" ...) Value.
type Target struct {
	Op    string  `json:"op"`
	Value float64 `json:"value"`
	Text  string  `json:"text"`
}

// kpi defines how a Figure is read from a tally.
type kpi struct {
	label, unit string
	target      *Target
	value       func(t *tally) (float64, int64)
}

func ratio(n, d int64) (float64, int64) {
	if d == 0 {
		return math.NaN(), 0
	}
	return float64(n) / float64(d), d
}

func count(h *latHist) int64 {
	var n int64
	for _, c := range h {
		n += int64(c)
	}
	return n
}

func quantileOf(h *latHist, q float64) (float64, int64) { return h.quantile(q), count(h) }

func kpis() []kpi {
	return []kpi{
		{"Availability", "ratio", &Target{">=", 0.99, "≥ 99%"},
			func(t *tally) (float64, int64) { return ratio(t.requests-t.own5xx, t.requests) }},
		{"Error rate", "ratio", &Target{"<", 0.01, "< 1%"},
			func(t *tally) (float64, int64) { return ratio(t.server5xx, t.valid) }},
		{"P95 excluding upstream", "seconds", &Target{"<", 1, "< 1 s"},
			func(t *tally) (float64, int64) { return quantileOf(&t.own, 0.95) }},
		{"P99 excluding upstream", "seconds", &Target{"<", 2, "< 2 s (aim 10 ms)"},
			func(t *tally) (float64, int64) { return quantileOf(&t.own, 0.99) }},
		{"P95 whole response", "seconds", nil,
			func(t *tally) (float64, int64) { return quantileOf(&t.total, 0.95) }},
		{"P99 whole response", "seconds", nil,
			func(t *tally) (float64, int64) { return quantileOf(&t.total, 0.99) }},
		{"Raw download TTFB P95", "seconds", &Target{"<", 0.5, "< 500 ms"},
			func(t *tally) (float64, int64) { return quantileOf(&t.ttfb, 0.95) }},
		{"Throughput", "per_second", nil, nil},
		{"Cache hit rate", "ratio", &Target{">", 0.30, "> 30%"},
			func(t *tally) (float64, int64) { return ratio(t.cacheHits, t.cacheLookups) }},
		{"Batch success", "ratio", &Target{">", 0.95, "> 95%"},
			func(t *tally) (float64, int64) {
				return ratio(t.jobsCompleted, t.jobsCompleted+t.jobsFailed)
			}},
		{"Batch URL success", "ratio", nil,
			func(t *tally) (float64, int64) { return ratio(t.urlsOK, t.urlsOK+t.urlsFailed) }},
		{"Redis average operation", "seconds", &Target{"<", 0.001, "< 1 ms"},
			func(t *tally) (float64, int64) {
				v, n := ratio(t.redisNanos, t.redisOps)
				return v / 1e9, n
			}},
		{"Redis error rate", "ratio", nil,
			func(t *tally) (float64, int64) { return ratio(t.redisErrors, t.redisOps) }},
	}
}

// Status computes the figures at the injected clock's now.
func (m *Metrics) Status() Status {
	now := m.now()
	chunks := m.win.chunks(now)
	var hour, recent tally
	for i := range chunks {
		hour.add(&chunks[i])
		if i >= len(chunks)-recentSlots/slotsPerChunk {
			recent.add(&chunks[i])
		}
	}
	defs := kpis()
	figs := make([]Figure, len(defs))
	for i, d := range defs {
		if d.value == nil {
			figs[i] = throughput(d, chunks, &hour, &recent)
			continue
		}
		figs[i] = figure(d, chunks, &hour, &recent)
	}
	return Status{
		GeneratedAt:   now.UTC(),
		Version:       m.version,
		WindowSeconds: windowSlots * slotSeconds,
		StepSeconds:   slotsPerChunk * slotSeconds,
		Figures: Figures{figs[0], figs[1], figs[2], figs[3], figs[4], figs[5], figs[6],
			figs[7], figs[8], figs[9], figs[10], figs[11], figs[12]},
	}
}

func figure(d kpi, chunks []tally, hour, recent *tally) Figure {
	v, n := d.value(hour)
	r, _ := d.value(recent)
	f := Figure{Label: d.label, Unit: d.unit, Value: num(v), Last5m: num(r), Samples: n,
		Target: d.target, Series: make([]*float64, len(chunks))}
	for i := range chunks {
		c, _ := d.value(&chunks[i])
		f.Series[i] = num(c)
	}
	f.Met = met(d.target, f.Value)
	return f
}

// throughput is requests per second: over the hour, the last five minutes
// and each minute.
func throughput(d kpi, chunks []tally, hour, recent *tally) Figure {
	step := float64(slotsPerChunk * slotSeconds)
	f := Figure{Label: d.label, Unit: d.unit, Samples: hour.requests,
		Value:  num(float64(hour.requests) / (step * float64(len(chunks)))),
		Last5m: num(float64(recent.requests) / float64(recentSlots*slotSeconds)),
		Series: make([]*float64, len(chunks))}
	for i := range chunks {
		f.Series[i] = num(float64(chunks[i].requests) / step)
	}
	return f
}

func num(v float64) *float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return &v
}

func met(t *Target, v *float64) *bool {
	if t == nil || v == nil {
		return nil
	}
	var ok bool
	switch t.Op {
	case "<":
		ok = *v < t.Value
	case ">":
		ok = *v > t.Value
	default:
		ok = *v >= t.Value
	}
	return &ok
}

// StatusHandler serves the embedded status page, which polls status.json
// next to it.
func (m *Metrics) StatusHandler() http.Handler {
	page := web.StatusPage()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readOnly(w, r) {
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'unsafe-inline'; "+
			"style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:")
		h.Set("X-Content-Type-Options", "nosniff")
		if r.Method == http.MethodHead {
			return
		}
		_, _ = w.Write(page)
	})
}

// StatusJSONHandler serves [Metrics.Status] as JSON.
func (m *Metrics) StatusJSONHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !readOnly(w, r) {
			return
		}
		body, err := json.Marshal(m.Status())
		if err != nil {
			problem.Write(w, "", problem.Wrap(problem.Internal, err, "an internal error occurred"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		if r.Method != http.MethodHead {
			_, _ = w.Write(body)
		}
	})
}

// readOnly answers 405 to anything but GET and HEAD.
func readOnly(w http.ResponseWriter, r *http.Request) bool {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return true
	}
	w.Header().Set("Allow", "GET, HEAD")
	problem.Write(w, w.Header().Get("X-Request-ID"),
		problem.New(problem.MethodNotAllowed, "use GET or HEAD"))
	return false
}
