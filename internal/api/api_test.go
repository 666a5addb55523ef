package api_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"downloader/internal/api"
	"downloader/internal/cache"
	"downloader/internal/download"
	"downloader/internal/fetch"
	"downloader/internal/netguard"
)

// fakeDNS resolves test names to fixed addresses; nothing else resolves.
type fakeDNS map[string][]netip.Addr

func (f fakeDNS) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	if a, ok := f[host]; ok {
		return a, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// newService starts the API over a real guard (loopback allowed), fetch
// client and memory cache.
func newService(t *testing.T) *httptest.Server {
	t.Helper()
	guard := &netguard.Guard{
		Policy: netguard.Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Resolver: fakeDNS{
			"origin.test":   {netip.MustParseAddr("127.0.0.1")},
			"internal.test": {netip.MustParseAddr("10.0.0.1")},
			"metadata.test": {netip.MustParseAddr("169.254.169.254")},
		},
	}
	fc := fetch.New(fetch.Options{DialContext: guard.DialContext, Timeout: 5 * time.Second,
		RetryBaseDelay: time.Millisecond, RetryMaxDelay: 10 * time.Millisecond})
	t.Cleanup(fc.CloseIdleConnections)
	svc := &download.Service{
		Fetch: fc, MaxBody: 1 << 20, MaxRawBody: 8 << 20, CacheMaxEntry: 1 << 20,
		Cache: cache.New(cache.NewMemory(16<<20), cache.Options{MaxEntryBytes: 1 << 20}),
	}
	s := api.New(api.Deps{Download: svc}, api.Options{
		Version: "test", MaxTimeout: 10 * time.Second, MaxBody: 1 << 20,
	})
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	return ts
}

const article = `<!DOCTYPE html><html lang="en"><head><title>Test Article</title>
<meta name="description" content="A page for tests">
<meta name="author" content="Ada Lovelace"></head>
<body><nav><a href="/">Home</a> <a href="/about">About</a></nav>
<article><h1>Test Article</h1>
<p>The analytical engine weaves algebraic patterns just as the Jacquard loom weaves flowers
and leaves. This paragraph is long enough to be taken for the main content of the page.</p>
<p>A second paragraph follows, with a <a href="/notes">link to the notes</a> and more words
so that the extractor keeps it as part of the article body.</p>
<p>A third paragraph pads the page so that compression has something to work on: the engine
could compose elaborate pieces of music of any degree of complexity or extent, were the
relations of pitched sounds expressed in its notation and adaptations.</p>
<p>Those who view mathematical science not merely as a vast body of abstract and immutable
truths, but as the language through which alone we can adequately express the great facts of
the natural world, will look on the engine with especial interest.</p>
<ul><li>First point of the list</li><li>Second point of the list</li></ul>
</article><footer>Copyright footer text</footer></body></html>`

// origin serves the fixtures the API tests fetch.
func origin(t *testing.T) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	mux := http.NewServeMux()
	mux.HandleFunc("/article", func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "max-age=60")
		io.WriteString(w, article)
	})
	mux.HandleFunc("/latin1", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=iso-8859-1")
		w.Write([]byte("<html><body><p>Caf\xe9 cr\xe8me</p></body></html>"))
	})
	mux.HandleFunc("/png", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/png")
		w.Write([]byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
	})
	mux.HandleFunc("/json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"a":1}`)
	})
	mux.HandleFunc("/csv", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, "name,age\nada,36\n")
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gone", http.StatusGone)
	})
	mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "boom", http.StatusInternalServerError)
	})
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/article", http.StatusFound)
	})
	mux.HandleFunc("/to-internal", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://internal.test/", http.StatusFound)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/cut", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Length", "100000")
		w.Write(bytes.Repeat([]byte("x"), 5000))
		w.(http.Flusher).Flush()
		conn, _, _ := w.(http.Hijacker).Hijack()
		conn.Close()
	})
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts, &hits
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func do(t *testing.T, method, url string, hdr ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, resp.Header, body}
}

func problemOf(t *testing.T, a answer) map[string]any {
	t.Helper()
	if ct := a.header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q, want application/problem+json; body %s", ct, a.body)
	}
	var p map[string]any
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatalf("problem body: %v: %s", err, a.body)
	}
	if p["request_id"] == "" || p["request_id"] != a.header.Get("X-Request-ID") {
		t.Errorf("request_id %v does not match header %q", p["request_id"], a.header.Get("X-Request-ID"))
	}
	return p
}

