package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"downloader/internal/redistest"
)

func TestRedisOutage(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, "body of "+r.URL.Path)
	}))
	defer origin.Close()
	addr, stop := redistest.Private(t)
	svc, _ := wired(t, map[string]string{
		"DOWNLOADER_SSRF_ALLOW": "127.0.0.1/32", "DOWNLOADER_REDIS_URL": "redis://" + addr + "/0",
		"DOWNLOADER_RATELIMIT_TIERS": "download=5/m",
	})
	fetchURL(t, svc.URL+"/"+origin.URL+"/a")
	if st, h, _ := fetchURL(t, svc.URL+"/"+origin.URL+"/a"); st != 200 || h.Get("X-Cache") != "HIT" {
		t.Fatalf("shared cache: %d %q", st, h.Get("X-Cache"))
	}
	st, _, body := postJSON(t, svc.URL+"/batch", `{"urls": ["`+origin.URL+`/b"]}`)
	if st != 202 {
		t.Fatalf("batch with Redis up: %d %s", st, body)
	}

	stop()
	// Single downloads go on (as cache misses), limits hold locally,
	// batches are refused, readiness reports the loss without failing.
	for i := 0; i < 3; i++ {
		st, h, body := fetchURL(t, svc.URL+"/"+origin.URL+"/c")
		if st != 200 || body != "body of /c" {
			t.Fatalf("download %d during the outage: %d %s", i, st, body)
		}
		if h.Get("RateLimit-Limit") != "5" {
			t.Errorf("limit headers during the outage: %v", h)
		}
	}
	if st, _, _ := fetchURL(t, svc.URL+"/"+origin.URL+"/c"); st != 429 {
		t.Errorf("6th download in the minute: %d, want 429 enforced locally", st)
	}
	st, _, body = postJSON(t, svc.URL+"/batch", `{"urls": ["`+origin.URL+`/b"]}`)
	if st != 503 || !strings.Contains(body, "service_unavailable") {
		t.Errorf("batch during the outage: %d %s", st, body)
	}
	st, _, body = fetchURL(t, svc.URL+"/ready")
	if st != 200 || !strings.Contains(body, "degraded") {
		t.Errorf("ready during the outage: %d %s", st, body)
	}
}

func postJSON(t *testing.T, url, body string) (int, http.Header, string) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}
