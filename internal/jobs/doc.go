// Package jobs runs batch downloads: a job is a list of URLs fetched in the
// background, whose state, per-URL results and tasks live behind two small
// interfaces.
//
// A [Store] keeps job state, counters and per-URL results (each result is
// stored on its own, so a 100-URL batch never builds one huge value) and
// expires them after a TTL. A [Queue] carries URL tasks to workers. The
// memory pair ([NewMemoryStore], [NewMemoryQueue]) serves one process; the
// Redis pair ([NewRedisStore], [NewRedisQueue]) lets any number of instances
// share every batch: tasks go through a Redis Stream with a consumer group,
// a task held by a dead instance is reclaimed after a visibility timeout,
// and every result is written at most once, so each URL ends with exactly
// one result.
//
// A [Manager] ties them together: it parses nothing and serves no HTTP; the
// api package hands it a parsed [Spec] ([ParseSpec]) and a [Fetcher] that
// runs one URL through the service's pipeline. The Manager bounds fetches
// per batch (its concurrency), per host:port and per instance, detects the
// end of a job across instances and sends the signed callback ([Sign],
// [Verify]) exactly once.
//
// Known limits: a batch's concurrency bounds its fetches on each instance,
// so N instances may run up to N times as many; the instance whose write
// ends a job sends its callback, and if it dies during the retries the
// callback is lost (at most once, never twice); a task whose fetch kills
// every instance that takes it is reclaimed again and again (there is no
// dead-letter count); a memory-only instance that is killed loses its
// unfinished jobs. Results list only the entries that have one, so a
// cancelled job's page can be shorter than its limit.
package jobs
