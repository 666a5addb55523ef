package cache

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"downloader/internal/problem"
)

// gate is a loader that blocks until released, counting its calls, then
// fetches from the origin.
type gate struct {
	o       *origin
	release chan struct{}
	calls   atomic.Int64
	ctxErr  atomic.Value // the loader's ctx.Err() when released
}

func newGate(o *origin) *gate { return &gate{o: o, release: make(chan struct{})} }

func (g *gate) load(ctx context.Context, stale *Entry) (*Entry, error) {
	g.calls.Add(1)
	<-g.release
	g.ctxErr.Store(fmt.Sprint(ctx.Err()))
	return fetch(ctx, g.o.srv.Client(), g.o.srv.URL+"/", stale)
}

// joinCounter makes c report each request that waits on a load, and
// returns a function that blocks until n have.
func joinCounter(t *testing.T, c *Cache) func(n int64) {
	t.Helper()
	var joined atomic.Int64
	c.joined = func() { joined.Add(1) }
	return func(n int64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for joined.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d requests joined the load", joined.Load(), n)
			}
			time.Sleep(time.Millisecond)
		}
	}
}

func TestCoalescesConcurrentMisses(t *testing.T) {
	const n = 100
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) {
			o := newOrigin(t)
			o.set(200, "v1", "Cache-Control", "max-age=60")
			var faults atomic.Int64
			c := New(sc.make(t), Options{Hooks: Hooks{
				OnStoreOp: func(_, _ string, _ time.Duration, err error) {
					if err != nil {
						faults.Add(1)
					}
				},
			}})
			waitJoined := joinCounter(t, c)
			g := newGate(o)

			var wg sync.WaitGroup
			results := make(chan string, 2*n)
			get := func() {
				defer wg.Done()
				e, res, err := c.Get(context.Background(), "k", Directive{}, g.load)
				if err != nil {
					results <- err.Error()
					return
				}
				results <- string(res) + " " + string(e.Body)
			}
			for range n {
				wg.Add(1)
				go get()
			}
			waitJoined(n)
			close(g.release)
			wg.Wait()
			for range n {
				if r := <-results; r != "MISS v1" {
					t.Errorf("result %q, want MISS v1", r)
				}
			}
			if g.calls.Load() != 1 || o.count() != 1 {
				t.Errorf("%d loads, %d origin requests; want 1, 1", g.calls.Load(), o.count())
			}

			// once stored, the same crowd is served without loading
			for range n {
				wg.Add(1)
				go get()
			}
			wg.Wait()
			for range n {
				if r := <-results; r != "HIT v1" {
					t.Errorf("result %q, want HIT v1", r)
				}
			}
			if o.count() != 1 || faults.Load() != 0 {
				t.Errorf("%d origin requests, %d store faults; want 1, 0",
					o.count(), faults.Load())
			}
		})
	}
}

func TestCancelledWaiterLeavesTheLoad(t *testing.T) {
	o := newOrigin(t)
	o.set(200, "v1", "Cache-Control", "max-age=60")
	c := New(NewMemory(0), Options{})
	waitJoined := joinCounter(t, c)
	g := newGate(o)

	type outcome struct {
		e   *Entry
		res Result
		err error
	}
	leaderCtx, cancelLeader := context.WithCancel(context.Background())
	leader := make(chan outcome, 1)
	go func() {
		e, res, err := c.Get(leaderCtx, "k", Directive{}, g.load)
		leader <- outcome{e, res, err}
	}()
	waitJoined(1)
	follower := make(chan outcome, 1)
	go func() {
		e, res, err := c.Get(context.Background(), "k", Directive{}, g.load)
		follower <- outcome{e, res, err}
	}()
	waitJoined(2)

	// a waiter with a deadline gives up with a timeout problem
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, _, err := c.Get(ctx, "k", Directive{}, g.load)
	if problem.TypeOf(err) != problem.UpstreamTimeout {
		t.Errorf("waiter past its deadline: %v, want upstream_timeout", err)
	}

	// the leader goes away; the load goes on for the follower
	cancelLeader()
	if r := <-leader; !errors.Is(r.err, context.Canceled) {
		t.Errorf("cancelled leader: %v, want context.Canceled", r.err)
	}
	close(g.release)
	r := <-follower
	if r.err != nil || r.res != Miss || string(r.e.Body) != "v1" {
		t.Errorf("follower = %s, %v", r.res, r.err)
	}
	if got := g.ctxErr.Load(); got != "<nil>" {
		t.Errorf("the load's ctx ended with %v, want it uncancelled", got)
	}
	if g.calls.Load() != 1 {
		t.Errorf("%d loads, want 1", g.calls.Load())
	}
	if _, res, _ := c.Get(context.Background(), "k", Directive{}, g.load); res != Hit {
		t.Errorf("after the shared load: %s, want HIT", res)
	}
}

