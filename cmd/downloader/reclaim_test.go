package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"downloader/internal/redistest"
)

// TestKilledInstanceTasksAreReclaimed runs two real instances on one Redis,
// kills one with SIGKILL in the middle of a 100-URL batch, and checks that
// the other finishes the batch with exactly one result per URL.
func TestKilledInstanceTasksAreReclaimed(t *testing.T) {
	if testing.Short() {
		t.Skip("starts two instances and a redis-server")
	}
	addr, _ := redistest.Private(t)
	var mu sync.Mutex
	hits := map[string]int{}
	var origins []string
	for i := 0; i < 10; i++ {
		o := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hits[r.Host+r.URL.Path]++
			mu.Unlock()
			time.Sleep(700 * time.Millisecond)
			w.Write([]byte("ok " + r.URL.Path))
		}))
		defer o.Close()
		origins = append(origins, o.URL)
	}
	env := []string{"DOWNLOADER_REDIS_URL=redis://" + addr + "/0", "DOWNLOADER_RATELIMIT=off",
		"DOWNLOADER_VISIBILITY_TIMEOUT=2s", "DOWNLOADER_CACHE=false"}
	a, baseA, _ := start(t, env...)
	_, baseB, _ := start(t, env...)

	var urls []string
	for i := 0; i < 100; i++ {
		urls = append(urls, fmt.Sprintf(`"%s/u%d"`, origins[i%10], i))
	}
	st, h, body := postJSON(t, baseA+"/batch",
		`{"urls": [`+strings.Join(urls, ",")+`], "concurrency": 100}`)
	if st != 202 {
		t.Fatalf("submit: %d %s", st, body)
	}
	time.Sleep(300 * time.Millisecond) // both instances hold tasks now
	if err := a.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}

	var job map[string]any
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		_, _, b := fetchURL(t, baseB+h.Get("Location"))
		json.Unmarshal([]byte(b), &job)
		if job["status"] == "completed" {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if job["status"] != "completed" || job["succeeded"] != float64(100) {
		t.Fatalf("job on the surviving instance: %v", job)
	}
	_, _, b := fetchURL(t, baseB+h.Get("Location")+"/results?limit=1000")
	var page struct {
		Results []struct {
			ID      string `json:"id"`
			Success bool   `json:"success"`
		} `json:"results"`
	}
	if err := json.Unmarshal([]byte(b), &page); err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, r := range page.Results {
		seen[r.ID]++
		if !r.Success {
			t.Errorf("result %s failed", r.ID)
		}
	}
	if len(page.Results) != 100 || len(seen) != 100 {
		t.Fatalf("%d results for %d ids, want exactly 100 of each", len(page.Results), len(seen))
	}
	mu.Lock()
	defer mu.Unlock()
	var refetched int
	for _, n := range hits {
		if n > 1 {
			refetched++
		}
	}
	t.Logf("100 URLs, %d fetched twice (reclaimed from the killed instance)", refetched)
}
