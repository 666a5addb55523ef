package origin

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func writeCorpus(t *testing.T, pages map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "html"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, body := range pages {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, _ = zw.Write([]byte(body))
		_ = zw.Close()
		path := filepath.Join(dir, "html", name+".html.gz")
		if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestServeHTTP(t *testing.T) {
	dir := writeCorpus(t, map[string]string{"a": "<p>alpha</p>", "b": "<p>beta</p>"})
	s, err := New(dir)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	tests := []struct {
		name     string
		path     string
		status   int
		size     int
		cc       string
		encoding string
	}{
		{name: "fixed size", path: "/bytes/10240", status: 200, size: 10240, cc: "no-store"},
		{name: "zero bytes", path: "/bytes/0", status: 200, size: 0, cc: "no-store"},
		{name: "cache control", path: "/bytes/5?cc=max-age=3600", status: 200, size: 5,
			cc: "max-age=3600"},
		{name: "bad size", path: "/bytes/x", status: 400},
		{name: "stream", path: "/stream/1", status: 200, size: 1 << 20, cc: "no-store"},
		{name: "page gzipped", path: "/page/a", status: 200, cc: "no-store", encoding: "gzip"},
		{name: "no page", path: "/page/zzz", status: 404},
		{name: "unknown route", path: "/nope", status: 404},
	}
	tr := &http.Transport{DisableCompression: true}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := c.Get(ts.URL + tt.path)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tt.status)
			}
			if tt.status != 200 {
				return
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.cc {
				t.Errorf("Cache-Control %q, want %q", got, tt.cc)
			}
			if got := resp.Header.Get("Content-Encoding"); got != tt.encoding {
				t.Errorf("Content-Encoding %q, want %q", got, tt.encoding)
			}
			if tt.encoding == "gzip" {
				zr, err := gzip.NewReader(bytes.NewReader(b))
				if err != nil {
					t.Fatal(err)
				}
				plain, _ := io.ReadAll(zr)
				if string(plain) != "<p>alpha</p>" {
					t.Errorf("page %q", plain)
				}
				return
			}
			if len(b) != tt.size {
				t.Errorf("body %d bytes, want %d", len(b), tt.size)
			}
		})
	}
	if got := s.Pages(); len(got) != 2 || got[0] != "a" || got[1] != "b" {
		t.Errorf("Pages() = %v", got)
	}
	if got := s.Hits("/bytes/10240"); got != 1 {
		t.Errorf("Hits = %d, want 1", got)
	}
	if got := s.Total(); got != int64(len(tests)) {
		t.Errorf("Total = %d, want %d", got, len(tests))
	}
}

func TestDelay(t *testing.T) {
	s, err := New("")
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	start := time.Now()
	resp, err := http.Get(ts.URL + "/bytes/1?delay=150ms")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if d := time.Since(start); d < 150*time.Millisecond {
		t.Errorf("answered after %s, want >= 150ms", d)
	}
}
