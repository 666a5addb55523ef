package fetch

import (
	"context"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"

	"downloader/internal/problem"
)

// nowFunc is the injectable clock.
type nowFunc = func() time.Time

// attempts sends the current hop, retrying failures that are worth it, and
// returns the first answer that is not retried (whatever its status).
func (ex *exchange) attempts(ctx context.Context, header http.Header) (*http.Response, error) {
	host := hostKey(ex.url)
	for attempt := 1; ; attempt++ {
		hr, p := ex.attempt(ctx, host, header)
		if p == nil && !retryableStatus(hr.StatusCode) {
			return hr, nil
		}
		wait, ok := ex.retryWait(ctx, attempt, hr, p)
		if !ok {
			if p != nil {
				return nil, p
			}
			return hr, nil
		}
		if hr != nil {
			discard(hr)
			p = statusProblem(hr, ex.c.opts.Now)
		}
		if hook := ex.c.opts.OnRetry; hook != nil {
			hook(host, attempt, wait, p)
		}
		if err := ex.c.opts.Sleep(ctx, wait); err != nil {
			return nil, problem.Wrap(problem.UpstreamTimeout, err,
				"the upstream exchange took longer than %s", ex.timeout)
		}
	}
}

// attempt sends one request through the host's breaker. Exactly one of the
// results is non-nil.
func (ex *exchange) attempt(ctx context.Context, host string,
	header http.Header) (*http.Response, *problem.Error) {
	done, err := ex.c.breakers.allow(host)
	if err != nil {
		return nil, problem.Wrap(problem.UpstreamUnreachable, err,
			"circuit open for host %s", ex.url.Host)
	}
	hreq, err := ex.newRequest(ctx, header)
	if err != nil {
		done(errExcluded)
		return nil, problem.Wrap(problem.Validation, err, "the URL cannot be requested")
	}
	hr, err := ex.c.transport.RoundTrip(hreq)
	if err != nil {
		p := transportProblem(ctx, err)
		done(breakerOutcome(ctx, p, 0))
		return nil, p
	}
	done(breakerOutcome(ctx, nil, hr.StatusCode))
	return hr, nil
}

func (ex *exchange) newRequest(ctx context.Context, header http.Header) (*http.Request, error) {
	hreq, err := http.NewRequestWithContext(ctx, ex.method, ex.url.String(), nil)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		hreq.Header[k] = v
	}
	if hreq.Header.Get("User-Agent") == "" {
		hreq.Header.Set("User-Agent", ex.c.opts.UserAgent)
	}
	if hreq.Header.Get("Accept") == "" {
		hreq.Header.Set("Accept", "*/*")
	}
	hreq.Header.Set("Accept-Encoding", acceptEncoding)
	return hreq, nil
}

// retryWait decides whether the failed attempt number attempt is retried,
// and after how long. hr is the answer (retryable status) or p the
// failure.
func (ex *exchange) retryWait(ctx context.Context, attempt int, hr *http.Response,
	p *problem.Error) (time.Duration, bool) {
	o := ex.c.opts
	if attempt > o.Retries || ctx.Err() != nil || (p != nil && !retryableErr(p)) {
		return 0, false
	}
	wait := backoff(attempt, o.RetryBaseDelay, o.RetryMaxDelay)
	if hr != nil {
		if d, ok := retryAfter(hr.Header.Get("Retry-After"), o.Now()); ok {
			if d > o.RetryMaxDelay {
				return 0, false
			}
			wait = d
		}
	}
	if dl, ok := ctx.Deadline(); ok && wait >= time.Until(dl) {
		return 0, false
	}
	return wait, true
}

// backoff is the exponential backoff with full jitter before retry n
// (1-based): uniform in [0, min(max, base*2^(n-1))].
func backoff(n int, base, max time.Duration) time.Duration {
	ceil := base
	for i := 1; i < n && ceil < max; i++ {
		ceil *= 2
	}
	ceil = min(ceil, max)
	return rand.N(ceil + 1)
}

// retryAfter parses a Retry-After value: delay-seconds or an HTTP date.
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		return time.Duration(min(secs, 1<<30)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
