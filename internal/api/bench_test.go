package api_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"downloader/internal/api"
	"downloader/internal/cache"
	"downloader/internal/download"
	"downloader/internal/fetch"
	"downloader/internal/netguard"
)

// BenchmarkCacheHit measures the handler's own cost of a cache hit for a
// 10 KB body, access log on (to io.Discard), without the network.
func BenchmarkCacheHit(b *testing.B) {
	body := strings.Repeat("x", 10<<10)
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=3600")
		io.WriteString(w, body)
	}))
	defer origin.Close()
	guard := &netguard.Guard{
		Policy: netguard.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
	}
	svc := &download.Service{
		Fetch:   fetch.New(fetch.Options{DialContext: guard.DialContext}),
		MaxBody: 1 << 20, MaxRawBody: 1 << 20, CacheMaxEntry: 1 << 20,
		Cache: cache.New(cache.NewMemory(16<<20), cache.Options{MaxEntryBytes: 1 << 20}),
	}
	h := api.New(api.Deps{Download: svc, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))},
		api.Options{AccessLog: true, MaxTimeout: time.Minute, MaxBody: 1 << 20}).Handler()
	target := "/" + origin.URL + "/x"
	warm := httptest.NewRecorder()
	h.ServeHTTP(warm, httptest.NewRequest("GET", target, nil))
	if warm.Code != 200 {
		b.Fatalf("warm: %d", warm.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, httptest.NewRequest("GET", target, nil))
			if w.Code != 200 || w.Header().Get("X-Cache") != "HIT" {
				b.Fatalf("hit: %d %s", w.Code, w.Header().Get("X-Cache"))
			}
		}
	})
}
