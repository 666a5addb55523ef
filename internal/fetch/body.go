package fetch

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
	"github.com/klauspost/compress/zstd"

	"downloader/internal/problem"
)

// acceptEncoding is sent on every request; the client decodes these itself.
const acceptEncoding = "gzip, deflate, br, zstd"

// sniffLen is the window http.DetectContentType looks at; labelLen is the
// shorter window enough to catch a label contradicted by magic bytes.
const (
	sniffLen = 512
	labelLen = 16
)

// zstdMaxWindow follows RFC 9659: HTTP zstd windows are at most 8 MiB, so
// a hostile frame cannot make the decoder allocate more.
const zstdMaxWindow = 8 << 20

// response builds the Response around the final upstream answer hr; the
// body holds cancel until it is closed.
func (ex *exchange) response(ctx, tctx context.Context, cancel context.CancelFunc,
	hr *http.Response) *Response {
	maxBody := ex.maxBody()
	wire := &wireReader{r: hr.Body, left: maxBody + maxBody/4 + 1<<20}
	decoded, encoded := decode(hr.Header, wire)
	if encoded {
		hr.Header.Del("Content-Length")
	}
	b := &body{
		ctx: ctx, tctx: tctx, cancel: cancel, raw: hr.Body, wire: wire,
		status: hr.StatusCode, max: maxBody,
		br: bufio.NewReaderSize(&limitReader{r: decoded, left: maxBody}, sniffLen),
	}
	b.dec, _ = decoded.(*lazyDecoder)
	r := &Response{
		URL: ex.url, Redirects: ex.redirects, StatusCode: hr.StatusCode,
		Header: hr.Header, Body: b, Started: ex.started, HeadersAt: ex.c.opts.Now(),
	}
	r.ContentType, r.Charset = contentType(hr.Header.Get("Content-Type"))
	if ex.method != http.MethodHead && hr.StatusCode != http.StatusNotModified {
		r.ContentType = sniffType(r.ContentType, b.peek(r.ContentType))
	}
	if r.ContentType == "" {
		r.ContentType = "application/octet-stream"
	}
	return r
}

// contentType splits a Content-Type header into the lower-case media type
// and charset.
func contentType(v string) (mediaType, charset string) {
	if v == "" {
		return "", ""
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil {
		mt, _, _ = strings.Cut(v, ";")
		return strings.ToLower(strings.TrimSpace(mt)), ""
	}
	return mt, strings.ToLower(strings.TrimSpace(params["charset"]))
}

// decode stacks the decoders of the Content-Encoding values (applied in
// order, so undone in reverse). encoded is false when there was nothing to
// undo or an unknown coding was met, in which case the body stays raw and
// the header is kept.
func decode(h http.Header, r io.Reader) (decoded io.Reader, encoded bool) {
	codings := encodings(h)
	for _, c := range codings {
		if !knownCoding(c) {
			return r, false
		}
	}
	h.Del("Content-Encoding")
	for i := len(codings) - 1; i >= 0; i-- {
		r = &lazyDecoder{coding: codings[i], src: r}
	}
	return r, len(codings) > 0
}

func encodings(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Content-Encoding") {
		for _, c := range strings.Split(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c != "" && c != "identity" {
				out = append(out, c)
			}
		}
	}
	return out
}

func knownCoding(c string) bool {
	switch c {
	case "gzip", "x-gzip", "deflate", "br", "zstd":
		return true
	}
	return false
}

// lazyDecoder opens its decoder on the first Read, so that header errors
// surface as read errors like any other.
type lazyDecoder struct {
	coding string
	src    io.Reader
	dec    io.Reader
	close  func()
	err    error
}

func (d *lazyDecoder) Read(p []byte) (int, error) {
	if d.dec == nil && d.err == nil {
		d.dec, d.close, d.err = newDecoder(d.coding, d.src)
	}
	if d.err != nil {
		return 0, d.err
	}
	return d.dec.Read(p)
}

