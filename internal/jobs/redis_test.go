package jobs

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"downloader/internal/problem"
)

// TestKillAndReclaim runs a batch on two instances sharing Redis and kills
// one in the middle (its context is cancelled: no ack, no result, its
// tasks stay pending as after SIGKILL). The other reclaims them after the
// visibility timeout; every URL ends with exactly one result and the
// callback is sent once.
func TestKillAndReclaim(t *testing.T) {
	rdb, prefix := testRedis(t)
	var origins []*origin
	for range 10 {
		origins = append(origins, newOrigin(t, nil, delayed(200*time.Millisecond)))
	}
	rc := &receiver{}
	hook := newOrigin(t, nil, rc.ServeHTTP)
	var fetches atomic.Int64
	fetch := httpFetcher(t)
	counting := func(ctx context.Context, task Task) Result {
		fetches.Add(1)
		return fetch(ctx, task)
	}
	var reclaimed atomic.Int64
	a, killA := startInstance(t, rdb, prefix, "a", counting, Hooks{})
	b, _ := startInstance(t, rdb, prefix, "b", counting,
		Hooks{OnReclaim: func(n int) { reclaimed.Add(int64(n)) }})

	es := urls(100, func(i int) string { return fmt.Sprintf("%s/u/%d", origins[i%10].URL, i) })
	s := spec(es, 100)
	s.CallbackURL, s.CallbackSecret = hook.URL, "k"
	ctx := context.Background()
	job, err := a.Submit(ctx, s)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "30 results", func() bool {
		j, err := a.Get(ctx, job.ID, "")
		return err == nil && j.Processed >= 30
	})
	killA()
	start := time.Now()

	j := waitJob(t, b, job.ID, 20*time.Second)
	t.Logf("finished %v after the kill; %d fetches for 100 URLs, %d tasks reclaimed",
		time.Since(start), fetches.Load(), reclaimed.Load())
	if j.Status != Completed || j.Processed != 100 || j.Succeeded != 100 {
		t.Fatalf("job = %+v, want completed with 100 successes", j)
	}
	rs, _ := allResults(t, b, job.ID, "")
	seen := map[string]bool{}
	for _, r := range rs {
		if seen[r.ID] || !r.Success {
			t.Errorf("result %s: duplicate %v, success %v", r.ID, seen[r.ID], r.Success)
		}
		seen[r.ID] = true
	}
	if len(rs) != 100 || len(seen) != 100 {
		t.Errorf("%d results for %d ids, want 100", len(rs), len(seen))
	}
	for i := range 100 {
		if n := origins[i%10].hitsOf(fmt.Sprintf("/u/%d", i)); n < 1 || n > 2 {
			t.Errorf("URL %d fetched %d times, want once, or twice when reclaimed", i, n)
		}
	}
	if reclaimed.Load() == 0 {
		t.Errorf("no task was reclaimed from the killed instance")
	}
	if n := fetches.Load(); n < 100 || n > 100+20 {
		t.Errorf("%d fetches, want 100 plus at most the killed instance's 20 in flight", n)
	}
	eventually(t, 2*time.Second, "the callback", func() bool { return rc.count() >= 1 })
	time.Sleep(300 * time.Millisecond)
	if rc.count() != 1 {
		t.Errorf("callback sent %d times, want once", rc.count())
	}
	if n, _ := rdb.XLen(ctx, prefix+"tasks").Result(); n != 0 {
		t.Errorf("stream holds %d tasks after the job, want 0", n)
	}
}

// startInstance starts a Manager on the shared Redis with a visibility
// timeout of 1s, at most 20 tasks held; cancel is its hard stop.
func startInstance(t *testing.T, rdb *redis.Client, prefix, name string, f Fetcher,
	hooks Hooks) (m *Manager, cancel context.CancelFunc) {
	t.Helper()
	const vis = time.Second
	q := NewRedisQueue(rdb, RedisQueueOptions{
		Prefix: prefix, Consumer: name, VisibilityTimeout: vis,
		Block: 100 * time.Millisecond,
	})
	m = NewManager(NewRedisStore(rdb, prefix), q, f, Options{
		VisibilityTimeout: vis, Poll: 50 * time.Millisecond, Workers: 20,
		MaxInFlight: 20, Webhook: &http.Client{}, Hooks: hooks, InstanceID: name,
	})
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer ccancel()
		_ = m.Close(cctx)
		cancel()
	})
	return m, cancel
}

