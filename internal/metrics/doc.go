// Package metrics measures the service against the targets of DESIGN.md,
// exports the measures for Prometheus and shows them on the status page.
//
// [New] registers every collector on a private registry; the other packages
// report events through one method call each ([Metrics.Request],
// [Metrics.Upstream], [Metrics.Cache], [Metrics.StoreOp], [Metrics.JobDone],
// ...). A nil *Metrics ignores every call. Label values are bounded: route
// classes, methods, statuses, error types, SSRF reasons, cache results and
// store operations come from fixed lists (anything else is "other" or
// "unknown"), and tier names are capped; no URL, host, key or job id is ever
// a label.
//
// The same calls feed an in-process window of one hour in 10-second slots,
// behind [Metrics.StatusHandler] (GET /status) and
// [Metrics.StatusJSONHandler] (GET /status.json). Requests of class
// "service" (health, metrics, status) are exported but left out of the
// window. The figures are defined as follows, here, on the page and in
// deploy/prometheus/alerts.yml alike:
//
//   - Availability: the share of requests not answered 5xx by the service's
//     own fault. A 5xx whose error_type blames the upstream
//     (upstream_http_error, upstream_unreachable, upstream_timeout,
//     content_too_large, too_many_redirects) does not count against it.
//   - Error rate: the share of valid requests answered 5xx, whatever the
//     cause. Valid means every request except those refused with a 4xx for
//     the client's own fault; a mirrored upstream 404 or 410 is valid and
//     not an error.
//   - Latency percentiles: "own" is the service's time excluding the
//     upstream transfer (the KPI), "whole" the full response. The window
//     reads them from log-scaled bins (within 10%); Prometheus from the
//     histogram buckets.
//   - Cache hit rate: (hit + stale + revalidated) / (those + miss); bypass
//     is left out.
//   - Batch success: completed / (completed + failed) jobs; cancelled jobs
//     are left out.
//   - Redis latency: the mean of every Redis operation reported through
//     [Metrics.StoreOp].
//   - Resource use (alert only): open file descriptors over the process
//     limit, and resident memory over GOMEMLIMIT when one is set
//     (downloader_memory_limit_bytes).
package metrics
