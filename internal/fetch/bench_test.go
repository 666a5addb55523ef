package fetch

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkDoReadAll measures one Do+ReadAll of a 10 KB body over loopback
// on a reused connection, server included.
func BenchmarkDoReadAll(b *testing.B) {
	page := bytes.Repeat([]byte("<p>0123456789</p>\n"), 10_000/18+1)[:10_000]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	b.Cleanup(srv.Close)
	c := New(Options{DialContext: loopbackDial})
	b.Cleanup(c.CloseIdleConnections)
	req := &Request{URL: mustURL(b, srv.URL)}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetBytes(int64(len(page)))
	for b.Loop() {
		r, err := c.Do(ctx, req)
		if err != nil {
			b.Fatal(err)
		}
		body, err := ReadAll(r)
		if err != nil || len(body) != len(page) {
			b.Fatalf("%d bytes, %v", len(body), err)
		}
	}
}
