package fetch

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"downloader/internal/problem"
)

func TestBreaker(t *testing.T) {
	var calls counter
	var healthy atomic.Bool
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		calls.inc()
		if !healthy.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	})
	var mu sync.Mutex
	var changes []string
	c, _ := newTestClient(t, Options{BreakerFailures: 3, BreakerCooldown: 50 * time.Millisecond,
		Retries: -1,
		OnBreakerChange: func(host, from, to string) {
			mu.Lock()
			changes = append(changes, from+">"+to)
			mu.Unlock()
		}})
	u := mustURL(t, srv.URL)
	key := hostKey(u)
	for i := 1; i <= 3; i++ {
		_, _, err := get(t, c, &Request{URL: u})
		wantProblem(t, err, problem.UpstreamHTTP)
	}
	if st := c.breakers.state(key); st != "open" {
		t.Fatalf("breaker %q after 3 failures; want open", st)
	}
	for range 5 {
		_, _, err := get(t, c, &Request{URL: u})
		p := wantProblem(t, err, problem.UpstreamUnreachable)
		if !strings.Contains(p.Detail, "circuit open") {
			t.Errorf("detail %q", p.Detail)
		}
	}
	if calls.get() != 3 {
		t.Fatalf("server saw %d requests; want 3 (open breaker fails fast)", calls.get())
	}

	// after the cooldown one probe goes through and closes the breaker
	healthy.Store(true)
	deadline := time.Now().Add(2 * time.Second)
	for c.breakers.state(key) == "open" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if _, _, err := get(t, c, &Request{URL: u}); err != nil {
		t.Fatalf("probe: %v", err)
	}
	if st := c.breakers.state(key); st != "closed" || calls.get() != 4 {
		t.Errorf("breaker %q, %d requests; want closed and 4", st, calls.get())
	}
	mu.Lock()
	defer mu.Unlock()
	if got := strings.Join(changes, ","); got != "closed>open,open>half-open,half-open>closed" {
		t.Errorf("state changes %s", got)
	}
}

func TestBreakerIgnores4xxAndBlocked(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNotFound)
	})
	blocked := func(context.Context, string, string) (net.Conn, error) {
		return nil, problem.New(problem.URLBlocked, "internal address")
	}
	tests := []struct {
		name string
		url  string
		dial func(context.Context, string, string) (net.Conn, error)
		want problem.Type
	}{
		{"404s", srv.URL, nil, problem.UpstreamHTTP},
		{"blocked", "http://blocked.test:81/", blocked, problem.URLBlocked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, Options{BreakerFailures: 2, DialContext: tt.dial})
			for range 5 {
				_, _, err := get(t, c, &Request{URL: mustURL(t, tt.url)})
				wantProblem(t, err, tt.want)
			}
			if st := c.breakers.state(hostKey(mustURL(t, tt.url))); st != "closed" {
				t.Errorf("breaker %q; want closed", st)
			}
		})
	}
}

func TestBreakerMapBounded(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	o := Options{BreakerMaxHosts: 3, BreakerCooldown: time.Second,
		Now: func() time.Time { return now }}.withDefaults()
	b := newBreakers(o)
	for i := range 10 {
		done, err := b.allow(fmt.Sprintf("h%d:80", i))
		if err != nil {
			t.Fatal(err)
		}
		done(nil)
		now = now.Add(time.Millisecond)
		if b.size() > 3 {
			t.Fatalf("%d breakers kept; want at most 3", b.size())
		}
	}
	if b.state("h9:80") == "" || b.state("h0:80") != "" {
		t.Errorf("eviction kept the wrong hosts")
	}
	// idle hosts go all at once
	now = now.Add(time.Hour)
	b.allow("fresh:80")
	if b.size() != 1 {
		t.Errorf("%d breakers after the idle sweep; want 1", b.size())
	}
}

func TestHTTP2OverTLS(t *testing.T) {
	var proto atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter,
		r *http.Request) {
		proto.Store(r.Proto)
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte("over h2"))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(srv.Certificate())
	c, _ := newTestClient(t, Options{TLSConfig: &tls.Config{RootCAs: roots}})
	_, body, err := get(t, c, &Request{URL: mustURL(t, srv.URL)})
	if err != nil || string(body) != "over h2" {
		t.Fatalf("got %q, %v", body, err)
	}
	if p := proto.Load(); p != "HTTP/2.0" {
		t.Errorf("proto %v; want HTTP/2.0", p)
	}
}

func TestTLSFailureIsUnreachable(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	c, _ := newTestClient(t, Options{Retries: -1}) // system roots: the test CA is unknown
	_, err := c.Do(context.Background(), &Request{URL: mustURL(t, srv.URL)})
	p := wantProblem(t, err, problem.UpstreamUnreachable)
	var certErr *tls.CertificateVerificationError
	if !errors.As(p, &certErr) {
		t.Errorf("cause %v; want a certificate error", p.Err)
	}
}

func TestConnectionReuse(t *testing.T) {
	page := []byte(strings.Repeat("r", 4096))
	tests := []struct {
		name   string
		coding string
		body   []byte
	}{
		{"identity", "", page},
		{"gzip", "gzip", gzipEnc(t, page)},
		{"zstd", "zstd", zstdEnc(t, page)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var conns atomic.Int32
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter,
				r *http.Request) {
				if tt.coding != "" {
					w.Header().Set("Content-Encoding", tt.coding)
				}
				w.Write(tt.body)
			}))
			srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
				if s == http.StateNew {
					conns.Add(1)
				}
			}
			srv.Start()
			t.Cleanup(srv.Close)
			c, _ := newTestClient(t, Options{})
			for range 20 {
				_, body, err := get(t, c, &Request{URL: mustURL(t, srv.URL)})
				if err != nil || len(body) != len(page) {
					t.Fatalf("%d bytes, %v", len(body), err)
				}
			}
			if n := conns.Load(); n != 1 {
				t.Errorf("%d connections for 20 sequential requests; want 1", n)
			}
		})
	}
}

func TestBreakerIgnoresPlain500(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	c, _ := newTestClient(t, Options{BreakerFailures: 2})
	u := mustURL(t, srv.URL)
	for range 5 {
		_, _, err := get(t, c, &Request{URL: u})
		p := wantProblem(t, err, problem.UpstreamHTTP)
		if p.UpstreamStatus != 500 {
			t.Fatalf("upstream status %d, want 500", p.UpstreamStatus)
		}
	}
	if st := c.breakers.state(hostKey(u)); st != "closed" {
		t.Fatalf("breaker %q after plain 500s; want closed", st)
	}
}
