package cache

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultRedisTimeout bounds each Redis operation of a [Redis] store made
// with a non-positive timeout.
const DefaultRedisTimeout = 50 * time.Millisecond

// Redis is a [Store] shared by every instance that uses the same Redis.
// Values are zstd-compressed; keys are "<prefix>cache:<key>" and expire
// with the keep time they were stored with. Every operation is bounded by
// the store's timeout, even when the client ignores context deadlines
// (build the client with ContextTimeoutEnabled so that a slow server also
// frees its connection at the deadline).
type Redis struct {
	c       redis.UniversalClient
	prefix  string
	timeout time.Duration
	codec   *codec
}

var _ Store = (*Redis)(nil)

// NewRedis returns a store on c whose keys start with prefix and whose
// operations give up after opTimeout (<= 0 means [DefaultRedisTimeout]).
func NewRedis(c redis.UniversalClient, prefix string, opTimeout time.Duration) *Redis {
	if opTimeout <= 0 {
		opTimeout = DefaultRedisTimeout
	}
	return &Redis{c: c, prefix: prefix + "cache:", timeout: opTimeout, codec: newCodec()}
}

// Backend names the store in metrics: "redis".
func (r *Redis) Backend() string { return "redis" }

// Get returns the entry under key, (nil, nil) when there is none, and an
// error when Redis fails, is slower than the timeout or holds a value that
// does not decode.
func (r *Redis) Get(ctx context.Context, key string) (*Entry, error) {
	var b []byte
	err := r.bounded(ctx, func(ctx context.Context) error {
		var err error
		b, err = r.c.Get(ctx, r.prefix+key).Bytes()
		return err
	})
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get cache entry: %w", err)
	}
	return r.codec.decode(b)
}

// Set stores e under key with a Redis TTL of keep; keep <= 0 deletes.
func (r *Redis) Set(ctx context.Context, key string, e *Entry, keep time.Duration) error {
	if keep <= 0 {
		return r.Delete(ctx, key)
	}
	b, err := r.codec.encode(e)
	if err != nil {
		return err
	}
	err = r.bounded(ctx, func(ctx context.Context) error {
		return r.c.Set(ctx, r.prefix+key, b, keep).Err()
	})
	if err != nil {
		return fmt.Errorf("set cache entry: %w", err)
	}
	return nil
}

// Delete drops the entry under key, if any.
func (r *Redis) Delete(ctx context.Context, key string) error {
	err := r.bounded(ctx, func(ctx context.Context) error {
		return r.c.Del(ctx, r.prefix+key).Err()
	})
	if err != nil {
		return fmt.Errorf("delete cache entry: %w", err)
	}
	return nil
}

// bounded runs op under the store's timeout. The op runs in its own
// goroutine so that the caller is released at the deadline even when the
// client does not honour context deadlines; such an op then ends at the
// client's own read timeout.
func (r *Redis) bounded(ctx context.Context, op func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, r.timeout)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- op(ctx) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}
