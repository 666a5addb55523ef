package fetch

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"downloader/internal/problem"
)

func TestUpstreamStatus(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		retryAfter string
		okAfter    int // answer 200 from this request on (0: never)
		opts       Options
		wantStatus int // the problem's HTTP status; 0 for success
		wantCalls  int
		wantWaits  []time.Duration
		wantRA     time.Duration
	}{
		{name: "404 mirrored", status: 404, wantStatus: 404, wantCalls: 1},
		{name: "410 mirrored", status: 410, wantStatus: 410, wantCalls: 1},
		{name: "500 is a 502, not retried", status: 500, wantStatus: 502, wantCalls: 1},
		{name: "403 is a 502", status: 403, wantStatus: 502, wantCalls: 1},
		{name: "429 retried twice", status: 429, wantStatus: 502, wantCalls: 3},
		{name: "503 with Retry-After seconds", status: 503, retryAfter: "2",
			wantStatus: 502, wantCalls: 3, wantWaits: []time.Duration{2 * time.Second,
				2 * time.Second}, wantRA: 2 * time.Second},
		{name: "503 then 200", status: 503, okAfter: 2, wantCalls: 2},
		{name: "502 retries disabled", status: 502, opts: Options{Retries: -1},
			wantStatus: 502, wantCalls: 1},
		{name: "504 five retries", status: 504, opts: Options{Retries: 5, BreakerFailures: 10},
			wantStatus: 502, wantCalls: 6},
		{name: "Retry-After over the cap gives up", status: 503, retryAfter: "60",
			wantStatus: 502, wantCalls: 1, wantRA: time.Minute},
		{name: "Retry-After past the timeout gives up", status: 429, retryAfter: "3",
			opts:       Options{Timeout: 2 * time.Second, RetryMaxDelay: time.Minute},
			wantStatus: 502, wantCalls: 1, wantRA: 3 * time.Second},
		{name: "Retry-After as an HTTP date", status: 503,
			retryAfter: time.Now().Add(90 * time.Second).UTC().Format(http.TimeFormat),
			opts:       Options{RetryMaxDelay: time.Minute},
			wantStatus: 502, wantCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls counter
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				n := calls.inc()
				if tt.okAfter > 0 && n >= tt.okAfter {
					w.Write([]byte("ok"))
					return
				}
				if tt.retryAfter != "" {
					w.Header().Set("Retry-After", tt.retryAfter)
				}
				w.WriteHeader(tt.status)
				w.Write([]byte("error page"))
			})
			var hooked int
			tt.opts.OnRetry = func(string, int, time.Duration, error) { hooked++ }
			c, s := newTestClient(t, tt.opts)
			_, body, err := get(t, c, &Request{URL: mustURL(t, srv.URL)})
			if calls.get() != tt.wantCalls || hooked != tt.wantCalls-1 {
				t.Errorf("server saw %d requests, OnRetry %d; want %d", calls.get(), hooked,
					tt.wantCalls)
			}
			if tt.wantWaits != nil && !equalDurations(s.got(), tt.wantWaits) {
				t.Errorf("waits %v; want %v", s.got(), tt.wantWaits)
			}
			if tt.wantStatus == 0 {
				if err != nil || string(body) != "ok" {
					t.Fatalf("got %q, %v; want ok", body, err)
				}
				return
			}
			p := wantProblem(t, err, problem.UpstreamHTTP)
			if p.HTTPStatus() != tt.wantStatus || p.UpstreamStatus != tt.status {
				t.Errorf("status %d upstream %d; want %d %d", p.HTTPStatus(),
					p.UpstreamStatus, tt.wantStatus, tt.status)
			}
			if tt.wantRA != 0 && p.RetryAfter != tt.wantRA {
				t.Errorf("RetryAfter %s; want %s", p.RetryAfter, tt.wantRA)
			}
		})
	}
}

func equalDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestBackoffJitter(t *testing.T) {
	base, maxDelay := 100*time.Millisecond, time.Second
	for n := 1; n <= 6; n++ {
		ceil := min(base<<(n-1), maxDelay)
		var sum time.Duration
		const runs = 2000
		for range runs {
			d := backoff(n, base, maxDelay)
			if d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %s outside [0, %s]", n, d, ceil)
			}
			sum += d
		}
		// full jitter: the mean is about half the ceiling
		if mean := sum / runs; mean < ceil*4/10 || mean > ceil*6/10 {
			t.Errorf("backoff(%d) mean %s; want about %s", n, mean, ceil/2)
		}
	}
}

