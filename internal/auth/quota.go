package auth

import (
	"context"
	"net/http"
	"time"

	"downloader/internal/problem"
)

// QuotaOption configures [QuotaMiddleware].
type QuotaOption func(*quota)

// QuotaClassify names the route class of a request for the by_class
// counters; a request of class "batch" counts as a batch submission.
func QuotaClassify(f func(*http.Request) string) QuotaOption {
	return func(q *quota) { q.classify = f }
}

// QuotaClock sets the clock deciding the day and month; default time.Now.
func QuotaClock(now func() time.Time) QuotaOption {
	return func(q *quota) { q.now = now }
}

// QuotaStoreError is called with every usage store error, for logs and
// metrics; the request goes on regardless.
func QuotaStoreError(f func(r *http.Request, err error)) QuotaOption {
	return func(q *quota) { q.onStoreError = f }
}

type quota struct {
	store        UsageStore
	onError      func(http.ResponseWriter, *http.Request, error)
	classify     func(*http.Request) string
	now          func() time.Time
	onStoreError func(*http.Request, error)
}

// QuotaMiddleware enforces the quotas of the request's key and records its
// usage. It runs after [Middleware] (and after rate limiting, so refused
// requests do not count); requests without a key pass untouched.
//
// A key whose requests this UTC day have reached QuotaDay, or this UTC
// month QuotaMonth, is refused with onError and a *problem.Error of type
// quota_exceeded whose RetryAfter runs to the next UTC midnight (day) or
// first of the month (month; the later when both are reached). Refusals
// are not counted. An admitted request counts on admission, in the same
// atomic step as the check when the store is an [Admitter] (so concurrent
// requests on any number of instances never pass a quota; with a plain
// UsageStore they may pass it by the number in flight); its response bytes
// and failure (status >= 400, or a handler aborting a stream) are added
// when it ends. A failing store never fails the request: it is admitted
// uncounted.
func QuotaMiddleware(
	store UsageStore,
	onError func(w http.ResponseWriter, r *http.Request, err error),
	opts ...QuotaOption,
) func(http.Handler) http.Handler {
	q := &quota{store: store, onError: onError, now: time.Now,
		classify: func(*http.Request) string { return "" }}
	for _, o := range opts {
		o(q)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			q.serve(w, r, next)
		})
	}
}

func (q *quota) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	id, _ := FromContext(r.Context())
	if id.Key == nil {
		next.ServeHTTP(w, r)
		return
	}
	now := q.now()
	class := q.classify(r)
	ev := Event{Time: now, Requests: 1, Class: class, Batch: class == "batch"}
	if err := q.admit(r, id.Key, ev); err != nil {
		q.onError(w, r, err)
		return
	}

	rec := &recorder{ResponseWriter: w}
	defer func() {
		v := recover() // a handler cutting a stream panics with http.ErrAbortHandler
		failed := rec.status >= 400 || v != nil
		q.add(r, id.Key.Name, Event{Time: now, Bytes: rec.bytes, Error: failed})
		if v != nil {
			panic(v)
		}
	}()
	next.ServeHTTP(rec, r)
}

// admit checks k's quotas and counts ev, atomically when the store is an
// [Admitter]; it returns the refusal, or nil (also when the store fails).
func (q *quota) admit(r *http.Request, k *Key, ev Event) error {
	if k.QuotaDay <= 0 && k.QuotaMonth <= 0 {
		q.add(r, k.Name, ev)
		return nil
	}
	var (
		ok         bool
		day, month int64
		err        error
	)
	if a, atomic := q.store.(Admitter); atomic {
		ok, day, month, err = a.Admit(r.Context(), k.Name, ev, k.QuotaDay, k.QuotaMonth)
	} else if day, month, err = q.store.Count(r.Context(), k.Name, ev.Time); err == nil {
		ok = !over(k, day, month)
		if ok {
			q.add(r, k.Name, ev)
		}
	}
	if err != nil {
		q.storeError(r, err)
		return nil
	}
	if ok {
		return nil
	}
	return refusal(k, day, month, ev.Time)
}

// over reports whether a key with day and month requests so far is at one
// of its quotas.
func over(k *Key, day, month int64) bool {
	return k.QuotaDay > 0 && day >= k.QuotaDay || k.QuotaMonth > 0 && month >= k.QuotaMonth
}

func refusal(k *Key, day, month int64, now time.Time) *problem.Error {
	if k.QuotaMonth > 0 && month >= k.QuotaMonth {
		e := problem.New(problem.QuotaExceeded, "the monthly quota of %d requests is used up",
			k.QuotaMonth)
		e.RetryAfter = nextMonth(now).Sub(now)
		return e
	}
	e := problem.New(problem.QuotaExceeded, "the daily quota of %d requests is used up",
		k.QuotaDay)
	e.RetryAfter = nextDay(now).Sub(now)
	return e
}

func (q *quota) add(r *http.Request, name string, e Event) {
	// the client may be gone by the end: record anyway
	ctx := context.WithoutCancel(r.Context())
	if err := q.store.Add(ctx, name, e); err != nil {
		q.storeError(r, err)
	}
}

func (q *quota) storeError(r *http.Request, err error) {
	if q.onStoreError != nil {
		q.onStoreError(r, err)
	}
}

func nextDay(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

func nextMonth(now time.Time) time.Time {
	y, m, _ := now.UTC().Date()
	return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
}

// recorder notes the status and body bytes of a response. Unwrap lets
// http.ResponseController reach the writer underneath.
type recorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *recorder) WriteHeader(code int) {
	if w.status == 0 || w.status < 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Flush passes a flush through, for streamed answers.
func (w *recorder) Flush() {
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

// Unwrap returns the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }
