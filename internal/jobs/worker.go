package jobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"downloader/internal/problem"
)

// receiveBatch is the most tasks asked of the queue at once.
const receiveBatch = 32

// consume takes tasks while this instance holds fewer than Workers, and
// runs each in its own goroutine.
func (m *Manager) consume(ctx context.Context) {
	defer m.tasks.Done()
	for {
		n, err := m.reserve(ctx)
		if err != nil {
			return
		}
		ds, err := m.queue.Receive(ctx, n)
		for range n - len(ds) {
			<-m.slots
		}
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			m.log.WarnContext(ctx, "jobs: receive tasks", keyErr, err)
			_ = sleep(ctx, time.Second)
			continue
		}
		m.start(ds)
	}
}

// reserve takes at least one worker slot (waiting for it) and up to
// receiveBatch, and returns how many it took.
func (m *Manager) reserve(ctx context.Context) (int, error) {
	select {
	case m.slots <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	n := 1
	for n < receiveBatch {
		select {
		case m.slots <- struct{}{}:
			n++
		default:
			return n, nil
		}
	}
	return n, nil
}

// start runs the deliveries; each holds a worker slot until it is done.
func (m *Manager) start(ds []Delivery) {
	reclaimed := 0
	m.mu.Lock()
	for _, d := range ds {
		if d.ID != "" {
			m.held[d.ID] = d
		}
		if d.Reclaimed {
			reclaimed++
		}
	}
	m.mu.Unlock()
	if reclaimed > 0 && m.o.Hooks.OnReclaim != nil {
		m.o.Hooks.OnReclaim(reclaimed)
	}
	m.tasks.Add(len(ds))
	for _, d := range ds {
		go m.run(d)
	}
}

// run handles one delivery: it fetches the URL unless the job has ended,
// stores the result and acknowledges the task. On a hard stop it leaves
// the task unacknowledged for another instance.
func (m *Manager) run(d Delivery) {
	defer m.tasks.Done()
	defer m.release(d)
	ctx, t := m.work, d.Task
	status, err := m.store.Begin(ctx, t.JobID, m.now())
	switch {
	case errors.Is(err, ErrNotFound) || (err == nil && status.Done()):
		m.ack(d)
		return
	case err != nil:
		m.log.WarnContext(ctx, "jobs: begin task", keyJob, t.JobID, keyErr, err)
		return
	}
	jr := m.join(t.JobID, t.Concurrency)
	defer m.leave(t.JobID, jr)
	res, ok := m.execute(jr.ctx, jr, t)
	switch {
	case ctx.Err() != nil:
		return
	case !ok || jr.ctx.Err() != nil:
		m.ack(d) // the job was cancelled: no result
		return
	}
	m.record(ctx, d, res)
}

// release frees the delivery's worker slot.
func (m *Manager) release(d Delivery) {
	if d.ID != "" {
		m.mu.Lock()
		delete(m.held, d.ID)
		m.mu.Unlock()
	}
	<-m.slots
}

func (m *Manager) ack(d Delivery) {
	if err := m.queue.Ack(m.work, d); err != nil {
		m.log.WarnContext(m.work, "jobs: ack task", keyJob, d.Task.JobID, keyErr, err)
	}
}

// execute runs the fetch within the job's, the host's and the instance's
// limits, in that order (always the same order, so no deadlock); false
// when ctx ended while it waited.
func (m *Manager) execute(ctx context.Context, jr *jobRun, t Task) (Result, bool) {
	if m.o.Check != nil {
		if err := m.o.Check(t.Entry.URL); err != nil {
			return finish(t, failure(err), 0), true
		}
	}
	if !acquire(ctx, jr.sem) {
		return Result{}, false
	}
	defer func() { <-jr.sem }()
	release, ok := m.hosts.acquire(ctx, hostKey(t.Entry.URL))
	if !ok {
		return Result{}, false
	}
	defer release()
	if !acquire(ctx, m.global) {
		return Result{}, false
	}
	defer func() { <-m.global }()
	return m.fetchOne(ctx, t), true
}

func acquire(ctx context.Context, sem chan struct{}) bool {
	select {
	case sem <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	}
}

// fetchOne calls the fetcher with the entry's timeout; a panic becomes an
// internal_error result.
func (m *Manager) fetchOne(ctx context.Context, t Task) (r Result) {
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			err := fmt.Errorf("fetcher panic: %v", p)
			m.log.ErrorContext(ctx, "jobs: fetch", keyJob, t.JobID, keyErr, err)
			r = failure(problem.Wrap(problem.Internal, err, "an internal error occurred"))
		}
		r = finish(t, r, time.Since(start))
	}()
	if t.Entry.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, t.Entry.Timeout)
		defer cancel()
	}
	return m.fetch(ctx, t)
}

