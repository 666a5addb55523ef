package fetch

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"downloader/internal/problem"
)

// follow runs the exchange through its redirects and returns the final
// upstream response, whose status is 2xx or an asked-for 304.
func (ex *exchange) follow(ctx context.Context) (*http.Response, error) {
	ex.url = ex.req.URL
	header := ex.req.Header.Clone()
	seen := map[string]bool{ex.url.String(): true}
	for {
		hr, err := ex.attempts(ctx, header)
		if err != nil {
			return nil, err
		}
		if !isRedirect(hr.StatusCode) || hr.Header.Get("Location") == "" {
			return hr, ex.checkStatus(hr)
		}
		discard(hr)
		next, err := ex.nextURL(hr)
		if err != nil {
			return nil, err
		}
		ex.redirects = append(ex.redirects, Hop{URL: ex.url.String(), Status: hr.StatusCode})
		if err := ex.checkHop(next, seen); err != nil {
			return nil, err
		}
		if hook := ex.c.opts.OnRedirect; hook != nil {
			hook(ex.url, next, hr.StatusCode)
		}
		ex.method = redirectMethod(ex.method, hr.StatusCode)
		header = hopHeader(header, ex.url, next)
		ex.url = next
	}
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// nextURL resolves the Location of hr against the current URL.
func (ex *exchange) nextURL(hr *http.Response) (*url.URL, error) {
	loc, err := ex.url.Parse(hr.Header.Get("Location"))
	if err != nil {
		return nil, withUpstream(problem.Wrap(problem.UpstreamHTTP, err,
			"the upstream redirected to an invalid URL"), hr.StatusCode)
	}
	if loc.Scheme != "http" && loc.Scheme != "https" {
		return nil, problem.New(problem.URLBlocked,
			"the upstream redirected to a %q URL; only http and https are followed", loc.Scheme)
	}
	if loc.Hostname() == "" {
		return nil, withUpstream(problem.New(problem.UpstreamHTTP,
			"the upstream redirected to a URL without a host"), hr.StatusCode)
	}
	loc.Fragment, loc.RawFragment = ex.url.Fragment, ex.url.RawFragment
	return loc, nil
}

// checkHop refuses a loop or one hop too many.
func (ex *exchange) checkHop(next *url.URL, seen map[string]bool) error {
	key := next.String()
	if seen[key] {
		return problem.New(problem.TooManyRedirects, "the upstream redirects in a loop")
	}
	seen[key] = true
	if len(ex.redirects) > ex.c.opts.MaxRedirects {
		return problem.New(problem.TooManyRedirects,
			"the upstream redirected more than %d times", ex.c.opts.MaxRedirects)
	}
	return nil
}

// redirectMethod is the method after a redirect: 301, 302 and 303 turn a
// GET-like request into GET (RFC 9110 15.4); HEAD stays HEAD.
func redirectMethod(method string, status int) string {
	if method == http.MethodHead {
		return method
	}
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther:
		return http.MethodGet
	}
	return method
}

// credentialHeaders are not sent to another host after a redirect.
var credentialHeaders = []string{"Authorization", "Cookie", "Proxy-Authorization"}

// hopHeader drops credentials when a redirect leaves the original host, as
// net/http does.
func hopHeader(h http.Header, from, to *url.URL) http.Header {
	if strings.EqualFold(from.Host, to.Host) {
		return h
	}
	h = h.Clone()
	for _, k := range credentialHeaders {
		h.Del(k)
	}
	return h
}
