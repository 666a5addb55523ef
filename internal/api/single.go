package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"downloader/internal/cache"
	"downloader/internal/download"
	"downloader/internal/problem"
)

// options are what a client asked of one download.
type options struct {
	target   *url.URL
	format   download.Format   // explicit format, "" = negotiate
	formats  []download.Format // X-Formats: several at once in the envelope
	accept   string
	timeout  time.Duration
	cacheDir cache.Directive
}

// handleTarget answers GET /{target}; any other unknown path is a 404.
func (s *Server) handleTarget(w http.ResponseWriter, r *http.Request) {
	raw, ok := targetOf(r.RequestURI)
	if !ok {
		s.WriteError(w, r, problem.New(problem.NotFound, "no route %s", clip(r.URL.Path)))
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.WriteError(w, r, problem.New(problem.MethodNotAllowed,
			"a download is a GET or HEAD request"))
		return
	}
	opts, err := s.headerOptions(r, raw)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.serveDownload(w, r, opts)
}

// handleFetchQuery answers GET /fetch?url=...&format=...&timeout=...
func (s *Server) handleFetchQuery(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	opts, err := s.headerOptions(r, q.Get("url"))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if err := applyQuery(&opts, q, s.opts.MaxTimeout); err != nil {
		s.WriteError(w, r, err)
		return
	}
	s.serveDownload(w, r, opts)
}

func applyQuery(o *options, q url.Values, max time.Duration) error {
	if v := q.Get("format"); v != "" {
		fs, err := parseFormats(v)
		if err != nil {
			return err
		}
		o.format, o.formats = singleOrMany(fs)
	}
	if v := q.Get("formats"); v != "" {
		fs, err := parseFormats(v)
		if err != nil {
			return err
		}
		o.format, o.formats = download.JSON, fs
	}
	if v := q.Get("timeout"); v != "" {
		d, err := parseTimeout(v, max)
		if err != nil {
			return err
		}
		o.timeout = d
	}
	return nil
}

func singleOrMany(fs []download.Format) (download.Format, []download.Format) {
	if len(fs) == 1 {
		return fs[0], nil
	}
	return download.JSON, fs
}

// headerOptions reads the target and the option headers of DESIGN.md.
func (s *Server) headerOptions(r *http.Request, raw string) (options, error) {
	u, err := ParseTarget(raw)
	if err != nil {
		return options{}, err
	}
	o := options{target: u, accept: r.Header.Get("Accept"),
		cacheDir: cache.ParseDirective(r.Header)}
	if v := r.Header.Get("X-Formats"); v != "" {
		fs, err := parseFormats(v)
		if err != nil {
			return o, err
		}
		o.format, o.formats = download.JSON, fs
	} else if v := r.Header.Get("X-Format"); v != "" {
		f, err := download.ParseFormat(v)
		if err != nil {
			return o, err
		}
		o.format = f
	}
	if v := r.Header.Get("X-Timeout"); v != "" {
		d, err := parseTimeout(v, s.opts.MaxTimeout)
		if err != nil {
			return o, err
		}
		o.timeout = d
	}
	return o, nil
}

func parseFormats(v string) ([]download.Format, error) {
	var out []download.Format
	seen := map[download.Format]bool{}
	for _, part := range strings.Split(v, ",") {
		if strings.TrimSpace(part) == "" {
			continue
		}
		f, err := download.ParseFormat(part)
		if err != nil {
			return nil, err
		}
		if !seen[f] {
			seen[f] = true
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, problem.New(problem.Validation, "no format named")
	}
	return out, nil
}

// parseTimeout reads seconds (fractions allowed) up to max.
func parseTimeout(v string, max time.Duration) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil || f <= 0 || f != f {
		return 0, problem.New(problem.Validation,
			"timeout %q is not a positive number of seconds", clip(v))
	}
	d := time.Duration(f * float64(time.Second))
	if max > 0 && d > max {
		return 0, problem.New(problem.Validation,
			"timeout %gs is above the maximum of %gs", f, max.Seconds())
	}
	return d, nil
}

