package metrics

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// feedHour replays an hour of traffic, one minute at a time, ending at the
// clock's now: 100 requests a minute of which 3 answer 500, a latency bump
// mid-hour, cache, batch and Redis activity.
func feedHour(m *Metrics, clock *fakeClock) {
	clock.Add(-59 * time.Minute)
	for minute := range 60 {
		for i := range 100 {
			status, errType := 200, ""
			if i < 3 {
				status, errType = 500, "internal_error"
			}
			own := ms(1 + i%5)
			if minute >= 25 && minute < 35 {
				own = ms(20 + i)
			}
			m.Request("download", "GET", status, errType, ms(200+i*5), own, 1000)
		}
		m.RawTTFB(ms(3 + minute%4))
		for i := range 10 {
			if i < 4 {
				m.Cache("HIT")
			} else {
				m.Cache("MISS")
			}
		}
		m.JobDone("completed", time.Second)
		if minute%20 == 0 {
			m.JobDone("failed", time.Second)
		}
		m.StoreOp("cache", "redis", "get", time.Duration(300+minute*5)*time.Microsecond, nil)
		if minute < 59 {
			clock.Add(time.Minute)
		}
	}
}

func chromium(t *testing.T) string {
	t.Helper()
	path, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("chromium is not installed (apt-get install chromium)")
	}
	return path
}

// runChromium runs headless Chromium on url with extra flags and returns its
// standard output.
func runChromium(t *testing.T, bin, url string, extra ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + t.TempDir(),
		"--virtual-time-budget=5000"}, extra...)
	cmd := exec.CommandContext(ctx, bin, append(args, url)...)
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", extra, err, stderr.String())
	}
	return stdout.String()
}

func TestStatusPageInChromium(t *testing.T) {
	bin := chromium(t)
	m, clock := newTestMetrics(t)
	feedHour(m, clock)
	mux := http.NewServeMux()
	mux.Handle("GET /status", m.StatusHandler())
	mux.Handle("GET /status.json", m.StatusJSONHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	dom := runChromium(t, bin, srv.URL+"/status", "--dump-dom")
	figures := []struct{ key, want string }{
		{"availability", "97.00%"},
		{"error_rate", "3.00%"},
		{"cache_hit_rate", "40.00%"},
		{"batch_success", "95.24%"}, // 60 completed, 3 failed
		{"throughput_per_second", "1.67 req/s"},
	}
	for _, f := range figures {
		re := regexp.MustCompile(`id="value-` + f.key + `"[^>]*>([^<]*)<`)
		got := re.FindStringSubmatch(dom)
		if got == nil || got[1] != f.want {
			t.Errorf("%s shows %v, want %q", f.key, got, f.want)
		}
	}
	charts := regexp.MustCompile(`<svg[^>]*data-points="(\d+)"`).FindAllStringSubmatch(dom, -1)
	if len(charts) != 13 {
		t.Errorf("%d charts drawn, want 13", len(charts))
	}
	for _, c := range charts {
		// Batch URL success is the one figure feedHour leaves without data.
		if empty := c[1] == "0"; empty != strings.Contains(c[0], "chart-batch_url_success") {
			t.Errorf("chart with %s points: %s", c[1], c[0])
		}
	}
	if !strings.Contains(dom, `class="card bad"`) || !strings.Contains(dom, `class="card ok"`) {
		t.Errorf("cards are not marked against their targets")
	}
	if strings.Contains(dom, "loading…") {
		t.Errorf("the page never rendered status.json")
	}

	shot := filepath.Join(t.ArtifactDir(), "status.png")
	runChromium(t, bin, srv.URL+"/status", "--screenshot="+shot, "--window-size=1280,1000",
		"--hide-scrollbars")
	info, err := os.Stat(shot)
	if err != nil || info.Size() < 10_000 {
		t.Fatalf("screenshot %s: %v (%v bytes)", shot, err, info)
	}
	t.Logf("screenshot: %s (%d bytes)", shot, info.Size())
}
