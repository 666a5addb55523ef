// Package fetch is the upstream HTTP client of downloader: it fetches one
// public URL with manual redirects, bounded timeouts and sizes, retries
// with backoff, a per-host circuit breaker, transparent decoding of the
// Content-Encoding and content-type sniffing.
//
// Every failure that a client could see is a [*problem.Error]:
//
//   - a non-http(s) URL, or a method other than GET and HEAD:
//     problem.Validation;
//   - a redirect to a non-http(s) scheme: problem.URLBlocked (the client's
//     URL was valid; the upstream tried to steer the fetch elsewhere);
//   - a redirect loop or more than Options.MaxRedirects hops:
//     problem.TooManyRedirects;
//   - an upstream 404 or 410: problem.UpstreamHTTP with the same status;
//     any other non-2xx (and a 304 nobody asked for): problem.UpstreamHTTP
//     with status 502; UpstreamStatus carries the upstream's status;
//   - connect, TLS handshake, response header and total timeouts:
//     problem.UpstreamTimeout;
//   - refused, reset, TLS and DNS failures, and an open circuit breaker:
//     problem.UpstreamUnreachable;
//   - a decoded body larger than Request.MaxBody: problem.ContentTooLarge;
//   - a body whose Content-Encoding is corrupt: problem.UpstreamHTTP (502).
//
// Wiring, with the SSRF guard as the dialer:
//
//	c := fetch.New(fetch.Options{DialContext: guard.DialContext})
//	r, err := c.Do(ctx, &fetch.Request{URL: u, MaxBody: 50 << 20})
//	if err != nil {
//		return err // a *problem.Error, or the client's cancellation
//	}
//	defer r.Body.Close()
//
// Retries (GET and HEAD only, before any 2xx is handed out) cover
// connection failures, connect timeouts and 429/502/503/504; each attempt
// counts with the host's breaker, so one Do can add up to Retries+1
// failures. A response whose unencoded Content-Length exceeds the limit
// fails in Do, before any byte is handed out; a longer or encoded body
// fails on the Read that crosses the limit.
//
// A *problem.Error returned by Options.DialContext (the SSRF guard's
// url_blocked, for instance) is passed through unchanged. When the caller's
// context is cancelled (the client hung up) the error wraps ctx.Err()
// instead and is no problem.Error, so the caller can tell it apart.
package fetch
