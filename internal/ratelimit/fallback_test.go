package ratelimit

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// TestFallbackRedisDown: a private redis-server stopped mid-test; the
// fallback keeps enforcing the limit locally and never errors, and goes
// back to Redis when it returns.
func TestFallbackRedisDown(t *testing.T) {
	addr, stop := privateRedis(t)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1,
		DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { c.Close() })
	clk := newClock()
	var primaryErrs atomic.Int64
	f := NewFallback(NewRedis(c, "fb:", clk.Now, 200*time.Millisecond), NewMemory(clk.Now),
		WithClock(clk.Now), WithErrorHook(func(error) { primaryErrs.Add(1) }))
	ctx := context.Background()
	rule := Rule{Limit: 10, Period: time.Minute}

	allow := func(n int) (allowed int) {
		t.Helper()
		for range n {
			d, err := f.Allow(ctx, "k", rule, 1)
			if err != nil {
				t.Fatalf("fallback returned %v", err)
			}
			if d.Allowed {
				allowed++
			}
		}
		return allowed
	}
	if got := allow(4); got != 4 {
		t.Fatalf("with redis up: %d allowed, want 4", got)
	}
	stop()
	// the 4 events mirrored locally still count: only 6 more fit
	if got := allow(20); got != 6 {
		t.Fatalf("with redis down: %d allowed, want 6", got)
	}
	if !f.Down() || primaryErrs.Load() != 1 {
		t.Fatalf("down=%v primary errors=%d, want down after exactly 1 error",
			f.Down(), primaryErrs.Load())
	}
	clk.Add(time.Minute) // window clear; probe interval over, redis still down
	if got := allow(15); got != 10 {
		t.Fatalf("a minute later, redis down: %d allowed, want 10", got)
	}
	if primaryErrs.Load() != 2 {
		t.Fatalf("primary errors %d, want 2 (one probe per interval)", primaryErrs.Load())
	}
}

type failing struct{ calls atomic.Int64 }

func (f *failing) Allow(context.Context, string, Rule, int) (Decision, error) {
	f.calls.Add(1)
	return Decision{}, errors.New("boom")
}

func TestFallbackProbeAndRecovery(t *testing.T) {
	clk := newClock()
	bad := &failing{}
	f := NewFallback(bad, NewMemory(clk.Now), WithClock(clk.Now),
		WithProbeInterval(time.Second))
	rule := Rule{Limit: 100, Period: time.Minute}
	for range 10 {
		if _, err := f.Allow(context.Background(), "k", rule, 1); err != nil {
			t.Fatal(err)
		}
	}
	if bad.calls.Load() != 1 {
		t.Fatalf("primary asked %d times within the probe interval, want 1", bad.calls.Load())
	}
	clk.Add(time.Second)
	_, _ = f.Allow(context.Background(), "k", rule, 1)
	if bad.calls.Load() != 2 {
		t.Fatalf("primary asked %d times after the interval, want 2", bad.calls.Load())
	}

	// both failing: admit
	f2 := NewFallback(&failing{}, &failing{})
	d, err := f2.Allow(context.Background(), "k", rule, 1)
	if err != nil || !d.Allowed {
		t.Fatalf("nothing can decide: %+v %v, want admitted", d, err)
	}
}

// TestFallbackRedisHangs: a loopback listener that accepts and never
// answers; each call waits at most the operation timeout, then the primary
// rests and the local limiter decides at once.
func TestFallbackRedisHangs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			t.Cleanup(func() { c.Close() })
		}
	}()
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), MaxRetries: -1,
		ContextTimeoutEnabled: true})
	t.Cleanup(func() { c.Close() })
	f := NewFallback(NewRedis(c, "hang:", nil, 50*time.Millisecond), NewMemory(nil))
	rule := Rule{Limit: 3, Period: time.Minute}
	start := time.Now()
	allowed := 0
	for range 10 {
		d, err := f.Allow(context.Background(), "k", rule, 1)
		if err != nil {
			t.Fatal(err)
		}
		if d.Allowed {
			allowed++
		}
	}
	if allowed != 3 {
		t.Fatalf("allowed %d, want 3", allowed)
	}
	if d := time.Since(start); d > time.Second {
		t.Fatalf("10 calls took %s against a hanging Redis", d)
	}
}