// failure is the result of an entry that failed with err.
func failure(err error) Result {
	p := problem.From(err)
	return Result{
		ErrorType: string(problem.TypeOf(p)), Error: p.Detail,
		StatusCode: p.UpstreamStatus,
	}
}

// finish names r after the task's entry.
func finish(t Task, r Result, took time.Duration) Result {
	r.ID, r.URL, r.Format = t.Entry.ID, t.Entry.URL, t.Format
	if r.DurationMS == 0 {
		r.DurationMS = took.Milliseconds()
	}
	if !r.Success && r.ErrorType == "" {
		r.ErrorType = string(problem.Internal)
	}
	return r
}

// record stores the result for the entry and its duplicates, acknowledges
// the task and ends the job when this was its last result.
func (m *Manager) record(ctx context.Context, d Delivery, res Result) {
	t := d.Task
	rs := []indexed{{Index: t.Index, Result: res}}
	for _, a := range t.Also {
		c := res
		c.ID = a.ID
		rs = append(rs, indexed{Index: a.Index, Result: c})
	}
	caps := Caps{Job: m.o.MaxResultBytesPerJob, Total: m.o.MaxResultBytesTotal}
	out, done, err := m.store.Put(ctx, t.JobID, rs, caps, m.now())
	if err != nil && !errors.Is(err, ErrNotFound) {
		// left unacknowledged: a shared queue delivers it again
		m.log.WarnContext(ctx, "jobs: store result", keyJob, t.JobID,
			keyIndex, t.Index, keyErr, err)
		return
	}
	m.ack(d)
	m.countURLs(rs, out)
	m.changed.fire()
	if done {
		m.ended(ctx, t.JobID, Completed)
	}
}

func (m *Manager) countURLs(rs []indexed, out []int) {
	if m.o.Hooks.OnURLDone == nil {
		return
	}
	for i, o := range out {
		switch o {
		case putStored:
			m.o.Hooks.OnURLDone(rs[i].Result.Success, rs[i].Result.ErrorType)
		case putTooLarge:
			m.o.Hooks.OnURLDone(false, string(problem.ContentTooLarge))
		}
	}
}

// ended runs once per job, on the instance whose store write ended it.
func (m *Manager) ended(ctx context.Context, id string, s Status) {
	m.changed.fire()
	r, err := m.store.Get(ctx, id)
	if m.o.Hooks.OnJobDone != nil {
		m.o.Hooks.OnJobDone(s, runTime(r, m.now()))
	}
	if m.o.Webhook == nil {
		return
	}
	if err != nil {
		m.log.WarnContext(ctx, "jobs: read ended job", keyJob, id, keyErr, err)
		return
	}
	if r.CallbackURL == "" {
		return
	}
	m.tasks.Add(1)
	go func() {
		defer m.tasks.Done()
		m.callback(m.work, r)
	}()
}

// jobRun is a job with tasks on this instance: its concurrency slots and a
// context cancelled when the job is.
type jobRun struct {
	ctx    context.Context
	cancel context.CancelFunc
	sem    chan struct{}
	refs   int
}

