package cache

import "net/http"

// Directive is what the client's Cache-Control request header asks of the
// cache.
type Directive struct {
	// NoCache forces revalidation or a refetch; a stored entry is never
	// served without the upstream's say.
	NoCache bool
	// NoStore neither reads nor writes the cache.
	NoStore bool
}

// ParseDirective reads the request's Cache-Control (no-cache, no-store,
// max-age=0 as no-cache) or, without one, Pragma: no-cache.
func ParseDirective(h http.Header) Directive {
	lines := h.Values("Cache-Control")
	if len(lines) == 0 {
		for _, p := range h.Values("Pragma") {
			if parseCacheControl([]string{p}).has("no-cache") {
				return Directive{NoCache: true}
			}
		}
		return Directive{}
	}
	cc := parseCacheControl(lines)
	maxAge, ok := cc.seconds("max-age")
	return Directive{
		NoCache: cc.has("no-cache") || (ok && maxAge == 0),
		NoStore: cc.has("no-store"),
	}
}
