package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a [Store] in Redis, shared by every instance. Under its
// prefix, job {id} is the hash "job:{id}" (status, counters, timestamps
// in Unix milliseconds, callback) and its results the hash "res:{id}", one
// field per entry index; both expire with the job. The braces keep a job's
// keys in one Redis Cluster slot. Counters and the end of a job move in
// Lua scripts, so instances racing on the same job never double-count.
type RedisStore struct {
	rdb    redis.UniversalClient
	prefix string
}

var _ Store = (*RedisStore)(nil)

// NewRedisStore returns a store whose keys start with prefix.
func NewRedisStore(rdb redis.UniversalClient, prefix string) *RedisStore {
	return &RedisStore{rdb: rdb, prefix: prefix}
}

func (s *RedisStore) jobKey(id string) string { return s.prefix + "job:{" + id + "}" }
func (s *RedisStore) resKey(id string) string { return s.prefix + "res:{" + id + "}" }

func ms(t *time.Time) string {
	if t == nil {
		return ""
	}
	return strconv.FormatInt(t.UnixMilli(), 10)
}

// Create implements [Store].
func (s *RedisStore) Create(ctx context.Context, r *Record) error {
	key := s.jobKey(r.ID)
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.HSet(ctx, key,
			"id", r.ID, "owner", r.Owner, "status", string(r.Status),
			"total", r.Total, "processed", 0, "succeeded", 0, "failed", 0,
			"bytes", 0, "concurrency", r.Concurrency,
			"created_at", ms(r.CreatedAt), "expires_at", ms(r.ExpiresAt),
			"callback_url", r.CallbackURL, "callback_secret", r.CallbackSecret)
		p.PExpireAt(ctx, key, *r.ExpiresAt)
		return nil
	})
	if err != nil {
		return fmt.Errorf("create job: %w", err)
	}
	return nil
}

// Get implements [Store].
func (s *RedisStore) Get(ctx context.Context, id string) (*Record, error) {
	h, err := s.rdb.HGetAll(ctx, s.jobKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("get job: %w", err)
	}
	if len(h) == 0 {
		return nil, ErrNotFound
	}
	return parseRecord(h), nil
}

func parseRecord(h map[string]string) *Record {
	n := func(k string) int { v, _ := strconv.Atoi(h[k]); return v }
	r := &Record{
		Job: Job{
			ID: h["id"], Status: Status(h["status"]), Total: n("total"),
			Processed: n("processed"), Succeeded: n("succeeded"),
			FailedCount: n("failed"),
			CreatedAt:   fromMS(h["created_at"]), StartedAt: fromMS(h["started_at"]),
			CompletedAt: fromMS(h["completed_at"]), ExpiresAt: fromMS(h["expires_at"]),
		},
		Owner: h["owner"], CallbackURL: h["callback_url"],
		CallbackSecret: h["callback_secret"], Concurrency: n("concurrency"),
	}
	r.ResultBytes, _ = strconv.ParseInt(h["bytes"], 10, 64)
	return r
}

func fromMS(v string) *time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return nil
	}
	t := time.UnixMilli(n).UTC()
	return &t
}

// beginScript: KEYS job; ARGV now. Returns the status after the call.
var beginScript = redis.NewScript(`
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return false end
if s == 'pending' then
  redis.call('HSET', KEYS[1], 'status', 'running', 'started_at', ARGV[1])
  return 'running'
end
return s`)

// Begin implements [Store].
func (s *RedisStore) Begin(ctx context.Context, id string, now time.Time) (Status, error) {
	st, err := beginScript.Run(ctx, s.rdb, []string{s.jobKey(id)}, ms(&now)).Text()
	if errors.Is(err, redis.Nil) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("begin job: %w", err)
	}
	return Status(st), nil
}

// endScript: KEYS job; ARGV status, now. Returns 1 if it ended the job, 0
// if the job had ended, -1 if there is no job.
var endScript = redis.NewScript(`
local s = redis.call('HGET', KEYS[1], 'status')
if not s then return -1 end
if s ~= 'pending' and s ~= 'running' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'completed_at', ARGV[2])
return 1`)

// End implements [Store].
func (s *RedisStore) End(ctx context.Context, id string, to Status, now time.Time) (bool, error) {
	n, err := endScript.Run(ctx, s.rdb, []string{s.jobKey(id)}, string(to), ms(&now)).Int()
	if err != nil {
		return false, fmt.Errorf("end job: %w", err)
	}
	if n < 0 {
		return false, ErrNotFound
	}
	return n == 1, nil
}

