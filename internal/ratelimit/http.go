package ratelimit

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"downloader/internal/problem"
)

// Headers sets RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset
// (whole seconds until the window is clear, rounded up, >= 0) from d, and
// the same values as X-RateLimit-*.
func Headers(h http.Header, d Decision) {
	// one backing array for the six values; each slice has cap 1, so an Add
	// to one header reallocates instead of writing into another
	reset := d.Reset
	if !d.Allowed && d.RetryAfter > 0 {
		// Refused: the quota resets, for this client, when it may retry.
		reset = d.RetryAfter
	}
	v := []string{
		strconv.Itoa(d.Limit),
		strconv.Itoa(max(d.Remaining, 0)),
		strconv.Itoa(ceilSeconds(reset)),
	}
	h["Ratelimit-Limit"], h["X-Ratelimit-Limit"] = v[0:1:1], v[0:1:1]
	h["Ratelimit-Remaining"], h["X-Ratelimit-Remaining"] = v[1:2:2], v[1:2:2]
	h["Ratelimit-Reset"], h["X-Ratelimit-Reset"] = v[2:3:3], v[2:3:3]
}

func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// Option configures [Middleware].
type Option func(*middleware)

// OnRefuse is called with the route class of every refused request, for
// metrics.
func OnRefuse(f func(class string)) Option {
	return func(m *middleware) { m.onRefuse = f }
}

// OnLimiterError is called when the limiter fails to decide; the request is
// then admitted. A [Fallback] limiter never fails.
func OnLimiterError(f func(r *http.Request, err error)) Option {
	return func(m *middleware) { m.onLimiterError = f }
}

// WithPlans gives each request the limits of its API-key tier: tier returns
// the tier name of the request's key ("" without one), which [Plans.For]
// resolves. Without this option every client gets the Tiers passed to
// Middleware.
func WithPlans(p Plans, tier func(*http.Request) string) Option {
	return func(m *middleware) { m.plans, m.tier = &p, tier }
}

type middleware struct {
	l              Limiter
	tiers          Tiers
	classify       func(*http.Request) string
	identify       func(*http.Request) string
	onError        func(http.ResponseWriter, *http.Request, error)
	onRefuse       func(string)
	onLimiterError func(*http.Request, error)
	plans          *Plans
	tier           func(*http.Request) string
}

// Middleware limits each request by its route class and client.
//
// classify names the route class of a request ("" for routes that are not
// limited: /health, /ready, /version, /metrics, /status); identify names
// the client (its API key name when it has one, else its IP, see
// [ClientIP]); the limiter key is "class:client". A request over its limit
// gets onError(w, r, err) with err a *problem.Error of type
// rate_limit_exceeded whose RetryAfter is set; every limited response
// carries the [Headers]. The request context carries the client's budget
// for [Spend].
func Middleware(
	l Limiter,
	tiers Tiers,
	classify func(*http.Request) string,
	identify func(*http.Request) string,
	onError func(w http.ResponseWriter, r *http.Request, err error),
	opts ...Option,
) func(http.Handler) http.Handler {
	m := &middleware{l: l, tiers: tiers, classify: classify, identify: identify, onError: onError}
	for _, o := range opts {
		o(m)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(w, r, next)
		})
	}
}

func (m *middleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	class := m.classify(r)
	if class == "" {
		next.ServeHTTP(w, r)
		return
	}
	tiers, limited := m.tiersFor(r)
	if !limited {
		next.ServeHTTP(w, r)
		return
	}
	b := &budget{l: m.l, tiers: tiers, client: m.identify(r)}
	d, err := b.allow(r.Context(), class, 1)
	if err != nil && m.onLimiterError != nil {
		m.onLimiterError(r, err) // and admit: a limiter failure never fails a request
	}
	if d.Limit > 0 {
		Headers(w.Header(), d)
	}
	if err == nil && !d.Allowed {
		if m.onRefuse != nil {
			m.onRefuse(class)
		}
		m.onError(w, r, refusal(class, b.tiers[class], d))
		return
	}
	next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), budgetKey{}, b)))
}

func (m *middleware) tiersFor(r *http.Request) (Tiers, bool) {
	if m.plans == nil || m.tier == nil {
		return m.tiers, true
	}
	return m.plans.For(m.tier(r))
}

func refusal(class string, rule Rule, d Decision) *problem.Error {
	e := problem.New(problem.RateLimited, "rate limit of %d %s requests per %s exceeded",
		rule.Limit, class, rule.Period)
	e.RetryAfter = d.RetryAfter
	return e
}

type budgetKey struct{}

// budget is one client's limits, carried in the request context.
type budget struct {
	l      Limiter
	tiers  Tiers
	client string
}

// allow spends n of class; a class without a rule is not limited (zero
// Decision, Allowed).
func (b *budget) allow(ctx context.Context, class string, n int) (Decision, error) {
	rule, ok := b.tiers[class]
	if !ok {
		return Decision{Allowed: true}, nil
	}
	return b.l.Allow(ctx, class+":"+b.client, rule, n)
}

// Spend charges n units of class (e.g. [ClassBatchURLs] with the number of
// URLs of a batch) to the client whose request ctx belongs to, after
// [Middleware] admitted it. It returns a *problem.Error of type
// rate_limit_exceeded, with RetryAfter, when the budget cannot cover all n
// (nothing is spent then); nil when it can, when limits are off for the
// request or the class is not limited, or when the limiter failed.
func Spend(ctx context.Context, class string, n int) (Decision, error) {
	b, ok := ctx.Value(budgetKey{}).(*budget)
	if !ok {
		return Decision{Allowed: true}, nil
	}
	d, err := b.allow(ctx, class, n)
	if err != nil {
		return Decision{Allowed: true}, nil
	}
	if !d.Allowed {
		rule := b.tiers[class]
		e := refusal(class, rule, d)
		if n > d.Limit {
			e.Detail = fmt.Sprintf("a batch of %d URLs exceeds the budget of %d URLs per %s",
				n, rule.Limit, rule.Period)
		}
		return d, e
	}
	return d, nil
}
