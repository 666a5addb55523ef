package auth

import (
	"context"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

const (
	dateLayout  = "2006-01-02"
	monthLayout = "2006-01"
	// retentionDays is how long per-day usage is kept (a year and a month,
	// so month totals and a year of history stay available).
	retentionDays = 400
)

// Event is what one request, or a later part of it, adds to a key's usage.
// Counters go to the UTC day of Time.
type Event struct {
	// Time places the event; zero means the store's clock.
	Time time.Time
	// Requests is the number of requests counted (what quotas count).
	// [QuotaMiddleware] adds 1 on admission and 0 with the completion
	// event that carries Bytes and Error.
	Requests int64
	// Class is the route class; requests are also counted under it.
	Class string
	// Batch counts the requests as batch submissions rather than single.
	Batch bool
	// URLs is the number of URLs submitted (a batch handler adds them).
	URLs int
	// Bytes is the number of response bytes sent.
	Bytes int64
	// Error counts one failed request (status >= 400 or a cut stream).
	Error bool
}

// Counts are usage counters over a day or a range. The JSON field names
// are stable: /usage serves them as they are.
type Counts struct {
	Requests  int64            `json:"requests"`
	ByClass   map[string]int64 `json:"by_class"`
	Single    int64            `json:"single"`
	Batch     int64            `json:"batch"`
	URLs      int64            `json:"urls"`
	Bytes     int64            `json:"bytes"`
	Errors    int64            `json:"errors"`
	ErrorRate float64          `json:"error_rate"` // errors / requests; 0 without requests
}

// DayUsage is one UTC day of a key's usage.
type DayUsage struct {
	Date string `json:"date"` // YYYY-MM-DD, UTC
	Counts
}

// Usage is a key's usage over the days of a report, oldest day first,
// every day present (zeros included).
type Usage struct {
	Key   string     `json:"key"` // the key's name, never the key
	From  string     `json:"from"`
	To    string     `json:"to"`
	Month int64      `json:"month_requests"` // requests in the UTC month of To
	Total Counts     `json:"total"`
	Days  []DayUsage `json:"days"`
}

// UsageStore keeps per-key usage in UTC day buckets, keyed by key name.
//
// Report covers the days UTC days ending with now's (days clamped to
// 1..400), for key or, when key is "", for every key with recorded usage,
// sorted by name.
type UsageStore interface {
	Add(ctx context.Context, key string, e Event) error
	Count(ctx context.Context, key string, now time.Time) (day, month int64, err error)
	Report(ctx context.Context, key string, days int, now time.Time) ([]Usage, error)
}

// Admitter is a [UsageStore] that checks a key's quotas and counts a
// request in one atomic step, so concurrent requests, on any number of
// instances, never pass a quota. ok is false, and nothing counted, when the
// key's requests this UTC day have reached quotaDay or this UTC month
// quotaMonth (0: no quota); day and month are the counts after the call.
// [QuotaMiddleware] uses it when the store has it; both stores here do.
type Admitter interface {
	Admit(ctx context.Context, key string, e Event, quotaDay, quotaMonth int64) (
		ok bool, day, month int64, err error)
}

func (c *Counts) add(e Event) {
	c.Requests += e.Requests
	if e.Requests != 0 {
		if c.ByClass == nil {
			c.ByClass = map[string]int64{}
		}
		if e.Class != "" {
			c.ByClass[e.Class] += e.Requests
		}
		if e.Batch {
			c.Batch += e.Requests
		} else {
			c.Single += e.Requests
		}
	}
	c.URLs += int64(e.URLs)
	c.Bytes += e.Bytes
	if e.Error {
		c.Errors++
	}
}

func (c *Counts) merge(o Counts) {
	c.Requests += o.Requests
	c.Single += o.Single
	c.Batch += o.Batch
	c.URLs += o.URLs
	c.Bytes += o.Bytes
	c.Errors += o.Errors
	for k, v := range o.ByClass {
		c.ByClass[k] += v
	}
}

func (c *Counts) finish() {
	if c.ByClass == nil {
		c.ByClass = map[string]int64{}
	}
	c.ErrorRate = 0
	if c.Requests > 0 {
		c.ErrorRate = float64(c.Errors) / float64(c.Requests)
	}
}

// reportDays lists the dates of a report, oldest first.
func reportDays(days int, now time.Time) []string {
	days = min(max(days, 1), retentionDays)
	now = now.UTC()
	out := make([]string, days)
	for i := range days {
		out[i] = now.AddDate(0, 0, i-days+1).Format(dateLayout)
	}
	return out
}

// buildUsage assembles a report from per-day counts (missing days are
// zero).
func buildUsage(key string, dates []string, byDay map[string]Counts, month int64) Usage {
	u := Usage{Key: key, From: dates[0], To: dates[len(dates)-1], Month: month,
		Total: Counts{ByClass: map[string]int64{}}, Days: make([]DayUsage, len(dates))}
	for i, d := range dates {
		c := byDay[d]
		c.finish()
		u.Days[i] = DayUsage{Date: d, Counts: c}
		u.Total.merge(c)
	}
	u.Total.finish()
	return u
}

// MemoryUsage is the in-process [UsageStore]. Days older than 400 are
// dropped as new days are written.
type MemoryUsage struct {
	now  func() time.Time
	mu   sync.Mutex
	keys map[string]map[string]*Counts // key name -> date -> counts
}

var _ UsageStore = (*MemoryUsage)(nil)

// NewMemoryUsage returns an empty store; now (time.Now when nil) dates
// events without a Time.
func NewMemoryUsage(now func() time.Time) *MemoryUsage {
	if now == nil {
		now = time.Now
	}
	return &MemoryUsage{now: now, keys: map[string]map[string]*Counts{}}
}

// Add implements [UsageStore].
func (m *MemoryUsage) Add(_ context.Context, key string, e Event) error {
	if e.Time.IsZero() {
		e.Time = m.now()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.add(key, e)
	return nil
}

// add counts e; the caller holds m.mu.
func (m *MemoryUsage) add(key string, e Event) {
	date := e.Time.UTC().Format(dateLayout)
	days := m.keys[key]
	if days == nil {
		days = map[string]*Counts{}
		m.keys[key] = days
	}
	c := days[date]
	if c == nil {
		c = &Counts{}
		days[date] = c
		prune(days, e.Time)
	}
	c.add(e)
}

func prune(days map[string]*Counts, now time.Time) {
	oldest := now.UTC().AddDate(0, 0, -retentionDays).Format(dateLayout)
	for d := range days {
		if d < oldest {
			delete(days, d)
		}
	}
}

// Count implements [UsageStore].
func (m *MemoryUsage) Count(_ context.Context, key string, now time.Time) (int64, int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	d, mo := m.count(key, now)
	return d, mo, nil
}

// Admit implements [Admitter].
func (m *MemoryUsage) Admit(
	_ context.Context, key string, e Event, quotaDay, quotaMonth int64,
) (bool, int64, int64, error) {
	if e.Time.IsZero() {
		e.Time = m.now()
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	d, mo := m.count(key, e.Time)
	if quotaDay > 0 && d >= quotaDay || quotaMonth > 0 && mo >= quotaMonth {
		return false, d, mo, nil
	}
	m.add(key, e)
	return true, d + e.Requests, mo + e.Requests, nil
}

// count is the requests of key on now's UTC day and month; the caller
// holds m.mu.
func (m *MemoryUsage) count(key string, now time.Time) (int64, int64) {
	now = now.UTC()
	today, month := now.Format(dateLayout), now.Format(monthLayout)
	var d, mo int64
	for date, c := range m.keys[key] {
		if date == today {
			d = c.Requests
		}
		if strings.HasPrefix(date, month) {
			mo += c.Requests
		}
	}
	return d, mo
}

// Report implements [UsageStore].
func (m *MemoryUsage) Report(
	ctx context.Context, key string, days int, now time.Time,
) ([]Usage, error) {
	dates := reportDays(days, now)
	m.mu.Lock()
	names := []string{key}
	if key == "" {
		names = slices.Sorted(maps.Keys(m.keys))
	}
	byKey := make(map[string]map[string]Counts, len(names))
	for _, name := range names {
		byDay := map[string]Counts{}
		for _, d := range dates {
			if c := m.keys[name][d]; c != nil {
				byDay[d] = c.clone()
			}
		}
		byKey[name] = byDay
	}
	m.mu.Unlock()

	out := make([]Usage, 0, len(names))
	for _, name := range names {
		_, month, _ := m.Count(ctx, name, now)
		out = append(out, buildUsage(name, dates, byKey[name], month))
	}
	return out, nil
}

func (c *Counts) clone() Counts {
	o := *c
	o.ByClass = maps.Clone(c.ByClass)
	return o
}
