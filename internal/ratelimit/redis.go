package ratelimit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// slidingLog is the whole decision, atomic on the server: drop the events
// that left the window, count the rest, add n uniquely named members when
// they fit. Times are Unix microseconds so scores stay exact as doubles.
// It returns {allowed, remaining, reset_us, retry_after_us}.
var slidingLog = redis.NewScript(`
local key = KEYS[1]
local now = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local n = tonumber(ARGV[4])
local id = ARGV[5]

redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
local count = redis.call('ZCARD', key)
local newest = nil
if count > 0 then
  newest = tonumber(redis.call('ZRANGE', key, -1, -1, 'WITHSCORES')[2])
end

if count + n <= limit then
  local args = {}
  for i = 1, n do
    args[#args + 1] = now
    args[#args + 1] = id .. ':' .. i
    if #args >= 1000 then
      redis.call('ZADD', key, unpack(args))
      args = {}
    end
  end
  if #args > 0 then
    redis.call('ZADD', key, unpack(args))
  end
  if n > 0 then
    redis.call('PEXPIRE', key, math.ceil(period / 1000))
    if newest == nil or newest < now then newest = now end
  end
  local reset = 0
  if newest ~= nil then reset = newest + period - now end
  return {1, limit - count - n, reset, 0}
end

local retry = period
if n <= limit then
  local i = count + n - limit - 1
  local e = redis.call('ZRANGE', key, i, i, 'WITHSCORES')
  retry = tonumber(e[2]) + period - now
end
local reset = 0
if newest ~= nil then reset = newest + period - now end
return {0, limit - count, reset, retry}
`)

// Redis is a [Limiter] shared by every instance using the same Redis and
// prefix, with the exact semantics of [Memory]: one sorted set per key, one
// round trip per decision (EVALSHA of an atomic script).
//
// Time comes from the injected clock of each instance, so instances must
// keep their clocks in step (NTP); skew of s lets an event count for s
// longer or shorter.
type Redis struct {
	c         redis.UniversalClient
	prefix    string
	now       func() time.Time
	opTimeout time.Duration
	instance  string
	seq       atomic.Uint64
}

var _ Limiter = (*Redis)(nil)

// NewRedis returns a limiter storing its logs under prefix+key in c. now is
// time.Now when nil; opTimeout bounds each call (0: only ctx bounds it).
// go-redis applies a context deadline to the connection only when the
// client has ContextTimeoutEnabled set; without it a hung Redis holds a call
// for the client's ReadTimeout (default 3s) or DialTimeout (5s) instead.
func NewRedis(
	c redis.UniversalClient, prefix string, now func() time.Time, opTimeout time.Duration,
) *Redis {
	if now == nil {
		now = time.Now
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	return &Redis{
		c: c, prefix: prefix, now: now, opTimeout: opTimeout,
		instance: hex.EncodeToString(b[:]),
	}
}

// Allow implements [Limiter]. Errors are Redis failures or timeouts; wrap the
// limiter in [NewFallback] so that they never fail a request.
func (l *Redis) Allow(ctx context.Context, key string, rule Rule, n int) (Decision, error) {
	if err := checkRule(rule, n); err != nil {
		return Decision{}, err
	}
	if l.opTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, l.opTimeout)
		defer cancel()
	}
	id := l.instance + ":" + strconv.FormatUint(l.seq.Add(1), 36)
	res, err := slidingLog.Run(ctx, l.c, []string{l.prefix + key},
		l.now().UnixMicro(), rule.Period.Microseconds(), rule.Limit, n, id).Int64Slice()
	if err != nil {
		return Decision{}, fmt.Errorf("run rate limit script: %w", err)
	}
	if len(res) != 4 {
		return Decision{}, fmt.Errorf("read rate limit script: %d values", len(res))
	}
	return Decision{
		Allowed:    res[0] == 1,
		Limit:      rule.Limit,
		Remaining:  int(res[1]),
		Reset:      time.Duration(res[2]) * time.Microsecond,
		RetryAfter: time.Duration(res[3]) * time.Microsecond,
	}, nil
}
