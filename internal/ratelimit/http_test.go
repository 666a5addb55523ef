package ratelimit

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"downloader/internal/problem"
)

func classify(r *http.Request) string {
	switch r.URL.Path {
	case "/health":
		return ""
	case "/batch":
		return ClassBatch
	}
	return ClassDownload
}

func writeProblem(w http.ResponseWriter, _ *http.Request, err error) {
	problem.Write(w, "rid", err)
}

// newServer runs the middleware over a loopback server whose /batch handler
// spends the URL budget given in the "n" query parameter.
func newServer(t *testing.T, l Limiter, tiers Tiers, opts ...Option) *httptest.Server {
	t.Helper()
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/batch" {
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			if _, err := Spend(r.Context(), ClassBatchURLs, n); err != nil {
				writeProblem(w, r, err)
				return
			}
		}
		w.WriteHeader(http.StatusNoContent)
	})
	identify := func(r *http.Request) string {
		if c := r.Header.Get("X-Client"); c != "" {
			return "key:" + c
		}
		return "ip:" + ClientIP(r, nil).String()
	}
	srv := httptest.NewServer(Middleware(l, tiers, classify, identify, writeProblem, opts...)(h))
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string, header ...string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}

func TestMiddleware(t *testing.T) {
	clk := newClock()
	tiers := Tiers{
		ClassDownload:  {Limit: 2, Period: time.Minute},
		ClassBatch:     {Limit: 5, Period: time.Minute},
		ClassBatchURLs: {Limit: 10, Period: time.Minute},
	}
	var refused []string
	srv := newServer(t, NewMemory(clk.Now), tiers,
		OnRefuse(func(c string) { refused = append(refused, c) }))

	for i, wantRemaining := range []string{"1", "0"} {
		res := get(t, srv.URL+"/x")
		if res.StatusCode != http.StatusNoContent {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
		for _, h := range []string{"RateLimit-", "X-RateLimit-"} {
			if res.Header.Get(h+"Limit") != "2" ||
				res.Header.Get(h+"Remaining") != wantRemaining ||
				res.Header.Get(h+"Reset") != "60" {
				t.Fatalf("request %d headers: %v", i, res.Header)
			}
		}
	}
	clk.Add(20*time.Second + 500*time.Millisecond)
	res := get(t, srv.URL+"/x")
	var body problem.Body
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode != http.StatusTooManyRequests || body.ErrorType != problem.RateLimited ||
		res.Header.Get("Retry-After") != "40" || res.Header.Get("RateLimit-Reset") != "40" {
		t.Fatalf("refusal: %d %+v %v", res.StatusCode, body, res.Header)
	}
	if len(refused) != 1 || refused[0] != ClassDownload {
		t.Fatalf("OnRefuse saw %v", refused)
	}

	// another client, and an unlimited route, are unaffected
	if res := get(t, srv.URL+"/x", "X-Client", "other"); res.StatusCode != http.StatusNoContent {
		t.Fatalf("other client: %d", res.StatusCode)
	}
	res = get(t, srv.URL+"/health")
	if res.StatusCode != http.StatusNoContent || res.Header.Get("RateLimit-Limit") != "" {
		t.Fatalf("unlimited route: %d %v", res.StatusCode, res.Header)
	}
}

func TestSpendURLBudget(t *testing.T) {
	clk := newClock()
	tiers := Tiers{ClassBatch: {Limit: 100, Period: time.Minute},
		ClassBatchURLs: {Limit: 100, Period: time.Minute}}
	srv := newServer(t, NewMemory(clk.Now), tiers)
	for i, tc := range []struct {
		n    int
		want int
	}{{40, 204}, {40, 204}, {40, 429}, {20, 204}, {1, 429}, {101, 429}} {
		if res := get(t, srv.URL+"/batch?n="+strconv.Itoa(tc.n)); res.StatusCode != tc.want {
			t.Fatalf("batch %d of %d URLs: %d, want %d", i, tc.n, res.StatusCode, tc.want)
		}
	}
	// without the middleware, Spend admits
	if d, err := Spend(context.Background(), ClassBatchURLs, 1e6); err != nil || !d.Allowed {
		t.Fatalf("Spend without budget: %+v %v", d, err)
	}
}

func TestMiddlewarePlansAndErrors(t *testing.T) {
	plans := Plans{Base: Tiers{ClassDownload: {Limit: 1, Period: time.Minute}}}
	tier := func(r *http.Request) string { return r.Header.Get("X-Tier") }
	srv := newServer(t, NewMemory(nil), nil, WithPlans(plans, tier))
	get(t, srv.URL+"/x")
	if res := get(t, srv.URL+"/x"); res.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("base tier second request: %d", res.StatusCode)
	}
	for range 5 {
		if res := get(t, srv.URL+"/x", "X-Tier", "unlimited"); res.StatusCode != 204 {
			t.Fatalf("unlimited tier: %d", res.StatusCode)
		}
	}
	if res := get(t, srv.URL+"/x", "X-Tier", "x3", "X-Client", "c"); res.StatusCode != 204 ||
		res.Header.Get("RateLimit-Limit") != "3" {
		t.Fatalf("x3 tier: %d %v", res.StatusCode, res.Header)
	}

	var limiterErrs int
	srv = newServer(t, &failing{}, Tiers{ClassDownload: {Limit: 1, Period: time.Minute}},
		OnLimiterError(func(_ *http.Request, err error) {
			if err == nil {
				t.Error("OnLimiterError called with nil")
			}
			limiterErrs++
		}))
	for range 3 {
		if res := get(t, srv.URL+"/x"); res.StatusCode != http.StatusNoContent {
			t.Fatalf("failing limiter refused: %d", res.StatusCode)
		}
	}
	if limiterErrs != 3 {
		t.Fatalf("limiter errors seen %d, want 3", limiterErrs)
	}
}

func TestHeadersRounding(t *testing.T) {
	h := http.Header{}
	Headers(h, Decision{Limit: 5, Remaining: -1, Reset: 1001 * time.Millisecond})
	if h.Get("RateLimit-Reset") != "2" || h.Get("X-RateLimit-Remaining") != "0" {
		t.Fatalf("headers %v", h)
	}
	Headers(h, Decision{Limit: 5, Remaining: 5})
	if h.Get("RateLimit-Reset") != "0" {
		t.Fatalf("headers %v", h)
	}
}

func TestHeadersShareNothing(t *testing.T) {
	h := http.Header{}
	Headers(h, Decision{Limit: 5, Remaining: 4, Reset: time.Second})
	h.Add("RateLimit-Limit", "x")
	if got := h.Values("X-RateLimit-Limit"); len(got) != 1 || got[0] != "5" {
		t.Fatalf("X-RateLimit-Limit = %v after an Add to its twin", got)
	}
	if http.CanonicalHeaderKey("RateLimit-Remaining") != "Ratelimit-Remaining" {
		t.Fatal("header keys are not canonical")
	}
}

func TestHeadersResetOnRefusalIsRetryAfter(t *testing.T) {
	h := http.Header{}
	Headers(h, Decision{Limit: 60, Remaining: 0, Reset: 60 * time.Second,
		RetryAfter: 2500 * time.Millisecond})
	if h.Get("RateLimit-Reset") != "3" || h.Get("X-RateLimit-Reset") != "3" {
		t.Fatalf("refused: reset %q, want the 3 s until a retry may pass", h.Get("RateLimit-Reset"))
	}
}
