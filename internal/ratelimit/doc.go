// Package ratelimit limits requests per client and route class.
//
// # Semantics
//
// Every [Limiter] is an exact sliding log: a client may make up to Limit
// requests in any window of Period, the first Limit at once included;
// request Limit+1 inside the window is refused, and an event at t stops
// counting at t+Period exactly. A client under its limit is never refused,
// also under concurrency and across instances sharing Redis. A call may
// cost n events (a batch of 40 URLs spends 40 of the URL budget); it is
// admitted whole or not at all.
//
// [Memory] keeps the log in process (a ring of at most Limit timestamps per
// key, idle keys swept); [Redis] keeps it in a sorted set per key, decided
// by one atomic script in one round trip; [Fallback] uses Redis and, while
// it fails, the local log (DESIGN.md: "limits enforced locally"), never
// failing a request.
//
// # Route classes and tiers
//
// Routes fall into classes with a rule each ([DefaultTiers]): download
// 60/min, batch 20/min, read 200/min (job status and results), other
// 100/min, and batch_urls 1000/min, the URL budget a batch handler spends
// with [Spend] once it knows how many URLs the batch holds. The
// --ratelimit-tiers setting is read by [ParsePlans]:
//
//	download=60/m,batch=20/m,read=200/m,other=100/m,batch_urls=1000/m
//	download=30/m; pro: download=600/m,batch_urls=10000/m
//
// Items are class=N/period, period one of s, m, h, d or a Go duration
// ("30s", "10m"); "class=off" lifts a class's limit; classes not listed
// keep their defaults. Groups after ";" named "tier:" define API-key tiers
// over the base. A key's tier resolves as: none or "default" to the base,
// "unlimited" to no limit, a configured name to its group, "xN" (x2 ...
// x1000) to the base with every limit times N, anything else to the base.
//
// # HTTP
//
// [Middleware] classifies each request, identifies its client ("key:name"
// for an API key, else "ip:addr" from [ClientIP], built by the caller),
// spends one unit of the class, sets RateLimit-Limit, RateLimit-Remaining,
// RateLimit-Reset and their X-RateLimit-* twins, and answers a refusal with
// a *problem.Error of type rate_limit_exceeded carrying RetryAfter.
// RateLimit-Reset is the whole seconds, rounded up, until every event
// counted so far has left the window (Remaining back at Limit); on a
// refusal it is the seconds until a retry may pass, as Retry-After.
//
// Wiring, outermost first: auth (identity), this middleware, quotas, the
// handler:
//
//	// rdb := redis.NewClient(&redis.Options{..., ContextTimeoutEnabled: true})
//	var l ratelimit.Limiter = ratelimit.NewMemory(nil)
//	if rdb != nil {
//		l = ratelimit.NewFallback(
//			ratelimit.NewRedis(rdb, "downloader:rl:", nil, cfg.RedisTimeout),
//			ratelimit.NewMemory(nil), ratelimit.WithLogger(log))
//	}
//	plans, err := ratelimit.ParsePlans(cfg.RateLimitTiers)
//	mw := ratelimit.Middleware(l, plans.Base, classify, identify, writeProblem,
//		ratelimit.WithPlans(plans, tierOf), ratelimit.OnRefuse(metric.Inc))
//
// With DOWNLOADER_RATELIMIT=off, leave the middleware out: [Spend] then
// admits everything. identify is auth.ClientID and tierOf auth.Tier when
// the auth middleware runs first; its client IP should come from
// [ClientIP] with the --trusted-proxies networks.
package ratelimit
