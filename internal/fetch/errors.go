package fetch

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"

	"github.com/sony/gobreaker/v2"

	"downloader/internal/problem"
)

// withUpstream records the upstream status on p and returns it.
func withUpstream(p *problem.Error, status int) *problem.Error {
	p.UpstreamStatus = status
	return p
}

// checkStatus returns nil when hr may be handed out, else the problem for
// its status (hr's body is then drained and closed).
func (ex *exchange) checkStatus(hr *http.Response) error {
	s := hr.StatusCode
	if s >= 200 && s < 300 {
		return nil
	}
	if s == http.StatusNotModified && isConditional(ex.req.Header) {
		return nil
	}
	discard(hr)
	return statusProblem(hr, ex.c.opts.Now)
}

// statusProblem is the problem for a non-2xx upstream answer: 404 and 410
// are mirrored, anything else is a 502.
func statusProblem(hr *http.Response, now nowFunc) *problem.Error {
	s := hr.StatusCode
	p := problem.New(problem.UpstreamHTTP, "the upstream answered %d %s", s, http.StatusText(s))
	p.UpstreamStatus = s
	p.Status = http.StatusBadGateway
	if s == http.StatusNotFound || s == http.StatusGone {
		p.Status = s
	}
	if d, ok := retryAfter(hr.Header.Get("Retry-After"), now()); ok && d > 0 {
		p.RetryAfter = d
	}
	return p
}

func isConditional(h http.Header) bool {
	return h.Get("If-None-Match") != "" || h.Get("If-Modified-Since") != ""
}

// maxDrain bounds how much of an unwanted body is read so its connection
// can be reused.
const maxDrain = 64 << 10

// discard drains a small unwanted body (bounded) and closes it.
func discard(hr *http.Response) {
	if hr.ContentLength >= 0 && hr.ContentLength <= maxDrain {
		_, _ = io.CopyN(io.Discard, hr.Body, maxDrain)
	}
	_ = hr.Body.Close()
}

// transportProblem classifies an error of a round trip: *problem.Error (from
// the dial) as is, timeouts as UpstreamTimeout, the rest as
// UpstreamUnreachable. The caller's cancellation is handled by finalErr.
func transportProblem(ctx context.Context, err error) *problem.Error {
	var p *problem.Error
	if errors.As(err, &p) {
		return p
	}
	if ctx.Err() != nil {
		return problem.Wrap(problem.UpstreamTimeout, err, "the upstream exchange timed out")
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		msg := err.Error()
		switch {
		case strings.Contains(msg, "response headers"):
			return problem.Wrap(problem.UpstreamTimeout, err,
				"the upstream sent no response headers in time")
		case strings.Contains(msg, "TLS handshake"):
			return problem.Wrap(problem.UpstreamTimeout, err, "the TLS handshake timed out")
		}
		return problem.Wrap(problem.UpstreamTimeout, err, "the upstream timed out")
	}
	// net/http has no error type for this one; its text is stable.
	if strings.Contains(err.Error(), "server response headers exceeded") {
		return problem.Wrap(problem.ContentTooLarge, err,
			"the upstream's response headers exceed the limit")
	}
	return problem.Wrap(problem.UpstreamUnreachable, err, "the upstream connection failed")
}

// retryableErr reports whether a failed attempt may be retried: connection
// failures and connect timeouts, but not blocked URLs, validation errors,
// permanent DNS answers, header timeouts or an open breaker.
func retryableErr(p *problem.Error) bool {
	if errors.Is(p, gobreaker.ErrOpenState) || errors.Is(p, gobreaker.ErrTooManyRequests) {
		return false
	}
	var dns *net.DNSError
	if errors.As(p, &dns) {
		return dns.IsTemporary || dns.IsTimeout
	}
	switch p.Type {
	case problem.UpstreamUnreachable:
		return true
	case problem.UpstreamTimeout:
		return isConnectTimeout(p)
	}
	return false
}

func isConnectTimeout(p *problem.Error) bool {
	return p.Type == problem.UpstreamTimeout && strings.HasPrefix(p.Detail, "connecting")
}

// retryableStatus lists the statuses worth another attempt.
func retryableStatus(s int) bool {
	switch s {
	case http.StatusTooManyRequests, http.StatusBadGateway,
		http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return true
	}
	return false
}

// bodyProblem classifies an error met while reading the body. wireErr is
// the error the raw connection returned, if any, to tell a broken
// connection from a corrupt encoding.
func bodyProblem(ctx, tctx context.Context, err, wireErr error, status int) error {
	var p *problem.Error
	switch {
	case errors.As(err, &p):
		return p
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return wrapCanceled(ctx.Err())
	case tctx.Err() != nil:
		return problem.Wrap(problem.UpstreamTimeout, err,
			"the upstream body did not arrive within the timeout")
	case wireErr != nil || isConnErr(err):
		return problem.Wrap(problem.UpstreamUnreachable, err,
			"the upstream connection broke while sending the body")
	}
	return withUpstream(&problem.Error{
		Type: problem.UpstreamHTTP, Status: http.StatusBadGateway, Err: err,
		Detail: "the upstream body could not be decoded",
	}, status)
}

func isConnErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, net.ErrClosed)
}
