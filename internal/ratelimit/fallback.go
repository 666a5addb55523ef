package ratelimit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// Fallback is a [Limiter] that asks a shared primary (Redis) and, when it
// fails or times out, enforces the limit with a local one instead
// (DESIGN.md: "limits enforced locally"). It never returns an error.
//
// While the primary answers, every admitted event is also recorded in the
// local limiter, so when the primary is lost the local one already knows
// this instance's recent traffic. After a failure the primary is skipped
// for the probe interval (default 1s), so an outage costs at most one
// operation timeout per interval rather than one per request.
type Fallback struct {
	primary, local Limiter
	now            func() time.Time
	probe          time.Duration
	logger         *slog.Logger
	onError        func(error)
	downUntil      atomic.Int64
}

var _ Limiter = (*Fallback)(nil)

// FallbackOption configures [NewFallback].
type FallbackOption func(*Fallback)

// WithClock sets the clock deciding when to probe the primary again.
func WithClock(now func() time.Time) FallbackOption {
	return func(f *Fallback) { f.now = now }
}

// WithProbeInterval sets how long the primary is skipped after a failure;
// default 1s, 0 asks it on every call.
func WithProbeInterval(d time.Duration) FallbackOption {
	return func(f *Fallback) { f.probe = d }
}

// WithLogger logs the primary going down and coming back (Warn, Info).
func WithLogger(l *slog.Logger) FallbackOption {
	return func(f *Fallback) { f.logger = l }
}

// WithErrorHook is called with every primary error, for metrics.
func WithErrorHook(h func(error)) FallbackOption {
	return func(f *Fallback) { f.onError = h }
}

// NewFallback returns a limiter that uses primary and falls back to local.
func NewFallback(primary, local Limiter, opts ...FallbackOption) *Fallback {
	f := &Fallback{primary: primary, local: local, now: time.Now, probe: time.Second}
	for _, o := range opts {
		o(f)
	}
	return f
}

// Down reports whether the primary is currently being skipped.
func (f *Fallback) Down() bool { return f.now().UnixNano() < f.downUntil.Load() }

// Allow implements [Limiter]; err is non-nil only for an invalid rule.
func (f *Fallback) Allow(ctx context.Context, key string, rule Rule, n int) (Decision, error) {
	if err := checkRule(rule, n); err != nil {
		return Decision{}, err
	}
	if !f.Down() {
		d, err := f.primary.Allow(ctx, key, rule, n)
		if err == nil {
			f.recovered(ctx)
			if d.Allowed && n > 0 {
				_, _ = f.local.Allow(ctx, key, rule, n) // mirror, see type doc
			}
			return d, nil
		}
		f.failed(ctx, err)
	}
	return f.allowLocal(ctx, key, rule, n), nil
}

func (f *Fallback) allowLocal(ctx context.Context, key string, rule Rule, n int) Decision {
	d, err := f.local.Allow(ctx, key, rule, n)
	if err != nil {
		// nothing can decide: admit rather than fail the request
		return Decision{Allowed: true, Limit: rule.Limit, Remaining: max(rule.Limit-n, 0)}
	}
	return d
}

func (f *Fallback) failed(ctx context.Context, err error) {
	if f.onError != nil {
		f.onError(err)
	}
	if ctx.Err() != nil {
		return // the caller gave up; the primary is not to blame
	}
	was := f.downUntil.Swap(f.now().Add(f.probe).UnixNano())
	if was == 0 && f.logger != nil {
		f.logger.WarnContext(ctx, "rate limit store down, limiting locally",
			slog.Any("error", err))
	}
}

func (f *Fallback) recovered(ctx context.Context) {
	if f.downUntil.Load() != 0 && f.downUntil.Swap(0) != 0 && f.logger != nil {
		f.logger.InfoContext(ctx, "rate limit store back")
	}
}
