package ratelimit

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type newLimiter func(t testing.TB, now func() time.Time) Limiter

func backends() map[string]newLimiter {
	return map[string]newLimiter{
		"memory": func(_ testing.TB, now func() time.Time) Limiter { return NewMemory(now) },
		"redis": func(t testing.TB, now func() time.Time) Limiter {
			c, prefix := sharedRedis(t)
			return NewRedis(c, prefix, now, 2*time.Second)
		},
		"redis-two-instances": func(t testing.TB, now func() time.Time) Limiter {
			c1, prefix := sharedRedis(t)
			c2, _ := sharedRedis(t)
			return &alternating{ls: []Limiter{
				NewRedis(c1, prefix, now, 2*time.Second),
				NewRedis(c2, prefix, now, 2*time.Second),
			}}
		},
	}
}

// alternating sends successive calls to its limiters in turn, like a load
// balancer spreading one client over instances.
type alternating struct {
	ls []Limiter
	i  atomic.Uint64
}

func (a *alternating) Allow(ctx context.Context, key string, r Rule, n int) (Decision, error) {
	return a.ls[a.i.Add(1)%uint64(len(a.ls))].Allow(ctx, key, r, n)
}

type step struct {
	after     time.Duration // clock advance before the call
	n         int
	allowed   bool
	remaining int
	retry     time.Duration
	reset     time.Duration
}

func TestLimiterSequences(t *testing.T) {
	rule := Rule{Limit: 3, Period: time.Second}
	tests := []struct {
		name  string
		steps []step
	}{
		{"burst of limit then refusal", []step{
			{0, 1, true, 2, 0, time.Second},
			{0, 1, true, 1, 0, time.Second},
			{0, 1, true, 0, 0, time.Second},
			{0, 1, false, 0, time.Second, time.Second},
			{999 * time.Millisecond, 1, false, 0, time.Millisecond, time.Millisecond},
			{time.Millisecond, 1, true, 2, 0, time.Second},
		}},
		{"spread events expire one by one", []step{
			{0, 1, true, 2, 0, time.Second},
			{400 * time.Millisecond, 1, true, 1, 0, time.Second},
			{400 * time.Millisecond, 1, true, 0, 0, time.Second},
			{100 * time.Millisecond, 1, false, 0, 100 * time.Millisecond, 900 * time.Millisecond},
			{100 * time.Millisecond, 1, true, 0, 0, time.Second},
			{0, 1, false, 0, 400 * time.Millisecond, time.Second},
		}},
		{"cost n counts n events", []step{
			{0, 2, true, 1, 0, time.Second},
			{0, 2, false, 1, time.Second, time.Second},
			{0, 1, true, 0, 0, time.Second},
			{500 * time.Millisecond, 3, false, 0, 500 * time.Millisecond, 500 * time.Millisecond},
		}},
		{"cost above limit never fits", []step{
			{0, 4, false, 3, time.Second, 0},
			{0, 3, true, 0, 0, time.Second},
		}},
		{"cost zero peeks", []step{
			{0, 0, true, 3, 0, 0},
			{0, 1, true, 2, 0, time.Second},
			{250 * time.Millisecond, 0, true, 2, 0, 750 * time.Millisecond},
		}},
	}
	for bname, mk := range backends() {
		for _, tt := range tests {
			t.Run(bname+"/"+tt.name, func(t *testing.T) {
				clk := newClock()
				l := mk(t, clk.Now)
				for i, s := range tt.steps {
					clk.Add(s.after)
					d, err := l.Allow(context.Background(), "k", rule, s.n)
					if err != nil {
						t.Fatalf("step %d: %v", i, err)
					}
					want := Decision{Allowed: s.allowed, Limit: 3, Remaining: s.remaining,
						Reset: s.reset, RetryAfter: s.retry}
					if d != want {
						t.Fatalf("step %d: got %+v, want %+v", i, d, want)
					}
				}
			})
		}
	}
}

func TestLimiterInvalidRule(t *testing.T) {
	for bname, mk := range backends() {
		t.Run(bname, func(t *testing.T) {
			l := mk(t, nil)
			for _, r := range []Rule{{0, time.Second}, {1, 0}, {-1, time.Second}} {
				if _, err := l.Allow(context.Background(), "k", r, 1); err == nil {
					t.Errorf("rule %v: no error", r)
				}
			}
			if _, err := l.Allow(context.Background(), "k", Rule{1, time.Second}, -1); err == nil {
				t.Error("negative cost: no error")
			}
		})
	}
}

