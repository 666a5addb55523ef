package api

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/klauspost/compress/zstd"

	"downloader/internal/download"
)

// minCompress is the smallest textual body worth compressing.
const minCompress = 1024

var zstdEncoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest),
	zstd.WithEncoderConcurrency(1))

var gzipPool = sync.Pool{New: func() any {
	w, _ := gzip.NewWriterLevel(nil, gzip.BestSpeed)
	return w
}}

// writeBody sends a buffered answer, compressed with zstd or gzip when it
// is text and the client accepts it. HEAD gets the headers only.
func writeBody(w http.ResponseWriter, r *http.Request, status int, ct string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ct)
	if len(body) >= minCompress && textual(ct) {
		h.Add("Vary", "Accept-Encoding")
		switch enc := pickEncoding(r.Header.Get("Accept-Encoding")); enc {
		case "zstd":
			body = zstdEncoder.EncodeAll(body, make([]byte, 0, len(body)/3))
			h.Set("Content-Encoding", enc)
		case "gzip":
			body = gzipBytes(body)
			h.Set("Content-Encoding", enc)
		}
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}

func gzipBytes(body []byte) []byte {
	var buf bytes.Buffer
	gw := gzipPool.Get().(*gzip.Writer)
	gw.Reset(&buf)
	_, _ = gw.Write(body)
	_ = gw.Close()
	gzipPool.Put(gw)
	return buf.Bytes()
}

func textual(ct string) bool {
	return download.KindOf(ct) != download.KindBinary
}

// pickEncoding chooses zstd over gzip when both are acceptable (q > 0).
func pickEncoding(accept string) string {
	var zstdOK, gzipOK bool
	for _, part := range strings.Split(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if q, ok := strings.CutPrefix(strings.TrimSpace(params), "q="); ok {
			if f, err := strconv.ParseFloat(q, 64); err != nil || f <= 0 {
				continue
			}
		}
		switch strings.ToLower(strings.TrimSpace(name)) {
		case "zstd":
			zstdOK = true
		case "gzip", "x-gzip":
			gzipOK = true
		}
	}
	switch {
	case zstdOK:
		return "zstd"
	case gzipOK:
		return "gzip"
	}
	return ""
}

// writeJSON sends v as JSON.
func writeJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode response", http.StatusInternalServerError)
		return
	}
	writeBody(w, r, status, "application/json", append(body, '\n'))
}

// WriteJSON sends v as JSON; routes mounted from other packages use it.
func WriteJSON(w http.ResponseWriter, r *http.Request, status int, v any) {
	writeJSON(w, r, status, v)
}
