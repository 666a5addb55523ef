package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"downloader/internal/problem"
)

// Fetcher runs one URL through the service's pipeline and returns its
// result. It never panics; a failure is a result with ErrorType set. The
// api layer supplies it; ctx carries the entry's timeout and is cancelled
// when the job is.
type Fetcher func(ctx context.Context, t Task) Result

// Hooks are callbacks for metrics. Nil fields are skipped; each must return
// quickly.
type Hooks struct {
	// OnJobDone is called once per job, by the instance that ended it,
	// with the job's run time (creation to end; 0 when unknown).
	OnJobDone func(s Status, d time.Duration)
	// OnURLDone is called once per stored result.
	OnURLDone func(success bool, errType string)
	// OnReclaim is called with the number of tasks taken over from a
	// consumer that held them past the visibility timeout.
	OnReclaim func(n int)
}

// Options configure a [Manager]. Zero fields take the defaults given.
type Options struct {
	// TTL is how long a job and its results are kept. Default: 24h.
	TTL time.Duration
	// MaxResultBytesPerJob bounds one job's stored results; a result over
	// it is stored as a content_too_large failure. Default: 256 MiB.
	MaxResultBytesPerJob int64
	// MaxResultBytesTotal bounds all stored results of a [MemoryStore]
	// (Redis is bounded by its own maxmemory). Default: 1 GiB.
	MaxResultBytesTotal int64
	// PerHostLimit bounds in-flight fetches to one host:port across all
	// batches of this instance. Default: 10.
	PerHostLimit int
	// MaxInFlight bounds all batch fetches of this instance, so batches
	// cannot starve single-URL requests. Default: 200.
	MaxInFlight int
	// Workers bounds the tasks this instance holds at once (running or
	// waiting for a concurrency slot). Default: 2 * MaxInFlight.
	Workers int
	// VisibilityTimeout must match the Redis queue's: held tasks are
	// extended every third of it. Default: 30s.
	VisibilityTimeout time.Duration
	// Poll is how often Wait, Stream and the cancel watcher re-read a job
	// that another instance may change. Default: 200ms.
	Poll time.Duration
	// SweepInterval is how often a [MemoryStore] frees expired jobs.
	// Default: 1 minute.
	SweepInterval time.Duration
	// Now is the clock of timestamps and expiry. Default: time.Now.
	Now func() time.Time
	// Logger receives operational logs. Default: discarded.
	Logger *slog.Logger
	// Hooks report events for metrics.
	Hooks Hooks
	// Webhook sends callbacks; its dialer must enforce the SSRF policy.
	// Nil: callbacks are not sent.
	Webhook *http.Client
	// CallbackSecret signs callbacks of jobs without their own secret.
	CallbackSecret string
	// CallbackTries is the number of delivery attempts. Default: 4.
	CallbackTries int
	// CallbackBackoff is the wait before the second attempt, doubled for
	// each next one. Default: 1s.
	CallbackBackoff time.Duration
	// Sleep waits between callback attempts. Default: a timer on ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Check, when set, vets an entry's URL before it takes any slot; its
	// error (a *problem.Error) becomes the entry's failed result.
	Check func(rawURL string) error
	// InstanceID names this instance in logs. Default: random.
	InstanceID string
}

func (o Options) withDefaults() Options {
	setDur(&o.TTL, 24*time.Hour)
	setInt64(&o.MaxResultBytesPerJob, 256<<20)
	setInt64(&o.MaxResultBytesTotal, 1<<30)
	setInt(&o.PerHostLimit, 10)
	setInt(&o.MaxInFlight, 200)
	setInt(&o.Workers, 2*o.MaxInFlight)
	setDur(&o.VisibilityTimeout, 30*time.Second)
	setDur(&o.Poll, 200*time.Millisecond)
	setDur(&o.SweepInterval, time.Minute)
	setInt(&o.CallbackTries, 4)
	setDur(&o.CallbackBackoff, time.Second)
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.InstanceID == "" {
		o.InstanceID = newID()[:12]
	}
	return o
}

func setInt(p *int, d int) {
	if *p <= 0 {
		*p = d
	}
}

func setInt64(p *int64, d int64) {
	if *p <= 0 {
		*p = d
	}
}

