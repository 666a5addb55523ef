package fetch

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"io"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"

	"downloader/internal/problem"
)

type encoder func(t *testing.T, b []byte) []byte

func writeWith(t *testing.T, b []byte, mk func(io.Writer) io.WriteCloser) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := mk(&buf)
	if _, err := w.Write(b); err != nil {
		t.Fatalf("encode: %v", err)
	}
	if err := w.Close(); err != nil {
		t.Fatalf("encode: %v", err)
	}
	return buf.Bytes()
}

func gzipEnc(t *testing.T, b []byte) []byte {
	return writeWith(t, b, func(w io.Writer) io.WriteCloser { return gzip.NewWriter(w) })
}

func zlibEnc(t *testing.T, b []byte) []byte {
	return writeWith(t, b, func(w io.Writer) io.WriteCloser { return zlib.NewWriter(w) })
}

func flateEnc(t *testing.T, b []byte) []byte {
	return writeWith(t, b, func(w io.Writer) io.WriteCloser {
		fw, _ := flate.NewWriter(w, flate.DefaultCompression)
		return fw
	})
}

func brEnc(t *testing.T, b []byte) []byte {
	return writeWith(t, b, func(w io.Writer) io.WriteCloser { return brotli.NewWriter(w) })
}

func zstdEnc(t *testing.T, b []byte) []byte {
	return writeWith(t, b, func(w io.Writer) io.WriteCloser {
		zw, err := zstd.NewWriter(w)
		if err != nil {
			t.Fatalf("zstd: %v", err)
		}
		return zw
	})
}

func TestDecoding(t *testing.T) {
	plain := []byte(strings.Repeat("<p>hello, world</p>\n", 500))
	tests := []struct {
		name     string
		coding   string
		body     []byte
		want     []byte
		keepsHdr bool
	}{
		{name: "gzip", coding: "gzip", body: gzipEnc(t, plain), want: plain},
		{name: "x-gzip", coding: "x-gzip", body: gzipEnc(t, plain), want: plain},
		{name: "deflate as zlib", coding: "deflate", body: zlibEnc(t, plain), want: plain},
		{name: "deflate raw", coding: "deflate", body: flateEnc(t, plain), want: plain},
		{name: "br", coding: "br", body: brEnc(t, plain), want: plain},
		{name: "zstd", coding: "zstd", body: zstdEnc(t, plain), want: plain},
		{name: "stacked gzip then br", coding: "gzip, br",
			body: brEnc(t, gzipEnc(t, plain)), want: plain},
		{name: "stacked zstd then gzip in two headers", coding: "zstd\ngzip",
			body: gzipEnc(t, zstdEnc(t, plain)), want: plain},
		{name: "identity", coding: "identity", body: plain, want: plain},
		{name: "unknown coding stays raw", coding: "compress", body: []byte("LZW?"),
			want: []byte("LZW?"), keepsHdr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var gotAE string
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				gotAE = r.Header.Get("Accept-Encoding")
				w.Header().Set("Content-Type", "text/html")
				for _, c := range strings.Split(tt.coding, "\n") {
					w.Header().Add("Content-Encoding", c)
				}
				w.Write(tt.body)
			})
			c, _ := newTestClient(t, Options{})
			r, body, err := get(t, c, &Request{URL: mustURL(t, srv.URL)})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if !bytes.Equal(body, tt.want) {
				t.Errorf("body %d bytes %.40q; want %d bytes", len(body), body, len(tt.want))
			}
			if gotAE != acceptEncoding {
				t.Errorf("Accept-Encoding %q", gotAE)
			}
			hasCE := r.Header.Get("Content-Encoding") != ""
			if hasCE != tt.keepsHdr {
				t.Errorf("Content-Encoding header %q kept=%v; want %v",
					r.Header.Get("Content-Encoding"), hasCE, tt.keepsHdr)
			}
			if !tt.keepsHdr && tt.coding != "identity" && r.Header.Get("Content-Length") != "" {
				t.Errorf("Content-Length %q kept after decoding", r.Header.Get("Content-Length"))
			}
		})
	}
}

func TestCorruptEncoding(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Encoding", "gzip")
		w.Write([]byte("this is not gzip at all"))
	})
	c, _ := newTestClient(t, Options{})
	_, _, err := get(t, c, &Request{URL: mustURL(t, srv.URL)})
	p := wantProblem(t, err, problem.UpstreamHTTP)
	if p.HTTPStatus() != http.StatusBadGateway || p.UpstreamStatus != 200 {
		t.Errorf("status %d upstream %d; want 502 and 200", p.HTTPStatus(), p.UpstreamStatus)
	}
}

