package fetch

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"downloader/internal/problem"
)

// loopbackDial dials only loopback addresses, as the tests must. Names
// under .test resolve to 127.0.0.1 (an injected resolver).
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if strings.HasSuffix(host, ".test") {
		host = "127.0.0.1"
		addr = net.JoinHostPort(host, port)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, problem.New(problem.URLBlocked, "test dialer: only loopback")
	}
	return (&net.Dialer{}).DialContext(ctx, network, addr)
}

// sleeps records the waits of the injected Sleep without waiting.
type sleeps struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) got() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.waits...)
}

// newTestClient is a client for loopback tests: no real backoff sleeps.
func newTestClient(t *testing.T, o Options) (*Client, *sleeps) {
	t.Helper()
	s := &sleeps{}
	if o.DialContext == nil {
		o.DialContext = loopbackDial
	}
	if o.Sleep == nil {
		o.Sleep = s.sleep
	}
	c := New(o)
	t.Cleanup(c.CloseIdleConnections)
	return c, s
}

func newServer(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func mustURL(t testing.TB, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return u
}

// get fetches raw and reads the whole body.
func get(t *testing.T, c *Client, req *Request) (*Response, []byte, error) {
	t.Helper()
	r, err := c.Do(context.Background(), req)
	if err != nil {
		return nil, nil, err
	}
	b, err := ReadAll(r)
	return r, b, err
}

// wantProblem fails unless err is a *problem.Error of type want.
func wantProblem(t *testing.T, err error, want problem.Type) *problem.Error {
	t.Helper()
	var p *problem.Error
	if !errors.As(err, &p) {
		t.Fatalf("error %v (%T) is no *problem.Error; want %s", err, err, want)
	}
	if p.Type != want {
		t.Fatalf("error type %s (%v); want %s", p.Type, err, want)
	}
	return p
}

// counter counts the requests a handler sees.
type counter struct {
	mu sync.Mutex
	n  int
}

func (c *counter) inc() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	return c.n
}

func (c *counter) get() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}
