package cache

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func sampleEntry(body string) *Entry {
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	return &Entry{
		URL: "https://a.example/x", FinalURL: "https://a.example/y",
		Redirects: []Hop{{URL: "https://a.example/x", Status: 301}},
		Status:    200,
		Header: http.Header{"Etag": {`"v1"`}, "Content-Type": {"text/html"},
			"Set-Cookie": {"a=1", "b=2"}},
		ContentType: "text/html", Charset: "utf-8", Body: []byte(body),
		StoredAt: at, FreshUntil: at.Add(time.Minute),
	}
}

func equalEntries(t *testing.T, got, want *Entry) {
	t.Helper()
	if got == nil {
		t.Fatal("entry is nil")
	}
	switch {
	case got.URL != want.URL, got.FinalURL != want.FinalURL, got.Status != want.Status,
		got.ContentType != want.ContentType, got.Charset != want.Charset,
		!bytes.Equal(got.Body, want.Body), !got.StoredAt.Equal(want.StoredAt),
		!got.FreshUntil.Equal(want.FreshUntil), len(got.Redirects) != len(want.Redirects),
		len(got.Header) != len(want.Header):
		t.Fatalf("entry = %+v, want %+v", got, want)
	}
	for k := range want.Header {
		if strings.Join(got.Header[k], "|") != strings.Join(want.Header[k], "|") {
			t.Errorf("header %s = %q, want %q", k, got.Header[k], want.Header[k])
		}
	}
	if got.Redirects[0] != want.Redirects[0] {
		t.Errorf("redirects = %v, want %v", got.Redirects, want.Redirects)
	}
}

// TestStores runs the Store contract on both back ends.
func TestStores(t *testing.T) {
	ctx := context.Background()
	for _, sc := range storeCases() {
		t.Run(sc.name, func(t *testing.T) {
			s := sc.make(t)
			if e, err := s.Get(ctx, "k"); e != nil || err != nil {
				t.Fatalf("Get on empty store = %v, %v; want nil, nil", e, err)
			}
			want := sampleEntry("<p>hello</p>")
			if err := s.Set(ctx, "k", want, time.Minute); err != nil {
				t.Fatal(err)
			}
			got, err := s.Get(ctx, "k")
			if err != nil {
				t.Fatal(err)
			}
			equalEntries(t, got, want)
			if e, _ := s.Get(ctx, "other"); e != nil {
				t.Errorf("Get(other) = %v, want nil", e)
			}
			if err := s.Delete(ctx, "k"); err != nil {
				t.Fatal(err)
			}
			if e, err := s.Get(ctx, "k"); e != nil || err != nil {
				t.Errorf("Get after Delete = %v, %v; want nil, nil", e, err)
			}
			if err := s.Delete(ctx, "missing"); err != nil {
				t.Errorf("Delete(missing) = %v", err)
			}
		})
	}
}

func TestMemoryEvictsLeastRecentlyUsed(t *testing.T) {
	ctx := context.Background()
	one := sampleEntry(strings.Repeat("x", 1000))
	size := one.size()
	m := NewMemory(3*size + size/2) // room for three
	evicted := 0
	m.OnEvict(func() { evicted++ })
	for _, k := range []string{"a", "b", "c"} {
		m.Set(ctx, k, sampleEntry(strings.Repeat("x", 1000)), time.Hour)
	}
	m.Get(ctx, "a") // a is now more recent than b
	m.Set(ctx, "d", sampleEntry(strings.Repeat("x", 1000)), time.Hour)
	for k, want := range map[string]bool{"a": true, "b": false, "c": true, "d": true} {
		if e, _ := m.Get(ctx, k); (e != nil) != want {
			t.Errorf("present(%s) = %v, want %v", k, e != nil, want)
		}
	}
	if evicted != 1 || m.Len() != 3 {
		t.Errorf("evicted %d, len %d; want 1, 3", evicted, m.Len())
	}
	if m.Bytes() > 3*size+size/2 {
		t.Errorf("Bytes = %d over the cap %d", m.Bytes(), 3*size+size/2)
	}
	// one entry larger than the whole cap is refused and evicts nothing
	m.Set(ctx, "huge", sampleEntry(strings.Repeat("x", 10000)), time.Hour)
	if e, _ := m.Get(ctx, "huge"); e != nil || m.Len() != 3 {
		t.Errorf("huge entry stored (len %d)", m.Len())
	}
	// replacing a key does not count it twice
	before := m.Bytes()
	m.Set(ctx, "a", sampleEntry(strings.Repeat("x", 1000)), time.Hour)
	if m.Bytes() != before {
		t.Errorf("Bytes after replace = %d, want %d", m.Bytes(), before)
	}
}