func TestSizeLimits(t *testing.T) {
	const limit = 1 << 20
	// 64 concatenated members (frames) of 1 MiB of zeros: 64 MiB decoded.
	zeros := make([]byte, 1<<20)
	bomb := bytes.Repeat(gzipEnc(t, zeros), 64)
	zbomb := bytes.Repeat(zstdEnc(t, zeros), 64)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/endless":
			chunk := bytes.Repeat([]byte("z"), 32<<10)
			for r.Context().Err() == nil {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		case "/gzip-bomb":
			w.Header().Set("Content-Encoding", "gzip")
			w.Write(bomb)
		case "/zstd-bomb":
			w.Header().Set("Content-Encoding", "zstd")
			w.Write(zbomb)
		case "/exact":
			w.Write(make([]byte, limit))
		case "/announced":
			w.Header().Set("Content-Length", strconv.Itoa(limit+1))
			w.Write(make([]byte, limit+1))
		}
	})
	tests := []struct {
		name     string
		path     string
		wantErr  problem.Type
		maxAlloc uint64
	}{
		{name: "exactly the limit", path: "/exact"},
		{name: "announced length over the limit fails in Do", path: "/announced",
			wantErr: problem.ContentTooLarge},
		// 64 MiB decoded; reading stops at 1 MiB. ReadAll's buffer growth
		// costs ~4 MiB, zstd's 8 MiB window (RFC 9659) comes on top.
		{name: "gzip bomb", path: "/gzip-bomb", wantErr: problem.ContentTooLarge,
			maxAlloc: 12 << 20},
		{name: "zstd bomb", path: "/zstd-bomb", wantErr: problem.ContentTooLarge,
			maxAlloc: 24 << 20},
		{name: "endless body", path: "/endless", wantErr: problem.ContentTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := newTestClient(t, Options{})
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, body, err := get(t, c, &Request{URL: mustURL(t, srv.URL+tt.path), MaxBody: limit})
			runtime.ReadMemStats(&after)
			if tt.wantErr == "" {
				if err != nil || len(body) != limit {
					t.Fatalf("%d bytes, %v; want %d", len(body), err, limit)
				}
				return
			}
			wantProblem(t, err, tt.wantErr)
			grown := after.TotalAlloc - before.TotalAlloc
			if tt.maxAlloc > 0 && grown > tt.maxAlloc {
				t.Errorf("allocated %d bytes reading a 64 MiB bomb with a 1 MiB limit", grown)
			}
			t.Logf("allocated %d bytes", grown)
		})
	}
}

func TestSniffing(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01")
	tests := []struct {
		name  string
		ctype string
		body  []byte
		want  string
		cs    string
	}{
		{"PNG labelled text/html", "text/html; charset=utf-8", png, "image/png", "utf-8"},
		{"PDF labelled text/plain", "text/plain", []byte("%PDF-1.7\n%\xe2\xe3"),
			"application/pdf", ""},
		{"octet-stream holding HTML", "application/octet-stream",
			[]byte("<!DOCTYPE html><html><body>hi</body></html>"), "text/html", ""},
		{"binary/octet-stream holding PNG", "binary/octet-stream", png, "image/png", ""},
		{"missing type, JSON", "", []byte(` {"a": 1}`), "application/json", ""},
		{"missing type, SVG", "", []byte(`<svg xmlns="http://www.w3.org/2000/svg"/>`),
			"image/svg+xml", ""},
		{"missing type, XML SVG", "", []byte(`<?xml version="1.0"?><svg/>`),
			"image/svg+xml", ""},
		{"missing type, markdown", "", []byte("# Title\n\nText"), "text/markdown", ""},
		{"missing type, plain", "", []byte("just words"), "text/plain", ""},
		{"missing type, empty", "", nil, "application/octet-stream", ""},
		{"honest label kept", "Text/HTML; Charset=ISO-8859-1", []byte("<p>hi</p>"),
			"text/html", "iso-8859-1"},
		{"zip label with PNG kept", "application/zip", png, "application/zip", ""},
		{"HTML labelled image/png", "image/png",
			[]byte("<!DOCTYPE html><html><body>not an image</body></html>"), "text/html", ""},
		{"text labelled image/jpeg kept", "image/jpeg", []byte("just words"), "image/jpeg", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header()["Content-Type"] = []string{tt.ctype}
				w.Write(tt.body)
			})
			c, _ := newTestClient(t, Options{})
			r, body, err := get(t, c, &Request{URL: mustURL(t, srv.URL)})
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if r.ContentType != tt.want || r.Charset != tt.cs {
				t.Errorf("type %q charset %q; want %q %q",
					r.ContentType, r.Charset, tt.want, tt.cs)
			}
			if !bytes.Equal(body, tt.body) {
				t.Errorf("sniffing changed the body: %q", body)
			}
		})
	}
}

func TestHead(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.Header().Set("Content-Length", "1234")
		if r.Method != http.MethodHead {
			t.Errorf("method %s", r.Method)
		}
	})
	c, _ := newTestClient(t, Options{})
	r, err := c.Do(context.Background(), &Request{URL: mustURL(t, srv.URL), Method: "HEAD"})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	body, err := ReadAll(r)
	if err != nil || len(body) != 0 || r.ContentType != "text/html" ||
		r.Header.Get("Content-Length") != "1234" {
		t.Errorf("HEAD: %q %v %s %q", body, err, r.ContentType, r.Header.Get("Content-Length"))
	}
}
