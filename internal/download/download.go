// Package download is the single-URL pipeline shared by the HTTP API, the
// batch workers and the command line: it fetches a target through the
// cache and turns the upstream body into the format a client asked for.
package download

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"downloader/internal/cache"
	"downloader/internal/fetch"
	"downloader/internal/problem"
)

// Service runs the pipeline. Fetch is required; a nil Cache fetches every
// time.
type Service struct {
	Fetch *fetch.Client
	Cache *cache.Cache

	// MaxBody bounds a body that is converted or cached (decoded bytes).
	MaxBody int64
	// MaxRawBody bounds a raw stream.
	MaxRawBody int64
	// CacheMaxEntry is the largest body that the raw path buffers for the
	// cache before it falls back to streaming.
	CacheMaxEntry int64
	// Extractor bounds article extraction (concurrency, deadline); nil
	// runs it inline.
	Extractor *Extractor
	// Renders remembers converted pages; nil converts every time.
	Renders *Renders
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// OnUpstream, when set, is called once per upstream exchange with its
	// error type ("" on success), its duration (to the end of the body
	// when buffered, to the headers when streamed) and its time to first
	// byte. It must be fast and safe for concurrent use.
	OnUpstream func(errType string, total, ttfb time.Duration)
}

// Request is one target to open.
type Request struct {
	URL       *url.URL
	Timeout   time.Duration // whole exchange; 0 = the fetch client's default
	Directive cache.Directive
	// Buffered asks for the whole body in memory (conversions). A raw
	// request leaves it false and may get a live stream instead.
	Buffered bool
	// Variant is added to the cache key (options that change the upstream
	// answer).
	Variant []string
}

// Source is an upstream answer, from the cache or the network.
type Source struct {
	URL         string
	FinalURL    string
	Redirects   []cache.Hop
	Status      int
	Header      http.Header
	ContentType string // media type without parameters
	Charset     string // the upstream's declared charset, if any

	// Body holds the decoded body when it was buffered.
	Body []byte
	// Stream is set instead of Body for a raw answer too large or too
	// private to buffer; the caller must Close it.
	Stream io.ReadCloser

	Cache cache.Result
	// NoStore is the client's Cache-Control: no-store; remembered
	// conversions are bypassed too.
	NoStore  bool
	StoredAt time.Time
	Age      time.Duration

	// Upstream is the time spent waiting on the upstream (zero on a hit);
	// for a stream it runs to the response headers only.
	Upstream time.Duration
}

// Close releases a live stream; it is safe on buffered sources.
func (s *Source) Close() error {
	if s.Stream != nil {
		return s.Stream.Close()
	}
	return nil
}

// live carries an open upstream response through the cache as a
// [cache.Passthrough].
type live struct {
	resp     *fetch.Response
	prefix   []byte
	upstream time.Duration
}

