package main

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"

	"downloader/internal/cache"
	"downloader/internal/jobs"
	"downloader/internal/metrics"
)

// sampleEvery is how often gauges that have no event of their own (cache
// size, queue depth) are read.
const sampleEvery = 5 * time.Second

// sampler reads the cache size and the batch queue depth into their
// gauges until ctx ends.
type sampler struct {
	m      *metrics.Metrics
	memory *cache.Memory     // nil with a Redis cache
	queue  *jobs.MemoryQueue // nil with a Redis queue
	rdb    redis.UniversalClient
	stream string // the Redis stream of batch tasks
}

func (s *sampler) run(ctx context.Context) {
	t := time.NewTicker(sampleEvery)
	defer t.Stop()
	for {
		s.sample(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *sampler) sample(ctx context.Context) {
	if s.memory != nil {
		s.m.CacheSize(int64(s.memory.Len()), s.memory.Bytes())
	}
	switch {
	case s.queue != nil:
		s.m.QueueDepth(s.queue.Len())
	case s.rdb != nil:
		ctx, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		if n, err := s.rdb.XLen(ctx, s.stream).Result(); err == nil {
			s.m.QueueDepth(int(n))
		}
	}
}
