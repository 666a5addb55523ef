package jobs

import (
	"context"
	"errors"
	"time"

	"downloader/internal/problem"
)

// ErrNotFound is returned by a [Store] for a job it does not hold (never
// created, or expired).
var ErrNotFound = errors.New("job not found")

// Caps bound the bytes of stored results. Zero means no bound.
type Caps struct {
	// Job bounds one job's results.
	Job int64
	// Total bounds all jobs' results (memory store only).
	Total int64
}

// Put outcomes, one per result given to [Store.Put].
const (
	putSkipped  = 0 // not stored: a result exists already or the job ended
	putStored   = 1 // stored as given
	putTooLarge = 2 // stored as a content_too_large failure (over a cap)
)

// Store keeps jobs, their counters and their per-URL results. Every method
// may return ErrNotFound for an unknown or expired job; any other error
// means the back end is unavailable.
type Store interface {
	// Create stores a new job, which expires at r.ExpiresAt.
	Create(ctx context.Context, r *Record) error
	// Get returns the job.
	Get(ctx context.Context, id string) (*Record, error)
	// Begin marks a pending job running (started at now) and returns the
	// job's status after that.
	Begin(ctx context.Context, id string, now time.Time) (Status, error)
	// Put stores results of a running or pending job, at most one per
	// index: a result for an index that has one is skipped, and so is every
	// result once the job has ended. A result over the caps is stored as a
	// content_too_large failure. The counters move with each stored result;
	// the write that stores the last result marks the job completed (at
	// now) and reports done. outcome has one put* value per result.
	Put(ctx context.Context, id string, rs []indexed, c Caps, now time.Time) (
		outcome []int, done bool, err error)
	// End moves a pending or running job to the final status to (at now)
	// and reports whether this call did it.
	End(ctx context.Context, id string, to Status, now time.Time) (bool, error)
	// Indexes lists the indexes that have a result.
	Indexes(ctx context.Context, id string) ([]int, error)
	// Results returns the stored results at the given indexes, in that
	// order, leaving out those that have none.
	Results(ctx context.Context, id string, idx []int) ([]Result, error)
}

// tooLarge is the failure stored instead of r when r is over a cap.
func tooLarge(r Result) Result {
	r.Success = false
	r.Content, r.ContentEncoding = "", ""
	r.ErrorType = string(problem.ContentTooLarge)
	r.Error = "the result is over the storage limit for batch results"
	return r
}
