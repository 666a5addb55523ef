package cache

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Hop is one step of a redirect chain: the URL asked for and the status it
// answered with.
type Hop struct {
	URL    string `json:"url"`
	Status int    `json:"status"`
}

// Entry is one cached upstream response, its body already decoded from its
// Content-Encoding. An Entry returned by [Cache.Get] or a [Store] may be
// shared with other requests and must be treated as read-only.
type Entry struct {
	URL         string      // the URL asked for
	FinalURL    string      // the URL after redirects
	Redirects   []Hop       // the redirect hops, in order
	Status      int         // the upstream's final status
	Header      http.Header // the upstream's response header
	ContentType string      // media type without parameters
	Charset     string      // the body's charset, "" when unknown
	Body        []byte      // the decoded body

	// StoredAt is when the response was received or last revalidated.
	StoredAt time.Time
	// FreshUntil is when the entry turns stale; set by the [Cache].
	FreshUntil time.Time
	// NotModified is set by a [Loader] when the upstream answered 304 to a
	// conditional request; Header then holds the 304's header.
	NotModified bool
}

// Fresh reports whether e can be served without revalidation at now.
func (e *Entry) Fresh(now time.Time) bool {
	return now.Before(e.FreshUntil)
}

// Age is the entry's current age at now, for the Age response header:
// the age it had when received (the larger of its Age header and the
// apparent age from its Date header) plus the time it has been stored
// (RFC 9111 §4.2.3).
func (e *Entry) Age(now time.Time) time.Duration {
	age := initialAge(e.Header, e.StoredAt)
	if resident := now.Sub(e.StoredAt); resident > 0 {
		age += resident
	}
	return age
}

// Conditional is the header of a conditional request that revalidates e:
// If-None-Match from its ETag, If-Modified-Since from its Last-Modified
// (RFC 9110 §13.1). It is empty when e has neither.
func (e *Entry) Conditional() http.Header {
	h := http.Header{}
	if v := e.Header.Get("ETag"); v != "" {
		h.Set("If-None-Match", v)
	}
	if v := e.Header.Get("Last-Modified"); v != "" {
		h.Set("If-Modified-Since", v)
	}
	return h
}

// hasValidators reports whether e can be revalidated with a conditional
// request.
func (e *Entry) hasValidators() bool {
	return e.Header.Get("ETag") != "" || e.Header.Get("Last-Modified") != ""
}

// size approximates the memory e holds, for the byte cap of [Memory].
func (e *Entry) size() int64 {
	const overhead = 256
	n := int64(overhead + len(e.Body) + len(e.URL) + len(e.FinalURL))
	n += int64(len(e.ContentType) + len(e.Charset))
	for _, h := range e.Redirects {
		n += int64(len(h.URL) + 16)
	}
	for k, vs := range e.Header {
		n += int64(len(k) + 32)
		for _, v := range vs {
			n += int64(len(v) + 16)
		}
	}
	return n
}

// initialAge is the age a response had when it was received at
// responseTime: the larger of its Age header and responseTime minus its
// Date header (RFC 9111 §4.2.3, without the request delay, which the cache
// does not see).
func initialAge(h http.Header, responseTime time.Time) time.Duration {
	var age time.Duration
	if v := strings.TrimSpace(h.Get("Age")); v != "" {
		if secs, err := strconv.ParseInt(v, 10, 64); err == nil && secs > 0 {
			age = seconds(secs)
		}
	}
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		if apparent := responseTime.Sub(date); apparent > age {
			age = apparent
		}
	}
	return age
}

// seconds converts a delta-seconds value, saturating instead of overflowing
// (RFC 9111 §1.2.2).
func seconds(n int64) time.Duration {
	const maxSecs = int64(1<<63-1) / int64(time.Second)
	if n > maxSecs {
		return time.Duration(maxSecs) * time.Second
	}
	return time.Duration(n) * time.Second
}
