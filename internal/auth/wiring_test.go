package auth

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"downloader/internal/problem"
	"downloader/internal/ratelimit"
)

// TestWiring runs the chain doc.go describes: auth, rate limits by key and
// tier, quotas, handler.
func TestWiring(t *testing.T) {
	clk := newClock()
	basic := NewKey("basic", "basic-secret")
	basic.QuotaDay = 3
	vip := NewKey("vip", "vip-secret")
	vip.Tier = ratelimit.TierUnlimited
	ring := NewKeyring([]Key{basic, vip})

	onError := func(w http.ResponseWriter, _ *http.Request, err error) {
		problem.Write(w, "rid", err)
	}
	classify := func(r *http.Request) string {
		if r.URL.Path == "/health" {
			return ""
		}
		return ratelimit.ClassDownload
	}
	plans := ratelimit.Plans{Base: ratelimit.Tiers{
		ratelimit.ClassDownload: {Limit: 2, Period: time.Minute}}}
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	chain := Middleware(ring, func(r *http.Request) bool { return r.URL.Path == "/health" },
		onError, WithClientIP(func(r *http.Request) netip.Addr {
			return ratelimit.ClientIP(r, trusted)
		}))(ratelimit.Middleware(ratelimit.NewMemory(clk.Now), plans.Base, classify,
		ClientID, onError, ratelimit.WithPlans(plans, Tier))(
		QuotaMiddleware(NewMemoryUsage(clk.Now), onError, QuotaClock(clk.Now))(h)))
	srv := httptest.NewServer(chain)
	t.Cleanup(srv.Close)

	do := func(key string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", srv.URL+"/x", nil)
		if key != "" {
			req.Header.Set("X-API-Key", key)
		}
		req.Header.Set("X-Forwarded-For", "198.51.100.1")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var body problem.Body
		_ = json.NewDecoder(res.Body).Decode(&body)
		return res.Status[:3] + string(body.ErrorType)
	}
	steps := []struct {
		key, want string
		after     time.Duration
	}{
		{"", "401authentication_required", 0},
		{"basic-secret", "204", 0},
		{"basic-secret", "204", 0},
		{"basic-secret", "429rate_limit_exceeded", 0}, // 2 per minute
		{"basic-secret", "204", time.Minute},
		{"basic-secret", "429quota_exceeded", time.Minute}, // 3 per day
		{"vip-secret", "204", 0},
		{"vip-secret", "204", 0},
		{"vip-secret", "204", 0},
	}
	for i, s := range steps {
		clk.Add(s.after)
		if got := do(s.key); got != s.want {
			t.Fatalf("step %d (%q): %s, want %s", i, s.key, got, s.want)
		}
	}
}