// join returns the job's run, creating it (and its cancel watcher) for the
// first task.
func (m *Manager) join(id string, concurrency int) *jobRun {
	m.mu.Lock()
	defer m.mu.Unlock()
	if jr, ok := m.active[id]; ok {
		jr.refs++
		return jr
	}
	ctx, cancel := context.WithCancel(m.work)
	jr := &jobRun{ctx: ctx, cancel: cancel, sem: make(chan struct{}, max(concurrency, 1))}
	jr.refs = 1
	m.active[id] = jr
	m.background.Add(1)
	go m.watch(id, jr)
	return jr
}

// leave drops a task from the job's run; the last one stops the watcher.
func (m *Manager) leave(id string, jr *jobRun) {
	m.mu.Lock()
	defer m.mu.Unlock()
	jr.refs--
	if jr.refs == 0 {
		jr.cancel()
		delete(m.active, id)
	}
}

// stopJob cancels the job's fetches on this instance.
func (m *Manager) stopJob(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if jr, ok := m.active[id]; ok {
		jr.cancel()
	}
}

// watch cancels the run when another instance ends the job (cancelled or
// failed; a completed job has no fetch left).
func (m *Manager) watch(id string, jr *jobRun) {
	defer m.background.Done()
	tick := time.NewTicker(m.o.Poll)
	defer tick.Stop()
	for {
		select {
		case <-jr.ctx.Done():
			return
		case <-tick.C:
		}
		r, err := m.store.Get(jr.ctx, id)
		if errors.Is(err, ErrNotFound) || (err == nil && r.Status.Done()) {
			jr.cancel()
			return
		}
	}
}

// heartbeat extends the tasks this instance holds, so a shared queue does
// not reclaim them while they wait or run.
func (m *Manager) heartbeat(ctx context.Context) {
	defer m.background.Done()
	tick := time.NewTicker(m.o.VisibilityTimeout / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		m.mu.Lock()
		ds := make([]Delivery, 0, len(m.held))
		for _, d := range m.held {
			ds = append(ds, d)
		}
		m.mu.Unlock()
		if len(ds) == 0 {
			continue
		}
		if err := m.queue.Extend(ctx, ds); err != nil {
			m.log.WarnContext(ctx, "jobs: extend tasks", keyErr, err)
		}
	}
}

// sweeper is a store that frees expired jobs on request.
type sweeper interface {
	Sweep(now time.Time) int
}

// sweep frees expired jobs of a memory store periodically.
func (m *Manager) sweep(ctx context.Context) {
	defer m.background.Done()
	s, ok := m.store.(sweeper)
	if !ok {
		return
	}
	tick := time.NewTicker(m.o.SweepInterval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.Sweep(m.now())
		}
	}
}

// hostLimiter bounds in-flight fetches per host:port.
type hostLimiter struct {
	limit int
	mu    sync.Mutex
	hosts map[string]*hostSlots
}

type hostSlots struct {
	sem  chan struct{}
	refs int
}

func newHostLimiter(limit int) *hostLimiter {
	return &hostLimiter{limit: limit, hosts: make(map[string]*hostSlots)}
}

// acquire takes a slot of host ("" takes none) and returns its release.
func (h *hostLimiter) acquire(ctx context.Context, host string) (func(), bool) {
	if host == "" {
		return func() {}, true
	}
	h.mu.Lock()
	s, ok := h.hosts[host]
	if !ok {
		s = &hostSlots{sem: make(chan struct{}, h.limit)}
		h.hosts[host] = s
	}
	s.refs++
	h.mu.Unlock()
	done := func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		if s.refs--; s.refs == 0 {
			delete(h.hosts, host)
		}
	}
	if !acquire(ctx, s.sem) {
		done()
		return nil, false
	}
	return func() { <-s.sem; done() }, true
}

// hostKey is the lower-case host:port of a URL, "" when it has none.
func hostKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[strings.ToLower(u.Scheme)]
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// runTime is how long an ended job ran, from its creation to its end (or
// now, when the record lacks an end); 0 without a record.
func runTime(r *Record, now time.Time) time.Duration {
	if r == nil || r.CreatedAt == nil {
		return 0
	}
	end := now
	if r.CompletedAt != nil {
		end = *r.CompletedAt
	}
	return max(end.Sub(*r.CreatedAt), 0)
}