// Close releases the decoder's resources (zstd holds buffers).
func (d *lazyDecoder) Close() {
	if d.close != nil {
		d.close()
		d.close = nil
	}
	if c, ok := d.src.(*lazyDecoder); ok {
		c.Close()
	}
}

func newDecoder(coding string, src io.Reader) (io.Reader, func(), error) {
	switch coding {
	case "gzip", "x-gzip":
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, nil, fmt.Errorf("open gzip: %w", err)
		}
		return zr, func() { _ = zr.Close() }, nil
	case "deflate":
		return newDeflate(src)
	case "br":
		return brotli.NewReader(src), nil, nil
	case "zstd":
		zr, err := zstd.NewReader(src, zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true), zstd.WithDecoderMaxWindow(zstdMaxWindow))
		if err != nil {
			return nil, nil, fmt.Errorf("open zstd: %w", err)
		}
		return zr, zr.Close, nil
	}
	return nil, nil, fmt.Errorf("decode %s: unknown coding", coding)
}

// newDeflate reads "deflate" either as zlib (RFC 9110) or as the raw
// deflate stream some servers send, telling them apart by the zlib header.
func newDeflate(src io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(src, 64)
	head, err := br.Peek(2)
	if err != nil {
		return nil, nil, fmt.Errorf("open deflate: %w", err)
	}
	if head[0]&0x0f == 8 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
		zr, err := zlib.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("open zlib: %w", err)
		}
		return zr, func() { _ = zr.Close() }, nil
	}
	fr := flate.NewReader(br)
	return fr, func() { _ = fr.Close() }, nil
}

// wireReader counts the raw bytes and remembers the connection's error, so
// a broken connection is told from a corrupt encoding. It stops a stream
// that is far larger on the wire than any decoded body may be.
type wireReader struct {
	r    io.Reader
	left int64
	err  error
}

func (w *wireReader) Read(p []byte) (int, error) {
	if w.left <= 0 {
		return 0, errTooLarge
	}
	n, err := w.r.Read(p[:min(int64(len(p)), w.left)])
	w.left -= int64(n)
	if err != nil && err != io.EOF {
		w.err = err
	}
	return n, err
}

var errTooLarge = errors.New("body over its limit")

// limitReader fails with errTooLarge once more than left bytes would be
// returned; a body of exactly the limit reads cleanly.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	n, err := l.r.Read(p[:min(int64(len(p)), l.left)])
	l.left -= int64(n)
	return n, err
}

// body is Response.Body: decoded, limited, with client-facing errors.
type body struct {
	ctx, tctx context.Context
	cancel    context.CancelFunc
	raw       io.Closer
	wire      *wireReader
	dec       *lazyDecoder
	br        *bufio.Reader
	status    int
	max       int64
	err       error
	closed    bool
}

// peek returns the first bytes for sniffing: a short window when the
// header names a specific type (enough for magic numbers), the full
// window when it names none or a generic one. It blocks until the window
// is full, the body ends, or it fails (the failure is then met by Read).
func (b *body) peek(labelled string) []byte {
	n := sniffLen
	if labelled != "" && !genericType(labelled) {
		n = labelLen
	}
	buf, _ := b.br.Peek(n)
	return buf
}

func (b *body) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.br.Read(p)
	if err != nil && err != io.EOF {
		b.err = b.readProblem(err)
		return n, b.err
	}
	return n, err
}

func (b *body) readProblem(err error) error {
	if errors.Is(err, errTooLarge) {
		return problem.Wrap(problem.ContentTooLarge, err,
			"the upstream body is larger than the %d-byte limit", b.max)
	}
	return bodyProblem(b.ctx, b.tctx, err, b.wire.err, b.status)
}

// Close closes the upstream body and releases the request's timer.
func (b *body) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	err := b.raw.Close()
	if b.dec != nil {
		b.dec.Close()
	}
	b.cancel()
	return err
}