func TestDownloadFormats(t *testing.T) {
	svc := newService(t)
	org, _ := origin(t)
	target := svc.URL + "/" + org.URL + "/article"

	tests := []struct {
		name     string
		hdr      []string
		wantType string
		contains []string
		absent   []string
	}{
		{"raw", nil, "text/html; charset=utf-8", []string{"<nav>"}, nil},
		{"text", []string{"Accept", "text/plain"}, "text/plain; charset=utf-8",
			[]string{"analytical engine", "Second point"}, []string{"<p>", "Copyright footer"}},
		{"markdown", []string{"Accept", "text/markdown"}, "text/markdown; charset=utf-8",
			[]string{"analytical engine", "(" + org.URL + "/notes)"}, []string{"<p>"}},
		{"x-format wins", []string{"Accept", "text/plain", "X-Format", "html"},
			"text/html; charset=utf-8", []string{"<nav>"}, nil},
		{"json", []string{"Accept", "application/json"}, "application/json",
			[]string{`"title":"Test Article"`, `"content_encoding":"utf-8"`,
				`"description":"A page for tests"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, "GET", target, tt.hdr...)
			if a.status != 200 {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			if ct := a.header.Get("Content-Type"); ct != tt.wantType {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantType)
			}
			for _, s := range tt.contains {
				if !bytes.Contains(a.body, []byte(s)) {
					t.Errorf("body lacks %q:\n%s", s, a.body)
				}
			}
			for _, s := range tt.absent {
				if bytes.Contains(a.body, []byte(s)) {
					t.Errorf("body has %q:\n%s", s, a.body)
				}
			}
			if a.header.Get("X-Final-URL") != org.URL+"/article" ||
				a.header.Get("X-Upstream-Status") != "200" ||
				!strings.Contains(a.header.Get("Server-Timing"), "upstream") {
				t.Errorf("missing success headers: %v", a.header)
			}
		})
	}
}

func TestEnvelopeFields(t *testing.T) {
	svc := newService(t)
	org, _ := origin(t)
	a := do(t, "GET", svc.URL+"/"+org.URL+"/redirect", "X-Formats", "markdown,text")
	if a.status != 200 {
		t.Fatalf("status %d: %s", a.status, a.body)
	}
	var env map[string]any
	if err := json.Unmarshal(a.body, &env); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"url", "final_url", "redirects", "status_code", "content_type",
		"charset", "size", "headers", "title", "byline", "published", "language",
		"description", "fetched_at", "cache", "content", "content_encoding"} {
		if _, ok := env[k]; !ok {
			t.Errorf("envelope lacks %q", k)
		}
	}
	redirects := env["redirects"].([]any)
	if len(redirects) != 1 || env["final_url"] != org.URL+"/article" {
		t.Errorf("redirects %v final %v", redirects, env["final_url"])
	}
	formats, _ := env["formats"].(map[string]any)
	if !strings.Contains(fmt.Sprint(formats["markdown"]), "analytical") ||
		!strings.Contains(fmt.Sprint(formats["text"]), "analytical") {
		t.Errorf("formats = %v", formats)
	}
}

func TestCharsetAndNonHTML(t *testing.T) {
	svc := newService(t)
	org, _ := origin(t)
	a := do(t, "GET", svc.URL+"/"+org.URL+"/latin1", "X-Format", "html")
	if !bytes.Contains(a.body, []byte("Café crème")) {
		t.Errorf("latin-1 not converted: %q", a.body)
	}
	a = do(t, "GET", svc.URL+"/"+org.URL+"/csv", "Accept", "text/markdown")
	if !bytes.Contains(a.body, []byte("| name | age |")) {
		t.Errorf("csv as markdown: %q", a.body)
	}
	a = do(t, "GET", svc.URL+"/"+org.URL+"/json", "Accept", "text/plain")
	if a.status != 200 || string(a.body) != `{"a":1}` {
		t.Errorf("json as text: %d %q", a.status, a.body)
	}
	a = do(t, "GET", svc.URL+"/"+org.URL+"/json", "X-Format", "raw")
	if string(a.body) != `{"a":1}` || a.header.Get("Content-Type") != "application/json" {
		t.Errorf("json raw: %q %v", a.body, a.header)
	}
	a = do(t, "GET", svc.URL+"/"+org.URL+"/png", "Accept", "application/json")
	if !bytes.Contains(a.body, []byte(`"content_encoding":"base64"`)) {
		t.Errorf("png envelope: %s", a.body)
	}
}

func TestErrors(t *testing.T) {
	svc := newService(t)
	org, _ := origin(t)
	tests := []struct {
		name, path string
		hdr        []string
		status     int
		errType    string
	}{
		{"binary as text", "/" + org.URL + "/png", []string{"Accept", "text/plain"}, 406,
			"unsupported_format"},
		{"gone mirrored", "/" + org.URL + "/gone", nil, 410, "upstream_http_error"},
		{"500 is 502", "/" + org.URL + "/boom", nil, 502, "upstream_http_error"},
		{"ftp", "/ftp://origin.test/x", nil, 400, "validation_error"},
		{"no scheme", "/origin.test/x", nil, 400, "validation_error"},
		{"unknown route", "/nope", nil, 404, "not_found"},
		{"internal name", "/http://internal.test/", nil, 403, "url_blocked"},
		{"metadata", "/http://metadata.test/latest/meta-data/", nil, 403, "url_blocked"},
		{"redirect to internal", "/" + org.URL + "/to-internal", nil, 403, "url_blocked"},
		{"unresolvable", "/http://nowhere.test/", nil, 502, "upstream_unreachable"},
		{"timeout too big", "/" + org.URL + "/article", []string{"X-Timeout", "999"}, 400,
			"validation_error"},
		{"timeout hit", "/" + org.URL + "/slow", []string{"X-Timeout", "0.3"}, 504,
			"upstream_timeout"},
		{"bad format", "/" + org.URL + "/article", []string{"X-Format", "docx"}, 400,
			"validation_error"},
		{"pdf not yet", "/" + org.URL + "/article", []string{"X-Format", "pdf"}, 406,
			"unsupported_format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := do(t, "GET", svc.URL+tt.path, tt.hdr...)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			p := problemOf(t, a)
			if p["error_type"] != tt.errType {
				t.Errorf("error_type %v, want %s", p["error_type"], tt.errType)
			}
		})
	}
}

func TestCacheHit(t *testing.T) {
	svc := newService(t)
	org, hits := origin(t)
	target := svc.URL + "/" + org.URL + "/article"
	first := do(t, "GET", target)
	second := do(t, "GET", target, "Accept", "text/plain")
	if first.header.Get("X-Cache") != "MISS" || second.header.Get("X-Cache") != "HIT" {
		t.Errorf("X-Cache %q then %q", first.header.Get("X-Cache"), second.header.Get("X-Cache"))
	}
	if hits.Load() != 1 {
		t.Errorf("origin saw %d requests, want 1", hits.Load())
	}
	third := do(t, "GET", target, "Cache-Control", "no-store")
	if third.header.Get("X-Cache") != "BYPASS" || hits.Load() != 2 {
		t.Errorf("no-store: X-Cache %q, origin hits %d", third.header.Get("X-Cache"), hits.Load())
	}
}

func TestRawStreamCutOnUpstreamFailure(t *testing.T) {
	svc := newService(t)
	org, _ := origin(t)
	resp, err := http.Get(svc.URL + "/" + org.URL + "/cut")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	if err == nil {
		t.Fatalf("read %d bytes and a clean end; want the stream cut", n)
	}
}

func TestServiceRoutes(t *testing.T) {
	svc := newService(t)
	for _, path := range []string{"/health", "/ready", "/version"} {
		for _, method := range []string{"GET", "HEAD"} {
			a := do(t, method, svc.URL+path)
			if a.status != 200 || a.header.Get("X-Request-ID") == "" {
				t.Errorf("%s %s: %d %v", method, path, a.status, a.header)
			}
			if method == "HEAD" && len(a.body) != 0 {
				t.Errorf("HEAD %s has a body", path)
			}
		}
	}
	a := do(t, "GET", svc.URL+"/health", "X-Request-ID", "my-id-1")
	if a.header.Get("X-Request-ID") != "my-id-1" {
		t.Errorf("request id not kept: %q", a.header.Get("X-Request-ID"))
	}
	a = do(t, "GET", svc.URL+"/health", "X-Request-ID", "bad<id>")
	if a.header.Get("X-Request-ID") == "bad<id>" {
		t.Error("insane request id kept")
	}
}

func TestFetchQueryAndHead(t *testing.T) {
	svc := newService(t)
	org, _ := origin(t)
	a := do(t, "GET", svc.URL+"/fetch?url="+org.URL+"/article&format=text")
	if a.status != 200 || !bytes.Contains(a.body, []byte("analytical engine")) {
		t.Fatalf("/fetch: %d %s", a.status, a.body)
	}
	a = do(t, "HEAD", svc.URL+"/"+org.URL+"/article", "Accept", "text/plain")
	if a.status != 200 || len(a.body) != 0 || a.header.Get("Content-Type") == "" {
		t.Errorf("HEAD: %d %q %v", a.status, a.body, a.header)
	}
}

func TestCompression(t *testing.T) {
	svc := newService(t)
	org, _ := origin(t)
	a := do(t, "GET", svc.URL+"/"+org.URL+"/article", "X-Format", "html",
		"Accept-Encoding", "gzip")
	if a.header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("Content-Encoding %q; %v %d", a.header.Get("Content-Encoding"), a.header, len(a.body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(a.body))
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := io.ReadAll(zr)
	if !bytes.Contains(plain, []byte("analytical engine")) {
		t.Errorf("decompressed body: %q", plain)
	}
}

func TestWrongMethodOnServiceRoute(t *testing.T) {
	svc := newService(t)
	for _, c := range []struct{ method, path string }{
		{"POST", "/health"}, {"GET", "/batch"}, {"PUT", "/jobs/x"}, {"POST", "/http://a.example/"},
	} {
		a := do(t, c.method, svc.URL+c.path)
		if a.status != 405 {
			t.Errorf("%s %s: %d, want 405", c.method, c.path, a.status)
			continue
		}
		if p := problemOf(t, a); p["error_type"] != "method_not_allowed" {
			t.Errorf("%s %s: %v", c.method, c.path, p["error_type"])
		}
	}
}

func TestRevalidation(t *testing.T) {
	var conditional atomic.Int64
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("ETag", `"v1"`)
		w.Header().Set("Cache-Control", "max-age=0")
		if r.Header.Get("If-None-Match") == `"v1"` {
			conditional.Add(1)
			w.WriteHeader(http.StatusNotModified)
			return
		}
		io.WriteString(w, "versioned body")
	}))
	defer origin.Close()
	svc := newService(t)
	first := do(t, "GET", svc.URL+"/"+origin.URL+"/v")
	second := do(t, "GET", svc.URL+"/"+origin.URL+"/v")
	if first.header.Get("X-Cache") != "MISS" || second.header.Get("X-Cache") != "REVALIDATED" ||
		string(second.body) != "versioned body" || conditional.Load() != 1 {
		t.Fatalf("X-Cache %q then %q, body %q, conditional requests %d",
			first.header.Get("X-Cache"), second.header.Get("X-Cache"), second.body,
			conditional.Load())
	}
	third := do(t, "GET", svc.URL+"/"+origin.URL+"/v", "Cache-Control", "no-cache")
	if third.header.Get("X-Cache") != "REVALIDATED" || conditional.Load() != 2 {
		t.Errorf("no-cache: %q, conditional %d", third.header.Get("X-Cache"), conditional.Load())
	}
}

func TestRawStreamTrickles(t *testing.T) {
	release := make(chan struct{})
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain") // sniffing waits for 16 bytes
		io.WriteString(w, "first bytes of a stream ")
		w.(http.Flusher).Flush()
		<-release
		io.WriteString(w, "second")
	}))
	defer origin.Close()
	defer close(release)
	svc := newService(t)
	resp, err := http.Get(svc.URL + "/" + origin.URL + "/t")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 24)
		n, _ := io.ReadFull(resp.Body, b)
		got <- string(b[:n])
	}()
	select {
	case s := <-got:
		if s != "first bytes of a stream " {
			t.Fatalf("first bytes %q", s)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("the first bytes of a trickling upstream did not reach the client")
	}
}
