package ratelimit

import (
	"context"
	"hash/maphash"
	"sync"
	"time"
)

const (
	memoryShards = 64
	// sweepEvery is how often (by the injected clock) a shard drops the keys
	// whose events have all left their window.
	sweepEvery = time.Minute
)

// Memory is an in-process [Limiter] with exact sliding-log semantics: up to
// Limit events in any window of Period, the first Limit at once included.
//
// Each key keeps at most Limit timestamps in a ring, so memory per key is
// bounded by 8 bytes times Limit; keys whose events have all expired are
// swept lazily, at most once a minute per shard, on a later call.
type Memory struct {
	now    func() time.Time
	seed   maphash.Seed
	shards [memoryShards]memShard
}

var _ Limiter = (*Memory)(nil)

type memShard struct {
	mu        sync.Mutex
	windows   map[string]*window
	lastSweep int64
	_         [40]byte // one cache line per shard: no false sharing
}

// NewMemory returns an empty limiter reading time from now (time.Now when
// nil).
func NewMemory(now func() time.Time) *Memory {
	if now == nil {
		now = time.Now
	}
	m := &Memory{now: now, seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].windows = make(map[string]*window)
	}
	return m
}

// Allow implements [Limiter]. It never returns an error for a valid rule.
func (m *Memory) Allow(_ context.Context, key string, rule Rule, n int) (Decision, error) {
	if err := checkRule(rule, n); err != nil {
		return Decision{}, err
	}
	now := m.now().UnixNano()
	s := &m.shards[maphash.String(m.seed, key)%memoryShards]

	s.mu.Lock()
	defer s.mu.Unlock()
	s.sweep(now)
	w := s.windows[key]
	if w == nil {
		w = &window{}
		s.windows[key] = w
	}
	return w.allow(now, rule, n), nil
}

// Len is the number of keys currently held, for tests and metrics.
func (m *Memory) Len() int {
	total := 0
	for i := range m.shards {
		s := &m.shards[i]
		s.mu.Lock()
		total += len(s.windows)
		s.mu.Unlock()
	}
	return total
}

// sweep drops the windows whose events have all expired, once per
// sweepEvery. The caller holds s.mu.
func (s *memShard) sweep(now int64) {
	if now-s.lastSweep < int64(sweepEvery) {
		return
	}
	s.lastSweep = now
	for k, w := range s.windows {
		if w.size == 0 || w.newest()+w.period <= now {
			delete(s.windows, k)
		}
	}
}

// window is the sliding log of one key: a ring of timestamps (Unix ns) in
// ascending order, holding at most the rule's Limit.
type window struct {
	buf    []int64
	head   int
	size   int
	period int64
}

func (w *window) allow(now int64, rule Rule, n int) Decision {
	limit, period := rule.Limit, int64(rule.Period)
	w.period = period
	w.fit(limit)
	w.expire(now - period)
	if w.size > 0 && w.newest() > now {
		now = w.newest() // the clock went back: keep the log ordered
	}

	d := Decision{Limit: limit, Remaining: limit - w.size}
	if w.size+n <= limit {
		for range n {
			w.push(now, limit)
		}
		d.Allowed = true
		d.Remaining -= n
	} else if n > limit {
		d.RetryAfter = rule.Period // can never fit; say so with one period
	} else {
		d.RetryAfter = time.Duration(w.at(w.size+n-limit-1) + period - now)
	}
	if w.size > 0 {
		d.Reset = time.Duration(w.newest() + period - now)
	}
	return d
}

// expire drops the events at or before cutoff: an event at t counts in
// (t-period, t], so at t+period it is gone.
func (w *window) expire(cutoff int64) {
	for w.size > 0 && w.buf[w.head] <= cutoff {
		w.head = (w.head + 1) % len(w.buf)
		w.size--
	}
}

// fit resizes the ring when the rule's Limit changed, keeping the newest
// events.
func (w *window) fit(limit int) {
	if w.size <= limit && len(w.buf) <= limit {
		return
	}
	keep := min(w.size, limit)
	buf := make([]int64, keep)
	for i := range keep {
		buf[i] = w.at(w.size - keep + i)
	}
	w.buf, w.head, w.size = buf, 0, keep
}

// push appends t, growing the ring by doubling up to limit.
func (w *window) push(t int64, limit int) {
	if w.size == len(w.buf) {
		grown := make([]int64, min(max(2*len(w.buf), 4), limit))
		for i := range w.size {
			grown[i] = w.at(i)
		}
		w.buf, w.head = grown, 0
	}
	w.buf[(w.head+w.size)%len(w.buf)] = t
	w.size++
}

// at is the i-th oldest event.
func (w *window) at(i int) int64 { return w.buf[(w.head+i)%len(w.buf)] }

func (w *window) newest() int64 { return w.at(w.size - 1) }
