package jobs

import (
	"encoding/json"
	"math"
	"time"
)

// Status is the state of a job.
type Status string

// The states of a job. A job starts pending, becomes running when its first
// task starts and ends completed (every URL has a result, whatever it is),
// cancelled (by its owner) or failed (the service could not run it).
const (
	Pending   Status = "pending"
	Running   Status = "running"
	Completed Status = "completed"
	Failed    Status = "failed"
	Cancelled Status = "cancelled"
)

// Done reports whether s is a final state.
func (s Status) Done() bool {
	return s == Completed || s == Failed || s == Cancelled
}

// Job is the status of a job as clients see it (DESIGN.md, "Batches").
// Unset timestamps are null in JSON.
type Job struct {
	ID          string     `json:"job_id"`
	Status      Status     `json:"status"`
	Progress    int        `json:"progress"`
	Total       int        `json:"total"`
	Processed   int        `json:"processed"`
	Succeeded   int        `json:"succeeded"`
	FailedCount int        `json:"failed_count"`
	CreatedAt   *time.Time `json:"created_at"`
	StartedAt   *time.Time `json:"started_at"`
	CompletedAt *time.Time `json:"completed_at"`
	ExpiresAt   *time.Time `json:"expires_at"`
}

// progress is the integer percent of processed URLs; 100 only when all are.
func progress(processed, total int) int {
	if total <= 0 {
		return 0
	}
	return processed * 100 / total
}

// Record is a job as a [Store] keeps it: the public status plus what only
// the service sees.
type Record struct {
	Job
	// Owner is the API key name that created the job; "" when auth is off.
	Owner string
	// CallbackURL and CallbackSecret come from the batch body.
	CallbackURL    string
	CallbackSecret string
	// Concurrency bounds the job's in-flight fetches on each instance.
	Concurrency int
	// ResultBytes is the size of the results stored so far.
	ResultBytes int64
}

// Result is the outcome of one URL of a batch (DESIGN.md names). Content is
// text as UTF-8 or anything else as base64, as ContentEncoding says. A
// failure has Success false and ErrorType set to a problem.Type.
type Result struct {
	ID              string `json:"id"`
	URL             string `json:"url"`
	FinalURL        string `json:"final_url"`
	Success         bool   `json:"success"`
	StatusCode      int    `json:"status_code"`
	ContentType     string `json:"content_type"`
	Size            int64  `json:"size"`
	DurationMS      int64  `json:"duration_ms"`
	Format          string `json:"format"`
	Content         string `json:"content"`
	ContentEncoding string `json:"content_encoding"`
	ErrorType       string `json:"error_type"`
	Error           string `json:"error"`
}

// resultJSON is Result with null for unknown values, so every key is always
// present as in the JSON envelope of a single download.
type resultJSON struct {
	ID              string  `json:"id"`
	URL             string  `json:"url"`
	FinalURL        *string `json:"final_url"`
	Success         bool    `json:"success"`
	StatusCode      *int    `json:"status_code"`
	ContentType     *string `json:"content_type"`
	Size            int64   `json:"size"`
	DurationMS      int64   `json:"duration_ms"`
	Format          string  `json:"format"`
	Content         *string `json:"content"`
	ContentEncoding *string `json:"content_encoding"`
	ErrorType       *string `json:"error_type"`
	Error           *string `json:"error"`
}

// MarshalJSON writes empty strings and a zero status code as null.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(resultJSON{
		ID: r.ID, URL: r.URL, FinalURL: nullable(r.FinalURL),
		Success: r.Success, StatusCode: nullableInt(r.StatusCode),
		ContentType: nullable(r.ContentType), Size: r.Size,
		DurationMS: r.DurationMS, Format: r.Format,
		Content: nullable(r.Content), ContentEncoding: nullable(r.ContentEncoding),
		ErrorType: nullable(r.ErrorType), Error: nullable(r.Error),
	})
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func nullableInt(n int) *int {
	if n == 0 {
		return nil
	}
	return &n
}

// size is what storing r costs, for the per-job and total caps.
func (r *Result) size() int64 {
	n := len(r.ID) + len(r.URL) + len(r.FinalURL) + len(r.ContentType) +
		len(r.Format) + len(r.Content) + len(r.ContentEncoding) +
		len(r.ErrorType) + len(r.Error)
	return int64(n) + 64
}

// Summary sums up a job's results. SuccessRate is succeeded/processed as a
// fraction in [0, 1]; DurationMS runs from creation to the end (or now).
type Summary struct {
	Total       int     `json:"total"`
	Succeeded   int     `json:"succeeded"`
	Failed      int     `json:"failed"`
	SuccessRate float64 `json:"success_rate"`
	DurationMS  int64   `json:"duration_ms"`
}

// summarize builds the summary of j at now.
func summarize(j *Job, now time.Time) Summary {
	s := Summary{Total: j.Total, Succeeded: j.Succeeded, Failed: j.FailedCount}
	if j.Processed > 0 {
		rate := float64(j.Succeeded) / float64(j.Processed)
		s.SuccessRate = math.Round(rate*10000) / 10000
	}
	end := now
	if j.CompletedAt != nil {
		end = *j.CompletedAt
	}
	if j.CreatedAt != nil && end.After(*j.CreatedAt) {
		s.DurationMS = end.Sub(*j.CreatedAt).Milliseconds()
	}
	return s
}

// Task is one unit of work: one distinct URL of a job. Entries of the same
// job with the same URL, format and timeout are fetched once; Also lists
// the others, which get a copy of the result under their own id.
type Task struct {
	JobID string `json:"job_id"`
	Index int    `json:"index"`
	Entry Entry  `json:"entry"`
	// Format is the entry's format, or the batch default.
	Format string `json:"format"`
	// Concurrency is the job's bound on in-flight fetches.
	Concurrency int `json:"concurrency"`
	// Also are the duplicates of Entry in the same job.
	Also []Ref `json:"also,omitempty"`
}

// Ref names an entry of a job: its index in the body and its id.
type Ref struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
}

// indexed is a result with the position of its entry in the body.
type indexed struct {
	Index  int
	Result Result
}
