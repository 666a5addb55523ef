package cache

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"downloader/internal/testlog"
)

// opLog records the back-end operations a cache reports.
type opLog struct {
	mu     sync.Mutex
	ops    int
	faults int
}

func (l *opLog) hook(backend, _ string, _ time.Duration, err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if backend != "redis" {
		panic("backend " + backend)
	}
	l.ops++
	if err != nil {
		l.faults++
	}
}

func (l *opLog) counts() (ops, faults int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ops, l.faults
}

func TestRedisOutageDegradesToMisses(t *testing.T) {
	addr, stop := privateRedis(t)
	rc := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true,
		MaxRetries: -1, DialTimeout: 50 * time.Millisecond})
	t.Cleanup(func() { rc.Close() })
	o := newOrigin(t)
	o.set(200, "v1", "Cache-Control", "max-age=60")
	var ops opLog
	var logs testlog.Buffer
	clk := newClock()
	c := New(NewRedis(rc, "t:", 50*time.Millisecond), Options{
		Now:    clk.Now,
		Hooks:  Hooks{OnStoreOp: ops.hook},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	})
	var calls atomic.Int64
	get := func(key string, want Result) {
		t.Helper()
		e, res, err := c.Get(context.Background(), key, Directive{}, o.loader(&calls))
		if err != nil || res != want || string(e.Body) != "v1" {
			t.Fatalf("Get(%s) = %s, %v; want %s v1", key, res, err, want)
		}
	}
	get("a", Miss)
	get("a", Hit)
	if _, faults := ops.counts(); faults != 0 {
		t.Fatalf("%d faults while Redis is up", faults)
	}

	stop()
	for i := range 20 {
		start := time.Now()
		get("a", Miss)
		get("new", Miss)
		if took := time.Since(start); took > 3*time.Second {
			t.Errorf("round %d took %v with Redis down", i, took)
		}
	}
	if calls.Load() != 41 {
		t.Errorf("%d loads, want 41", calls.Load())
	}
	ops2, faults := ops.counts()
	if faults < 40 || ops2-faults != 3 {
		t.Errorf("%d ops with %d faults; want every op after the outage to fault", ops2, faults)
	}
	out := logs.String()
	if n := strings.Count(out, "level=WARN"); n != 1 {
		t.Errorf("%d Warn logs in one interval, want 1:\n%s", n, out)
	}
	clk.Add(DefaultFaultLogInterval)
	get("a", Miss)
	if n := strings.Count(logs.String(), "level=WARN"); n != 2 {
		t.Errorf("%d Warn logs after the interval, want 2", n)
	}
	if !strings.Contains(logs.String(), "suppressed=") {
		t.Errorf("the Warn log does not count suppressed faults")
	}
}

func TestSlowRedisTimesOutAndServes(t *testing.T) {
	addr, _ := privateRedis(t)
	rc := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	admin := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { rc.Close(); admin.Close() })
	o := newOrigin(t)
	o.set(200, "v1", "Cache-Control", "max-age=60")
	var ops opLog
	c := New(NewRedis(rc, "t:", 50*time.Millisecond), Options{Hooks: Hooks{OnStoreOp: ops.hook}})
	var calls atomic.Int64
	ctx := context.Background()
	if _, res, err := c.Get(ctx, "a", Directive{}, o.loader(&calls)); res != Miss || err != nil {
		t.Fatalf("first Get = %s, %v", res, err)
	}

	if err := admin.Do(ctx, "CLIENT", "PAUSE", "1500", "ALL").Err(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	e, res, err := c.Get(ctx, "a", Directive{}, o.loader(&calls))
	took := time.Since(start)
	if err != nil || res != Miss || string(e.Body) != "v1" {
		t.Errorf("Get while Redis is paused = %s, %v; want MISS v1", res, err)
	}
	if took > 700*time.Millisecond {
		t.Errorf("Get while Redis is paused took %v; want about two op timeouts", took)
	}
	if _, faults := ops.counts(); faults != 2 {
		t.Errorf("%d faults, want 2 (get and set)", faults)
	}
}

func TestCorruptRedisValueIsAMiss(t *testing.T) {
	rc, prefix := sharedRedis(t)
	o := newOrigin(t)
	o.set(200, "v1", "Cache-Control", "max-age=60")
	var ops opLog
	c := New(NewRedis(rc, prefix, time.Second), Options{Hooks: Hooks{OnStoreOp: ops.hook}})
	ctx := context.Background()
	rc.Set(ctx, prefix+"cache:a", "not an entry", time.Minute)
	var calls atomic.Int64
	for _, want := range []Result{Miss, Hit} {
		_, res, err := c.Get(ctx, "a", Directive{}, o.loader(&calls))
		if res != want || err != nil {
			t.Errorf("Get = %s, %v; want %s", res, err, want)
		}
	}
	if _, faults := ops.counts(); faults != 1 {
		t.Errorf("%d faults, want 1", faults)
	}
}
