package metrics

import (
	"strings"
	"time"
)

// RequestStarted counts a request of class in flight; call done once when
// its response ends.
func (m *Metrics) RequestStarted(class string) (done func()) {
	if m == nil {
		return func() {}
	}
	g := m.inFlight.WithLabelValues(bound(classes, class))
	g.Inc()
	return g.Dec
}

// Request records one answered request. class is a route class (Class*),
// errType a [problem.Type] string or "" on success, total the whole response
// time, own the service's own time excluding the upstream transfer, bytes
// the response body size. Requests of class "service" (health, metrics,
// status) are exported but left out of the status figures.
func (m *Metrics) Request(class, method string, status int, errType string,
	total, own time.Duration, bytes int64) {
	if m == nil {
		return
	}
	class = bound(classes, class)
	errType = errorTypeLabel(errType)
	m.requests.WithLabelValues(class, bound(methods, method), statusLabel(status), errType).Inc()
	m.totalDuration.WithLabelValues(class).Observe(total.Seconds())
	m.ownDuration.WithLabelValues(class).Observe(own.Seconds())
	if bytes > 0 {
		m.responseBytes.WithLabelValues(class).Add(float64(bytes))
	}
	if class != ClassService {
		m.win.request(m.now(), status, errType, total, own)
	}
}

// RawTTFB records the time to first byte of a raw download.
func (m *Metrics) RawTTFB(d time.Duration) {
	if m == nil {
		return
	}
	m.rawTTFB.Observe(d.Seconds())
	m.win.ttfb(m.now(), d)
}

// Upstream records one upstream exchange: errType "" for success, total the
// whole exchange, ttfb the time until its headers (0 when none came).
func (m *Metrics) Upstream(errType string, total, ttfb time.Duration) {
	if m == nil {
		return
	}
	m.upstream.WithLabelValues(errorTypeLabel(errType)).Inc()
	m.upstreamDuration.Observe(total.Seconds())
	if ttfb > 0 {
		m.upstreamTTFB.Observe(ttfb.Seconds())
	}
}

// Retry counts an upstream attempt that is retried.
func (m *Metrics) Retry() {
	if m != nil {
		m.retries.Inc()
	}
}

// Redirect counts an upstream redirect followed.
func (m *Metrics) Redirect() {
	if m != nil {
		m.redirects.Inc()
	}
}

// BreakerState adds delta to the number of circuit breakers in state
// ("closed", "half_open", "open"). A transition is two calls: -1 on the old
// state, +1 on the new; a new breaker is +1 on "closed". A +1 on "open" also
// counts an opening.
func (m *Metrics) BreakerState(state string, delta int) {
	if m == nil {
		return
	}
	state = bound(breakerState, strings.ToLower(state))
	m.breakers.WithLabelValues(state).Add(float64(delta))
	if state == "open" && delta > 0 {
		m.breakerOpened.Add(float64(delta))
	}
}

// SSRFRefusal counts a destination refused by the SSRF policy; reason is a
// netguard.Reason string (anything else becomes "unknown").
func (m *Metrics) SSRFRefusal(reason string) {
	if m != nil {
		m.ssrf.WithLabelValues(reasonLabel(reason)).Inc()
	}
}

// Cache records a cache outcome: the X-Cache values HIT, MISS, STALE,
// REVALIDATED or BYPASS (any case).
func (m *Metrics) Cache(result string) {
	if m == nil {
		return
	}
	result = bound(cacheResults, strings.ToLower(result))
	m.cache.WithLabelValues(result).Inc()
	m.win.cache(m.now(), result)
}

// CacheStoreOp records one operation of the cache's store; it is
// StoreOp("cache", backend, op, d, err).
func (m *Metrics) CacheStoreOp(backend, op string, d time.Duration, err error) {
	m.StoreOp("cache", backend, op, d, err)
}

// StoreOp records one shared-state operation: component is "cache",
// "ratelimit", "auth", "jobs" or "usage"; backend "memory" or "redis"; op a
// lower-case command name such as "get", "set", "eval" or "xadd". Redis
// operations feed the status page's Redis latency.
func (m *Metrics) StoreOp(component, backend, op string, d time.Duration, err error) {
	if m == nil {
		return
	}
	labels := []string{bound(components, component), bound(backends, backend),
		bound(storeOps, strings.ToLower(op))}
	m.storeDuration.WithLabelValues(labels...).Observe(d.Seconds())
	if err != nil {
		m.storeErrors.WithLabelValues(labels...).Inc()
	}
	if labels[1] == "redis" {
		m.win.redis(m.now(), d, err != nil)
	}
}

// CacheSize sets the cache's current number of entries and bytes.
func (m *Metrics) CacheSize(entries, bytes int64) {
	if m == nil {
		return
	}
	m.cacheEntries.Set(float64(entries))
	m.cacheBytes.Set(float64(bytes))
}

// JobDone records a batch job's final status ("completed", "failed",
// "cancelled") and its duration.
func (m *Metrics) JobDone(status string, d time.Duration) {
	if m == nil {
		return
	}
	status = bound(jobStatuses, status)
	m.jobs.WithLabelValues(status).Inc()
	m.jobDuration.Observe(d.Seconds())
	m.win.job(m.now(), status)
}

// BatchURL records one finished URL of a batch; errType is its error_type
// when it failed.
func (m *Metrics) BatchURL(success bool, errType string) {
	if m == nil {
		return
	}
	outcome := "failure"
	if success {
		outcome, errType = "success", ""
	}
	m.batchURLs.WithLabelValues(outcome, errorTypeLabel(errType)).Inc()
	m.win.batchURL(m.now(), success)
}

// QueueDepth sets the number of URL tasks waiting in the job queue.
func (m *Metrics) QueueDepth(n int) {
	if m != nil {
		m.queueDepth.Set(float64(n))
	}
}

// Reclaimed counts n URL tasks reclaimed from a stopped consumer.
func (m *Metrics) Reclaimed(n int) {
	if m != nil && n > 0 {
		m.reclaimed.Add(float64(n))
	}
}

// RateLimited counts a request refused by a rate limit, by the caller's tier
// (a configured tier name; "" becomes "none", and past 16 distinct names,
// "other").
func (m *Metrics) RateLimited(tier string) {
	if m != nil {
		m.limited.WithLabelValues(m.tiers.label(tier), "rate").Inc()
	}
}

// QuotaExceeded counts a request refused because its key's quota is spent.
func (m *Metrics) QuotaExceeded(tier string) {
	if m != nil {
		m.limited.WithLabelValues(m.tiers.label(tier), "quota").Inc()
	}
}

// ContentType counts a detected content kind: html, text, json, xml, csv,
// markdown or binary (anything else becomes "other").
func (m *Metrics) ContentType(kind string) {
	if m != nil {
		m.contentTypes.WithLabelValues(bound(contentKinds, strings.ToLower(kind))).Inc()
	}
}

// ExtractionFailure counts a conversion whose article extraction failed.
func (m *Metrics) ExtractionFailure() {
	if m != nil {
		m.extractFailed.Inc()
	}
}