// TestRedisLateDuplicate writes the same index twice, as an instance that
// finishes a task already reclaimed and finished by another would.
func TestRedisLateDuplicate(t *testing.T) {
	rdb, prefix := testRedis(t)
	s := NewRedisStore(rdb, prefix)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	exp := now.Add(time.Hour)
	rec := &Record{Job: Job{ID: "j", Status: Pending, Total: 2, CreatedAt: &now, ExpiresAt: &exp}}
	if err := s.Create(ctx, rec); err != nil {
		t.Fatal(err)
	}
	ok := Result{ID: "0", Success: true, Content: "a"}
	steps := []struct {
		name    string
		rs      []indexed
		outcome string
		done    bool
	}{
		{"first", []indexed{{0, ok}}, "[1]", false},
		{"duplicate", []indexed{{0, Result{ID: "0", ErrorType: "upstream_timeout"}}}, "[0]", false},
		{"last", []indexed{{1, ok}, {0, ok}}, "[1 0]", true},
		{"after the end", []indexed{{1, ok}}, "[0]", false},
	}
	for _, st := range steps {
		out, done, err := s.Put(ctx, "j", st.rs, Caps{}, now)
		if err != nil || fmt.Sprint(out) != st.outcome || done != st.done {
			t.Errorf("%s: Put = %v %v %v, want %s %v", st.name, out, done, err, st.outcome, st.done)
		}
	}
	r, err := s.Get(ctx, "j")
	if err != nil || r.Processed != 2 || r.Succeeded != 2 || r.Status != Completed {
		t.Fatalf("Get = %+v, %v", r, err)
	}
	if ttl := rdb.PTTL(ctx, s.resKey("j")).Val(); ttl <= 0 || ttl > time.Hour {
		t.Errorf("results TTL = %v, want the job's hour", ttl)
	}
	if _, err := s.Get(ctx, "nope"); err != ErrNotFound {
		t.Errorf("Get unknown = %v, want ErrNotFound", err)
	}
}

// TestRedisDownAtSubmit stops a private redis-server and expects 503.
func TestRedisDownAtSubmit(t *testing.T) {
	port := freePort(t)
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--save", "",
		"--appendonly", "no", "--bind", "127.0.0.1")
	if err := cmd.Start(); err != nil {
		t.Skipf("no redis-server: %v", err)
	}
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}
	t.Cleanup(stop)
	rdb := redis.NewClient(&redis.Options{
		Addr: "127.0.0.1:" + strconv.Itoa(port), DialTimeout: 200 * time.Millisecond,
		MaxRetries: -1,
	})
	t.Cleanup(func() { _ = rdb.Close() })
	eventually(t, 5*time.Second, "the private redis-server", func() bool {
		return rdb.Ping(context.Background()).Err() == nil
	})
	o := newOrigin(t, nil, delayed(0))
	m := startManager(t, NewRedisStore(rdb, "t:"), NewRedisQueue(rdb, RedisQueueOptions{
		Prefix: "t:", Block: 100 * time.Millisecond}), httpFetcher(t), Options{})
	ctx := context.Background()
	s := spec(urls(2, func(int) string { return o.URL }), 2)
	job, err := m.Submit(ctx, s)
	if err != nil {
		t.Fatalf("Submit with Redis up: %v", err)
	}
	waitJob(t, m, job.ID, 5*time.Second)

	stop()
	_, err = m.Submit(ctx, s)
	assertType(t, err, problem.Unavailable)
	if p := problem.From(err); p.HTTPStatus() != 503 || p.RetryAfter <= 0 {
		t.Errorf("problem = %+v, want 503 with Retry-After", p)
	}
	_, err = m.Get(ctx, job.ID, "")
	assertType(t, err, problem.Unavailable)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
