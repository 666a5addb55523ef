// Package cache keeps upstream responses so that a repeated request is
// answered without another upstream fetch.
//
// A [Cache] decides with the HTTP caching rules of RFC 9111 as a shared
// cache: [Freshness] turns a response's Cache-Control, Expires, Date and Age
// into a time to live, with a default per content type when the upstream
// says nothing. A stale entry that has an ETag or a Last-Modified is
// revalidated with a conditional request; a 304 refreshes it without a new
// download. Concurrent requests for one key share one load.
//
// Entries live in a [Store]: [Memory] (an LRU bounded in bytes) by default,
// [Redis] when instances share state. A back-end fault never fails a
// request: the cache treats it as a miss and the request goes on.
//
// Decisions where the RFCs leave room:
//
//   - A conditional load that brings a new body is a MISS; only a 304 is
//     REVALIDATED.
//   - A stale entry is served (STALE) only for upstream-side failures
//     (unreachable, timeout, 5xx), within Options.StaleKeep, not when the
//     entry says must-revalidate, proxy-revalidate, s-maxage or no-cache,
//     not to a client that sent no-cache, and never for a cancellation.
//   - Entries that are stale at once and have no validators are not kept:
//     they could serve nobody.
//   - Percent-encoding and case are normalised in keys; dot segments and
//     query order are not, because an origin may tell them apart.
//   - The Age of an entry counts the upstream's Age and Date; the request
//     delay is not known to the cache and is left out.
package cache
