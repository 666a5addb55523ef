package jobs

import (
	"context"
	"errors"
	"time"

	"downloader/internal/problem"
)

// Submit stores a new job for s and queues its URLs. It returns the job
// (pending), or service_unavailable when the store or queue is down.
func (m *Manager) Submit(ctx context.Context, s *Spec) (*Job, error) {
	if s == nil || len(s.Entries) == 0 {
		return nil, problem.New(problem.Validation, "urls: at least one URL is required")
	}
	now := m.now()
	expires := now.Add(m.o.TTL)
	rec := &Record{
		Job: Job{
			ID: newID(), Status: Pending, Total: len(s.Entries),
			CreatedAt: &now, ExpiresAt: &expires,
		},
		Owner:          s.Owner,
		CallbackURL:    s.CallbackURL,
		CallbackSecret: s.CallbackSecret,
		Concurrency:    max(s.Concurrency, 1),
	}
	if err := m.store.Create(ctx, rec); err != nil {
		return nil, unavailable(err)
	}
	if err := m.queue.Push(ctx, plan(rec, s)); err != nil {
		// the client gets an error and no job id, so no callback either
		if _, endErr := m.store.End(ctx, rec.ID, Failed, m.now()); endErr != nil {
			m.log.WarnContext(ctx, "jobs: mark job failed", keyJob, rec.ID, keyErr, endErr)
		}
		return nil, unavailable(err)
	}
	return view(rec), nil
}

// plan turns a spec into tasks, one per distinct URL, format and timeout.
func plan(rec *Record, s *Spec) []Task {
	type key struct {
		url, format string
		timeout     time.Duration
	}
	first := make(map[key]int, len(s.Entries))
	tasks := make([]Task, 0, len(s.Entries))
	for i, e := range s.Entries {
		f := e.Format
		if f == "" {
			f = s.DefaultFormat
		}
		k := key{e.URL, f, e.Timeout}
		if j, dup := first[k]; dup {
			tasks[j].Also = append(tasks[j].Also, Ref{Index: i, ID: e.ID})
			continue
		}
		first[k] = len(tasks)
		tasks = append(tasks, Task{
			JobID: rec.ID, Index: i, Entry: e, Format: f,
			Concurrency: rec.Concurrency,
		})
	}
	return tasks
}

// view is the client's copy of r's status.
func view(r *Record) *Job {
	j := r.Job
	j.Progress = progress(j.Processed, j.Total)
	return &j
}

// load returns the job if owner may see it: not_found for an unknown,
// expired or foreign job, service_unavailable when the store is down.
func (m *Manager) load(ctx context.Context, id, owner string) (*Record, error) {
	r, err := m.store.Get(ctx, id)
	if errors.Is(err, ErrNotFound) {
		return nil, notFound()
	}
	if err != nil {
		return nil, unavailable(err)
	}
	if r.Owner != owner || m.expired(r) {
		return nil, notFound()
	}
	return r, nil
}

func (m *Manager) expired(r *Record) bool {
	return r.ExpiresAt != nil && !m.now().Before(*r.ExpiresAt)
}

// Get returns the status of job id if owner created it ("" when auth is
// off).
func (m *Manager) Get(ctx context.Context, id, owner string) (*Job, error) {
	r, err := m.load(ctx, id, owner)
	if err != nil {
		return nil, err
	}
	return view(r), nil
}

// Results returns the stored results of the entries offset to
// offset+limit-1 (limit 0: all), in body order; entries without a result
// yet are left out. The summary covers the whole job.
func (m *Manager) Results(ctx context.Context, id, owner string, offset, limit int) (
	[]Result, Summary, *Job, error) {
	if offset < 0 || limit < 0 {
		return nil, Summary{}, nil, problem.New(problem.Validation,
			"offset and limit: want non-negative integers")
	}
	r, err := m.load(ctx, id, owner)
	if err != nil {
		return nil, Summary{}, nil, err
	}
	if limit == 0 || limit > r.Total {
		limit = r.Total
	}
	var idx []int
	for i := offset; i < r.Total && i < offset+limit; i++ {
		idx = append(idx, i)
	}
	rs, err := m.store.Results(ctx, id, idx)
	if err != nil {
		return nil, Summary{}, nil, m.storeErr(err)
	}
	if rs == nil {
		rs = []Result{}
	}
	j := view(r)
	return rs, summarize(j, m.now()), j, nil
}

// storeErr maps a store error to the client's problem.
func (m *Manager) storeErr(err error) error {
	if errors.Is(err, ErrNotFound) {
		return notFound()
	}
	return unavailable(err)
}

// Cancel ends job id as cancelled: its running fetches are stopped (their
// ctx is cancelled, on every instance) and its finished results kept. A
// job that has ended already is returned as it is.
func (m *Manager) Cancel(ctx context.Context, id, owner string) (*Job, error) {
	if _, err := m.load(ctx, id, owner); err != nil {
		return nil, err
	}
	ended, err := m.store.End(ctx, id, Cancelled, m.now())
	if err != nil {
		return nil, m.storeErr(err)
	}
	if ended {
		m.stopJob(id)
		m.ended(ctx, id, Cancelled)
	}
	return m.Get(ctx, id, owner)
}

// Wait returns job id once it has ended. When ctx ends first it returns the
// latest status it read and ctx's error.
func (m *Manager) Wait(ctx context.Context, id string) (*Job, error) {
	tick := time.NewTicker(m.o.Poll)
	defer tick.Stop()
	var last *Job
	for {
		changed := m.changed.wait()
		r, err := m.store.Get(ctx, id)
		if err != nil && ctx.Err() != nil && last != nil {
			return last, ctx.Err()
		}
		if err != nil {
			return nil, m.storeErr(err)
		}
		last = view(r)
		if r.Status.Done() {
			return last, nil
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-ctx.Done():
			return last, ctx.Err()
		}
	}
}

// Stream sends every result of job id as it is stored (those stored before
// the call first) and closes the channel when the job has ended and every
// result is sent, or when ctx ends.
func (m *Manager) Stream(ctx context.Context, id string) (<-chan Result, error) {
	r, err := m.store.Get(ctx, id)
	if err != nil {
		return nil, m.storeErr(err)
	}
	ch := make(chan Result, r.Total)
	go m.stream(ctx, id, ch)
	return ch, nil
}

func (m *Manager) stream(ctx context.Context, id string, ch chan<- Result) {
	defer close(ch)
	tick := time.NewTicker(m.o.Poll)
	defer tick.Stop()
	sent := make(map[int]bool)
	for {
		changed := m.changed.wait()
		r, err := m.store.Get(ctx, id)
		if err != nil {
			return
		}
		// the status is read before the results: a job seen ended has
		// every result it will ever have stored already
		if !m.sendNew(ctx, id, sent, ch) || r.Status.Done() {
			return
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-ctx.Done():
			return
		}
	}
}

// sendNew sends the results not sent yet; false when it could not.
func (m *Manager) sendNew(ctx context.Context, id string, sent map[int]bool,
	ch chan<- Result) bool {
	idx, err := m.store.Indexes(ctx, id)
	if err != nil {
		return false
	}
	var fresh []int
	for _, i := range idx {
		if !sent[i] {
			fresh = append(fresh, i)
		}
	}
	if len(fresh) == 0 {
		return true
	}
	rs, err := m.store.Results(ctx, id, fresh)
	if err != nil || len(rs) != len(fresh) {
		return false
	}
	for k, r := range rs {
		select {
		case ch <- r:
			sent[fresh[k]] = true
		case <-ctx.Done():
			return false
		}
	}
	return true
}
