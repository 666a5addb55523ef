package load

import (
	"context"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	var lat []time.Duration
	for i := 1; i <= 100; i++ {
		lat = append(lat, ms(i))
	}
	tests := []struct {
		name string
		in   []time.Duration
		p    float64
		want float64
	}{
		{name: "empty", in: nil, p: 99, want: 0},
		{name: "p50", in: lat, p: 50, want: 50},
		{name: "p99", in: lat, p: 99, want: 99},
		{name: "max", in: lat, p: 100, want: 100},
		{name: "one", in: []time.Duration{ms(7)}, p: 99, want: 7},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Percentile(tt.in, tt.p); got != tt.want {
				t.Errorf("Percentile = %v, want %v", got, tt.want)
			}
		})
	}
}

// server answers 200, or 500 on /fail, and counts requests.
func server(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if r.URL.Path == "/fail" {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		if r.URL.Path == "/bad" {
			http.Error(w, "bad", http.StatusBadRequest)
			return
		}
		_, _ = w.Write([]byte("hello"))
	}))
	t.Cleanup(ts.Close)
	return ts, &n
}

func TestClosed(t *testing.T) {
	ts, n := server(t)
	c := NewClient(4)
	t.Cleanup(c.CloseIdleConnections)
	next := func(i int) Request {
		switch i % 4 {
		case 0:
			return Request{URL: ts.URL + "/fail"}
		case 1:
			return Request{URL: ts.URL + "/bad", Want: http.StatusBadRequest}
		}
		return Request{URL: ts.URL + "/ok"}
	}
	r := Closed(context.Background(), c, 4, 10*time.Second, 200, next)
	if r.Requests != 200 || n.Load() != 200 {
		t.Fatalf("requests %d, server saw %d, want 200", r.Requests, n.Load())
	}
	if r.Errors != 50 {
		t.Errorf("errors %d, want 50 (the /fail quarter)", r.Errors)
	}
	if r.Codes[500] != 50 || r.Codes[400] != 50 || r.Codes[200] != 100 {
		t.Errorf("codes %v", r.Codes)
	}
	if r.RPS <= 0 || r.P99 <= 0 || r.P50 > r.P99 {
		t.Errorf("rps %v p50 %v p99 %v", r.RPS, r.P50, r.P99)
	}
}

func TestRate(t *testing.T) {
	ts, n := server(t)
	next := Mix(1, []Weighted{
		{Weight: 1, Pick: func(*rand.Rand) Request { return Request{URL: ts.URL + "/ok"} }},
		{Weight: 1, Pick: func(*rand.Rand) Request { return Request{URL: ts.URL + "/fail"} }},
	})
	r := Rate(context.Background(), 200, 500*time.Millisecond, 8, next)
	if r.Requests < 90 || r.Requests > 110 {
		t.Errorf("requests %d, want about 100 (200/s for 0.5 s)", r.Requests)
	}
	if int64(r.Requests) != n.Load() {
		t.Errorf("results %d, server saw %d", r.Requests, n.Load())
	}
	if r.Errors == 0 || r.Errors == r.Requests {
		t.Errorf("errors %d of %d: the mix should fail about half", r.Errors, r.Requests)
	}
	if r.Codes[500] != r.Errors {
		t.Errorf("codes %v, errors %d", r.Codes, r.Errors)
	}
}
