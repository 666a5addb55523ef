package main

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strconv"

	"github.com/go-chi/chi/v5"
	"github.com/redis/go-redis/v9"

	"downloader/internal/api"
	"downloader/internal/auth"
	"downloader/internal/config"
	"downloader/internal/metrics"
	"downloader/internal/problem"
	"downloader/internal/ratelimit"
)

// security is the wiring of API keys, quotas, usage and rate limits.
type security struct {
	middleware []func(http.Handler) http.Handler
	routes     func(chi.Router)
	owner      func(*http.Request) string
	// submitted counts a batch's URLs in its key's usage.
	submitted func(r *http.Request, urls int)
}

// newSecurity builds the admission chain: authentication, then rate
// limits, then quotas and usage (a refused request does not use quota);
// and the /usage route.
func newSecurity(ctx context.Context, c *config.Config, log *slog.Logger,
	rdb redis.UniversalClient, m *metrics.Metrics) (*security, error) {
	plans, err := ratelimit.ParsePlans(c.RateLimitTiers)
	if err != nil {
		return nil, errUsagef("--ratelimit-tiers (DOWNLOADER_RATELIMIT_TIERS): %v", err)
	}
	keyring, err := loadKeys(ctx, c, log, plans)
	if err != nil {
		return nil, err
	}
	clientIP := func(r *http.Request) netip.Addr { return ratelimit.ClientIP(r, c.Trusted) }
	var usage auth.UsageStore = auth.NewMemoryUsage(nil)
	if rdb != nil {
		usage = auth.NewRedisUsage(rdb, keyPrefix+"usage:", nil)
	}
	s := &security{owner: owner, submitted: func(r *http.Request, urls int) {
		if name := owner(r); name != "" {
			_ = usage.Add(r.Context(), name, auth.Event{URLs: urls})
		}
	}}
	s.middleware = append(s.middleware,
		auth.Middleware(keyring, openRoute, api.Error, auth.WithClientIP(clientIP)),
		noteClient,
	)
	if c.RateLimit == "on" {
		mw, err := rateLimits(c, log, rdb, m, plans)
		if err != nil {
			return nil, err
		}
		s.middleware = append(s.middleware, mw)
	}
	s.middleware = append(s.middleware, onlyWork(
		auth.QuotaMiddleware(usage, quotaError(m), auth.QuotaClassify(api.ClassOf))))
	s.routes = func(r chi.Router) {
		r.Get("/usage", usageHandler(keyring, usage))
	}
	return s, nil
}

// loadKeys reads DOWNLOADER_API_KEYS, DOWNLOADER_KEY and the key file, and
// re-reads the file on SIGHUP.
func loadKeys(ctx context.Context, c *config.Config, log *slog.Logger,
	plans ratelimit.Plans) (*auth.Keyring, error) {
	static, err := auth.Parse(c.APIKeys, c.Key)
	if err != nil {
		return nil, errUsagef("--api-keys/--key (DOWNLOADER_API_KEYS, DOWNLOADER_KEY): %v", err)
	}
	keys := static
	if c.APIKeysFile != "" {
		fromFile, err := auth.LoadFile(c.APIKeysFile)
		if err != nil {
			return nil, errUsagef("--api-keys-file (DOWNLOADER_API_KEYS_FILE): %v", err)
		}
		if keys, err = auth.Merge(static, fromFile); err != nil {
			return nil, errUsagef("--api-keys-file (DOWNLOADER_API_KEYS_FILE): %v", err)
		}
	}
	for _, k := range keys {
		if !plans.Known(k.Tier) {
			return nil, errUsagef("key %q has tier %q, which --ratelimit-tiers does not "+
				"define (known: default, unlimited, xN, and named groups)", k.Name, k.Tier)
		}
	}
	k := auth.NewKeyring(keys)
	if c.APIKeysFile != "" {
		auth.WatchSIGHUP(ctx, c.APIKeysFile, k, log, static...)
	}
	return k, nil
}

// openRoute lists the routes that need no key: health, readiness and
// version; /metrics has its own token, /status shows aggregates only.
func openRoute(r *http.Request) bool {
	switch r.URL.Path {
	case "/health", "/ready", "/version", "/metrics", "/status", "/status.json":
		return true
	}
	return false
}

// onlyWork applies mw to downloads and batches: reading a job, /usage or
// the service routes costs no quota, so a client over its quota can still
// see its usage and collect its results.
func onlyWork(mw func(http.Handler) http.Handler) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		counted := mw(next)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			switch api.ClassOf(r) {
			case api.ClassDownload, api.ClassBatch:
				counted.ServeHTTP(w, r)
			default:
				next.ServeHTTP(w, r)
			}
		})
	}
}

// owner names the key that owns a batch job ("" when keys are off).
func owner(r *http.Request) string {
	if id, _ := auth.FromContext(r.Context()); id.Key != nil {
		return id.Key.Name
	}
	return ""
}

// noteClient puts the client's key name or IP (never the key) in the
// access log.
func noteClient(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		api.SetClient(r.Context(), auth.ClientID(r))
		next.ServeHTTP(w, r)
	})
}

func quotaError(m *metrics.Metrics) func(http.ResponseWriter, *http.Request, error) {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		if problem.TypeOf(err) == problem.QuotaExceeded {
			m.QuotaExceeded(auth.Tier(r))
		}
		api.Error(w, r, err)
	}
}

// usageHandler answers GET /usage: the caller's own usage, every key's for
// an admin key. Without keys there is no usage to show.
func usageHandler(k *auth.Keyring, store auth.UsageStore) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, _ := auth.FromContext(r.Context())
		if !k.Enabled() {
			api.Error(w, r, problem.New(problem.NotFound,
				"usage is kept per API key, and no keys are configured"))
			return
		}
		if id.Key == nil {
			api.Error(w, r, problem.New(problem.AuthRequired, "usage needs an API key"))
			return
		}
		days := 30
		if v := r.URL.Query().Get("days"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 400 {
				api.Error(w, r, problem.New(problem.Validation, "days must be 1 to 400"))
				return
			}
			days = n
		}
		who := id.Key.Name
		if id.Key.Admin {
			who = r.URL.Query().Get("key") // "" = every key
		}
		report, err := store.Report(r.Context(), who, days, timeNow())
		if err != nil {
			api.Error(w, r, &problem.Error{Type: problem.Unavailable,
				Detail: "usage is not available right now", Err: err})
			return
		}
		api.WriteJSON(w, r, http.StatusOK, map[string]any{"usage": report})
	}
}

// rateLimits builds the limiter middleware: exact sliding windows, in
// Redis when configured (enforced locally while Redis is away), per key
// when the client has one, else per IP; a key's tier picks its limits.
func rateLimits(c *config.Config, log *slog.Logger, rdb redis.UniversalClient,
	m *metrics.Metrics, plans ratelimit.Plans) (func(http.Handler) http.Handler, error) {
	var l ratelimit.Limiter = ratelimit.NewMemory(nil)
	if rdb != nil {
		primary := ratelimit.NewRedis(rdb, keyPrefix+"rl:", nil, c.RedisTimeout)
		l = ratelimit.NewFallback(primary, l, ratelimit.WithLogger(log))
	}
	classify := func(r *http.Request) string {
		if cl := api.ClassOf(r); cl != api.ClassService {
			return cl
		}
		return ""
	}
	return ratelimit.Middleware(l, plans.Base, classify, auth.ClientID, api.Error,
		ratelimit.OnRefuse(m.RateLimited), ratelimit.WithPlans(plans, auth.Tier)), nil
}
