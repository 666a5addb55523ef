package ratelimit

import (
	"sync"
	"testing"
	"time"

	"downloader/internal/redistest"

	"github.com/redis/go-redis/v9"
)

// clock is an injectable clock that moves only when told.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock {
	return &clock{t: time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)}
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// sharedRedis connects to the shared Redis under a fresh key prefix.
func sharedRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	return redistest.Shared(t, "rl")
}

// privateRedis starts a redis-server of the test's own.
func privateRedis(t testing.TB) (addr string, stop func()) {
	t.Helper()
	return redistest.Private(t)
}