// TestWindowSlides: N at t=0, refused at t=period-1ms, allowed at t=period.
func TestWindowSlides(t *testing.T) {
	rule := Rule{Limit: 5, Period: time.Minute}
	for bname, mk := range backends() {
		t.Run(bname, func(t *testing.T) {
			clk := newClock()
			l := mk(t, clk.Now)
			ctx := context.Background()
			for i := range rule.Limit {
				if d, _ := l.Allow(ctx, "k", rule, 1); !d.Allowed {
					t.Fatalf("event %d refused", i)
				}
			}
			clk.Add(rule.Period - time.Millisecond)
			d, _ := l.Allow(ctx, "k", rule, 1)
			if d.Allowed || d.RetryAfter != time.Millisecond {
				t.Fatalf("at period-1ms: %+v, want refusal with 1ms to wait", d)
			}
			clk.Add(time.Millisecond)
			for i := range rule.Limit {
				if d, _ := l.Allow(ctx, "k", rule, 1); !d.Allowed {
					t.Fatalf("at period, event %d refused", i)
				}
			}
			if d, _ := l.Allow(ctx, "k", rule, 1); d.Allowed {
				t.Fatal("at period, event limit+1 allowed")
			}
		})
	}
}

// allowMany runs goroutines x tries calls on l and counts admissions.
func allowMany(t *testing.T, ls []Limiter, key string, rule Rule, goroutines, tries int) int64 {
	t.Helper()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for g := range goroutines {
		l := ls[g%len(ls)]
		wg.Go(func() {
			for range tries {
				d, err := l.Allow(context.Background(), key, rule, 1)
				if err != nil {
					t.Error(err)
					return
				}
				if d.Allowed {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	return allowed.Load()
}

func TestLimiterConcurrentExact(t *testing.T) {
	rule := Rule{Limit: 1000, Period: time.Hour}
	for bname, mk := range backends() {
		t.Run(bname, func(t *testing.T) {
			l := mk(t, nil)
			if got := allowMany(t, []Limiter{l}, "k", rule, 50, 40); got != 1000 {
				t.Fatalf("allowed %d of 2000 tries, want exactly 1000", got)
			}
		})
	}
}

// TestRedisInstancesShareLimit: two instances with their own clients on one
// Redis admit exactly Limit together.
func TestRedisInstancesShareLimit(t *testing.T) {
	c1, prefix := sharedRedis(t)
	c2, _ := sharedRedis(t)
	a := NewRedis(c1, prefix, nil, 2*time.Second)
	b := NewRedis(c2, prefix, nil, 2*time.Second)
	rule := Rule{Limit: 500, Period: time.Hour}
	if got := allowMany(t, []Limiter{a, b}, "k", rule, 20, 50); got != 500 {
		t.Fatalf("two instances allowed %d, want exactly 500", got)
	}
}

// TestNoFalseRefusals: clients interleaved under heavy concurrency, each
// below its limit, are never refused.
func TestNoFalseRefusals(t *testing.T) {
	rule := Rule{Limit: 60, Period: time.Minute}
	for bname, mk := range backends() {
		t.Run(bname, func(t *testing.T) {
			l := mk(t, nil)
			var refused atomic.Int64
			var wg sync.WaitGroup
			for c := range 40 {
				for range 3 { // three goroutines per client, 20 calls each = 60
					wg.Go(func() {
						for range 20 {
							d, err := l.Allow(context.Background(), "c"+strconv.Itoa(c), rule, 1)
							if err != nil || !d.Allowed {
								refused.Add(1)
							}
						}
					})
				}
			}
			wg.Wait()
			if n := refused.Load(); n != 0 {
				t.Fatalf("%d false refusals", n)
			}
		})
	}
}

func TestMemorySweepsIdleKeys(t *testing.T) {
	clk := newClock()
	m := NewMemory(clk.Now)
	rule := Rule{Limit: 10, Period: time.Second}
	for i := range 200 {
		_, _ = m.Allow(context.Background(), "k"+strconv.Itoa(i), rule, 1)
	}
	if m.Len() != 200 {
		t.Fatalf("Len %d, want 200", m.Len())
	}
	clk.Add(2 * sweepEvery)
	for i := range memoryShards * 20 { // touch every shard
		_, _ = m.Allow(context.Background(), "new"+strconv.Itoa(i), rule, 0)
	}
	for i := range memoryShards * 20 {
		_, _ = m.Allow(context.Background(), "new"+strconv.Itoa(i), rule, 0)
	}
	if n := m.Len(); n > memoryShards*20 {
		t.Fatalf("Len %d after sweep: idle keys kept", n)
	}
}

func TestMemoryBoundedAndResizes(t *testing.T) {
	clk := newClock()
	m := NewMemory(clk.Now)
	ctx := context.Background()
	for range 100 {
		_, _ = m.Allow(ctx, "k", Rule{Limit: 10, Period: time.Minute}, 1)
	}
	w := m.shards[0].windows["k"]
	for i := range m.shards {
		if x := m.shards[i].windows["k"]; x != nil {
			w = x
		}
	}
	if len(w.buf) > 10 {
		t.Fatalf("ring holds %d, want <= 10", len(w.buf))
	}
	d, _ := m.Allow(ctx, "k", Rule{Limit: 4, Period: time.Minute}, 1)
	if d.Allowed || d.Remaining != 0 || len(w.buf) > 4 {
		t.Fatalf("after shrinking: %+v, ring %d", d, len(w.buf))
	}
	d, _ = m.Allow(ctx, "k", Rule{Limit: 12, Period: time.Minute}, 2)
	if !d.Allowed || d.Remaining != 6 {
		t.Fatalf("after growing: %+v", d)
	}
}