// serveDownload runs the pipeline and writes the answer.
func (s *Server) serveDownload(w http.ResponseWriter, r *http.Request, o options) {
	buffered := o.format != "" && o.format != download.Raw ||
		o.format == "" && !mayBeRaw(o.accept)
	src, err := s.download.Open(r.Context(), download.Request{
		URL:       o.target,
		Timeout:   o.timeout,
		Directive: o.cacheDir,
		Buffered:  buffered,
	})
	if info := infoOf(r.Context()); info != nil && src != nil {
		info.upstream, info.cache = src.Upstream, string(src.Cache)
	}
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	defer src.Close()
	s.obs.ContentType(kindName(download.KindOf(src.ContentType)))
	if src.Cache != "" {
		s.obs.Cache(string(src.Cache))
	}

	f := o.format
	if f == "" {
		if f, err = negotiate(o.accept, src.ContentType); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	w.Header().Add("Vary", "Accept, X-Format, X-Formats")
	if f == download.Raw && src.Stream != nil {
		s.streamRaw(w, r, src)
		return
	}
	s.writeConverted(w, r, src, f, o)
}

// commonHeaders sets the headers every successful download carries.
func (s *Server) commonHeaders(w http.ResponseWriter, r *http.Request, src *download.Source) {
	h := w.Header()
	h.Set("X-Final-URL", src.FinalURL)
	h.Set("X-Upstream-Status", strconv.Itoa(src.Status))
	if src.Cache != "" {
		h.Set("X-Cache", string(src.Cache))
	}
	if src.Cache == cache.Hit || src.Cache == cache.Stale || src.Cache == cache.Revalidated {
		h.Set("Age", strconv.Itoa(int(src.Age.Seconds())))
	}
	info := infoOf(r.Context())
	if info != nil {
		process := time.Since(info.start) - src.Upstream
		h.Set("Server-Timing", fmt.Sprintf("upstream;dur=%.1f, process;dur=%.1f",
			ms(src.Upstream), ms(process)))
	}
}

// streamRaw copies a live upstream body to the client. If the upstream
// fails midway the connection is cut, so the client never takes a
// truncated body for a whole one (DESIGN.md "One URL").
func (s *Server) streamRaw(w http.ResponseWriter, r *http.Request, src *download.Source) {
	s.commonHeaders(w, r, src)
	h := w.Header()
	h.Set("Content-Type", rawContentType(src))
	copyHeaders(h, src.Header, "Last-Modified", "ETag", "Content-Disposition", "Content-Language")
	if n := src.Header.Get("Content-Length"); n != "" && src.Header.Get("Content-Encoding") == "" {
		h.Set("Content-Length", n)
	}
	w.WriteHeader(http.StatusOK)
	if info := infoOf(r.Context()); info != nil {
		s.obs.RawTTFB(time.Since(info.start))
	}
	if r.Method == http.MethodHead {
		return
	}
	rc := http.NewResponseController(w)
	if n := declaredLength(h); n < 0 || n > 64<<10 {
		// A long or open-ended stream shows its headers at once; a small
		// body goes out with them in one write.
		_ = rc.Flush()
	}
	buf := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(buf)
	fw := &flushWriter{w: w, rc: rc}
	_, err := io.CopyBuffer(fw, src.Stream, *buf)
	fw.stop()
	if err != nil {
		if r.Context().Err() != nil {
			return // the client went away
		}
		if info := infoOf(r.Context()); info != nil {
			info.errType = string(problem.TypeOf(err))
		}
		panic(http.ErrAbortHandler)
	}
}

// flushWriter extends the write deadline as a stream progresses, so a
// long download is bounded by stalls, not by its total length, and pushes
// buffered bytes out within flushLatency of their write, so a trickling
// upstream reaches the client as it comes while a fast one goes out in
// full buffers (as httputil.ReverseProxy's FlushInterval does).
type flushWriter struct {
	w        io.Writer
	rc       *http.ResponseController
	deadline time.Time

	mu      sync.Mutex
	timer   *time.Timer
	pending bool
	stopped bool
}

// streamStall is how long a slow client may take to accept a stream's
// next bytes.
const streamStall = 60 * time.Second

// flushLatency is the longest written bytes wait in the buffer.
const flushLatency = 20 * time.Millisecond

func (f *flushWriter) Write(p []byte) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if now := time.Now(); f.deadline.Sub(now) < streamStall-time.Second {
		f.deadline = now.Add(streamStall)
		_ = f.rc.SetWriteDeadline(f.deadline)
	}
	n, err := f.w.Write(p)
	if err != nil || f.pending {
		return n, err
	}
	f.pending = true
	if f.timer == nil {
		f.timer = time.AfterFunc(flushLatency, f.delayedFlush)
	} else {
		f.timer.Reset(flushLatency)
	}
	return n, err
}