func TestRetryAfterParse(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name string
		v    string
		want time.Duration
		ok   bool
	}{
		{"seconds", "7", 7 * time.Second, true},
		{"zero", "0", 0, true},
		{"negative", "-1", 0, false},
		{"date", now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second, true},
		{"past date", now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"garbage", "soon", 0, false},
		{"empty", "", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := retryAfter(tt.v, now)
			if got != tt.want || ok != tt.ok {
				t.Errorf("retryAfter(%q) = %s, %v; want %s, %v", tt.v, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestConnectionFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closedPort := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	refused := "http://127.0.0.1:" + strconv.Itoa(closedPort) + "/"
	tests := []struct {
		name      string
		url       string
		dial      func(ctx context.Context, network, addr string) (net.Conn, error)
		wantType  problem.Type
		wantDials int
	}{
		{name: "refused is retried", url: refused, wantType: problem.UpstreamUnreachable,
			wantDials: 3},
		{name: "blocked passes through, not retried", url: "http://10.1.2.3/",
			wantType: problem.URLBlocked, wantDials: 1},
		{name: "permanent DNS failure not retried", url: "http://nx.invalid/",
			dial: func(context.Context, string, string) (net.Conn, error) {
				return nil, problem.Wrap(problem.UpstreamUnreachable,
					&net.DNSError{Err: "no such host", Name: "nx.invalid", IsNotFound: true},
					"the host name does not resolve")
			},
			wantType: problem.UpstreamUnreachable, wantDials: 1},
		{name: "temporary DNS failure retried", url: "http://tmp.invalid/",
			dial: func(context.Context, string, string) (net.Conn, error) {
				return nil, &net.DNSError{Err: "server misbehaving", IsTemporary: true}
			},
			wantType: problem.UpstreamUnreachable, wantDials: 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var dials counter
			dial := tt.dial
			if dial == nil {
				dial = loopbackDial
			}
			c, _ := newTestClient(t, Options{DialContext: func(ctx context.Context,
				network, addr string) (net.Conn, error) {
				dials.inc()
				return dial(ctx, network, addr)
			}})
			_, err := c.Do(context.Background(), &Request{URL: mustURL(t, tt.url)})
			wantProblem(t, err, tt.wantType)
			if dials.get() != tt.wantDials {
				t.Errorf("%d dials; want %d", dials.get(), tt.wantDials)
			}
		})
	}
}

func TestValidation(t *testing.T) {
	c, _ := newTestClient(t, Options{})
	tests := []struct {
		name string
		req  *Request
	}{
		{"nil request", nil},
		{"ftp", &Request{URL: mustURL(t, "ftp://example.test/x")}},
		{"file", &Request{URL: mustURL(t, "file:///etc/passwd")}},
		{"no host", &Request{URL: mustURL(t, "http:///x")}},
		{"POST", &Request{URL: mustURL(t, "http://example.test/"), Method: "POST"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.Do(context.Background(), tt.req)
			wantProblem(t, err, problem.Validation)
		})
	}
}

func TestNotModified(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.WriteHeader(http.StatusNotModified)
	})
	c, _ := newTestClient(t, Options{})
	h := http.Header{"If-None-Match": {`"v1"`}}
	r, _, err := get(t, c, &Request{URL: mustURL(t, srv.URL), Header: h})
	if err != nil || r.StatusCode != http.StatusNotModified {
		t.Fatalf("conditional: %v %v; want a 304 response", r, err)
	}
	_, _, err = get(t, c, &Request{URL: mustURL(t, srv.URL)})
	p := wantProblem(t, err, problem.UpstreamHTTP)
	if p.UpstreamStatus != http.StatusNotModified {
		t.Errorf("upstream status %d", p.UpstreamStatus)
	}
}

func TestHugeHeadersAreContentTooLarge(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i < 40; i++ {
			w.Header().Add("X-Filler", strings.Repeat("a", 1000))
		}
	})
	c, _ := newTestClient(t, Options{MaxHeaderBytes: 16 << 10, Retries: -1})
	_, _, err := get(t, c, &Request{URL: mustURL(t, srv.URL)})
	wantProblem(t, err, problem.ContentTooLarge)
}
