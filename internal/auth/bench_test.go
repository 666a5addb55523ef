package auth

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"
)

func BenchmarkAuthenticate(b *testing.B) {
	for _, n := range []int{10, 1000} {
		b.Run(strconv.Itoa(n)+"-keys", func(b *testing.B) {
			keys := make([]Key, n)
			for i := range keys {
				keys[i] = NewKey("k"+strconv.Itoa(i), "secret-"+strconv.Itoa(i))
			}
			k := NewKeyring(keys)
			r := httptest.NewRequest("GET", "/", nil)
			r.Header.Set("Authorization", "Bearer secret-"+strconv.Itoa(n/2))
			for b.Loop() {
				if _, err := k.Authenticate(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUsage(b *testing.B) {
	for name, mk := range map[string]func(testing.TB) UsageStore{
		"memory": func(testing.TB) UsageStore { return NewMemoryUsage(nil) },
		"redis": func(tb testing.TB) UsageStore {
			c, prefix := sharedRedis(tb)
			s := NewRedisUsage(c, prefix, nil)
			s.Timeout = time.Second
			return s
		},
	} {
		b.Run(name+"/add", func(b *testing.B) {
			s := mk(b)
			ctx := context.Background()
			for b.Loop() {
				_ = s.Add(ctx, "alice", Event{Requests: 1, Class: "download"})
			}
		})
		b.Run(name+"/admit", func(b *testing.B) {
			a := mk(b).(Admitter)
			ctx := context.Background()
			for b.Loop() {
				_, _, _, _ = a.Admit(ctx, "alice", Event{Requests: 1, Class: "download"}, 0, 1e12)
			}
		})
		b.Run(name+"/count", func(b *testing.B) {
			s := mk(b)
			ctx := context.Background()
			_ = s.Add(ctx, "alice", Event{Requests: 1, Class: "download"})
			for b.Loop() {
				_, _, _ = s.Count(ctx, "alice", time.Now())
			}
		})
	}
}
