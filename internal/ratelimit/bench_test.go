package ratelimit

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func BenchmarkAllow(b *testing.B) {
	rule := Rule{Limit: 1 << 30, Period: time.Minute}
	for bname, mk := range backends() {
		b.Run(bname+"/one-key-at-limit", func(b *testing.B) {
			l := mk(b, nil)
			ctx := context.Background()
			for b.Loop() {
				_, _ = l.Allow(ctx, "k", Rule{Limit: 60, Period: time.Minute}, 1)
			}
		})
		b.Run(bname+"/many-keys-parallel", func(b *testing.B) {
			l := mk(b, nil)
			keys := make([]string, 1024)
			for i := range keys {
				keys[i] = "k" + strconv.Itoa(i)
			}
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					_, _ = l.Allow(context.Background(), keys[i%len(keys)], rule, 1)
					i++
				}
			})
		})
	}
}

// BenchmarkRedisPing is the round-trip floor the Redis limiter is measured
// against on the same machine.
func BenchmarkRedisPing(b *testing.B) {
	c, _ := sharedRedis(b)
	ctx := context.Background()
	for b.Loop() {
		_ = c.Ping(ctx).Err()
	}
}

// BenchmarkMiddleware is the cost the middleware adds to a request with the
// memory limiter, many clients, no network.
func BenchmarkMiddleware(b *testing.B) {
	tiers := Tiers{ClassDownload: {Limit: 1 << 30, Period: time.Minute}}
	h := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	identify := func(r *http.Request) string { return "ip:" + r.RemoteAddr }
	mw := Middleware(NewMemory(nil), tiers, func(*http.Request) string { return ClassDownload },
		identify, func(http.ResponseWriter, *http.Request, error) {})(h)
	reqs := make([]*http.Request, 256)
	for i := range reqs {
		reqs[i] = httptest.NewRequest("GET", "/x", nil)
		reqs[i].RemoteAddr = "192.0.2." + strconv.Itoa(i) + ":1"
	}
	i := 0
	for b.Loop() {
		mw.ServeHTTP(httptest.NewRecorder(), reqs[i%len(reqs)])
		i++
	}
}
