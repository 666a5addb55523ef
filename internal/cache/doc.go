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
package cache
