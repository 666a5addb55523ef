// Package origin is the loopback upstream that the benchmark harness puts
// behind the service and the reference proxy: fixed-size bodies, a
// configurable delay, the gzipped pages of a corpus, and large files
// generated on the fly. It counts the requests it receives per request URI
// so a scenario can prove how many reached it.
package origin

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// chunk is the block that fixed-size and streamed bodies are cut from.
const chunk = 64 << 10

// Server answers the harness's upstream requests. Routes:
//
//	/bytes/{n}    n bytes of text, with Content-Length
//	/page/{name}  a corpus page, gzipped, with Content-Encoding: gzip
//	/stream/{mb}  mb MiB of bytes written in 64 KiB blocks
//
// Every route reads two query parameters: delay (a Go duration slept
// before the headers are sent) and cc (the Cache-Control value sent,
// no-store when absent). The zero value serves no pages.
type Server struct {
	pages map[string][]byte
	names []string
	block []byte

	total atomic.Int64
	hits  sync.Map // request URI -> *atomic.Int64
}

// New returns a Server with the gzipped pages of corpusDir/html/*.html.gz,
// or with no pages when corpusDir is empty.
func New(corpusDir string) (*Server, error) {
	s := &Server{pages: map[string][]byte{}, block: makeBlock()}
	if corpusDir == "" {
		return s, nil
	}
	files, err := filepath.Glob(filepath.Join(corpusDir, "html", "*.html.gz"))
	if err != nil {
		return nil, fmt.Errorf("list corpus: %w", err)
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read page: %w", err)
		}
		name := strings.TrimSuffix(filepath.Base(f), ".html.gz")
		s.pages[name] = b
		s.names = append(s.names, name)
	}
	sort.Strings(s.names)
	return s, nil
}

func makeBlock() []byte {
	line := []byte("the quick brown fox jumps over the lazy dog 0123456789\n")
	return bytes.Repeat(line, chunk/len(line)+1)[:chunk]
}

// Pages returns the names of the corpus pages, sorted.
func (s *Server) Pages() []string { return append([]string(nil), s.names...) }

// Total returns how many requests the server has received.
func (s *Server) Total() int64 { return s.total.Load() }

// Hits returns how many requests arrived for requestURI (path and query).
func (s *Server) Hits(requestURI string) int64 {
	if v, ok := s.hits.Load(requestURI); ok {
		return v.(*atomic.Int64).Load()
	}
	return 0
}

// ServeHTTP answers one request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.count(r.URL.RequestURI())
	q := r.URL.Query()
	if d, err := time.ParseDuration(q.Get("delay")); err == nil && d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	cc := q.Get("cc")
	if cc == "" {
		cc = "no-store"
	}
	w.Header().Set("Cache-Control", cc)
	route, arg, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	switch route {
	case "bytes":
		s.serveBytes(w, arg)
	case "page":
		s.servePage(w, arg)
	case "stream":
		s.serveStream(w, arg)
	default:
		http.NotFound(w, r)
	}
}

func (s *Server) count(uri string) {
	s.total.Add(1)
	v, ok := s.hits.Load(uri)
	if !ok {
		v, _ = s.hits.LoadOrStore(uri, new(atomic.Int64))
	}
	v.(*atomic.Int64).Add(1)
}

func (s *Server) serveBytes(w http.ResponseWriter, arg string) {
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 || n > chunk*16 {
		http.Error(w, "bad size", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(n))
	for n > 0 {
		k := min(n, len(s.block))
		if _, err := w.Write(s.block[:k]); err != nil {
			return
		}
		n -= k
	}
}

func (s *Server) servePage(w http.ResponseWriter, name string) {
	b, ok := s.pages[name]
	if !ok {
		http.Error(w, "no such page", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (s *Server) serveStream(w http.ResponseWriter, arg string) {
	mb, err := strconv.Atoi(arg)
	if err != nil || mb < 0 || mb > 4096 {
		http.Error(w, "bad size", http.StatusBadRequest)
		return
	}
	n := int64(mb) << 20
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.FormatInt(n, 10))
	for n > 0 {
		k := min(n, int64(len(s.block)))
		if _, err := w.Write(s.block[:k]); err != nil {
			return
		}
		n -= k
	}
}
