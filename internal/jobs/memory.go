package jobs

import (
	"context"
	"slices"
	"sync"
	"time"
)

// MemoryStore is a [Store] in this process's memory. Expired jobs are
// invisible at once and freed by [MemoryStore.Sweep], which a [Manager]
// calls periodically.
type MemoryStore struct {
	mu    sync.Mutex
	jobs  map[string]*memJob
	bytes int64 // stored result bytes, all jobs
}

type memJob struct {
	rec     Record
	results map[int]Result
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	return &MemoryStore{jobs: make(map[string]*memJob)}
}

// Create implements [Store].
func (s *MemoryStore) Create(_ context.Context, r *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.jobs[r.ID] = &memJob{rec: *r, results: make(map[int]Result)}
	return nil
}

// job returns the job under s.mu, or nil.
func (s *MemoryStore) job(id string) *memJob {
	return s.jobs[id]
}

// Get implements [Store].
func (s *MemoryStore) Get(_ context.Context, id string) (*Record, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(id)
	if j == nil {
		return nil, ErrNotFound
	}
	r := j.rec
	return &r, nil
}

// Begin implements [Store].
func (s *MemoryStore) Begin(_ context.Context, id string, now time.Time) (Status, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(id)
	if j == nil {
		return "", ErrNotFound
	}
	if j.rec.Status == Pending {
		j.rec.Status = Running
		j.rec.StartedAt = &now
	}
	return j.rec.Status, nil
}

// Put implements [Store].
func (s *MemoryStore) Put(_ context.Context, id string, rs []indexed, c Caps,
	now time.Time) ([]int, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(id)
	if j == nil {
		return nil, false, ErrNotFound
	}
	out := make([]int, len(rs))
	if j.rec.Status.Done() {
		return out, false, nil
	}
	for i, x := range rs {
		if _, ok := j.results[x.Index]; !ok {
			out[i] = s.put(j, x, c)
		}
	}
	if j.rec.Processed < j.rec.Total {
		return out, false, nil
	}
	j.rec.Status = Completed
	j.rec.CompletedAt = &now
	return out, true, nil
}

// put stores one result under s.mu.
func (s *MemoryStore) put(j *memJob, x indexed, c Caps) int {
	r, outcome := x.Result, putStored
	n := r.size()
	over := (c.Job > 0 && j.rec.ResultBytes+n > c.Job) ||
		(c.Total > 0 && s.bytes+n > c.Total)
	if over {
		r, outcome = tooLarge(r), putTooLarge
		n = r.size()
	}
	j.results[x.Index] = r
	j.rec.ResultBytes += n
	s.bytes += n
	j.rec.Processed++
	if r.Success {
		j.rec.Succeeded++
	} else {
		j.rec.FailedCount++
	}
	return outcome
}

// End implements [Store].
func (s *MemoryStore) End(_ context.Context, id string, to Status, now time.Time) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(id)
	if j == nil {
		return false, ErrNotFound
	}
	if j.rec.Status.Done() {
		return false, nil
	}
	j.rec.Status = to
	j.rec.CompletedAt = &now
	return true, nil
}

// Indexes implements [Store].
func (s *MemoryStore) Indexes(_ context.Context, id string) ([]int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(id)
	if j == nil {
		return nil, ErrNotFound
	}
	idx := make([]int, 0, len(j.results))
	for i := range j.results {
		idx = append(idx, i)
	}
	slices.Sort(idx)
	return idx, nil
}

// Results implements [Store].
func (s *MemoryStore) Results(_ context.Context, id string, idx []int) ([]Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.job(id)
	if j == nil {
		return nil, ErrNotFound
	}
	var rs []Result
	for _, i := range idx {
		if r, ok := j.results[i]; ok {
			rs = append(rs, r)
		}
	}
	return rs, nil
}

// Sweep frees the jobs expired at now and returns how many it freed.
func (s *MemoryStore) Sweep(now time.Time) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for id, j := range s.jobs {
		if j.rec.ExpiresAt != nil && !now.Before(*j.rec.ExpiresAt) {
			s.bytes -= j.rec.ResultBytes
			delete(s.jobs, id)
			n++
		}
	}
	return n
}

// ResultBytes is the size of all stored results.
func (s *MemoryStore) ResultBytes() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bytes
}

// MemoryQueue is a [Queue] in this process's memory: tasks wait in a FIFO
// until a worker of the same process takes them. A task is gone once
// received, so a hard stop loses the tasks of unfinished jobs.
type MemoryQueue struct {
	mu    sync.Mutex
	tasks []Task
	ready chan struct{} // closed and replaced when tasks arrive
}

var _ Queue = (*MemoryQueue)(nil)

// NewMemoryQueue returns an empty queue.
func NewMemoryQueue() *MemoryQueue {
	return &MemoryQueue{ready: make(chan struct{})}
}

// Push implements [Queue].
func (q *MemoryQueue) Push(_ context.Context, ts []Task) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.tasks = append(q.tasks, ts...)
	close(q.ready)
	q.ready = make(chan struct{})
	return nil
}

// Receive implements [Queue].
func (q *MemoryQueue) Receive(ctx context.Context, max int) ([]Delivery, error) {
	for {
		q.mu.Lock()
		if n := min(max, len(q.tasks)); n > 0 {
			ds := make([]Delivery, n)
			for i, t := range q.tasks[:n] {
				ds[i] = Delivery{Task: t}
			}
			q.tasks = slices.Delete(q.tasks, 0, n)
			q.mu.Unlock()
			return ds, nil
		}
		ready := q.ready
		q.mu.Unlock()
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// Ack implements [Queue]; a memory task needs no acknowledgement.
func (q *MemoryQueue) Ack(context.Context, Delivery) error { return nil }

// Extend implements [Queue]; a memory task is never reclaimed.
func (q *MemoryQueue) Extend(context.Context, []Delivery) error { return nil }

// Len is the number of tasks waiting.
func (q *MemoryQueue) Len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.tasks)
}
