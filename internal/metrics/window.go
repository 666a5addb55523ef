package metrics

import (
	"math"
	"sync"
	"time"
)

// The status window: one hour of 10-second slots in a ring.
const (
	slotSeconds   = 10
	windowSlots   = 360
	slotsPerChunk = 6 // one chart point per minute
	recentSlots   = 30
)

// Latency bins grow by latGrowth from latBase; bin i holds durations in
// (latBase*latGrowth^(i-1), latBase*latGrowth^i], so a quantile read off
// them is within 10% of the true value.
const (
	latBase   = 50e-6
	latGrowth = 1.1
	latBins   = 170
)

type latHist [latBins]uint32

func latBin(d time.Duration) int {
	s := d.Seconds()
	if s <= latBase {
		return 0
	}
	i := int(math.Ceil(math.Log(s/latBase) / math.Log(latGrowth)))
	return min(i, latBins-1)
}

func (h *latHist) add(o *latHist) {
	for i := range h {
		h[i] += o[i]
	}
}

// quantile interpolates the q-quantile in seconds; NaN when h is empty.
func (h *latHist) quantile(q float64) float64 {
	var n uint64
	for _, c := range h {
		n += uint64(c)
	}
	if n == 0 {
		return math.NaN()
	}
	rank := q * float64(n)
	var cum float64
	for i, c := range h {
		if c == 0 || cum+float64(c) < rank {
			cum += float64(c)
			continue
		}
		upper := latBase * math.Pow(latGrowth, float64(i))
		lower := 0.0
		if i > 0 {
			lower = upper / latGrowth
		}
		return lower + (upper-lower)*(rank-cum)/float64(c)
	}
	return latBase * math.Pow(latGrowth, latBins-1)
}

// tally is what one slot, or a sum of slots, knows.
type tally struct {
	requests, valid, own5xx, server5xx int64
	cacheHits, cacheLookups            int64
	jobsCompleted, jobsFailed          int64
	urlsOK, urlsFailed                 int64
	redisOps, redisErrors, redisNanos  int64
	total, own, ttfb                   latHist
}

func (t *tally) add(o *tally) {
	t.requests += o.requests
	t.valid += o.valid
	t.own5xx += o.own5xx
	t.server5xx += o.server5xx
	t.cacheHits += o.cacheHits
	t.cacheLookups += o.cacheLookups
	t.jobsCompleted += o.jobsCompleted
	t.jobsFailed += o.jobsFailed
	t.urlsOK += o.urlsOK
	t.urlsFailed += o.urlsFailed
	t.redisOps += o.redisOps
	t.redisErrors += o.redisErrors
	t.redisNanos += o.redisNanos
	t.total.add(&o.total)
	t.own.add(&o.own)
	t.ttfb.add(&o.ttfb)
}

type slot struct {
	epoch int64
	tally
}

// window is the ring behind /status and /status.json.
type window struct {
	mu    sync.Mutex
	slots [windowSlots]slot
}

func newWindow() *window { return &window{} }

func epochOf(t time.Time) int64 { return t.Unix() / slotSeconds }

// at returns the slot of t, emptied if it last held an older epoch. The
// caller holds w.mu.
func (w *window) at(t time.Time) *tally {
	e := epochOf(t)
	s := &w.slots[((e%windowSlots)+windowSlots)%windowSlots]
	if s.epoch != e {
		*s = slot{epoch: e}
	}
	return &s.tally
}

func (w *window) update(t time.Time, f func(*tally)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	f(w.at(t))
}

// request classifies one answer; see doc.go for the definitions.
func (w *window) request(t time.Time, status int, errType string, total, own time.Duration) {
	upstream := isUpstreamError(errType)
	w.update(t, func(s *tally) {
		s.requests++
		if status < 400 || status >= 500 || upstream {
			s.valid++
		}
		if status >= 500 {
			s.server5xx++
			if !upstream {
				s.own5xx++
			}
		}
		s.total[latBin(total)]++
		s.own[latBin(own)]++
	})
}

func (w *window) ttfb(t time.Time, d time.Duration) {
	w.update(t, func(s *tally) { s.ttfb[latBin(d)]++ })
}

func (w *window) cache(t time.Time, result string) {
	w.update(t, func(s *tally) {
		switch result {
		case "hit", "stale", "revalidated":
			s.cacheHits++
			s.cacheLookups++
		case "miss":
			s.cacheLookups++
		}
	})
}

func (w *window) job(t time.Time, status string) {
	w.update(t, func(s *tally) {
		switch status {
		case "completed":
			s.jobsCompleted++
		case "failed":
			s.jobsFailed++
		}
	})
}

func (w *window) batchURL(t time.Time, ok bool) {
	w.update(t, func(s *tally) {
		if ok {
			s.urlsOK++
		} else {
			s.urlsFailed++
		}
	})
}

func (w *window) redis(t time.Time, d time.Duration, failed bool) {
	w.update(t, func(s *tally) {
		s.redisOps++
		s.redisNanos += int64(d)
		if failed {
			s.redisErrors++
		}
	})
}

// chunks returns the last hour ending at now as windowSlots/slotsPerChunk
// per-minute tallies, oldest first.
func (w *window) chunks(now time.Time) []tally {
	last := epochOf(now)
	first := last - windowSlots + 1
	out := make([]tally, windowSlots/slotsPerChunk)
	w.mu.Lock()
	defer w.mu.Unlock()
	for e := first; e <= last; e++ {
		s := &w.slots[((e%windowSlots)+windowSlots)%windowSlots]
		if s.epoch == e {
			out[(e-first)/slotsPerChunk].add(&s.tally)
		}
	}
	return out
}
