package cache_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"

	"downloader/internal/cache"
)

// A Loader makes a conditional request when it is given a stale entry and
// reports a 304 as NotModified; the cache does the rest.
func ExampleCache_Get() {
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Cache-Control", "no-cache") // revalidate on every use
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "hello")
	}))
	defer origin.Close()

	load := func(ctx context.Context, stale *cache.Entry) (*cache.Entry, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, origin.URL, nil)
		if err != nil {
			return nil, err
		}
		if stale != nil {
			req.Header = stale.Conditional()
		}
		resp, err := origin.Client().Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			return nil, err
		}
		return &cache.Entry{
			URL: origin.URL, FinalURL: origin.URL, Status: resp.StatusCode,
			Header: resp.Header, ContentType: "text/plain", Body: body,
			NotModified: resp.StatusCode == http.StatusNotModified,
		}, nil
	}

	c := cache.New(cache.NewMemory(0), cache.Options{})
	u, _ := url.Parse(origin.URL)
	key := cache.Key(u, "raw")
	for range 2 {
		e, res, err := c.Get(context.Background(), key, cache.Directive{}, load)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(res, string(e.Body))
	}
	// Output:
	// MISS hello
	// REVALIDATED hello
}
