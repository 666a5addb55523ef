package cache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"downloader/internal/problem"
)

// Result says how [Cache.Get] answered; it becomes the X-Cache header.
type Result string

// The results of [Cache.Get].
const (
	// Hit is a fresh stored entry, served without the upstream.
	Hit Result = "HIT"
	// Miss is a response loaded from the upstream, whether stored or not.
	Miss Result = "MISS"
	// Stale is a stale stored entry served because the upstream failed.
	Stale Result = "STALE"
	// Revalidated is a stored entry the upstream confirmed with a 304.
	Revalidated Result = "REVALIDATED"
	// Bypass is a response loaded for a client that asked for no-store.
	Bypass Result = "BYPASS"
)

// Store is a cache back end. Its errors are back-end faults (unreachable,
// slow, corrupt), never a miss; the [Cache] turns them into misses.
type Store interface {
	// Get returns the entry under key, or (nil, nil) on a miss.
	Get(ctx context.Context, key string) (*Entry, error)
	// Set stores e under key for keep, after which it is dropped.
	Set(ctx context.Context, key string, e *Entry, keep time.Duration) error
	// Delete drops the entry under key, if any.
	Delete(ctx context.Context, key string) error
}

// Loader fetches the upstream response for a key. With stale != nil it
// makes a conditional request with stale's ETag (If-None-Match) and
// Last-Modified (If-Modified-Since); a 304 comes back as an Entry with
// NotModified set and the 304's header. The ctx a Loader gets is not
// cancelled when the requesting client goes away (other requests may wait
// on the same load), so the Loader must bound its own work with a timeout.
// An error that wraps a [*Passthrough] hands a response that is not for
// the cache back to the caller.
type Loader func(ctx context.Context, stale *Entry) (*Entry, error)

// Passthrough is an error a [Loader] returns (wrapped or not) for a
// response that is not for the cache, such as a stream too large to keep.
// [Cache.Get] returns it to the request whose load produced it, only; other
// requests that were waiting on that load call their own Loader.
type Passthrough struct {
	// Value is whatever the Loader hands back, e.g. an open response. If
	// the request that loaded it has gone and Value is an io.Closer, the
	// cache closes it.
	Value any
}

func (p *Passthrough) Error() string { return "response passed through the cache" }

// Hooks receive events for metrics. Every field is optional. They are
// called synchronously and must be quick.
type Hooks struct {
	// OnResult is called once per Get with its result (errors included:
	// the result then says which path failed).
	OnResult func(Result)
	// OnStoreOp is called after every back-end operation ("get", "set",
	// "delete") with the back end's name ("memory", "redis") and the
	// operation's error, nil for a success or a miss.
	OnStoreOp func(backend, op string, d time.Duration, err error)
	// OnEvict is called for each entry a [Memory] store evicts for room.
	OnEvict func()
	// OnLoad is called after every call of a [Loader] with its duration
	// and error; a load shared by concurrent requests counts once.
	OnLoad func(d time.Duration, err error)
}

// Options tune a [Cache]. The zero value is usable.
type Options struct {
	// MaxEntryBytes is the largest body stored. Default 10 MiB.
	MaxEntryBytes int64
	// DefaultTTL is the time to live per content type of a response that
	// says nothing about its freshness. Nil means [DefaultTTLs]; content
	// types it does not cover fall back to those defaults.
	DefaultTTL TTLs
	// StaleKeep is how long a stale entry is kept for revalidation and for
	// serving when the upstream fails. Default 24 h.
	StaleKeep time.Duration
	// Now is the clock. Nil means time.Now.
	Now func() time.Time
	// Hooks receive events for metrics.
	Hooks Hooks
	// Logger receives back-end faults (Warn at most once per
	// FaultLogInterval, Debug otherwise). Nil discards.
	Logger *slog.Logger
	// FaultLogInterval spaces Warn logs of back-end faults. Default 30 s.
	FaultLogInterval time.Duration
}

// Defaults of [Options].
const (
	DefaultMaxEntryBytes    = 10 << 20
	DefaultStaleKeep        = 24 * time.Hour
	DefaultFaultLogInterval = 30 * time.Second
)

