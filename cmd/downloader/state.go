package main

import (
	"context"
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/redis/go-redis/v9"

	"downloader/internal/api"
	"downloader/internal/cache"
	"downloader/internal/config"
	"downloader/internal/download"
	"downloader/internal/jobs"
	"downloader/internal/metrics"
	"downloader/internal/netguard"
	"downloader/internal/problem"
)

// keyPrefix starts every Redis key of the service.
const keyPrefix = "downloader:"

// newRedis connects to the configured Redis, or returns nil. A Redis that
// is down at start is not fatal: the service degrades as when it is lost
// later.
func newRedis(c *config.Config, log *slog.Logger) redis.UniversalClient {
	if c.RedisURL == "" {
		return nil
	}
	// go-redis logs through a process-wide logger; send it to ours at
	// Debug, since lost connections are already counted and reported.
	redis.SetLogger(redisLog{log})
	opt, err := redis.ParseURL(c.RedisURL)
	if err != nil {
		return nil // Validate has checked the form already
	}
	opt.DialTimeout = max(c.RedisTimeout, 500*time.Millisecond)
	opt.PoolSize = 64
	opt.MaxRetries = 0
	opt.ContextTimeoutEnabled = true
	opt.DialerRetries = 1 // a lost Redis must cost one dial, not five
	return redis.NewClient(opt)
}

// redisLog adapts slog to go-redis's logger.
type redisLog struct{ l *slog.Logger }

func (r redisLog) Printf(ctx context.Context, format string, v ...any) {
	r.l.DebugContext(ctx, "redis client", slog.String("detail", fmt.Sprintf(format, v...)))
}

// redisReady reports a lost Redis as degraded (not unready).
func redisReady(rdb redis.UniversalClient, timeout time.Duration) func(context.Context) string {
	if rdb == nil {
		return nil
	}
	return func(ctx context.Context) string {
		ctx, cancel := context.WithTimeout(ctx, max(timeout, 200*time.Millisecond))
		defer cancel()
		if err := rdb.Ping(ctx).Err(); err != nil {
			return "redis unreachable: cache misses, local rate limits, no new batches"
		}
		return ""
	}
}

func cacheStore(c *config.Config, rdb redis.UniversalClient, smp *sampler) cache.Store {
	if rdb != nil {
		return cache.NewRedis(rdb, keyPrefix, c.RedisTimeout)
	}
	smp.memory = cache.NewMemory(int64(c.CacheMaxBytes))
	return smp.memory
}

func batchLimits(c *config.Config) jobs.Limits {
	l := jobs.DefaultLimits()
	l.MaxURLs = c.BatchMaxURLs
	l.MaxBodyBytes = int64(c.BatchMaxBody)
	l.DefaultConcurrency = c.BatchConcurrency
	l.MaxTimeout = c.MaxTimeout
	return l
}

// newJobs builds and starts the batch manager: in memory, or on Redis
// (state, results and a stream shared by every instance).
func newJobs(ctx context.Context, c *config.Config, log *slog.Logger,
	rdb redis.UniversalClient, guard *netguard.Guard, svc *download.Service,
	m *metrics.Metrics, smp *sampler) (*jobs.Manager, error) {
	var store jobs.Store = jobs.NewMemoryStore()
	smp.queue = jobs.NewMemoryQueue()
	var queue jobs.Queue = smp.queue
	if rdb != nil {
		smp.queue, smp.rdb, smp.stream = nil, rdb, keyPrefix+"jobs:tasks"
		store = jobs.NewRedisStore(rdb, keyPrefix+"jobs:")
		queue = jobs.NewRedisQueue(rdb, jobs.RedisQueueOptions{
			Prefix: keyPrefix + "jobs:", VisibilityTimeout: c.VisibilityTimeout,
		})
	}
	fetcher := api.BatchFetcher(svc, int64(c.MaxBody), c.Timeout)
	mgr := jobs.NewManager(store, queue, fetcher, jobs.Options{
		TTL:                  c.JobTTL,
		MaxResultBytesPerJob: int64(c.JobResultBytes),
		PerHostLimit:         c.BatchHostLimit,
		MaxInFlight:          c.BatchInFlight,
		VisibilityTimeout:    c.VisibilityTimeout,
		Logger:               log,
		Webhook:              webhookClient(guard),
		CallbackSecret:       c.CallbackSecret,
		Check:                checkEntry(guard),
		Hooks: jobs.Hooks{
			OnJobDone: func(s jobs.Status, d time.Duration) { m.JobDone(string(s), d) },
			OnURLDone: m.BatchURL,
			OnReclaim: m.Reclaimed,
		},
	})
	if err := mgr.Start(ctx); err != nil {
		return nil, err
	}
	return mgr, nil
}

// webhookClient sends callbacks through the same SSRF guard as fetches.
func webhookClient(guard *netguard.Guard) *http.Client {
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext:         guard.DialContext,
			TLSHandshakeTimeout: 5 * time.Second,
			MaxIdleConnsPerHost: 4,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// checkEntry fails a batch entry early when its URL is invalid or its
// literal address, port or domain is refused; names still get their real
// check at dial time.
func checkEntry(guard *netguard.Guard) func(string) error {
	return func(raw string) error {
		u, err := api.ParseTarget(raw)
		if err != nil {
			return err
		}
		return guard.CheckURL(context.Background(), u)
	}
}

// serviceRoutes mounts /metrics (behind its own token when configured)
// and the status page.
func serviceRoutes(c *config.Config, m *metrics.Metrics) func(chi.Router) {
	return func(r chi.Router) {
		h := m.Handler()
		if c.MetricsKey != "" {
			h = requireToken(c.MetricsKey, h)
		}
		r.Method(http.MethodGet, "/metrics", h)
		r.Method(http.MethodGet, "/status", m.StatusHandler())
		r.Method(http.MethodGet, "/status.json", m.StatusJSONHandler())
	}
}

func requireToken(token string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		if subtle.ConstantTimeCompare([]byte(got), []byte("Bearer "+token)) != 1 {
			api.Error(w, r, problem.New(problem.AuthRequired, "/metrics needs its bearer token"))
			return
		}
		next.ServeHTTP(w, r)
	})
}
