package fetch

import (
	"context"
	"errors"
	"net"
	"net/url"
	"sync"
	"sync/atomic"

	"github.com/sony/gobreaker/v2"

	"downloader/internal/problem"
)

var (
	// errExcluded marks an outcome the breaker ignores: a blocked URL, a
	// bad request, the caller's own cancellation.
	errExcluded = errors.New("excluded from the breaker")
	// errFailure marks an outcome the breaker counts as a failure.
	errFailure = errors.New("upstream failure")
)

// breakerOutcome is what one attempt tells the host's breaker: nil for a
// success (2xx-4xx, 500), errFailure for connection errors, timeouts and
// 502, 503 and 504.
func breakerOutcome(ctx context.Context, p *problem.Error, status int) error {
	if p == nil {
		// Gateway errors and overload count; a plain 500 means the host
		// answers, and its clients deserve that status, not an open circuit.
		switch status {
		case 502, 503, 504:
			return errFailure
		}
		return nil
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return errExcluded
	}
	switch p.Type {
	case problem.UpstreamUnreachable, problem.UpstreamTimeout:
		return errFailure
	}
	return errExcluded
}

// hostKey is the breaker key of u: host:port, the port made explicit.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

type breakerEntry struct {
	cb       *gobreaker.TwoStepCircuitBreaker[struct{}]
	lastUsed atomic.Int64 // unix nanoseconds by Options.Now
}

// breakers holds one circuit breaker per host:port. The map is bounded by
// Options.BreakerMaxHosts: when it is full, a new host first evicts every
// closed breaker idle for more than two cooldowns, and if none is, the
// least recently used one (whatever its state: an evicted open breaker
// simply forgets its failures).
type breakers struct {
	opts Options
	mu   sync.Mutex
	m    map[string]*breakerEntry
}

func newBreakers(o Options) *breakers {
	return &breakers{opts: o, m: make(map[string]*breakerEntry)}
}

// allow asks host's breaker for an attempt; done must be called with the
// attempt's outcome (see breakerOutcome).
func (b *breakers) allow(host string) (done func(error), err error) {
	e := b.entry(host)
	e.lastUsed.Store(b.opts.Now().UnixNano())
	return e.cb.Allow()
}

func (b *breakers) entry(host string) *breakerEntry {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e, ok := b.m[host]; ok {
		return e
	}
	if len(b.m) >= b.opts.BreakerMaxHosts {
		b.evictLocked()
	}
	e := &breakerEntry{cb: gobreaker.NewTwoStepCircuitBreaker[struct{}](b.settings(host))}
	b.m[host] = e
	return e
}

func (b *breakers) settings(host string) gobreaker.Settings {
	failures := uint32(b.opts.BreakerFailures)
	st := gobreaker.Settings{
		Name:        host,
		MaxRequests: 1,
		Timeout:     b.opts.BreakerCooldown,
		ReadyToTrip: func(c gobreaker.Counts) bool {
			return c.ConsecutiveFailures >= failures
		},
		IsExcluded: func(err error) bool { return errors.Is(err, errExcluded) },
	}
	if hook := b.opts.OnBreakerChange; hook != nil {
		st.OnStateChange = func(name string, from, to gobreaker.State) {
			hook(name, from.String(), to.String())
		}
	}
	return st
}

// evictLocked frees room in the full map; b.mu is held.
func (b *breakers) evictLocked() {
	idle := b.opts.Now().Add(-2 * b.opts.BreakerCooldown).UnixNano()
	oldestKey, oldest := "", int64(0)
	for k, e := range b.m {
		last := e.lastUsed.Load()
		if last < idle && e.cb.State() == gobreaker.StateClosed {
			delete(b.m, k)
			continue
		}
		if oldestKey == "" || last < oldest {
			oldestKey, oldest = k, last
		}
	}
	if len(b.m) >= b.opts.BreakerMaxHosts {
		delete(b.m, oldestKey)
	}
}

// state is the breaker state of host, "" when it has none (for tests).
func (b *breakers) state(host string) string {
	b.mu.Lock()
	e, ok := b.m[host]
	b.mu.Unlock()
	if !ok {
		return ""
	}
	return e.cb.State().String()
}

// size is the number of breakers kept.
func (b *breakers) size() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.m)
}
