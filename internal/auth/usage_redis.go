package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// ErrStoreDown is returned by [RedisUsage] without asking Redis while it
// is resting after a failure.
var ErrStoreDown = errors.New("usage store down")

// RedisUsage is the [UsageStore] and [Admitter] shared through Redis. Each
// key name has one hash per UTC day (prefix "usage:{<name>}:d:<YYYY-MM-DD>",
// fields requests, single, batch, urls, bytes, errors, class:<class>) and
// one per UTC month ("usage:{<name>}:m:<YYYY-MM>", field requests), both
// expiring after 400 days, in one cluster slot per name; the set prefix
// "usage:keys" lists the names. Add, Admit, Count and Report are one round
// trip each.
//
// After a failure the store answers ErrStoreDown for one second without
// asking Redis, so an outage costs a request at most one timeout a second.
type RedisUsage struct {
	// Timeout bounds each operation; default 100ms.
	Timeout time.Duration

	c         redis.UniversalClient
	prefix    string
	now       func() time.Time
	downUntil atomic.Int64
}

var _ UsageStore = (*RedisUsage)(nil)

// NewRedisUsage returns a store writing under prefix in c; now (time.Now
// when nil) dates events without a Time. Timeout only bounds an operation
// when c has ContextTimeoutEnabled set.
func NewRedisUsage(c redis.UniversalClient, prefix string, now func() time.Time) *RedisUsage {
	if now == nil {
		now = time.Now
	}
	return &RedisUsage{Timeout: 100 * time.Millisecond, c: c, prefix: prefix, now: now}
}

func (s *RedisUsage) dayKey(name, date string) string {
	return s.prefix + "usage:{" + name + "}:d:" + date
}

func (s *RedisUsage) monthKey(name, month string) string {
	return s.prefix + "usage:{" + name + "}:m:" + month
}

// begin bounds ctx by Timeout, or fails fast while the store rests.
func (s *RedisUsage) begin(ctx context.Context) (context.Context, context.CancelFunc, error) {
	if time.Now().UnixNano() < s.downUntil.Load() {
		return nil, nil, ErrStoreDown
	}
	ctx, cancel := context.WithTimeout(ctx, s.Timeout)
	return ctx, cancel, nil
}

func (s *RedisUsage) end(ctx context.Context, err error) error {
	if err != nil && (ctx.Err() == nil || errors.Is(err, context.DeadlineExceeded)) {
		s.downUntil.Store(time.Now().Add(time.Second).UnixNano())
	}
	return err
}

// Add implements [UsageStore].
func (s *RedisUsage) Add(ctx context.Context, key string, e Event) error {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return err
	}
	defer cancel()
	t := e.Time.UTC()
	day, month := s.dayKey(key, t.Format(dateLayout)), s.monthKey(key, t.Format(monthLayout))
	ttl := retentionDays * 24 * time.Hour
	_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for field, n := range eventFields(e) {
			p.HIncrBy(ctx, day, field, n)
		}
		p.Expire(ctx, day, ttl)
		if e.Requests != 0 {
			p.HIncrBy(ctx, month, "requests", e.Requests)
			p.Expire(ctx, month, ttl)
		}
		p.SAdd(ctx, s.prefix+"usage:keys", key)
		return nil
	})
	if err != nil {
		return s.end(ctx, fmt.Errorf("record usage: %w", err))
	}
	return nil
}

func eventFields(e Event) map[string]int64 {
	f := map[string]int64{}
	var c Counts
	c.add(e)
	for name, v := range map[string]int64{"requests": c.Requests, "single": c.Single,
		"batch": c.Batch, "urls": c.URLs, "bytes": c.Bytes, "errors": c.Errors} {
		if v != 0 {
			f[name] = v
		}
	}
	for class, v := range c.ByClass {
		f["class:"+class] = v
	}
	return f
}

// Count implements [UsageStore].
func (s *RedisUsage) Count(ctx context.Context, key string, now time.Time) (int64, int64, error) {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return 0, 0, err
	}
	defer cancel()
	now = now.UTC()
	var day, month *redis.StringCmd
	_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		day = p.HGet(ctx, s.dayKey(key, now.Format(dateLayout)), "requests")
		month = p.HGet(ctx, s.monthKey(key, now.Format(monthLayout)), "requests")
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return 0, 0, s.end(ctx, fmt.Errorf("count usage: %w", err))
	}
	d, _ := day.Int64()
	m, _ := month.Int64()
	return d, m, nil
}