func setDur(p *time.Duration, d time.Duration) {
	if *p <= 0 {
		*p = d
	}
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// newID returns 128 random bits in hex.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Log keys.
const (
	keyJob      = "job_id"
	keyIndex    = "index"
	keyErr      = "err"
	keyInstance = "instance"
	keyStatus   = "status"
	keyTry      = "try"
)

// Manager runs batch jobs: it stores them, queues their URLs, runs the
// fetches of its instance's share within the concurrency limits, and ends
// the jobs. Its methods are safe for concurrent use.
type Manager struct {
	store Store
	queue Queue
	fetch Fetcher
	o     Options
	log   *slog.Logger

	global  chan struct{} // MaxInFlight
	slots   chan struct{} // Workers
	hosts   *hostLimiter
	changed *signal

	mu      sync.Mutex
	started bool
	active  map[string]*jobRun
	held    map[string]Delivery // by queue ID, for Extend

	work       context.Context // ends on a hard stop
	stopWork   context.CancelFunc
	stopRecv   context.CancelFunc
	tasks      sync.WaitGroup // consume loop, task runs, callbacks
	background sync.WaitGroup // heartbeat, sweeper, cancel watchers
}

// NewManager returns a Manager; [Manager.Start] starts its workers.
func NewManager(store Store, queue Queue, fetch Fetcher, opts Options) *Manager {
	o := opts.withDefaults()
	if o.Webhook == nil {
		o.Logger.Warn("jobs: no webhook client, callbacks disabled")
	}
	// the work context ends on a hard stop: the ctx of Start ending, or
	// the grace period of Close running out
	work, stopWork := context.WithCancel(context.Background())
	return &Manager{
		work:     work,
		stopWork: stopWork,
		stopRecv: func() {},
		store:    store,
		queue:    queue,
		fetch:    fetch,
		o:        o,
		log:      o.Logger.With(keyInstance, o.InstanceID),
		global:   make(chan struct{}, o.MaxInFlight),
		slots:    make(chan struct{}, o.Workers),
		hosts:    newHostLimiter(o.PerHostLimit),
		changed:  newSignal(),
		active:   make(map[string]*jobRun),
		held:     make(map[string]Delivery),
	}
}

// Start starts the workers, which take tasks until [Manager.Close] or
// until ctx ends. Ending ctx is a hard stop: running fetches are abandoned
// without a result (a shared queue gives them to another instance after
// the visibility timeout).
func (m *Manager) Start(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started {
		return errors.New("start jobs manager: already started")
	}
	m.started = true
	context.AfterFunc(ctx, m.stopWork)
	recv, stopRecv := context.WithCancel(m.work)
	m.stopRecv = stopRecv
	m.tasks.Add(1)
	go m.consume(recv)
	m.background.Add(2)
	go m.heartbeat(m.work)
	go m.sweep(m.work)
	return nil
}

// Close stops taking tasks and waits for running ones (and callbacks)
// until ctx ends; then it abandons them as a hard stop does and returns
// ctx's error. A queue private to this process (a [MemoryQueue]) is
// drained first, since no other instance would run its tasks; a shared one
// is left to the other instances. Stop accepting batches before Close.
func (m *Manager) Close(ctx context.Context) error {
	m.mu.Lock()
	started, stopRecv := m.started, m.stopRecv
	m.mu.Unlock()
	if started {
		m.drain(ctx)
	}
	stopRecv()
	done := make(chan struct{})
	go func() {
		m.tasks.Wait()
		close(done)
	}()
	var err error
	select {
	case <-done:
	case <-ctx.Done():
		err = ctx.Err()
	}
	m.stopWork()
	<-done
	m.background.Wait()
	return err
}

// drain waits until a private queue is empty or ctx ends.
func (m *Manager) drain(ctx context.Context) {
	q, ok := m.queue.(interface{ Len() int })
	if !ok {
		return
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for q.Len() > 0 {
		select {
		case <-ctx.Done():
			return
		case <-m.work.Done():
			return
		case <-tick.C:
		}
	}
}

// now is the injected clock, in UTC to the millisecond (as Redis keeps it).
func (m *Manager) now() time.Time {
	return m.o.Now().UTC().Truncate(time.Millisecond)
}

// unavailable is the error for a job store that does not answer.
func unavailable(err error) *problem.Error {
	p := problem.Wrap(problem.Unavailable, err, "the job store is unavailable")
	p.RetryAfter = 5 * time.Second
	return p
}

func notFound() *problem.Error {
	return problem.New(problem.NotFound, "no such job")
}

// signal wakes every waiter when something changes.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func newSignal() *signal { return &signal{ch: make(chan struct{})} }

// wait returns a channel closed at the next fire.
func (s *signal) wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ch
}

func (s *signal) fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	close(s.ch)
	s.ch = make(chan struct{})
}