func (f *flushWriter) delayedFlush() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.pending && !f.stopped {
		_ = f.rc.Flush()
		f.pending = false
	}
}

// stop ends delayed flushes; it must run before the handler returns.
func (f *flushWriter) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stopped = true
	if f.timer != nil {
		f.timer.Stop()
	}
}

// declaredLength is the Content-Length set on h, or -1.
func declaredLength(h http.Header) int64 {
	n, err := strconv.ParseInt(h.Get("Content-Length"), 10, 64)
	if err != nil {
		return -1
	}
	return n
}

func rawContentType(src *download.Source) string {
	if ct := src.Header.Get("Content-Type"); ct != "" &&
		download.KindOf(ct) == download.KindOf(src.ContentType) &&
		strings.HasPrefix(strings.ToLower(ct), src.ContentType) {
		return ct
	}
	if src.ContentType == "" {
		return "application/octet-stream"
	}
	return src.ContentType
}

func copyHeaders(dst, src http.Header, keys ...string) {
	for _, k := range keys {
		if v := src.Get(k); v != "" {
			dst.Set(k, v)
		}
	}
}

// writeConverted renders a buffered answer in format f.
func (s *Server) writeConverted(w http.ResponseWriter, r *http.Request,
	src *download.Source, f download.Format, o options) {
	if _, err := download.ReadBody(src, s.opts.MaxBody); err != nil {
		s.WriteError(w, r, err)
		return
	}
	// The request's timeout bounds the conversion too.
	ctx, cancel := context.WithTimeout(r.Context(), s.remaining(r, o.timeout))
	defer cancel()
	body, ct, err := s.render(ctx, src, f, o.formats)
	if err != nil {
		if errors.Is(err, errExtraction) {
			s.obs.ExtractionFailure()
		}
		s.WriteError(w, r, err)
		return
	}
	s.commonHeaders(w, r, src)
	if f == download.Raw {
		copyHeaders(w.Header(), src.Header, "Last-Modified", "ETag", "Content-Disposition")
	}
	w.Header().Set("X-Format", string(f))
	writeBody(w, r, http.StatusOK, ct, body)
}

var errExtraction = errors.New("extract article")

// copyBufs recycles the buffers of raw streams.
var copyBufs = sync.Pool{New: func() any {
	b := make([]byte, 32<<10)
	return &b
}}

// remaining is what is left of the request's timeout (X-Timeout or the
// default), at least a moment so a conversion can report it ran out.
func (s *Server) remaining(r *http.Request, timeout time.Duration) time.Duration {
	if timeout <= 0 {
		timeout = s.opts.DefaultTimeout
	}
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	if info := infoOf(r.Context()); info != nil {
		timeout -= time.Since(info.start)
	}
	return max(timeout, 10*time.Millisecond)
}

func (s *Server) render(ctx context.Context, src *download.Source, f download.Format,
	formats []download.Format) ([]byte, string, error) {
	if f == download.Raw {
		return src.Body, rawContentType(src), nil
	}
	page := s.download.Page(src)
	if len(formats) > 0 {
		return s.renderMany(ctx, page, formats)
	}
	body, err := s.download.Render(ctx, page, f)
	if err != nil {
		if problem.TypeOf(err) == problem.Internal {
			return nil, "", fmt.Errorf("%w: %w", errExtraction, err)
		}
		return nil, "", err
	}
	return body, f.MediaType(), nil
}

// renderMany answers X-Formats: the envelope with a formats object.
func (s *Server) renderMany(ctx context.Context, page *download.Page,
	formats []download.Format) ([]byte, string, error) {
	out := map[download.Format]string{}
	for _, f := range formats {
		if f == download.JSON {
			continue
		}
		if f == download.Raw {
			out[f], _ = encodeContent(page) // binary bodies as base64
			continue
		}
		b, err := s.download.Render(ctx, page, f)
		if err != nil {
			return nil, "", err
		}
		out[f] = string(b)
	}
	body, err := json.Marshal(page.Envelope(out))
	return body, download.JSON.MediaType(), err
}

func kindName(k download.Kind) string {
	switch k {
	case download.KindHTML:
		return "html"
	case download.KindText:
		return "text"
	case download.KindMarkdown:
		return "markdown"
	case download.KindJSON:
		return "json"
	case download.KindXML:
		return "xml"
	case download.KindCSV:
		return "csv"
	}
	return "binary"
}
