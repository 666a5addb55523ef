package fetch

import (
	"bufio"
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"downloader/internal/problem"
)

// stall blocks a handler until its request ends or the test does.
func stall(t *testing.T) func(r *http.Request) {
	t.Helper()
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return func(r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-done:
		}
	}
}

func TestTimeouts(t *testing.T) {
	wait := stall(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/headers":
			wait(r)
		case "/stalled-body":
			w.Header().Set("Content-Type", "text/plain")
			w.Write([]byte(strings.Repeat("a", 100)))
			w.(http.Flusher).Flush()
			wait(r)
		case "/slow-body":
			for range 10 {
				w.Write([]byte(strings.Repeat("b", 100)))
				w.(http.Flusher).Flush()
				time.Sleep(20 * time.Millisecond)
			}
		}
	})
	blockingDial := func(ctx context.Context, _, _ string) (net.Conn, error) {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	tests := []struct {
		name       string
		path       string
		opts       Options
		wantDoErr  problem.Type
		wantReadEr problem.Type
		wantLen    int
	}{
		{name: "connect timeout", path: "/", opts: Options{DialContext: blockingDial,
			ConnectTimeout: 50 * time.Millisecond, Retries: -1},
			wantDoErr: problem.UpstreamTimeout},
		{name: "header timeout", path: "/headers",
			opts:      Options{HeaderTimeout: 50 * time.Millisecond},
			wantDoErr: problem.UpstreamTimeout},
		{name: "total timeout cuts a stalled body", path: "/stalled-body",
			opts: Options{Timeout: 150 * time.Millisecond}, wantReadEr: problem.UpstreamTimeout},
		{name: "slow but progressing body", path: "/slow-body",
			opts:    Options{Timeout: 5 * time.Second, HeaderTimeout: time.Second},
			wantLen: 1000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, tt.opts)
			start := time.Now()
			r, err := c.Do(context.Background(), &Request{URL: mustURL(t, srv.URL+tt.path)})
			if tt.wantDoErr != "" {
				wantProblem(t, err, tt.wantDoErr)
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("took %s to time out", d)
				}
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			body, err := ReadAll(r)
			if tt.wantReadEr != "" {
				wantProblem(t, err, tt.wantReadEr)
				return
			}
			if err != nil || len(body) != tt.wantLen {
				t.Fatalf("ReadAll: %d bytes, %v; want %d", len(body), err, tt.wantLen)
			}
		})
	}
}

func TestConnectTimeoutIsRetried(t *testing.T) {
	var dials counter
	c, s := newTestClient(t, Options{ConnectTimeout: 20 * time.Millisecond,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			dials.inc()
			<-ctx.Done()
			return nil, ctx.Err()
		}})
	_, err := c.Do(context.Background(), &Request{URL: mustURL(t, "http://127.0.0.1:9/")})
	wantProblem(t, err, problem.UpstreamTimeout)
	if dials.get() != 3 || len(s.got()) != 2 {
		t.Errorf("%d dials, %d waits; want 3 and 2", dials.get(), len(s.got()))
	}
}

func TestClientCancel(t *testing.T) {
	wait := stall(t)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/body" {
			w.Write([]byte(strings.Repeat("x", 100)))
			w.(http.Flusher).Flush()
		}
		wait(r)
	})
	c, _ := newTestClient(t, Options{})
	t.Run("before headers", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(30*time.Millisecond, cancel)
		_, err := c.Do(ctx, &Request{URL: mustURL(t, srv.URL)})
		var p *problem.Error
		if !errors.Is(err, context.Canceled) || errors.As(err, &p) {
			t.Fatalf("err %v; want a wrapped context.Canceled, no problem", err)
		}
	})
	t.Run("during the body", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		r, err := c.Do(ctx, &Request{URL: mustURL(t, srv.URL+"/body")})
		if err != nil {
			t.Fatalf("Do: %v", err)
		}
		time.AfterFunc(30*time.Millisecond, cancel)
		_, err = ReadAll(r)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v; want a wrapped context.Canceled", err)
		}
	})
}

func TestResetMidBody(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Errorf("hijack: %v", err)
			return
		}
		defer conn.Close()
		writeRaw(buf, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"+
			"Content-Length: 1000\r\n\r\n"+strings.Repeat("y", 100))
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.SetLinger(0) // a real RST
		}
	})
	c, _ := newTestClient(t, Options{})
	r, err := c.Do(context.Background(), &Request{URL: mustURL(t, srv.URL)})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	_, err = ReadAll(r)
	wantProblem(t, err, problem.UpstreamUnreachable)
}

func writeRaw(w *bufio.ReadWriter, s string) {
	w.WriteString(s)
	w.Flush()
}
