package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"downloader/internal/config"
	"downloader/internal/jobs"
	"downloader/internal/testlog"
)

// wired builds the whole service in-process, as serve does.
func wired(t *testing.T, env map[string]string) (*httptest.Server, *testlog.Buffer) {
	t.Helper()
	var c config.Config
	fs := newFlags(&c, "test")
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if err := config.ApplyEnv(fs, func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	logs := &testlog.Buffer{}
	log := slog.New(slog.NewJSONHandler(logs, nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := build(ctx, &c, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(a.handler)
	t.Cleanup(func() {
		ts.Close()
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = a.stop(stop)
		a.close()
		cancel()
	})
	return ts, logs
}

func fetchURL(t *testing.T, url string, hdr ...string) (int, http.Header, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// metric returns the value of the series whose line starts with prefix.
func metric(t *testing.T, scrape, prefix string) float64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(scrape))
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, prefix) {
			f, err := strconv.ParseFloat(line[strings.LastIndexByte(line, ' ')+1:], 64)
			if err != nil {
				t.Fatal(err)
			}
			return f
		}
	}
	t.Fatalf("no series %s in the scrape", prefix)
	return 0
}

func TestMetricsMoveWithRealRequests(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			time.Sleep(time.Second)
		}
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "hello")
	}))
	defer origin.Close()
	svc, logs := wired(t, map[string]string{
		"DOWNLOADER_SSRF_ALLOW": "127.0.0.1/32", "DOWNLOADER_RATELIMIT": "off",
		"DOWNLOADER_REDIS_URL": "",
	})

	fetchURL(t, svc.URL+"/"+origin.URL+"/page")
	if st, h, _ := fetchURL(t, svc.URL+"/"+origin.URL+"/page"); st != 200 || h.Get("X-Cache") != "HIT" {
		t.Fatalf("second request: %d %s", st, h.Get("X-Cache"))
	}
	if st, _, _ := fetchURL(t, svc.URL+"/"+origin.URL+"/slow", "X-Timeout", "0.2"); st != 504 {
		t.Fatalf("timeout: %d", st)
	}
	if st, _, _ := fetchURL(t, svc.URL+"/http://10.1.2.3/"); st != 403 {
		t.Fatalf("ssrf: %d", st)
	}
	_, _, scrape := fetchURL(t, svc.URL+"/metrics")

	checks := []struct {
		prefix string
		want   float64
	}{
		{`downloader_cache_requests_total{result="hit"}`, 1},
		{`downloader_cache_requests_total{result="miss"}`, 1},
		{`downloader_ssrf_refusals_total{reason="private"}`, 1},
		{`downloader_upstream_requests_total{error_type="upstream_timeout"}`, 1},
		{`downloader_http_requests_total{class="download",error_type="upstream_timeout",` +
			`method="GET",status="504"}`, 1},
		{`downloader_http_requests_total{class="download",error_type="url_blocked",method="GET",status="403"}`, 1},
		{`downloader_http_requests_total{class="download",error_type="",method="GET",status="200"}`, 2},
	}
	for _, c := range checks {
		if got := metric(t, scrape, c.prefix); got != c.want {
			t.Errorf("%s = %v, want %v", c.prefix, got, c.want)
		}
	}
	if metric(t, scrape, `downloader_http_request_own_duration_seconds_count{class="download"}`) < 4 {
		t.Error("own-time histogram did not move")
	}

	// The access log: one line per request with every field, no secrets.
	var seen int
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "request" {
			continue
		}
		seen++
		for _, k := range []string{"request_id", "client", "route_class", "status", "bytes",
			"duration_ms", "upstream_ms", "cache", "error_type", "method", "path"} {
			if _, ok := rec[k]; !ok {
				t.Errorf("access line lacks %s: %s", k, line)
			}
		}
	}
	if seen < 5 {
		t.Errorf("%d access lines, want one per request", seen)
	}
}

func TestAccessLogKeepsSecretsOut(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer origin.Close()
	svc, logs := wired(t, map[string]string{
		"DOWNLOADER_SSRF_ALLOW": "127.0.0.1/32", "DOWNLOADER_API_KEYS": "alice:s3cr3t-key",
		"DOWNLOADER_REDIS_URL": "",
	})
	target := strings.Replace(origin.URL, "http://", "http://user:passw0rd@", 1)
	st, _, body := fetchURL(t, svc.URL+"/"+target+"/p?token=t0ken", "X-API-Key", "s3cr3t-key")
	if st != 200 {
		t.Fatalf("status %d: %s", st, body)
	}
	fetchURL(t, svc.URL+"/"+origin.URL+"/p", "Authorization", "Bearer wrong-k3y")
	encoded := url.QueryEscape(target + "/q?secret=enc0ded")
	if st, _, b := fetchURL(t, svc.URL+"/"+encoded, "X-API-Key", "s3cr3t-key"); st != 200 {
		t.Fatalf("encoded target: %d %s", st, b)
	}
	time.Sleep(300 * time.Millisecond) // the log is flushed on a timer
	out := logs.String()
	for _, secret := range []string{"s3cr3t-key", "passw0rd", "t0ken", "wrong-k3y", "enc0ded"} {
		if strings.Contains(out, secret) {
			t.Errorf("log holds %q:\n%s", secret, out)
		}
	}
	if !regexp.MustCompile(`"client":"key:alice"`).MatchString(out) {
		t.Errorf("log lacks the key name as client:\n%s", out)
	}
}

