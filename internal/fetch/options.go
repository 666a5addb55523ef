package fetch

import (
	"context"
	"crypto/tls"
	"net"
	"net/url"
	"time"
)

// The defaults that zero-valued Options fields take.
const (
	DefaultUserAgent       = "downloader/1.0 (+https://github.com/downloader)"
	DefaultConnectTimeout  = 5 * time.Second
	DefaultHeaderTimeout   = 10 * time.Second
	DefaultTimeout         = 30 * time.Second
	DefaultMaxRedirects    = 10
	DefaultMaxHeaderBytes  = 1 << 20
	DefaultRetries         = 2
	DefaultRetryBaseDelay  = 200 * time.Millisecond
	DefaultRetryMaxDelay   = 5 * time.Second
	DefaultBreakerFailures = 5
	DefaultBreakerCooldown = 30 * time.Second
	DefaultBreakerMaxHosts = 4096
	// DefaultMaxBody applies when Request.MaxBody is zero or negative.
	DefaultMaxBody = 50 << 20
)

// Options are the client's settings. A zero field takes the default named
// in its comment; only DialContext is required.
type Options struct {
	// DialContext opens every connection, for every hop and retry; it is
	// where the SSRF policy is enforced. A *problem.Error it returns is
	// passed through unchanged. Required.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSConfig is cloned for the transport; nil means the system roots.
	TLSConfig *tls.Config
	// UserAgent is sent unless the request sets its own.
	// Default: DefaultUserAgent.
	UserAgent string
	// ConnectTimeout bounds each dial and, separately, each TLS handshake.
	// Default: 5s.
	ConnectTimeout time.Duration
	// HeaderTimeout bounds the wait for response headers once the request
	// is sent. Default: 10s.
	HeaderTimeout time.Duration
	// Timeout bounds the whole exchange: redirects, retries, backoff and
	// the body, until Response.Body is closed. Request.Timeout overrides
	// it. Default: 30s.
	Timeout time.Duration
	// MaxRedirects is the number of redirects followed. Default: 10.
	MaxRedirects int
	// MaxHeaderBytes bounds the response header size. Default: 1 MiB.
	MaxHeaderBytes int64
	// Retries is the number of retries after the first attempt, for
	// connection failures and 429/502/503/504. Default: 2; -1 disables.
	Retries int
	// RetryBaseDelay and RetryMaxDelay shape the exponential backoff with
	// full jitter. A Retry-After up to RetryMaxDelay is honoured; a longer
	// one ends the retries at once. Defaults: 200ms and 5s.
	RetryBaseDelay, RetryMaxDelay time.Duration
	// BreakerFailures is the number of consecutive failures (connection
	// errors, timeouts, 5xx) that open a host's circuit breaker.
	// Default: 5.
	BreakerFailures int
	// BreakerCooldown is how long an open breaker fails fast before it lets
	// one probe through (half-open). The breaker runs on the wall clock,
	// not on Now. Default: 30s.
	BreakerCooldown time.Duration
	// BreakerMaxHosts bounds the number of per-host breakers kept; past it
	// the idle ones are evicted (see breakers). Default: 4096.
	BreakerMaxHosts int
	// Now is the clock for Started, HeadersAt, Retry-After dates and the
	// breakers' idle times. Default: time.Now.
	Now func() time.Time
	// Sleep waits between retries; it returns ctx's error if ctx ends
	// first. Default: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
	// OnRetry, when set, is called before each retry's wait with the host,
	// the number of the attempt that failed (1 for the first), the wait
	// and the failure. It must be fast and safe for concurrent use.
	OnRetry func(host string, attempt int, wait time.Duration, err error)
	// OnRedirect, when set, is called for each redirect followed.
	// It must be fast and safe for concurrent use.
	OnRedirect func(from, to *url.URL, status int)
	// OnBreakerChange, when set, is called when a host's breaker changes
	// state ("closed", "half-open", "open"). It must be fast, safe for
	// concurrent use, and must not call the client.
	OnBreakerChange func(host, from, to string)
}

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.UserAgent == "" {
		o.UserAgent = DefaultUserAgent
	}
	o.ConnectTimeout = orDuration(o.ConnectTimeout, DefaultConnectTimeout)
	o.HeaderTimeout = orDuration(o.HeaderTimeout, DefaultHeaderTimeout)
	o.Timeout = orDuration(o.Timeout, DefaultTimeout)
	o.RetryBaseDelay = orDuration(o.RetryBaseDelay, DefaultRetryBaseDelay)
	o.RetryMaxDelay = orDuration(o.RetryMaxDelay, DefaultRetryMaxDelay)
	o.BreakerCooldown = orDuration(o.BreakerCooldown, DefaultBreakerCooldown)
	if o.MaxRedirects <= 0 {
		o.MaxRedirects = DefaultMaxRedirects
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	switch {
	case o.Retries == 0:
		o.Retries = DefaultRetries
	case o.Retries < 0:
		o.Retries = 0
	}
	if o.BreakerFailures <= 0 {
		o.BreakerFailures = DefaultBreakerFailures
	}
	if o.BreakerMaxHosts <= 0 {
		o.BreakerMaxHosts = DefaultBreakerMaxHosts
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	return o
}

func orDuration(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}
