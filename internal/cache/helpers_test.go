package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"downloader/internal/problem"
	"downloader/internal/redistest"
	"downloader/internal/testclock"
)

// sharedRedis connects to the shared Redis under a fresh key prefix.
func sharedRedis(t testing.TB) (*redis.Client, string) {
	t.Helper()
	if os.Getenv("DOWNLOADER_SKIP_REDIS") != "" {
		t.Skip("DOWNLOADER_SKIP_REDIS is set")
	}
	return redistest.Shared(t, "cache")
}

func randomHex(t testing.TB) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// privateRedis starts a redis-server of the test's own.
func privateRedis(t testing.TB) (addr string, stop func()) {
	t.Helper()
	return redistest.Private(t)
}

// storeCase builds one Store implementation for tests run on both.
type storeCase struct {
	name string
	make func(t *testing.T) Store
}

func storeCases() []storeCase {
	return []storeCase{
		{name: "memory", make: func(*testing.T) Store { return NewMemory(1 << 20) }},
		{name: "redis", make: func(t *testing.T) Store {
			c, prefix := sharedRedis(t)
			return NewRedis(c, prefix, 5*time.Second) // no timeouts on a loaded machine
		}},
	}
}

// origin is a loopback upstream whose answers a test controls. It honours
// If-None-Match and If-Modified-Since against its current validators.
type origin struct {
	srv *httptest.Server

	mu           sync.Mutex
	body         string
	header       http.Header
	status       int
	down         bool
	requests     int
	ifNoneMatch  []string
	ifModSince   []string
	notModifieds int
}

func newOrigin(t *testing.T) *origin {
	t.Helper()
	o := &origin{body: "v1", status: 200, header: http.Header{}}
	o.srv = httptest.NewServer(http.HandlerFunc(o.serve))
	t.Cleanup(o.srv.Close)
	return o
}

func (o *origin) set(status int, body string, kv ...string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.status, o.body, o.header = status, body, http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		o.header.Add(kv[i], kv[i+1])
	}
}

func (o *origin) setDown(down bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down = down
}

func (o *origin) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.requests
}

func (o *origin) serve(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.requests++
	o.ifNoneMatch = append(o.ifNoneMatch, r.Header.Get("If-None-Match"))
	o.ifModSince = append(o.ifModSince, r.Header.Get("If-Modified-Since"))
	if o.down {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	for k, vs := range o.header {
		w.Header()[k] = vs
	}
	if o.notModified(r) {
		o.notModifieds++
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(o.status)
	io.WriteString(w, o.body)
}

func (o *origin) notModified(r *http.Request) bool {
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		return inm == o.header.Get("ETag")
	}
	ims := r.Header.Get("If-Modified-Since")
	return ims != "" && ims == o.header.Get("Last-Modified")
}

// loader fetches from the origin, conditionally when given a stale entry,
// the way the service's fetcher does; upstream 5xx and transport failures
// become problems. calls counts its invocations.
func (o *origin) loader(calls *atomic.Int64) Loader {
	return func(ctx context.Context, stale *Entry) (*Entry, error) {
		if calls != nil {
			calls.Add(1)
		}
		return fetch(ctx, o.srv.Client(), o.srv.URL+"/page", stale)
	}
}

func fetch(ctx context.Context, hc *http.Client, u string, stale *Entry) (*Entry, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if stale != nil {
		req.Header = stale.Conditional()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, upstreamErr(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, upstreamErr(err)
	}
	if resp.StatusCode >= 500 {
		return nil, upstreamStatusErr(resp.StatusCode)
	}
	return &Entry{
		URL: u, FinalURL: u, Status: resp.StatusCode, Header: resp.Header,
		ContentType: mediaType(resp.Header.Get("Content-Type")), Body: body,
		NotModified: resp.StatusCode == http.StatusNotModified,
	}, nil
}

func upstreamErr(err error) error {
	return problem.Wrap(problem.UpstreamUnreachable, fmt.Errorf("fetch: %w", err),
		"the upstream is unreachable")
}

func upstreamStatusErr(status int) error {
	p := problem.New(problem.UpstreamHTTP, "the upstream answered %d", status)
	p.UpstreamStatus = status
	return p
}

// clock is the tests' clock, moved by hand.
type clock = testclock.Clock

func newClock() *clock { return testclock.New(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) }