func TestLimitsKeysAndQuotas(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	}))
	defer origin.Close()
	keys := t.TempDir() + "/keys.yaml"
	if err := os.WriteFile(keys, []byte(`- name: alice
  key: alice-key
- name: quota
  key: quota-key
  quota_day: 2
  tier: unlimited
`), 0o600); err != nil {
		t.Fatal(err)
	}
	svc, _ := wired(t, map[string]string{
		"DOWNLOADER_SSRF_ALLOW": "127.0.0.1/32", "DOWNLOADER_REDIS_URL": "",
		"DOWNLOADER_RATELIMIT_TIERS": "download=3/m", "DOWNLOADER_API_KEYS_FILE": keys,
	})
	target := svc.URL + "/" + origin.URL + "/p"

	if st, _, _ := fetchURL(t, target); st != 401 {
		t.Errorf("no key: %d", st)
	}
	for i := 1; i <= 3; i++ {
		st, h, body := fetchURL(t, target, "X-API-Key", "alice-key")
		if st != 200 || h.Get("RateLimit-Remaining") != strconv.Itoa(3-i) {
			t.Fatalf("request %d: %d %v %s", i, st, h, body)
		}
	}
	st, h, body := fetchURL(t, target, "Authorization", "Bearer alice-key")
	if st != 429 || h.Get("Retry-After") == "" || !strings.Contains(body, "rate_limit_exceeded") {
		t.Fatalf("request 4: %d %v %s", st, h, body)
	}
	for i := 0; i < 5; i++ {
		if st, _, _ := fetchURL(t, svc.URL+"/health"); st != 200 {
			t.Fatalf("/health is limited: %d", st)
		}
	}

	// An unlimited tier skips rate limits; its daily quota of 2 still holds.
	for i := 1; i <= 2; i++ {
		if st, _, b := fetchURL(t, target, "X-API-Key", "quota-key"); st != 200 {
			t.Fatalf("quota request %d: %d %s", i, st, b)
		}
	}
	st, h, body = fetchURL(t, target, "X-API-Key", "quota-key")
	if st != 429 || !strings.Contains(body, "quota_exceeded") || h.Get("Retry-After") == "" {
		t.Fatalf("over quota: %d %v %s", st, h, body)
	}
	st, _, body = fetchURL(t, svc.URL+"/usage", "X-API-Key", "quota-key")
	if st != 200 || !strings.Contains(body, `"key":"quota"`) || strings.Contains(body, "alice") {
		t.Fatalf("usage: %d %s", st, body)
	}

	// A batch's URLs count in its key's usage.
	req, _ := http.NewRequest("POST", svc.URL+"/batch",
		strings.NewReader(`{"urls": ["`+origin.URL+`/1", "`+origin.URL+`/2"]}`))
	req.Header.Set("X-API-Key", "alice-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 202 {
		t.Fatalf("batch: %v %v", resp, err)
	}
	resp.Body.Close()
	_, _, body = fetchURL(t, svc.URL+"/usage", "X-API-Key", "alice-key")
	if !strings.Contains(body, `"urls":2`) {
		t.Errorf("usage after a 2-URL batch: %s", body)
	}
}

func TestBatchCallbackIsSignedAndGuarded(t *testing.T) {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(20 * time.Millisecond) // a job that takes measurable time
		io.WriteString(w, "ok")
	}))
	defer origin.Close()
	got := make(chan *http.Request, 4)
	bodies := make(chan []byte, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got <- r
		bodies <- b
	}))
	defer receiver.Close()
	svc, _ := wired(t, map[string]string{
		"DOWNLOADER_SSRF_ALLOW": "127.0.0.1/32", "DOWNLOADER_REDIS_URL": "",
		"DOWNLOADER_CALLBACK_SECRET": "default-secret",
	})
	st, _, body := postJSON(t, svc.URL+"/batch", `{"urls": ["`+origin.URL+`/a"],
		"callback_url": "`+receiver.URL+`/cb"}`)
	if st != 202 {
		t.Fatalf("submit: %d %s", st, body)
	}
	select {
	case r := <-got:
		b := <-bodies
		sig := r.Header.Get(jobs.SignatureHeader)
		if err := jobs.Verify("default-secret", sig, b, time.Now(), time.Minute); err != nil {
			t.Errorf("signature %q: %v", sig, err)
		}
		if !strings.Contains(string(b), `"completed"`) {
			t.Errorf("callback body %s", b)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback")
	}
	_, _, scrape := fetchURL(t, svc.URL+"/metrics")
	if metric(t, scrape, `downloader_batch_jobs_total{status="completed"}`) != 1 ||
		metric(t, scrape, "downloader_batch_job_duration_seconds_sum") <= 0 {
		t.Errorf("batch metrics did not move:\n%s", scrape)
	}

	// A callback to an internal address is refused by the same policy,
	// before the job is created.
	st, _, body = postJSON(t, svc.URL+"/batch", `{"urls": ["`+origin.URL+`/b"],
		"callback_url": "http://10.0.0.1/cb"}`)
	if st != 403 || !strings.Contains(body, "url_blocked") {
		t.Fatalf("blocked callback: %d %s", st, body)
	}
	st, _, body = postJSON(t, svc.URL+"/batch", `{"urls": ["`+origin.URL+`/b"],
		"callback_url": "ftp://cb.example/"}`)
	if st != 400 || !strings.Contains(body, "validation_error") {
		t.Fatalf("ftp callback: %d %s", st, body)
	}
}
