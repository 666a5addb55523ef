package auth

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"downloader/internal/redistest"
	"downloader/internal/testclock"
)

// sharedRedis connects to the shared Redis under a fresh key prefix.
func sharedRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	return redistest.Shared(t, "auth")
}

// privateRedis starts a redis-server of the test's own.
func privateRedis(t testing.TB) (addr string, stop func()) {
	t.Helper()
	return redistest.Private(t)
}

// clock is the tests' clock, moved by hand.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2026, 12, 3, 10, 0, 0, 0, time.UTC)) }
