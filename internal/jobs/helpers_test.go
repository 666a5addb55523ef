package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"downloader/internal/problem"
	"downloader/internal/testclock"
)

// origin is a loopback upstream that counts hits and concurrent requests.
type origin struct {
	*httptest.Server
	mu      sync.Mutex
	hits    map[string]int
	cur     atomic.Int64
	peak    atomic.Int64
	started atomic.Int64
}

// newOrigin starts an origin whose handler h runs after the bookkeeping;
// shared, when set, also counts concurrency across origins.
func newOrigin(t *testing.T, shared *gauge, h http.HandlerFunc) *origin {
	t.Helper()
	o := &origin{hits: make(map[string]int)}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		o.mu.Lock()
		o.hits[r.URL.Path]++
		o.mu.Unlock()
		o.started.Add(1)
		n := o.cur.Add(1)
		defer o.cur.Add(-1)
		raise(&o.peak, n)
		if shared != nil {
			shared.enter()
			defer shared.leave()
		}
		h(w, r)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *origin) hitsOf(path string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.hits[path]
}

func raise(peak *atomic.Int64, n int64) {
	for {
		p := peak.Load()
		if n <= p || peak.CompareAndSwap(p, n) {
			return
		}
	}
}

// gauge tracks a peak of concurrent requests over several origins.
type gauge struct{ cur, peak atomic.Int64 }

func (g *gauge) enter() { raise(&g.peak, g.cur.Add(1)) }
func (g *gauge) leave() { g.cur.Add(-1) }

// delayed answers "ok <path>" after d, or gives up when the client does.
func delayed(d time.Duration) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(d):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintf(w, "ok %s", r.URL.Path)
	}
}

// httpFetcher is a small real pipeline: a GET on loopback with the task's
// ctx, failures classified as the service does.
func httpFetcher(t *testing.T) Fetcher {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: 200}
	t.Cleanup(tr.CloseIdleConnections)
	client := &http.Client{Transport: tr}
	return func(ctx context.Context, task Task) Result {
		u, err := url.Parse(task.Entry.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Result{ErrorType: string(problem.Validation), Error: "invalid URL"}
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
		if err != nil {
			return Result{ErrorType: string(problem.Validation), Error: err.Error()}
		}
		resp, err := client.Do(req)
		if err != nil {
			return transportFailure(ctx, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return transportFailure(ctx, err)
		}
		r := Result{
			FinalURL: resp.Request.URL.String(), StatusCode: resp.StatusCode,
			ContentType: resp.Header.Get("Content-Type"), Size: int64(len(body)),
		}
		if resp.StatusCode >= 400 {
			r.ErrorType, r.Error = string(problem.UpstreamHTTP), resp.Status
			return r
		}
		r.Success, r.Content, r.ContentEncoding = true, string(body), "utf-8"
		return r
	}
}

func transportFailure(ctx context.Context, err error) Result {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return Result{ErrorType: string(problem.UpstreamTimeout), Error: "timeout"}
	}
	return Result{ErrorType: string(problem.UpstreamUnreachable), Error: err.Error()}
}

// backend builds a store and a queue for one "instance".
type backend struct {
	name  string
	store func(t *testing.T) Store
	// queue returns a queue for a consumer; instances of one test share
	// the store's data.
	queue func(t *testing.T, consumer string, vis time.Duration) Queue
}

// backends returns the memory and the Redis back end; each call of the
// Redis one in a test uses the same fresh key prefix.
func backends(t *testing.T) []backend {
	t.Helper()
	mem := NewMemoryStore()
	memQ := NewMemoryQueue()
	rdb, prefix := testRedis(t)
	return []backend{
		{
			name:  "memory",
			store: func(*testing.T) Store { return mem },
			queue: func(*testing.T, string, time.Duration) Queue { return memQ },
		},
		{
			name:  "redis",
			store: func(*testing.T) Store { return NewRedisStore(rdb, prefix) },
			queue: func(_ *testing.T, consumer string, vis time.Duration) Queue {
				return NewRedisQueue(rdb, RedisQueueOptions{
					Prefix: prefix, Consumer: consumer, VisibilityTimeout: vis,
					Block: 200 * time.Millisecond,
				})
			},
		},
	}
}

// testRedis connects to the shared Redis with a fresh prefix whose keys
// are deleted at the end of the test.
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "test:jobs:" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, prefix+"*", 100).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
		_ = rdb.Close()
	})
	return rdb, prefix
}

// startManager starts a Manager stopped gracefully at the end of the test.
func startManager(t *testing.T, s Store, q Queue, f Fetcher, o Options) *Manager {
	t.Helper()
	if o.Poll == 0 {
		o.Poll = 50 * time.Millisecond
	}
	m := NewManager(s, q, f, o)
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		_ = m.Close(cctx)
		cancel()
	})
	return m
}

// urls builds n entries whose URL comes from at(i).
func urls(n int, at func(i int) string) []Entry {
	es := make([]Entry, n)
	for i := range es {
		es[i] = Entry{ID: fmt.Sprint(i), URL: at(i)}
	}
	return es
}

func spec(es []Entry, concurrency int) *Spec {
	return &Spec{Entries: es, DefaultFormat: "raw", Concurrency: concurrency}
}

// waitJob waits at most d for the job to end.
func waitJob(t *testing.T, m *Manager, id string, d time.Duration) *Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	j, err := m.Wait(ctx, id)
	if err != nil {
		t.Fatalf("Wait: %v (job %+v)", err, j)
	}
	return j
}

// eventually polls cond every 10ms for at most d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// allResults reads every result of a job.
func allResults(t *testing.T, m *Manager, id, owner string) ([]Result, Summary) {
	t.Helper()
	rs, sum, _, err := m.Results(context.Background(), id, owner, 0, 0)
	if err != nil {
		t.Fatalf("Results: %v", err)
	}
	return rs, sum
}

// fakeClock is a settable clock.
type fakeClock = testclock.Clock