func TestMemoryEvictsUnderByteCap(t *testing.T) {
	ctx := context.Background()
	const capBytes = 64 << 10
	m := NewMemory(capBytes)
	for i := range 1000 {
		m.Set(ctx, strings.Repeat("k", i%7)+string(rune('a'+i%26))+string(rune(i)),
			sampleEntry(strings.Repeat("y", i%3000)), time.Hour)
		if m.Bytes() > capBytes {
			t.Fatalf("after %d sets Bytes = %d > cap %d", i, m.Bytes(), capBytes)
		}
	}
	if m.Len() == 0 || m.Len() > 100 {
		t.Errorf("Len = %d, want a few dozen entries", m.Len())
	}
}

func TestMemoryExpires(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	m := NewMemory(0)
	m.now = clk.Now
	m.Set(ctx, "k", sampleEntry("b"), time.Minute)
	clk.Add(59 * time.Second)
	if e, _ := m.Get(ctx, "k"); e == nil {
		t.Fatal("entry gone before its keep time")
	}
	clk.Add(time.Second)
	if e, _ := m.Get(ctx, "k"); e != nil || m.Len() != 0 || m.Bytes() != 0 {
		t.Errorf("entry kept past its keep time: len %d bytes %d", m.Len(), m.Bytes())
	}
}

func TestCodecRejectsCorruptValues(t *testing.T) {
	c := newCodec()
	good, err := c.encode(sampleEntry("body"))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := c.dec.DecodeAll(good, nil)
	tests := []struct {
		name  string
		value []byte
	}{
		{name: "not zstd", value: []byte("hello")},
		{name: "truncated", value: good[:len(good)/2]},
		{name: "bad magic", value: c.enc.EncodeAll([]byte("XXXX\x01{"), nil)},
		{name: "bad length", value: c.enc.EncodeAll([]byte("DLC1\xff\x01"), nil)},
		{name: "bad json", value: c.enc.EncodeAll(append([]byte("DLC1\x02{x"), "body"...), nil)},
		{name: "length past end", value: c.enc.EncodeAll(plain[:len(codecMagic)+3], nil)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if e, err := c.decode(tt.value); err == nil || !errors.Is(err, errCorrupt) {
				t.Errorf("decode = %v, %v; want errCorrupt", e, err)
			}
		})
	}
}

func TestRedisStoresCompressedWithTTL(t *testing.T) {
	ctx := context.Background()
	c, prefix := sharedRedis(t)
	s := NewRedis(c, prefix, 0)
	want := sampleEntry(strings.Repeat("<p>compressible text</p>\n", 4000))
	if err := s.Set(ctx, "k1", want, 90*time.Second); err != nil {
		t.Fatal(err)
	}
	raw, err := c.Get(ctx, prefix+"cache:k1").Bytes()
	if err != nil {
		t.Fatalf("raw value under %scache:k1: %v", prefix, err)
	}
	if !bytes.HasPrefix(raw, []byte{0x28, 0xb5, 0x2f, 0xfd}) {
		t.Errorf("value does not start with the zstd magic: % x", raw[:4])
	}
	if len(raw) > len(want.Body)/10 {
		t.Errorf("stored %d bytes for a %d-byte body: not compressed", len(raw), len(want.Body))
	}
	ttl, err := c.PTTL(ctx, prefix+"cache:k1").Result()
	if err != nil || ttl <= 80*time.Second || ttl > 90*time.Second {
		t.Errorf("PTTL = %v, %v; want about 90s", ttl, err)
	}
	got, err := s.Get(ctx, "k1")
	if err != nil {
		t.Fatal(err)
	}
	equalEntries(t, got, want)

	// a value that does not decode is a fault, not a miss
	c.Set(ctx, prefix+"cache:bad", "garbage", time.Minute)
	if e, err := s.Get(ctx, "bad"); e != nil || !errors.Is(err, errCorrupt) {
		t.Errorf("Get(corrupt) = %v, %v; want errCorrupt", e, err)
	}
}

func TestRedisOpTimeout(t *testing.T) {
	addr, _ := privateRedis(t)
	admin := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { admin.Close() })
	tests := []struct {
		name       string
		ctxTimeout bool
	}{
		{name: "client honours deadlines", ctxTimeout: true},
		{name: "client ignores deadlines", ctxTimeout: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			c := redis.NewClient(&redis.Options{Addr: addr,
				ContextTimeoutEnabled: tt.ctxTimeout})
			t.Cleanup(func() { c.Close() })
			s := NewRedis(c, "p:", 50*time.Millisecond)
			if err := s.Set(ctx, "k", sampleEntry("b"), time.Minute); err != nil {
				t.Fatal(err)
			}
			if err := admin.Do(ctx, "CLIENT", "PAUSE", "1000", "ALL").Err(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { admin.Do(ctx, "CLIENT", "UNPAUSE") })
			start := time.Now()
			e, err := s.Get(ctx, "k")
			took := time.Since(start)
			if e != nil || !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("Get while paused = %v, %v; want a deadline error", e, err)
			}
			if took > 500*time.Millisecond {
				t.Errorf("Get while paused took %v, want about 50ms", took)
			}
			admin.Do(ctx, "CLIENT", "UNPAUSE")
		})
	}
}
