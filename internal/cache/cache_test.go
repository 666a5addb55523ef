package cache

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"downloader/internal/problem"
)

// env is one cache over one store, an origin and a clock.
type env struct {
	c     *Cache
	clk   *clock
	o     *origin
	calls atomic.Int64
	res   map[Result]int
}

func newEnv(t *testing.T, s Store, opts Options) *env {
	t.Helper()
	e := &env{clk: newClock(), o: newOrigin(t), res: map[Result]int{}}
	opts.Now = e.clk.Now
	opts.Hooks.OnResult = func(r Result) { e.res[r]++ }
	e.c = New(s, opts)
	return e
}

func (e *env) get(t *testing.T, d Directive) (*Entry, Result) {
	t.Helper()
	got, res, err := e.c.Get(context.Background(), "key", d, e.o.loader(&e.calls))
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	return got, res
}

func (e *env) expect(t *testing.T, d Directive, res Result, body string, calls int64) *Entry {
	t.Helper()
	got, r := e.get(t, d)
	if r != res || string(got.Body) != body || e.calls.Load() != calls {
		t.Fatalf("Get = %s %q after %d loads; want %s %q after %d",
			r, got.Body, e.calls.Load(), res, body, calls)
	}
	return got
}

// TestCacheRules runs the request semantics on both stores.
func TestCacheRules(t *testing.T) {
	lastMod := time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC).Format(http.TimeFormat)
	tests := []struct {
		name string
		run  func(t *testing.T, e *env)
	}{
		{name: "miss then hit until stale", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=60")
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(59 * time.Second)
			got := e.expect(t, Directive{}, Hit, "v1", 1)
			if age := got.Age(e.clk.Now()); age != 59*time.Second {
				t.Errorf("Age = %v, want 59s", age)
			}
			e.o.set(200, "v2", "Cache-Control", "max-age=60")
			e.clk.Add(time.Second)
			e.expect(t, Directive{}, Miss, "v2", 2)
			e.expect(t, Directive{}, Hit, "v2", 2)
		}},
		{name: "default ttl when upstream says nothing", run: func(t *testing.T, e *env) {
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(10*time.Minute - time.Second) // text/plain: 10 min
			e.expect(t, Directive{}, Hit, "v1", 1)
			e.clk.Add(time.Second)
			e.expect(t, Directive{}, Miss, "v1", 2)
		}},
		{name: "revalidate with ETag", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=60", "ETag", `"e1"`)
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(2 * time.Minute)
			e.o.set(200, "v1", "Cache-Control", "max-age=120", "ETag", `"e1"`, "X-New", "1")
			got := e.expect(t, Directive{}, Revalidated, "v1", 2)
			if e.o.ifNoneMatch[1] != `"e1"` || e.o.notModifieds != 1 {
				t.Errorf("origin saw If-None-Match %q, %d 304s", e.o.ifNoneMatch, e.o.notModifieds)
			}
			if got.Header.Get("X-New") != "1" || got.Header.Get("Content-Type") == "" {
				t.Errorf("refreshed header = %v", got.Header)
			}
			// the 304's max-age now rules, counted from the revalidation
			e.clk.Add(119 * time.Second)
			e.expect(t, Directive{}, Hit, "v1", 2)
			e.clk.Add(time.Second)
			e.expect(t, Directive{}, Revalidated, "v1", 3)
		}},
		{name: "revalidate with Last-Modified", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=10", "Last-Modified", lastMod)
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(11 * time.Second)
			e.expect(t, Directive{}, Revalidated, "v1", 2)
			if e.o.ifModSince[1] != lastMod || e.o.ifNoneMatch[1] != "" {
				t.Errorf("origin saw If-Modified-Since %q", e.o.ifModSince)
			}
			e.expect(t, Directive{}, Hit, "v1", 2)
		}},
		{name: "changed body replaces the entry", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=10", "ETag", `"e1"`)
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(11 * time.Second)
			e.o.set(200, "v2", "Cache-Control", "max-age=10", "ETag", `"e2"`)
			e.expect(t, Directive{}, Miss, "v2", 2)
			e.expect(t, Directive{}, Hit, "v2", 2)
		}},
		{name: "no-cache response always revalidates", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "no-cache", "ETag", `"e1"`)
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.expect(t, Directive{}, Revalidated, "v1", 2)
			e.expect(t, Directive{}, Revalidated, "v1", 3)
		}},
		{name: "client no-cache revalidates a fresh entry", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=600", "ETag", `"e1"`)
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.expect(t, Directive{NoCache: true}, Revalidated, "v1", 2)
			e.expect(t, Directive{}, Hit, "v1", 2)
		}},
		{name: "client no-cache refetches without validators", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=600")
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.o.set(200, "v2", "Cache-Control", "max-age=600")
			e.expect(t, Directive{NoCache: true}, Miss, "v2", 2)
			e.expect(t, Directive{}, Hit, "v2", 2)
		}},
		{name: "client no-store neither reads nor writes", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=600")
			e.expect(t, Directive{NoStore: true}, Bypass, "v1", 1)
			e.expect(t, Directive{}, Miss, "v1", 2)
			e.o.set(200, "v2", "Cache-Control", "max-age=600")
			e.expect(t, Directive{NoStore: true}, Bypass, "v2", 3)
			got := e.expect(t, Directive{}, Hit, "v1", 3)
			bypassed := e.expect(t, Directive{NoStore: true}, Bypass, "v2", 4)
			if age := bypassed.Age(e.clk.Now()); age != 0 || got.Age(e.clk.Now()) != 0 {
				t.Errorf("Age of a bypassed entry = %v, want 0", age)
			}
			_, _, err := e.c.Get(context.Background(), "key", Directive{NoStore: true},
				func(context.Context, *Entry) (*Entry, error) {
					return &Entry{NotModified: true}, nil
				})
			if problem.TypeOf(err) != problem.Internal {
				t.Errorf("a 304 to a bypass load: %v, want an internal problem", err)
			}
		}},
		{name: "upstream no-store and private are not stored", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "no-store")
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.expect(t, Directive{}, Miss, "v1", 2)
			e.o.set(200, "v1", "Cache-Control", "private, max-age=60")
			e.expect(t, Directive{}, Miss, "v1", 3)
			e.expect(t, Directive{}, Miss, "v1", 4)
		}},
		{name: "a response turned no-store drops the entry", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=10")
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(11 * time.Second)
			e.o.set(200, "v2", "Cache-Control", "no-store")
			e.expect(t, Directive{}, Miss, "v2", 2)
			e.o.setDown(true)
			if _, _, err := e.c.Get(context.Background(), "key", Directive{},
				e.o.loader(&e.calls)); err == nil {
				t.Error("a dropped entry was served")
			}
		}},
		{name: "stale if error", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=10", "ETag", `"e1"`)
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(time.Hour)
			e.o.setDown(true)
			e.expect(t, Directive{}, Stale, "v1", 2)
			// the client that insists on validation gets the error
			_, res, err := e.c.Get(context.Background(), "key", Directive{NoCache: true},
				e.o.loader(&e.calls))
			if p := problem.From(err); err == nil || p.UpstreamStatus != 503 {
				t.Errorf("no-cache while upstream down = %s, %v; want the 503", res, err)
			}
			e.o.setDown(false)
			e.expect(t, Directive{}, Revalidated, "v1", 4)
		}},
		{name: "no stale past StaleKeep", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=10")
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(10*time.Second + time.Hour)
			e.o.setDown(true)
			_, res, err := e.c.Get(context.Background(), "key", Directive{},
				e.o.loader(&e.calls))
			if err == nil || res != Miss {
				t.Errorf("Get past StaleKeep = %s, %v; want MISS and an error", res, err)
			}
		}},
		{name: "no stale under must-revalidate", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=10, must-revalidate")
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(11 * time.Second)
			e.o.setDown(true)
			if _, _, err := e.c.Get(context.Background(), "key", Directive{},
				e.o.loader(&e.calls)); err == nil {
				t.Error("stale entry served despite must-revalidate")
			}
		}},
		{name: "no stale for a cancelled or non-transient error", run: func(t *testing.T, e *env) {
			e.o.set(200, "v1", "Cache-Control", "max-age=10")
			e.expect(t, Directive{}, Miss, "v1", 1)
			e.clk.Add(11 * time.Second)
			for _, want := range []error{
				context.Canceled,
				problem.New(problem.ContentTooLarge, "too large"),
				upstreamStatusErr(404),
			} {
				_, res, err := e.c.Get(context.Background(), "key", Directive{},
					func(context.Context, *Entry) (*Entry, error) { return nil, want })
				if !errors.Is(err, want) || res != Miss {
					t.Errorf("Get with load error %v = %s, %v", want, res, err)
				}
			}
		}},
		{name: "entries over MaxEntryBytes are not stored", run: func(t *testing.T, e *env) {
			e.c.opts.MaxEntryBytes = 2
			e.o.set(200, "big", "Cache-Control", "max-age=60")
			e.expect(t, Directive{}, Miss, "big", 1)
			e.expect(t, Directive{}, Miss, "big", 2)
			e.o.set(200, "ok", "Cache-Control", "max-age=60")
			e.expect(t, Directive{}, Miss, "ok", 3)
			e.expect(t, Directive{}, Hit, "ok", 3)
		}},
		{name: "a 304 to an unconditional load is an error", run: func(t *testing.T, e *env) {
			_, _, err := e.c.Get(context.Background(), "key", Directive{},
				func(context.Context, *Entry) (*Entry, error) {
					return &Entry{NotModified: true}, nil
				})
			if problem.TypeOf(err) != problem.Internal {
				t.Errorf("err = %v, want an internal problem", err)
			}
		}},
		{name: "a panicking loader is an error", run: func(t *testing.T, e *env) {
			_, _, err := e.c.Get(context.Background(), "key", Directive{},
				func(context.Context, *Entry) (*Entry, error) { panic("boom") })
			if problem.TypeOf(err) != problem.Internal {
				t.Errorf("err = %v, want an internal problem", err)
			}
		}},
	}
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) {
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					tt.run(t, newEnv(t, sc.make(t), Options{StaleKeep: time.Hour}))
				})
			}
		})
	}
}