// Cache answers requests from a [Store], loading from the upstream when
// needed. It is safe for concurrent use.
type Cache struct {
	store   Store
	backend string
	opts    Options
	log     *slog.Logger
	flights singleflight.Group
	faults  faultLog

	// joined, when set by tests, is called once a request waits on a load.
	joined func()
}

// New returns a cache over store. When store is a [*Memory] and
// opts.Hooks.OnEvict is set, New installs it on the store.
func New(store Store, opts Options) *Cache {
	if opts.MaxEntryBytes <= 0 {
		opts.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if opts.StaleKeep <= 0 {
		opts.StaleKeep = DefaultStaleKeep
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.FaultLogInterval <= 0 {
		opts.FaultLogInterval = DefaultFaultLogInterval
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Cache{store: store, backend: "custom", opts: opts, log: log}
	if b, ok := store.(interface{ Backend() string }); ok {
		c.backend = b.Backend()
	}
	if m, ok := store.(*Memory); ok && opts.Hooks.OnEvict != nil {
		m.OnEvict(opts.Hooks.OnEvict)
	}
	return c
}

// Get answers a request for key:
//
//   - with d.NoStore it calls load(nil) and neither reads nor writes: BYPASS;
//   - a fresh entry (and no d.NoCache) is served as is: HIT;
//   - a stale entry (or any entry under d.NoCache) with validators is
//     revalidated: a 304 refreshes it (REVALIDATED), a new response
//     replaces it (MISS);
//   - otherwise load(nil) runs and its response is stored when RFC 9111
//     and the size cap allow: MISS;
//   - when the load fails for a reason on the upstream's side, a stale
//     entry still within StaleKeep is served (STALE), unless it or the
//     client demands revalidation.
//
// Concurrent Gets of one key share one load. A Get whose ctx ends stops
// waiting without cancelling the load. Back-end faults count as misses and
// are never returned. A returned error is the Loader's (a *problem.Error
// or a wrapped [*Passthrough]), or the end of ctx while waiting.
func (c *Cache) Get(ctx context.Context, key string, d Directive, load Loader) (
	*Entry, Result, error) {
	e, res, err := c.get(ctx, key, d, load)
	if c.opts.Hooks.OnResult != nil {
		c.opts.Hooks.OnResult(res)
	}
	return e, res, err
}

func (c *Cache) get(ctx context.Context, key string, d Directive, load Loader) (
	*Entry, Result, error) {
	if d.NoStore {
		e, err := c.bypass(ctx, load)
		return e, Bypass, err
	}
	stored := c.lookup(ctx, key)
	if stored != nil && !d.NoCache && stored.Fresh(c.opts.Now()) {
		return stored, Hit, nil
	}
	e, res, err := c.shared(ctx, key, stored, load)
	if err != nil && c.mayServeStale(stored, d, err) {
		c.log.DebugContext(ctx, "cache serves stale entry", logError, err)
		return stored, Stale, nil
	}
	return e, res, err
}

// lookup reads key from the store; a fault or an entry past its keep time
// is a miss.
func (c *Cache) lookup(ctx context.Context, key string) *Entry {
	start := time.Now()
	e, err := c.store.Get(ctx, key)
	c.storeOp(ctx, "get", start, err)
	if err != nil || e == nil {
		return nil
	}
	if !c.opts.Now().Before(e.FreshUntil.Add(c.opts.StaleKeep)) {
		return nil
	}
	return e
}

// mayServeStale reports whether stored may answer a request whose load
// failed with err (RFC 5861 stale-if-error, for upstream-side failures).
func (c *Cache) mayServeStale(stored *Entry, d Directive, err error) bool {
	if stored == nil || d.NoCache || errors.Is(err, context.Canceled) {
		return false
	}
	var pt *Passthrough
	if errors.As(err, &pt) || errors.Is(err, errShared) {
		return false
	}
	if !transient(err) {
		return false
	}
	return mayServeStale(stored.Header)
}

// transient reports whether err is an upstream failure that a stale copy
// may paper over: unreachable, timed out, or a 5xx.
func transient(err error) bool {
	p := problem.From(err)
	switch p.Type {
	case problem.UpstreamUnreachable, problem.UpstreamTimeout, problem.Unavailable:
		return true
	case problem.UpstreamHTTP:
		return p.UpstreamStatus == 0 || p.UpstreamStatus >= 500
	}
	return false
}

// storeOp reports a back-end operation to the hooks and the fault log. An
// operation cut short because the caller's own ctx ended is no fault of
// the back end and is not reported.
func (c *Cache) storeOp(ctx context.Context, op string, start time.Time, err error) {
	if err != nil && ctx.Err() != nil {
		return
	}
	if c.opts.Hooks.OnStoreOp != nil {
		c.opts.Hooks.OnStoreOp(c.backend, op, time.Since(start), err)
	}
	if err == nil {
		return
	}
	level := slog.LevelDebug
	suppressed, first := c.faults.note(c.opts.Now(), c.opts.FaultLogInterval)
	if first {
		level = slog.LevelWarn
	}
	c.log.Log(ctx, level, "cache back end fault",
		logBackend, c.backend, logOp, op, logError, err, logSuppressed, suppressed)
}

// faultLog spaces the Warn logs of back-end faults.
type faultLog struct {
	mu         sync.Mutex
	last       time.Time
	suppressed int
}

// note records a fault at now; first is true when it opens a new interval,
// with the number of faults logged at Debug since the previous one.
func (f *faultLog) note(now time.Time, interval time.Duration) (suppressed int, first bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.last.IsZero() && now.Sub(f.last) < interval {
		f.suppressed++
		return f.suppressed, false
	}
	suppressed, f.suppressed, f.last = f.suppressed, 0, now
	return suppressed, true
}

// Log attribute keys.
const (
	logBackend    = "backend"
	logOp         = "op"
	logError      = "error"
	logSuppressed = "suppressed"
)

// errShared tells requests that waited on a load that its response was a
// passthrough for the request that made it.
var errShared = errors.New("load passed its response to another request")

// handoff carries a passthrough to the request that loaded it, or closes
// it when that request has stopped waiting.
type handoff struct {
	mu        sync.Mutex
	err       error
	abandoned bool
}

func (h *handoff) give(err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.abandoned {
		closePassthrough(err)
		return
	}
	h.err = err
}

func (h *handoff) abandon() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.abandoned = true
	if h.err != nil {
		closePassthrough(h.err)
		h.err = nil
	}
}

func (h *handoff) take() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

func closePassthrough(err error) {
	var pt *Passthrough
	if errors.As(err, &pt) {
		if cl, ok := pt.Value.(interface{ Close() error }); ok {
			_ = cl.Close()
		}
	}
}

type flightResult struct {
	e   *Entry
	res Result
}

// shared runs the load for key once for all concurrent callers. The
// caller whose function runs is the leader; only it receives a
// passthrough, and the others then load for themselves.
func (c *Cache) shared(ctx context.Context, key string, stored *Entry, load Loader) (
	*Entry, Result, error) {
	h := &handoff{}
	lctx := context.WithoutCancel(ctx)
	ch := c.flights.DoChan(key, func() (any, error) {
		e, res, err := c.fill(lctx, key, stored, load)
		var pt *Passthrough
		if errors.As(err, &pt) {
			h.give(err)
			return nil, errShared
		}
		return flightResult{e, res}, err
	})
	if c.joined != nil {
		c.joined()
	}
	select {
	case r := <-ch:
		if errors.Is(r.Err, errShared) {
			if err := h.take(); err != nil {
				return nil, Miss, err
			}
			return c.fill(ctx, key, stored, load)
		}
		if r.Err != nil {
			return nil, Miss, r.Err
		}
		fr := r.Val.(flightResult)
		return fr.e, fr.res, nil
	case <-ctx.Done():
		h.abandon()
		return nil, Miss, waitErr(ctx)
	}
}

// waitErr is the error of a request that stopped waiting on a load.
func waitErr(ctx context.Context) error {
	err := ctx.Err()
	if cause := context.Cause(ctx); cause != err {
		err = fmt.Errorf("%w: %w", err, cause)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return problem.Wrap(problem.UpstreamTimeout, err, "the upstream did not answer in time")
	}
	return fmt.Errorf("wait for upstream: %w", err)
}

// fill loads the response for key, conditionally when stored has
// validators, and stores what the rules allow.
func (c *Cache) fill(ctx context.Context, key string, stored *Entry, load Loader) (
	*Entry, Result, error) {
	var cond *Entry
	if stored != nil && stored.hasValidators() {
		cond = stored
	}
	got, err := c.timedLoad(ctx, load, cond)
	if err == nil {
		err = checkLoaded(got, cond)
	}
	if err != nil {
		return nil, Miss, err
	}
	if got.NotModified {
		return c.refresh(ctx, key, cond, got), Revalidated, nil
	}
	ttl, ok := c.stamp(got)
	c.keep(ctx, key, got, ttl, ok, stored != nil)
	return got, Miss, nil
}

// bypass loads for a client that wants no cache at all.
func (c *Cache) bypass(ctx context.Context, load Loader) (*Entry, error) {
	e, err := c.timedLoad(ctx, load, nil)
	if err == nil {
		err = checkLoaded(e, nil)
	}
	if err != nil {
		return nil, err
	}
	c.stamp(e)
	return e, nil
}

// checkLoaded rejects what a Loader must not return: nothing, or a 304 to
// an unconditional request.
func checkLoaded(got, cond *Entry) error {
	if got == nil {
		return problem.New(problem.Internal, "the upstream response was lost")
	}
	if got.NotModified && cond == nil {
		return problem.New(problem.Internal,
			"the upstream answered 304 to an unconditional request")
	}
	return nil
}

// stamp sets e's StoredAt to now and its FreshUntil by [Freshness].
func (c *Cache) stamp(e *Entry) (ttl time.Duration, storable bool) {
	now := c.opts.Now()
	ttl, storable = Freshness(e.Status, e.Header, e.ContentType, now, c.opts.DefaultTTL)
	e.StoredAt, e.FreshUntil = now, now.Add(ttl)
	return ttl, storable
}

// timedLoad calls load, turning a panic into an internal error, and reports
// it to the hooks.
func (c *Cache) timedLoad(ctx context.Context, load Loader, stale *Entry) (
	e *Entry, err error) {
	start := time.Now()
	defer func() {
		if v := recover(); v != nil {
			e, err = nil, problem.Wrap(problem.Internal, fmt.Errorf("load: panic: %v", v),
				"an internal error occurred")
		}
		if c.opts.Hooks.OnLoad != nil {
			c.opts.Hooks.OnLoad(time.Since(start), err)
		}
	}()
	return load(ctx, stale)
}

// refresh merges a 304's header into the stored entry (RFC 9111 §4.3.4)
// and stores the result as a new entry.
func (c *Cache) refresh(ctx context.Context, key string, stored, nm *Entry) *Entry {
	e := *stored
	e.Header = stored.Header.Clone()
	e.Header.Del("Age") // the 304 tells the current age, if anything
	for k, vs := range nm.Header {
		if !keptOn304[k] {
			e.Header[k] = vs
		}
	}
	e.NotModified = false
	ttl, ok := c.stamp(&e)
	c.keep(ctx, key, &e, ttl, ok, true)
	return &e
}

// keptOn304 lists the header fields a 304 does not update: those the
// stored body depends on (RFC 9111 §3.2).
var keptOn304 = map[string]bool{
	"Content-Length":    true,
	"Content-Encoding":  true,
	"Content-Type":      true,
	"Content-Range":     true,
	"Transfer-Encoding": true,
	"Connection":        true,
}

// keep stores e for ttl plus StaleKeep when it may be stored and is worth
// it, else drops any older entry. Faults are logged, never returned.
func (c *Cache) keep(ctx context.Context, key string, e *Entry, ttl time.Duration,
	storable, hadEntry bool) {
	useful := ttl > 0 || e.hasValidators()
	if !storable || !useful || int64(len(e.Body)) > c.opts.MaxEntryBytes {
		if hadEntry {
			start := time.Now()
			c.storeOp(ctx, "delete", start, c.store.Delete(ctx, key))
		}
		return
	}
	start := time.Now()
	c.storeOp(ctx, "set", start, c.store.Set(ctx, key, e, ttl+c.opts.StaleKeep))
}
