package cache

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// TTLs maps a media type to the time to live of a response that says
// nothing about its freshness. Keys are a full type ("text/html"), a
// wildcard subtype ("image/*") or "*" for everything else. A nil TTLs means
// [DefaultTTLs].
type TTLs map[string]time.Duration

// DefaultTTLs is the default time to live per content type: HTML 5 min,
// other text and JSON 10 min, images, fonts, CSS and JavaScript 1 h,
// anything else 10 min.
func DefaultTTLs() TTLs {
	return TTLs{
		"text/html":                     5 * time.Minute,
		"application/xhtml+xml":         5 * time.Minute,
		"text/*":                        10 * time.Minute,
		"application/json":              10 * time.Minute,
		"image/*":                       time.Hour,
		"font/*":                        time.Hour,
		"text/css":                      time.Hour,
		"text/javascript":               time.Hour,
		"application/javascript":        time.Hour,
		"application/font-woff":         time.Hour,
		"application/x-font-woff":       time.Hour,
		"application/vnd.ms-fontobject": time.Hour,
		"*":                             10 * time.Minute,
	}
}

// For is the time to live for contentType (parameters are ignored): an
// exact match, then the type's wildcard, then "*", then the default of
// [DefaultTTLs] for the same lookup.
func (t TTLs) For(contentType string) time.Duration {
	mt := mediaType(contentType)
	if d, ok := t.lookup(mt); ok {
		return d
	}
	if t != nil {
		if d, ok := DefaultTTLs().lookup(mt); ok {
			return d
		}
	}
	return 10 * time.Minute
}

func (t TTLs) lookup(mt string) (time.Duration, bool) {
	if t == nil {
		t = DefaultTTLs()
	}
	if d, ok := t[mt]; ok {
		return d, true
	}
	if i := strings.IndexByte(mt, '/'); i > 0 {
		if d, ok := t[mt[:i]+"/*"]; ok {
			return d, true
		}
	}
	d, ok := t["*"]
	return d, ok
}

// mediaType is contentType lower-cased without its parameters.
func mediaType(contentType string) string {
	if i := strings.IndexByte(contentType, ';'); i >= 0 {
		contentType = contentType[:i]
	}
	return strings.ToLower(strings.TrimSpace(contentType))
}

// storableStatus lists the statuses this cache keeps: those that RFC 9110
// §15.1 makes heuristically cacheable, less 206 (no range support).
var storableStatus = map[int]bool{
	200: true, 203: true, 204: true, 300: true, 301: true, 308: true,
	404: true, 405: true, 410: true, 414: true, 501: true,
}

// Freshness applies RFC 9111 for a shared cache to a response received at
// now. It reports how long the response stays fresh and whether it may be
// stored at all:
//
//   - statuses outside 200, 203, 204, 300, 301, 308, 404, 405, 410, 414,
//     501 are not stored;
//   - no-store, private and Vary: * are not stored (we are a shared cache);
//   - no-cache is stored with a ttl of 0, so every use revalidates;
//   - otherwise the lifetime is s-maxage, else max-age, else Expires minus
//     Date, else the default for contentType from defaults (nil means
//     [DefaultTTLs]); the response's current age is subtracted.
func Freshness(status int, h http.Header, contentType string, now time.Time,
	defaults TTLs) (ttl time.Duration, storable bool) {
	if !storableStatus[status] {
		return 0, false
	}
	cc := parseCacheControl(h.Values("Cache-Control"))
	if cc.has("no-store") || cc.has("private") || varyAll(h) {
		return 0, false
	}
	if cc.has("no-cache") {
		return 0, true
	}
	life := lifetime(cc, h, contentType, now, defaults)
	ttl = life - initialAge(h, now)
	if ttl < 0 {
		ttl = 0
	}
	return ttl, true
}

// lifetime is the freshness lifetime of RFC 9111 §4.2.1, with the default
// per content type standing in for a heuristic.
func lifetime(cc cacheControl, h http.Header, contentType string, now time.Time,
	defaults TTLs) time.Duration {
	if d, ok := cc.seconds("s-maxage"); ok {
		return d
	}
	if d, ok := cc.seconds("max-age"); ok {
		return d
	}
	if v, ok := h["Expires"]; ok {
		exp, err := http.ParseTime(strings.Join(v, ""))
		if err != nil {
			return 0 // an invalid Expires means already expired (§5.3)
		}
		date, err := http.ParseTime(h.Get("Date"))
		if err != nil {
			date = now
		}
		return exp.Sub(date)
	}
	return defaults.For(contentType)
}

// mayServeStale reports whether a stale response with header h may be
// served when the upstream fails (RFC 5861 stale-if-error): not when it
// demands revalidation (must-revalidate, proxy-revalidate, s-maxage which
// implies it, or no-cache).
func mayServeStale(h http.Header) bool {
	cc := parseCacheControl(h.Values("Cache-Control"))
	for _, d := range []string{"must-revalidate", "proxy-revalidate", "s-maxage", "no-cache"} {
		if cc.has(d) {
			return false
		}
	}
	return true
}

func varyAll(h http.Header) bool {
	for _, v := range h.Values("Vary") {
		for _, f := range strings.Split(v, ",") {
			if strings.TrimSpace(f) == "*" {
				return true
			}
		}
	}
	return false
}

// cacheControl holds the directives of Cache-Control header lines, names
// lower-cased, values unquoted.
type cacheControl map[string]string

func (cc cacheControl) has(name string) bool {
	_, ok := cc[name]
	return ok
}

// seconds is a delta-seconds directive; an invalid value counts as 0, which
// errs on the side of staleness (RFC 9111 §1.2.2).
func (cc cacheControl) seconds(name string) (time.Duration, bool) {
	v, ok := cc[name]
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(v, 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(v, "-"):
		return seconds(n), true // saturated at the largest value
	case err != nil || n < 0:
		return 0, true
	}
	return seconds(n), true
}

// parseCacheControl reads comma-separated directives, honouring quoted
// strings (private="a, b"). The first occurrence of a directive wins.
func parseCacheControl(lines []string) cacheControl {
	cc := cacheControl{}
	for _, line := range lines {
		for line != "" {
			var item string
			item, line = nextDirective(line)
			name, value, _ := strings.Cut(item, "=")
			name = strings.ToLower(strings.TrimSpace(name))
			if name == "" || cc.has(name) {
				continue
			}
			value = strings.TrimSpace(value)
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			}
			cc[name] = value
		}
	}
	return cc
}

// nextDirective splits s at the first comma outside a quoted string.
func nextDirective(s string) (item, rest string) {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// ParseTTLs reads a comma-separated list of type=duration pairs, such as
// "text/html=5m,image/*=1h,*=10m", for a configuration setting.
func ParseTTLs(s string) (TTLs, error) {
	t := TTLs{}
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		typ, dur, ok := strings.Cut(item, "=")
		typ = mediaType(typ)
		if !ok || typ == "" || (typ != "*" && !strings.Contains(typ, "/")) {
			return nil, fmt.Errorf("parse ttl %q: want type/subtype=duration", item)
		}
		d, err := time.ParseDuration(strings.TrimSpace(dur))
		if err != nil || d < 0 {
			return nil, fmt.Errorf("parse ttl %q: bad duration", item)
		}
		t[typ] = d
	}
	return t, nil
}