// putScript: KEYS job, results; ARGV job cap, now, then per result: field,
// value, success (1/0), size, and value and size if over the cap. Returns {done or -1
// for no job, outcome per result}. A field that exists is never written
// again, which makes a late duplicate of a task harmless.
var putScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return {-1} end
local out = {0}
local n = (#ARGV - 2) / 6
if st ~= 'pending' and st ~= 'running' then
  for i = 1, n do out[#out + 1] = 0 end
  return out
end
local cap = tonumber(ARGV[1])
for i = 0, n - 1 do
  local b = 3 + i * 6
  if redis.call('HEXISTS', KEYS[2], ARGV[b]) == 1 then
    out[#out + 1] = 0
  else
    local val, ok, size, res = ARGV[b + 1], ARGV[b + 2], tonumber(ARGV[b + 3]), 1
    local used = tonumber(redis.call('HGET', KEYS[1], 'bytes') or '0')
    if cap > 0 and used + size > cap then
      val, ok, size, res = ARGV[b + 4], '0', tonumber(ARGV[b + 5]), 2
    end
    redis.call('HSET', KEYS[2], ARGV[b], val)
    redis.call('HINCRBY', KEYS[1], 'bytes', size)
    redis.call('HINCRBY', KEYS[1], 'processed', 1)
    if ok == '1' then
      redis.call('HINCRBY', KEYS[1], 'succeeded', 1)
    else
      redis.call('HINCRBY', KEYS[1], 'failed', 1)
    end
    out[#out + 1] = res
  end
end
redis.call('PEXPIREAT', KEYS[2], redis.call('HGET', KEYS[1], 'expires_at'))
local p = tonumber(redis.call('HGET', KEYS[1], 'processed'))
if p >= tonumber(redis.call('HGET', KEYS[1], 'total')) then
  redis.call('HSET', KEYS[1], 'status', 'completed', 'completed_at', ARGV[2])
  out[1] = 1
end
return out`)

// Put implements [Store]. The total cap of c does not apply: Redis is
// bounded by its own maxmemory.
func (s *RedisStore) Put(ctx context.Context, id string, rs []indexed, c Caps,
	now time.Time) ([]int, bool, error) {
	args := []any{c.Job, ms(&now)}
	for _, x := range rs {
		val, err := json.Marshal(x.Result)
		if err != nil {
			return nil, false, fmt.Errorf("encode result: %w", err)
		}
		failed := tooLarge(x.Result)
		big, err := json.Marshal(failed)
		if err != nil {
			return nil, false, fmt.Errorf("encode result: %w", err)
		}
		ok := "0"
		if x.Result.Success {
			ok = "1"
		}
		args = append(args, strconv.Itoa(x.Index), val, ok, x.Result.size(),
			big, failed.size())
	}
	keys := []string{s.jobKey(id), s.resKey(id)}
	res, err := putScript.Run(ctx, s.rdb, keys, args...).Int64Slice()
	if err != nil {
		return nil, false, fmt.Errorf("store results: %w", err)
	}
	if len(res) == 0 || res[0] < 0 {
		return nil, false, ErrNotFound
	}
	out := make([]int, len(res)-1)
	for i, v := range res[1:] {
		out[i] = int(v)
	}
	return out, res[0] == 1, nil
}

// Indexes implements [Store].
func (s *RedisStore) Indexes(ctx context.Context, id string) ([]int, error) {
	fields, err := s.rdb.HKeys(ctx, s.resKey(id)).Result()
	if err != nil {
		return nil, fmt.Errorf("list results: %w", err)
	}
	idx := make([]int, 0, len(fields))
	for _, f := range fields {
		if i, err := strconv.Atoi(f); err == nil {
			idx = append(idx, i)
		}
	}
	slices.Sort(idx)
	return idx, nil
}

// Results implements [Store].
func (s *RedisStore) Results(ctx context.Context, id string, idx []int) ([]Result, error) {
	if len(idx) == 0 {
		return nil, nil
	}
	fields := make([]string, len(idx))
	for i, x := range idx {
		fields[i] = strconv.Itoa(x)
	}
	vals, err := s.rdb.HMGet(ctx, s.resKey(id), fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("read results: %w", err)
	}
	rs := make([]Result, 0, len(vals))
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			continue
		}
		var r Result
		if err := json.Unmarshal([]byte(str), &r); err != nil {
			return nil, fmt.Errorf("decode result: %w", err)
		}
		rs = append(rs, r)
	}
	return rs, nil
}

// RedisQueueOptions configure a [RedisQueue]. Zero fields take the
// defaults given.
type RedisQueueOptions struct {
	// Prefix starts the stream's key ("<prefix>tasks").
	Prefix string
	// Group is the consumer group shared by all instances. Default:
	// "workers".
	Group string
	// Consumer names this instance in the group; it must differ between
	// instances. Default: random.
	Consumer string
	// VisibilityTimeout is how long a task may stay unacknowledged and
	// unextended before another consumer reclaims it. Default: 30s.
	VisibilityTimeout time.Duration
	// Block is the longest wait of one Receive. Default: 1s.
	Block time.Duration
}

// RedisQueue is a [Queue] on a Redis Stream with a consumer group, shared
// by every instance: XADD per task, XREADGROUP to take some, XACK and XDEL
// once the result is stored, XAUTOCLAIM of tasks left idle past the
// visibility timeout (their consumer died), XCLAIM to extend held ones.
type RedisQueue struct {
	rdb redis.UniversalClient
	o   RedisQueueOptions
	key string

	mu        sync.Mutex
	grouped   bool
	cursor    string
	lastClaim time.Time
}

var _ Queue = (*RedisQueue)(nil)

// NewRedisQueue returns a queue; the stream and group are created on first
// use.
func NewRedisQueue(rdb redis.UniversalClient, o RedisQueueOptions) *RedisQueue {
	if o.Group == "" {
		o.Group = "workers"
	}
	if o.Consumer == "" {
		o.Consumer = newID()[:12]
	}
	setDur(&o.VisibilityTimeout, 30*time.Second)
	setDur(&o.Block, time.Second)
	return &RedisQueue{rdb: rdb, o: o, key: o.Prefix + "tasks", cursor: "0-0"}
}

// Push implements [Queue].
func (q *RedisQueue) Push(ctx context.Context, ts []Task) error {
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, t := range ts {
			b, err := json.Marshal(t)
			if err != nil {
				return fmt.Errorf("encode task: %w", err)
			}
			p.XAdd(ctx, &redis.XAddArgs{Stream: q.key, Values: []any{"t", b}})
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("queue tasks: %w", err)
	}
	return nil
}

// group creates the stream and consumer group once.
func (q *RedisQueue) group(ctx context.Context) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.grouped {
		return nil
	}
	err := q.rdb.XGroupCreateMkStream(ctx, q.key, q.o.Group, "0").Err()
	if err != nil && !strings.HasPrefix(err.Error(), "BUSYGROUP") {
		return fmt.Errorf("create consumer group: %w", err)
	}
	q.grouped = true
	return nil
}

// Receive implements [Queue]: reclaimed tasks first, then new ones.
func (q *RedisQueue) Receive(ctx context.Context, max int) ([]Delivery, error) {
	if err := q.group(ctx); err != nil {
		return nil, err
	}
	ds, err := q.reclaim(ctx, max)
	if err != nil || len(ds) > 0 {
		return ds, err
	}
	res, err := q.rdb.XReadGroup(ctx, &redis.XReadGroupArgs{
		Group: q.o.Group, Consumer: q.o.Consumer,
		Streams: []string{q.key, ">"}, Count: int64(max), Block: q.o.Block,
	}).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		if strings.HasPrefix(err.Error(), "NOGROUP") {
			q.mu.Lock()
			q.grouped = false
			q.mu.Unlock()
		}
		return nil, fmt.Errorf("read tasks: %w", err)
	}
	var msgs []redis.XMessage
	for _, s := range res {
		msgs = append(msgs, s.Messages...)
	}
	return q.decode(ctx, msgs, false), nil
}

// reclaim takes over tasks idle past the visibility timeout, scanning the
// pending list at most every half timeout.
func (q *RedisQueue) reclaim(ctx context.Context, max int) ([]Delivery, error) {
	q.mu.Lock()
	due := time.Since(q.lastClaim) >= q.o.VisibilityTimeout/2
	cursor := q.cursor
	q.mu.Unlock()
	if !due {
		return nil, nil
	}
	msgs, next, err := q.rdb.XAutoClaim(ctx, &redis.XAutoClaimArgs{
		Stream: q.key, Group: q.o.Group, Consumer: q.o.Consumer,
		MinIdle: q.o.VisibilityTimeout, Start: cursor, Count: int64(max),
	}).Result()
	if err != nil {
		return nil, fmt.Errorf("reclaim tasks: %w", err)
	}
	q.mu.Lock()
	q.cursor = next
	if next == "0-0" {
		q.lastClaim = time.Now()
	}
	q.mu.Unlock()
	return q.decode(ctx, msgs, true), nil
}

// decode turns messages into deliveries; a message that is not a task
// (deleted, or not ours) is acknowledged and dropped.
func (q *RedisQueue) decode(ctx context.Context, msgs []redis.XMessage,
	reclaimed bool) []Delivery {
	ds := make([]Delivery, 0, len(msgs))
	for _, m := range msgs {
		var t Task
		raw, _ := m.Values["t"].(string)
		if err := json.Unmarshal([]byte(raw), &t); err != nil || t.JobID == "" {
			_ = q.Ack(ctx, Delivery{ID: m.ID})
			continue
		}
		ds = append(ds, Delivery{Task: t, ID: m.ID, Reclaimed: reclaimed})
	}
	return ds
}

// Ack implements [Queue]; the entry is deleted too, so the stream holds
// only unfinished tasks.
func (q *RedisQueue) Ack(ctx context.Context, d Delivery) error {
	_, err := q.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.XAck(ctx, q.key, q.o.Group, d.ID)
		p.XDel(ctx, q.key, d.ID)
		return nil
	})
	if err != nil {
		return fmt.Errorf("ack task: %w", err)
	}
	return nil
}

// Extend implements [Queue]: XCLAIM to itself resets the tasks' idle time.
func (q *RedisQueue) Extend(ctx context.Context, ds []Delivery) error {
	ids := make([]string, len(ds))
	for i, d := range ds {
		ids[i] = d.ID
	}
	err := q.rdb.XClaimJustID(ctx, &redis.XClaimArgs{
		Stream: q.key, Group: q.o.Group, Consumer: q.o.Consumer, Messages: ids,
	}).Err()
	if err != nil {
		return fmt.Errorf("extend tasks: %w", err)
	}
	return nil
}
