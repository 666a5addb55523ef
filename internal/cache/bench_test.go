package cache

import (
	"context"
	"strings"
	"testing"
	"time"
)

func benchmarkHit(b *testing.B, s Store, body int) {
	c := New(s, Options{})
	ctx := context.Background()
	e := sampleEntry(strings.Repeat("<p>some text</p>", body/16))
	e.Header.Set("Cache-Control", "max-age=3600")
	load := func(context.Context, *Entry) (*Entry, error) {
		cp := *e
		return &cp, nil
	}
	if _, res, err := c.Get(ctx, "bench", Directive{}, load); res != Miss || err != nil {
		b.Fatalf("first Get = %s, %v", res, err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, res, err := c.Get(ctx, "bench", Directive{}, load); res != Hit || err != nil {
				b.Errorf("Get = %s, %v", res, err)
				return
			}
		}
	})
}

func BenchmarkGetHitMemory(b *testing.B) {
	benchmarkHit(b, NewMemory(0), 16<<10)
}

func BenchmarkGetHitRedis16K(b *testing.B) {
	c, prefix := sharedRedis(b)
	benchmarkHit(b, NewRedis(c, prefix, time.Second), 16<<10)
}

func BenchmarkGetHitRedis256K(b *testing.B) {
	c, prefix := sharedRedis(b)
	benchmarkHit(b, NewRedis(c, prefix, time.Second), 256<<10)
}

func BenchmarkKey(b *testing.B) {
	u := mustParse(b, "https://Example.com:443/a/%7euser/page?q=%61b#frag")
	b.ReportAllocs()
	for b.Loop() {
		Key(u, "markdown", "en")
	}
}
