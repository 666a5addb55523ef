// Package auth holds API keys, per-key quotas and per-key usage.
//
// # Keys
//
// Auth is off when no key is configured; then every request passes and
// carries an [Identity] with only its IP. Keys come from three places,
// joined with [Merge] (a name or key given twice is an error):
//
//   - DOWNLOADER_API_KEYS: comma-separated name:key or name:key:tier
//     ([Parse]); keys there may not contain ',' or ':'.
//   - DOWNLOADER_KEY: one key, named "default" ([Parse]).
//   - DOWNLOADER_API_KEYS_FILE: a JSON or YAML file ([LoadFile]), re-read
//     on SIGHUP ([WatchSIGHUP]); a bad file keeps the old keys.
//
// Names are 1 to 64 characters of A-Z a-z 0-9 . _ - starting with a letter
// or digit; they are what logs, metrics, usage and job ownership show. A
// key itself is never kept, logged or printed: only its SHA-256 digest is
// held, and requests are compared against every digest in constant time.
//
// # Keys file
//
// JSON when the file name ends in .json or its content starts with '[' or
// '{', YAML otherwise. The top level is a list of entries or an object
// {"keys": [...]}. Fields of an entry (unknown fields are an error):
//
//	name         string, required
//	key          string: the key itself, or
//	sha256       string: 64 hex digits, the SHA-256 of the key (exactly one
//	             of key and sha256)
//	tier         string: rate-limit tier (see ratelimit.Plans), "" default,
//	             "unlimited" skips rate limits
//	quota_day    integer: requests per UTC day, 0 or absent = unlimited
//	quota_month  integer: requests per UTC month, 0 or absent = unlimited
//	quotas       object {day, month}: the same two figures, as DESIGN.md
//	             names them (either form; not both for one figure)
//	admin        bool: sees every key's usage and per-key figures
//
// Example (YAML):
//
//	keys:
//	  - name: alice
//	    sha256: 2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b
//	    tier: pro
//	    quota_day: 10000
//	  - name: ops
//	    key: s3cret-ops-key
//	    admin: true
//
// A digest is made with: printf %s "$KEY" | sha256sum.
//
// # Requests
//
// A key travels as "Authorization: Bearer <key>" (scheme in any case) or
// "X-API-Key: <key>". No key: 401 authentication_required. An unknown key,
// or two headers with different keys: 401 authentication_failed. Both
// headers with the same key are fine.
//
// # Quotas and usage
//
// [QuotaMiddleware] counts each admitted request of a key on admission, in
// UTC day and month buckets of a [UsageStore] ([MemoryUsage], or
// [RedisUsage] shared by all instances), and refuses a key at its
// quota_day or quota_month with 429 quota_exceeded and a Retry-After up to
// the next UTC day or month. It also records bytes sent, errors and the
// route class, so [UsageStore.Report] gives, per key and day: requests, by
// class, batch vs single, URLs, bytes, errors and error rate ([Usage] has
// stable snake_case JSON names for GET /usage). A batch handler adds the
// URLs of a batch with Add(ctx, name, Event{URLs: n}).
//
// # Wiring
//
// Outermost first: [Middleware], then the rate limiter (identify with
// [ClientID], tiers with [Tier]), then [QuotaMiddleware], then the
// handlers:
//
//	static, err := auth.Parse(cfg.APIKeys, cfg.Key)
//	fromFile, err := auth.LoadFile(cfg.APIKeysFile) // when set
//	keys, err := auth.Merge(static, fromFile)
//	ring := auth.NewKeyring(keys)
//	auth.WatchSIGHUP(ctx, cfg.APIKeysFile, ring, log, static...)
//	authMW := auth.Middleware(ring, isOpen, writeProblem,
//		auth.WithClientIP(func(r *http.Request) netip.Addr {
//			return ratelimit.ClientIP(r, cfg.Trusted)
//		}))
//	quotaMW := auth.QuotaMiddleware(usage, writeProblem, auth.QuotaClassify(classify))
package auth
