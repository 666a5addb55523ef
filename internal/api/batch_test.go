package api_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"downloader/internal/api"
	"downloader/internal/download"
	"downloader/internal/fetch"
	"downloader/internal/jobs"
	"downloader/internal/netguard"
)

// newBatchService starts the API with an in-memory job manager over the
// real pipeline.
func newBatchService(t *testing.T) *httptest.Server {
	t.Helper()
	guard := &netguard.Guard{
		Policy: netguard.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
	}
	fc := fetch.New(fetch.Options{DialContext: guard.DialContext, Timeout: 5 * time.Second})
	t.Cleanup(fc.CloseIdleConnections)
	svc := &download.Service{Fetch: fc, MaxBody: 1 << 20, MaxRawBody: 1 << 20}
	mgr := jobs.NewManager(jobs.NewMemoryStore(), jobs.NewMemoryQueue(),
		api.BatchFetcher(svc, 1<<20, 5*time.Second), jobs.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	if err := mgr.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		stop, done := context.WithTimeout(context.Background(), 5*time.Second)
		defer done()
		_ = mgr.Close(stop)
	})
	s := api.New(api.Deps{Download: svc, Batches: api.Batches{Manager: mgr,
		Limits: jobs.DefaultLimits()}}, api.Options{MaxTimeout: 10 * time.Second, MaxBody: 1 << 20})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

func post(t *testing.T, url, body string, hdr ...string) answer {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, b}
}

func TestBatchWaitAndPoll(t *testing.T) {
	svc := newBatchService(t)
	org, _ := origin(t)
	body := fmt.Sprintf(`{"urls": ["%[1]s/article", {"url": "%[1]s/gone", "id": "g"},
		{"url": "%[1]s/json", "id": "j", "format": "json"}, "ftp://x.example/"],
		"default_format": "text"}`, org.URL)

	a := post(t, svc.URL+"/batch", body, "Prefer", "wait=10")
	if a.status != 200 || a.header.Get("Preference-Applied") != "wait=10" {
		t.Fatalf("Prefer: wait: %d %v %s", a.status, a.header, a.body)
	}
	var done struct {
		Status  string         `json:"status"`
		Results []jobs.Result  `json:"results"`
		Summary map[string]any `json:"summary"`
	}
	if err := json.Unmarshal(a.body, &done); err != nil {
		t.Fatal(err)
	}
	if done.Status != "completed" || len(done.Results) != 4 {
		t.Fatalf("job %s with %d results: %s", done.Status, len(done.Results), a.body)
	}
	byID := map[string]jobs.Result{}
	for _, r := range done.Results {
		byID[r.ID] = r
	}
	if r := byID["0"]; !r.Success || !strings.Contains(r.Content, "analytical engine") ||
		r.ContentEncoding != "utf-8" {
		t.Errorf("article result: %+v", r)
	}
	if r := byID["g"]; r.Success || r.ErrorType != "upstream_http_error" || r.StatusCode != 410 {
		t.Errorf("gone result: %+v", r)
	}
	if r := byID["j"]; !r.Success || !strings.Contains(r.Content, `"content":"{\"a\":1}"`) {
		t.Errorf("json result: %+v", r)
	}
	if r := byID["3"]; r.Success || r.ErrorType != "validation_error" {
		t.Errorf("ftp result: %+v", r)
	}

	// The same job by polling, and paginated results.
	a = post(t, svc.URL+"/batch", body)
	if a.status != 202 || !strings.HasPrefix(a.header.Get("Location"), "/jobs/") {
		t.Fatalf("202: %d %v", a.status, a.header)
	}
	loc := svc.URL + a.header.Get("Location")
	var job map[string]any
	for i := 0; i < 100; i++ {
		json.Unmarshal(do(t, "GET", loc).body, &job)
		if job["status"] == "completed" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if job["status"] != "completed" || job["progress"] != float64(100) {
		t.Fatalf("job after polling: %v", job)
	}
	page := do(t, "GET", loc+"/results?offset=1&limit=2")
	var rp struct {
		Results []jobs.Result `json:"results"`
		Summary struct {
			Total int `json:"total"`
		} `json:"summary"`
	}
	json.Unmarshal(page.body, &rp)
	if len(rp.Results) != 2 || rp.Summary.Total != 4 {
		t.Errorf("page: %s", page.body)
	}
	if a := do(t, "GET", svc.URL+"/jobs/nope"); a.status != 404 {
		t.Errorf("unknown job: %d", a.status)
	}
}

func TestBatchNDJSON(t *testing.T) {
	svc := newBatchService(t)
	org, _ := origin(t)
	body := fmt.Sprintf(`{"urls": ["%[1]s/article", "%[1]s/csv", "%[1]s/boom"]}`, org.URL)
	req, _ := http.NewRequest("POST", svc.URL+"/batch", strings.NewReader(body))
	req.Header.Set("Accept", "application/x-ndjson")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Fatalf("content type %q", ct)
	}
	var lines []map[string]any
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("line %q: %v", sc.Text(), err)
		}
		lines = append(lines, m)
	}
	if len(lines) != 4 {
		t.Fatalf("%d lines, want 3 results and a summary", len(lines))
	}
	if _, ok := lines[3]["summary"]; !ok {
		t.Errorf("last line is not the summary: %v", lines[3])
	}
}

func TestBatchCancel(t *testing.T) {
	svc := newBatchService(t)
	org, _ := origin(t)
	urls := make([]string, 5)
	for i := range urls {
		urls[i] = fmt.Sprintf(`"%s/slow?%d"`, org.URL, i)
	}
	a := post(t, svc.URL+"/batch", `{"urls": [`+strings.Join(urls, ",")+`]}`)
	if a.status != 202 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	loc := svc.URL + a.header.Get("Location")
	time.Sleep(200 * time.Millisecond)
	del := do(t, "DELETE", loc)
	if del.status != 200 || !bytes.Contains(del.body, []byte(`"cancelled"`)) {
		t.Fatalf("cancel: %d %s", del.status, del.body)
	}
}

func TestBatchBadBodies(t *testing.T) {
	svc := newBatchService(t)
	many := make([]string, 101)
	for i := range many {
		many[i] = fmt.Sprintf(`"http://a.example/%d"`, i)
	}
	tests := []struct {
		name, body string
		status     int
		errType    string
	}{
		{"invalid json", `{"urls": [`, 400, "validation_error"},
		{"wrong type", `{"urls": "http://a.example/"}`, 400, "validation_error"},
		{"no urls", `{"urls": []}`, 400, "validation_error"},
		{"101 urls", `{"urls": [` + strings.Join(many, ",") + `]}`, 400, "validation_error"},
		{"unknown field", `{"urls": ["http://a.example/"], "colour": 1}`, 400, "validation_error"},
		{"duplicate ids", `{"urls": [{"url": "http://a.example/", "id": "x"},
			{"url": "http://b.example/", "id": "x"}]}`, 400, "validation_error"},
		{"10 MB", `{"urls": ["http://a.example/` + strings.Repeat("a", 10<<20) + `"]}`, 413,
			"payload_too_large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := post(t, svc.URL+"/batch", tt.body)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if p := problemOf(t, a); p["error_type"] != tt.errType {
				t.Errorf("error_type %v, want %s", p["error_type"], tt.errType)
			}
		})
	}
}