// closer is a passthrough value that records being closed.
type closer struct {
	id     int64
	closed atomic.Bool
}

func (c *closer) Close() error { c.closed.Store(true); return nil }

func TestPassthroughGoesToItsLoaderOnly(t *testing.T) {
	c := New(NewMemory(0), Options{})
	waitJoined := joinCounter(t, c)
	release := make(chan struct{})
	var calls atomic.Int64
	load := func(ctx context.Context, _ *Entry) (*Entry, error) {
		id := calls.Add(1)
		if id == 1 {
			<-release
		}
		return nil, fmt.Errorf("stream: %w", &Passthrough{Value: &closer{id: id}})
	}
	leader := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), "k", Directive{}, load)
		leader <- err
	}()
	waitJoined(1)
	follower := make(chan error, 1)
	go func() {
		_, _, err := c.Get(context.Background(), "k", Directive{}, load)
		follower <- err
	}()
	waitJoined(2)
	close(release)

	for name, want := range map[string]struct {
		ch chan error
		id int64
	}{"leader": {leader, 1}, "follower": {follower, 2}} {
		var pt *Passthrough
		if err := <-want.ch; !errors.As(err, &pt) || pt.Value.(*closer).id != want.id {
			t.Errorf("%s got %v, want its own passthrough %d", name, err, want.id)
		}
	}
	if calls.Load() != 2 {
		t.Errorf("%d loads, want 2", calls.Load())
	}
}

func TestPassthroughOfAnAbandonedLoadIsClosed(t *testing.T) {
	c := New(NewMemory(0), Options{})
	waitJoined := joinCounter(t, c)
	release := make(chan struct{})
	value := &closer{}
	load := func(ctx context.Context, _ *Entry) (*Entry, error) {
		<-release
		return nil, &Passthrough{Value: value}
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, _, err := c.Get(ctx, "k", Directive{}, load)
		errc <- err
	}()
	waitJoined(1)
	cancel()
	<-errc
	close(release)
	deadline := time.Now().Add(5 * time.Second)
	for !value.closed.Load() {
		if time.Now().After(deadline) {
			t.Fatal("the abandoned passthrough was not closed")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestNoStorePassthroughAndErrors(t *testing.T) {
	c := New(NewMemory(0), Options{})
	want := &Passthrough{Value: 1}
	_, res, err := c.Get(context.Background(), "k", Directive{NoStore: true},
		func(context.Context, *Entry) (*Entry, error) { return nil, want })
	if res != Bypass || !errors.Is(err, want) {
		t.Errorf("Get = %s, %v; want BYPASS and the passthrough", res, err)
	}
}

func TestCallerCancellationIsNoBackendFault(t *testing.T) {
	var faults atomic.Int64
	c := New(NewMemory(0), Options{Hooks: Hooks{
		OnStoreOp: func(_, _ string, _ time.Duration, err error) {
			if err != nil {
				faults.Add(1)
			}
		},
	}})
	c.store = cancelledStore{}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, _, err := c.Get(ctx, "k", Directive{}, func(ctx context.Context, _ *Entry) (*Entry, error) {
		return nil, ctx.Err()
	})
	if !errors.Is(err, context.Canceled) || faults.Load() != 0 {
		t.Errorf("Get = %v with %d faults; want context.Canceled and none", err, faults.Load())
	}
}

// cancelledStore fails every operation with its ctx's error.
type cancelledStore struct{}

func (cancelledStore) Get(ctx context.Context, _ string) (*Entry, error) { return nil, ctx.Err() }

func (cancelledStore) Set(ctx context.Context, _ string, _ *Entry, _ time.Duration) error {
	return ctx.Err()
}

func (cancelledStore) Delete(ctx context.Context, _ string) error { return ctx.Err() }