// Open fetches req's target, through the cache when there is one.
func (s *Service) Open(ctx context.Context, req Request) (*Source, error) {
	if s.Cache == nil {
		return s.openDirect(ctx, req)
	}
	var upstream time.Duration
	key := cache.Key(req.URL, req.Variant...)
	load := func(ctx context.Context, stale *cache.Entry) (*cache.Entry, error) {
		e, d, err := s.load(ctx, req, stale)
		upstream += d
		return e, err
	}
	e, res, err := s.Cache.Get(ctx, key, req.Directive, load)
	var pt *cache.Passthrough
	if errors.As(err, &pt) {
		lv := pt.Value.(*live)
		return s.fromLive(req, lv, res), nil
	}
	if err != nil {
		return nil, err
	}
	src := fromEntry(req, e, res, s.now())
	src.Upstream = upstream
	return src, nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// openDirect fetches without a cache: raw requests stream, conversions
// read the whole body.
func (s *Service) openDirect(ctx context.Context, req Request) (*Source, error) {
	start := time.Now()
	resp, err := s.do(ctx, req, nil)
	if err != nil {
		return nil, err
	}
	lv := &live{resp: resp, upstream: time.Since(start)}
	if !req.Buffered {
		s.observe(resp, nil)
		return s.fromLive(req, lv, cache.Bypass), nil
	}
	body, err := fetch.ReadAll(resp)
	s.observe(resp, err)
	if err != nil {
		return nil, err
	}
	src := s.fromLive(req, lv, cache.Bypass)
	src.Stream, src.Body = nil, body
	src.Upstream = time.Since(start)
	return src, nil
}

func (s *Service) do(ctx context.Context, req Request,
	stale *cache.Entry) (*fetch.Response, error) {
	resp, err := s.fetch(ctx, req, stale)
	if s.OnUpstream != nil && err != nil && ctx.Err() == nil {
		s.OnUpstream(string(problem.TypeOf(err)), 0, 0)
	}
	return resp, err
}

// observe reports a finished exchange to OnUpstream.
func (s *Service) observe(resp *fetch.Response, err error) {
	if s.OnUpstream == nil {
		return
	}
	end := time.Now()
	s.OnUpstream(string(problem.TypeOf(err)), end.Sub(resp.Started),
		resp.HeadersAt.Sub(resp.Started))
}

func (s *Service) fetch(ctx context.Context, req Request,
	stale *cache.Entry) (*fetch.Response, error) {
	limit := s.MaxBody
	if !req.Buffered && s.MaxRawBody > 0 {
		limit = s.MaxRawBody
	}
	fr := &fetch.Request{URL: req.URL, Timeout: req.Timeout, MaxBody: limit}
	if stale != nil {
		fr.Header = stale.Conditional()
	}
	return s.Fetch.Do(ctx, fr)
}

// load is the cache's loader: it fetches and buffers the body, or hands
// back a live stream that is not for the cache.
func (s *Service) load(ctx context.Context, req Request,
	stale *cache.Entry) (*cache.Entry, time.Duration, error) {
	start := time.Now()
	resp, err := s.do(ctx, req, stale)
	if err != nil {
		return nil, time.Since(start), err
	}
	if resp.StatusCode == http.StatusNotModified {
		resp.Body.Close()
		s.observe(resp, nil)
		e := entryOf(req, resp, nil)
		e.NotModified = true
		return e, time.Since(start), nil
	}
	if !req.Buffered {
		body, lv := s.bufferRaw(resp)
		s.observe(resp, nil)
		if lv != nil {
			lv.upstream = time.Since(start)
			return nil, lv.upstream, &cache.Passthrough{Value: lv}
		}
		return entryOf(req, resp, body), time.Since(start), nil
	}
	body, err := fetch.ReadAll(resp)
	s.observe(resp, err)
	if err != nil {
		return nil, time.Since(start), err
	}
	return entryOf(req, resp, body), time.Since(start), nil
}

// bufferRaw reads a raw body into memory when it may be cached and fits;
// otherwise it returns the response as a live stream with what was read.
func (s *Service) bufferRaw(resp *fetch.Response) ([]byte, *live) {
	max := s.CacheMaxEntry
	if max <= 0 || !storable(resp.Header) || declaredLength(resp.Header) > max {
		return nil, &live{resp: resp}
	}
	buf := &bytes.Buffer{}
	n, err := io.Copy(buf, io.LimitReader(resp.Body, max+1))
	if err != nil || n > max {
		// Too large, or failed midway: stream what was read and let the
		// client see a failure where it happened.
		return nil, &live{resp: resp, prefix: buf.Bytes()}
	}
	resp.Body.Close()
	return buf.Bytes(), nil
}

// declaredLength is the upstream's Content-Length, or -1.
func declaredLength(h http.Header) int64 {
	n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

// storable reports whether a shared cache may keep a response (RFC 9111
// §3); the cache itself decides freshness.
func storable(h http.Header) bool {
	cc := strings.ToLower(h.Get("Cache-Control"))
	return !strings.Contains(cc, "no-store") && !strings.Contains(cc, "private")
}

func entryOf(req Request, resp *fetch.Response, body []byte) *cache.Entry {
	e := &cache.Entry{
		FinalURL:    resp.URL.String(),
		Status:      resp.StatusCode,
		Header:      resp.Header,
		ContentType: resp.ContentType,
		Charset:     resp.Charset,
		Body:        body,
	}
	if req.URL != nil {
		e.URL = req.URL.String()
	}
	for _, h := range resp.Redirects {
		e.Redirects = append(e.Redirects, cache.Hop{URL: h.URL, Status: h.Status})
	}
	return e
}

func fromEntry(req Request, e *cache.Entry, res cache.Result, now time.Time) *Source {
	return &Source{
		NoStore:     req.Directive.NoStore,
		URL:         req.URL.String(),
		FinalURL:    e.FinalURL,
		Redirects:   e.Redirects,
		Status:      e.Status,
		Header:      e.Header,
		ContentType: e.ContentType,
		Charset:     e.Charset,
		Body:        e.Body,
		Cache:       res,
		StoredAt:    e.StoredAt,
		Age:         e.Age(now),
	}
}

func (s *Service) fromLive(req Request, lv *live, res cache.Result) *Source {
	e := entryOf(req, lv.resp, nil)
	src := fromEntry(req, e, res, s.now())
	src.Age = 0
	src.Upstream = lv.upstream
	src.Stream = lv.resp.Body
	if len(lv.prefix) > 0 {
		src.Stream = &prefixed{
			Reader: io.MultiReader(bytes.NewReader(lv.prefix), lv.resp.Body),
			closer: lv.resp.Body,
		}
	}
	return src
}

type prefixed struct {
	io.Reader
	closer io.Closer
}

func (p *prefixed) Close() error { return p.closer.Close() }

// ReadBody returns the whole body of a source, reading a live stream.
func ReadBody(src *Source, limit int64) ([]byte, error) {
	if src.Stream == nil {
		return src.Body, nil
	}
	defer src.Stream.Close()
	b, err := io.ReadAll(io.LimitReader(src.Stream, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, problem.New(problem.ContentTooLarge,
			"the upstream body is larger than %d bytes", limit)
	}
	src.Body, src.Stream = b, nil
	return b, nil
}
