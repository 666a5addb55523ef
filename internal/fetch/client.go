package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"downloader/internal/problem"
)

// Client fetches upstream URLs. It is safe for concurrent use; make one per
// process and share it, so connections and breakers are shared too.
type Client struct {
	opts      Options
	transport *http.Transport
	breakers  *breakers
}

// Request is one fetch.
type Request struct {
	// URL is the http or https URL to fetch.
	URL *url.URL
	// Method is GET (the default when empty) or HEAD.
	Method string
	// Header holds extra request headers (Accept, If-None-Match,
	// If-Modified-Since, ...). Accept-Encoding is always the client's own.
	Header http.Header
	// Timeout overrides Options.Timeout when positive.
	Timeout time.Duration
	// MaxBody limits the decoded body; zero or less means DefaultMaxBody.
	MaxBody int64
}

// Hop is one redirect: the URL that answered with a redirect, and its
// status.
type Hop struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
}

// Response is an upstream answer whose headers are in and whose body is
// still to be read. The caller must close Body.
type Response struct {
	// URL is the final URL, after redirects.
	URL *url.URL
	// Redirects lists the redirects followed, in order.
	Redirects []Hop
	// StatusCode is the upstream's status: 2xx, or 304 when the request was
	// conditional.
	StatusCode int
	// Header is the upstream's header; Content-Encoding and Content-Length
	// are removed when the body was decoded.
	Header http.Header
	// ContentType is the media type, lower-case and without parameters,
	// from the header or sniffed (see sniffType).
	ContentType string
	// Charset is the header's charset parameter, lower-case; may be empty.
	Charset string
	// Body is the decoded body, counted against MaxBody. Its read errors
	// are *problem.Error (or wrap the caller's ctx.Err()). Close releases
	// the connection and the request's timer.
	Body io.ReadCloser
	// Started is when Do began; HeadersAt when the final headers arrived.
	Started, HeadersAt time.Time
}

// errTotalTimeout is the cause of the per-request context's expiry.
var errTotalTimeout = errors.New("total timeout")

// New returns a client with opts, zero fields taking their defaults.
func New(opts Options) *Client {
	o := opts.withDefaults()
	c := &Client{opts: o}
	c.transport = c.newTransport()
	c.breakers = newBreakers(o)
	return c
}

func (c *Client) newTransport() *http.Transport {
	o := c.opts
	t := &http.Transport{
		Proxy:                  nil,
		DialContext:            c.dial,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    64,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    o.ConnectTimeout,
		ResponseHeaderTimeout:  o.HeaderTimeout,
		MaxResponseHeaderBytes: o.MaxHeaderBytes,
		DisableCompression:     true,
		HTTP2: &http.HTTP2Config{
			SendPingTimeout: 30 * time.Second,
			PingTimeout:     15 * time.Second,
		},
	}
	if o.TLSConfig != nil {
		t.TLSClientConfig = o.TLSConfig.Clone()
	}
	return t
}

// CloseIdleConnections closes the idle upstream connections, for shutdown.
func (c *Client) CloseIdleConnections() { c.transport.CloseIdleConnections() }

// dial bounds Options.DialContext by the connect timeout and turns its
// failures into problems; a *problem.Error from it passes unchanged.
func (c *Client) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	errConnect := errors.New("connect timeout")
	dctx, cancel := context.WithTimeoutCause(ctx, c.opts.ConnectTimeout, errConnect)
	defer cancel()
	conn, err := c.opts.DialContext(dctx, network, addr)
	if err == nil {
		return conn, nil
	}
	var p *problem.Error
	switch {
	case errors.As(err, &p):
		return nil, err
	case errors.Is(context.Cause(dctx), errConnect) && ctx.Err() == nil:
		return nil, problem.Wrap(problem.UpstreamTimeout, err,
			"connecting to the upstream took longer than %s", c.opts.ConnectTimeout)
	case ctx.Err() != nil:
		return nil, err
	}
	return nil, problem.Wrap(problem.UpstreamUnreachable, err, "could not connect to the upstream")
}

// Do fetches req. On success the caller owns Response.Body and must close
// it; the total timeout keeps running until then.
func (c *Client) Do(ctx context.Context, req *Request) (*Response, error) {
	method, err := checkRequest(req)
	if err != nil {
		return nil, err
	}
	timeout := c.opts.Timeout
	if req.Timeout > 0 {
		timeout = req.Timeout
	}
	tctx, cancel := context.WithTimeoutCause(ctx, timeout, errTotalTimeout)
	ex := &exchange{c: c, req: req, method: method, started: c.opts.Now(), timeout: timeout}
	hr, err := ex.follow(tctx)
	if err == nil {
		err = ex.checkLength(hr)
	}
	if err != nil {
		cancel()
		return nil, ex.finalErr(ctx, tctx, err)
	}
	return ex.response(ctx, tctx, cancel, hr), nil
}

// checkLength fails early, before any byte is handed out, when an
// unencoded body announces more than the limit.
func (ex *exchange) checkLength(hr *http.Response) error {
	if ex.method == http.MethodHead || hr.ContentLength <= ex.maxBody() ||
		len(encodings(hr.Header)) > 0 {
		return nil
	}
	_ = hr.Body.Close()
	return problem.New(problem.ContentTooLarge,
		"the upstream body is larger than the %d-byte limit", ex.maxBody())
}

// maxBody is the request's limit on the decoded body.
func (ex *exchange) maxBody() int64 {
	if ex.req.MaxBody <= 0 {
		return DefaultMaxBody
	}
	return ex.req.MaxBody
}

// checkRequest validates req and returns its method.
func checkRequest(req *Request) (string, error) {
	if req == nil || req.URL == nil {
		return "", problem.New(problem.Validation, "no URL to fetch")
	}
	if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
		return "", problem.New(problem.Validation, "only http and https URLs can be fetched")
	}
	if req.URL.Hostname() == "" {
		return "", problem.New(problem.Validation, "the URL has no host")
	}
	switch req.Method {
	case "", http.MethodGet:
		return http.MethodGet, nil
	case http.MethodHead:
		return http.MethodHead, nil
	}
	return "", problem.New(problem.Validation, "method %q cannot be fetched", req.Method)
}

// exchange is the state of one Do call.
type exchange struct {
	c         *Client
	req       *Request
	method    string
	started   time.Time
	timeout   time.Duration
	url       *url.URL
	redirects []Hop
}

// finalErr turns err into what Do returns: the caller's cancellation
// wrapped as is, an expired total timeout as UpstreamTimeout, else err.
func (ex *exchange) finalErr(ctx, tctx context.Context, err error) error {
	if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("fetch upstream: %w", ctx.Err())
	}
	var p *problem.Error
	if tctx.Err() != nil && !errors.As(err, &p) {
		return problem.Wrap(problem.UpstreamTimeout, err,
			"the upstream exchange took longer than %s", ex.timeout)
	}
	return err
}
