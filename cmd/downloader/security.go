package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/redis/go-redis/v9"

	"downloader/internal/api"
	"downloader/internal/config"
	"downloader/internal/metrics"
	"downloader/internal/ratelimit"
)

// security is the wiring of API keys, quotas and rate limits.
type security struct {
	middleware []func(http.Handler) http.Handler
	routes     func(chi.Router)
	owner      func(*http.Request) string
}

// newSecurity builds the admission chain: authentication, then quotas,
// then rate limits.
func newSecurity(ctx context.Context, c *config.Config, log *slog.Logger,
	rdb redis.UniversalClient, m *metrics.Metrics) (*security, error) {
	s := &security{routes: func(chi.Router) {}, owner: func(*http.Request) string { return "" }}
	if c.RateLimit == "on" {
		mw, err := rateLimits(c, log, rdb, m, nil)
		if err != nil {
			return nil, err
		}
		s.middleware = append(s.middleware, mw)
	}
	return s, nil
}

// rateLimits builds the limiter middleware: exact sliding windows, in
// Redis when configured (enforced locally while Redis is away).
func rateLimits(c *config.Config, log *slog.Logger, rdb redis.UniversalClient,
	m *metrics.Metrics, identify func(*http.Request) string) (func(http.Handler) http.Handler, error) {
	tiers := ratelimit.DefaultTiers()
	if c.RateLimitTiers != "" {
		t, err := ratelimit.ParseTiers(c.RateLimitTiers)
		if err != nil {
			return nil, errUsagef("--ratelimit-tiers (DOWNLOADER_RATELIMIT_TIERS): %v", err)
		}
		for k, v := range t {
			tiers[k] = v
		}
	}
	var l ratelimit.Limiter = ratelimit.NewMemory(nil)
	if rdb != nil {
		primary := ratelimit.NewRedis(rdb, keyPrefix+"rl:", nil, c.RedisTimeout)
		l = ratelimit.NewFallback(primary, l, ratelimit.WithLogger(log))
	}
	if identify == nil {
		identify = func(r *http.Request) string {
			return "ip:" + ratelimit.ClientIP(r, c.Trusted).String()
		}
	}
	classify := func(r *http.Request) string {
		if cl := api.ClassOf(r); cl != api.ClassService {
			return cl
		}
		return ""
	}
	return ratelimit.Middleware(l, tiers, classify, identify, api.Error,
		ratelimit.OnRefuse(m.RateLimited)), nil
}