// Report implements [UsageStore].
func (s *RedisUsage) Report(
	ctx context.Context, key string, days int, now time.Time,
) ([]Usage, error) {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	names := []string{key}
	if key == "" {
		if names, err = s.c.SMembers(ctx, s.prefix+"usage:keys").Result(); err != nil {
			return nil, s.end(ctx, fmt.Errorf("list usage keys: %w", err))
		}
		slices.Sort(names)
	}
	dates := reportDays(days, now)
	month := now.UTC().Format(monthLayout)
	hashes := make([][]*redis.MapStringStringCmd, len(names))
	months := make([]*redis.StringCmd, len(names))
	_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, name := range names {
			for _, d := range dates {
				hashes[i] = append(hashes[i], p.HGetAll(ctx, s.dayKey(name, d)))
			}
			months[i] = p.HGet(ctx, s.monthKey(name, month), "requests")
		}
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, s.end(ctx, fmt.Errorf("read usage: %w", err))
	}
	out := make([]Usage, len(names))
	for i, name := range names {
		byDay := make(map[string]Counts, len(dates))
		for j, d := range dates {
			byDay[d] = countsFromHash(hashes[i][j].Val())
		}
		m, _ := months[i].Int64()
		out[i] = buildUsage(name, dates, byDay, m)
	}
	return out, nil
}

func countsFromHash(h map[string]string) Counts {
	c := Counts{ByClass: map[string]int64{}}
	fields := map[string]*int64{"requests": &c.Requests, "single": &c.Single,
		"batch": &c.Batch, "urls": &c.URLs, "bytes": &c.Bytes, "errors": &c.Errors}
	for k, v := range h {
		n, _ := strconv.ParseInt(v, 10, 64)
		if p, ok := fields[k]; ok {
			*p = n
		} else if class, ok := strings.CutPrefix(k, "class:"); ok {
			c.ByClass[class] = n
		}
	}
	return c
}

// admitScript checks the quotas and counts the request atomically.
// KEYS: day hash, month hash. ARGV: quota_day, quota_month, ttl seconds,
// requests, then field/increment pairs for the day hash.
// It returns {admitted, day, month}.
var admitScript = redis.NewScript(`
local qd, qm = tonumber(ARGV[1]), tonumber(ARGV[2])
local d = tonumber(redis.call('HGET', KEYS[1], 'requests') or '0')
local m = tonumber(redis.call('HGET', KEYS[2], 'requests') or '0')
if (qd > 0 and d >= qd) or (qm > 0 and m >= qm) then
  return {0, d, m}
end
for i = 5, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[1], ARGV[3])
local n = tonumber(ARGV[4])
redis.call('HINCRBY', KEYS[2], 'requests', n)
redis.call('EXPIRE', KEYS[2], ARGV[3])
return {1, d + n, m + n}
`)

// Admit implements [Admitter]. The name joins the set of names with the
// completion event's Add; Admit alone does not list it.
func (s *RedisUsage) Admit(
	ctx context.Context, key string, e Event, quotaDay, quotaMonth int64,
) (bool, int64, int64, error) {
	if e.Time.IsZero() {
		e.Time = s.now()
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return false, 0, 0, err
	}
	defer cancel()
	t := e.Time.UTC()
	keys := []string{s.dayKey(key, t.Format(dateLayout)), s.monthKey(key, t.Format(monthLayout))}
	args := []any{quotaDay, quotaMonth, int64(retentionDays * 24 * 3600), e.Requests}
	for field, n := range eventFields(e) {
		args = append(args, field, n)
	}
	res, err := admitScript.Run(ctx, s.c, keys, args...).Int64Slice()
	if err != nil {
		return false, 0, 0, s.end(ctx, fmt.Errorf("run quota script: %w", err))
	}
	if len(res) != 3 {
		return false, 0, 0, fmt.Errorf("read quota script: %d values", len(res))
	}
	return res[0] == 1, res[1], res[2], nil
}
