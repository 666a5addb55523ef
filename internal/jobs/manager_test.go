package jobs

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"downloader/internal/problem"
	"downloader/internal/testclock"
)

func TestBatchWallTime(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			var origins []*origin
			for range 10 {
				origins = append(origins, newOrigin(t, nil, delayed(time.Second)))
			}
			m := startManager(t, b.store(t), b.queue(t, "a", time.Minute),
				httpFetcher(t), Options{})
			es := urls(100, func(i int) string {
				return fmt.Sprintf("%s/u/%d", origins[i%10].URL, i)
			})
			start := time.Now()
			job, err := m.Submit(context.Background(), spec(es, 100))
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			j := waitJob(t, m, job.ID, 10*time.Second)
			took := time.Since(start)
			t.Logf("%s: 100 URLs over 10 origins at 1 s each: %v", b.name, took)
			if j.Status != Completed || j.Succeeded != 100 || j.Progress != 100 {
				t.Fatalf("job = %+v, want completed with 100 successes", j)
			}
			if took > 2500*time.Millisecond {
				t.Errorf("batch took %v, want < 2.5s", took)
			}
			for _, o := range origins {
				if p := o.peak.Load(); p > 10 {
					t.Errorf("origin saw %d concurrent requests, want <= 10", p)
				}
			}
		})
	}
}

func TestBatchPartialFailure(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			ok := newOrigin(t, nil, delayed(0))
			slow := newOrigin(t, nil, delayed(5*time.Second))
			broken := newOrigin(t, nil, func(w http.ResponseWriter, _ *http.Request) {
				http.Error(w, "boom", http.StatusInternalServerError)
			})
			refused := closedPort(t)
			m := startManager(t, b.store(t), b.queue(t, "a", time.Minute),
				httpFetcher(t), Options{})

			var es []Entry
			want := map[string]string{} // id -> error_type
			add := func(u, errType string, timeout time.Duration) {
				id := fmt.Sprint(len(es))
				es = append(es, Entry{ID: id, URL: u, Timeout: timeout})
				want[id] = errType
			}
			for i := range 70 {
				add(fmt.Sprintf("%s/ok/%d", ok.URL, i), "", 0)
			}
			for i := range 8 {
				add(fmt.Sprintf("%s/slow/%d", slow.URL, i), "upstream_timeout", 300*time.Millisecond)
			}
			for i := range 8 {
				add(fmt.Sprintf("%s/500/%d", broken.URL, i), "upstream_http_error", 0)
			}
			for i := range 7 {
				add(fmt.Sprintf("http://%s/refused/%d", refused, i), "upstream_unreachable", 0)
			}
			for _, u := range []string{"ftp://x/", "not a url", "http://", "", ":", "mailto:a@b",
				"http://[::1"} {
				add(u, "validation_error", 0)
			}

			job, err := m.Submit(context.Background(), spec(es, 100))
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			j := waitJob(t, m, job.ID, 10*time.Second)
			if j.Status != Completed || j.Succeeded != 70 || j.FailedCount != 30 {
				t.Fatalf("job = %+v, want completed, 70 succeeded, 30 failed", j)
			}
			rs, sum := allResults(t, m, job.ID, "")
			if len(rs) != 100 || sum.Succeeded != 70 || sum.Failed != 30 || sum.SuccessRate != 0.7 {
				t.Fatalf("got %d results, summary %+v", len(rs), sum)
			}
			for _, r := range rs {
				if r.ErrorType != want[r.ID] || r.Success != (want[r.ID] == "") {
					t.Errorf("result %s (%s): success %v error_type %q, want %q",
						r.ID, r.URL, r.Success, r.ErrorType, want[r.ID])
				}
			}
		})
	}
}

// closedPort returns a loopback host:port where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestCancel(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			fast := newOrigin(t, nil, delayed(0))
			slow := newOrigin(t, nil, delayed(20*time.Second))
			var cancelled atomic.Int64
			fetch := httpFetcher(t)
			counting := func(ctx context.Context, task Task) Result {
				r := fetch(ctx, task)
				if errors.Is(ctx.Err(), context.Canceled) {
					cancelled.Add(1)
				}
				return r
			}
			rc := &receiver{}
			hook := newOrigin(t, nil, rc.ServeHTTP)
			store := b.store(t)
			opts := Options{Webhook: &http.Client{}}
			worker := startManager(t, store, b.queue(t, "worker", time.Minute), counting, opts)
			// with Redis the cancel comes from another instance, never started
			front := worker
			if b.name == "redis" {
				opts.Poll = 50 * time.Millisecond
				front = NewManager(store, b.queue(t, "front", time.Minute), counting, opts)
				t.Cleanup(func() { _ = front.Close(context.Background()) })
			}
			es := urls(10, func(i int) string {
				if i%2 == 0 {
					return fmt.Sprintf("%s/f/%d", fast.URL, i)
				}
				return fmt.Sprintf("%s/s/%d", slow.URL, i)
			})
			ctx := context.Background()
			s := spec(es, 10)
			s.CallbackURL = hook.URL
			job, err := front.Submit(ctx, s)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			eventually(t, 5*time.Second, "5 results and 5 slow fetches", func() bool {
				j, err := front.Get(ctx, job.ID, "")
				return err == nil && j.Processed == 5 && slow.started.Load() == 5
			})
			j, err := front.Cancel(ctx, job.ID, "")
			if err != nil || j.Status != Cancelled || j.CompletedAt == nil {
				t.Fatalf("Cancel = %+v, %v; want cancelled", j, err)
			}
			eventually(t, 3*time.Second, "5 cancelled fetches", func() bool {
				return cancelled.Load() == 5
			})
			j = waitJob(t, front, job.ID, time.Second)
			rs, _ := allResults(t, front, job.ID, "")
			if j.Status != Cancelled || j.Processed != 5 || len(rs) != 5 {
				t.Fatalf("after cancel: job %+v with %d results, want 5 kept", j, len(rs))
			}
			for _, r := range rs {
				if !r.Success || !strings.Contains(r.URL, "/f/") {
					t.Errorf("kept result %+v, want the fast successes", r)
				}
			}
			again, err := front.Cancel(ctx, job.ID, "")
			if err != nil || again.Status != Cancelled {
				t.Errorf("second Cancel = %+v, %v", again, err)
			}
			eventually(t, 2*time.Second, "the callback", func() bool { return rc.count() == 1 })
			rc.mu.Lock()
			defer rc.mu.Unlock()
			if !strings.Contains(string(rc.bodies[0]), `"status":"cancelled"`) {
				t.Errorf("callback body %s, want status cancelled", rc.bodies[0])
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			o := newOrigin(t, nil, delayed(0))
			clock := testclock.New(time.Now())
			store := b.store(t)
			m := startManager(t, store, b.queue(t, "a", time.Minute), httpFetcher(t),
				Options{TTL: time.Hour, Now: clock.Now})
			ctx := context.Background()
			job, err := m.Submit(ctx, spec(urls(3, func(int) string { return o.URL }), 3))
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			waitJob(t, m, job.ID, 5*time.Second)
			if want := clock.Now().Add(time.Hour); job.ExpiresAt.Sub(want).Abs() > time.Second {
				t.Errorf("expires_at = %v, want %v", job.ExpiresAt, want)
			}
			clock.Add(59 * time.Minute)
			if _, err := m.Get(ctx, job.ID, ""); err != nil {
				t.Fatalf("Get before expiry: %v", err)
			}
			clock.Add(2 * time.Minute)
			_, err = m.Get(ctx, job.ID, "")
			assertType(t, err, problem.NotFound)
			_, _, _, err = m.Results(ctx, job.ID, "", 0, 0)
			assertType(t, err, problem.NotFound)
			if ms, ok := store.(*MemoryStore); ok {
				if n := ms.Sweep(clock.Now()); n != 1 || ms.ResultBytes() != 0 {
					t.Errorf("Sweep freed %d jobs, %d bytes left; want 1, 0", n, ms.ResultBytes())
				}
			}
		})
	}
}

func assertType(t *testing.T, err error, want problem.Type) {
	t.Helper()
	var p *problem.Error
	if !errors.As(err, &p) || p.Type != want {
		t.Fatalf("err = %v, want a problem of type %s", err, want)
	}
}

func TestOwnerIsolation(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			o := newOrigin(t, nil, delayed(0))
			m := startManager(t, b.store(t), b.queue(t, "a", time.Minute), httpFetcher(t),
				Options{})
			ctx := context.Background()
			s := spec(urls(2, func(int) string { return o.URL }), 2)
			s.Owner = "alice"
			job, err := m.Submit(ctx, s)
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			waitJob(t, m, job.ID, 5*time.Second)
			for _, owner := range []string{"bob", ""} {
				_, err := m.Get(ctx, job.ID, owner)
				assertType(t, err, problem.NotFound)
				_, _, _, err = m.Results(ctx, job.ID, owner, 0, 0)
				assertType(t, err, problem.NotFound)
				_, err = m.Cancel(ctx, job.ID, owner)
				assertType(t, err, problem.NotFound)
			}
			_, err = m.Get(ctx, "no-such-job", "alice")
			assertType(t, err, problem.NotFound)
			if rs, _ := allResults(t, m, job.ID, "alice"); len(rs) != 2 {
				t.Errorf("owner sees %d results, want 2", len(rs))
			}
		})
	}
}

func TestDuplicatesFetchedOnce(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			o := newOrigin(t, nil, delayed(20*time.Millisecond))
			m := startManager(t, b.store(t), b.queue(t, "a", time.Minute), httpFetcher(t),
				Options{})
			a, bb, c := o.URL+"/a", o.URL+"/b", o.URL+"/c"
			es := []Entry{
				{ID: "a1", URL: a}, {ID: "a2", URL: a}, {ID: "b1", URL: bb},
				{ID: "a3", URL: a}, {ID: "b2", URL: bb},
				{ID: "a-text", URL: a, Format: "text"},
				{ID: "a-timeout", URL: a, Timeout: 5 * time.Second},
				{ID: "c", URL: c}, {ID: "a4", URL: a},
			}
			job, err := m.Submit(context.Background(), spec(es, 10))
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			waitJob(t, m, job.ID, 5*time.Second)
			// a (raw), a (text), a (timeout 5s): three distinct fetches
			if o.hitsOf("/a") != 3 || o.hitsOf("/b") != 1 || o.hitsOf("/c") != 1 {
				t.Errorf("hits a=%d b=%d c=%d, want 3 1 1",
					o.hitsOf("/a"), o.hitsOf("/b"), o.hitsOf("/c"))
			}
			rs, sum := allResults(t, m, job.ID, "")
			if len(rs) != len(es) || sum.Succeeded != len(es) {
				t.Fatalf("got %d results (%+v), want %d", len(rs), sum, len(es))
			}
			for i, r := range rs {
				if r.ID != es[i].ID || r.URL != es[i].URL || !r.Success {
					t.Errorf("result %d = %s %s %v, want %s %s", i, r.ID, r.URL, r.Success,
						es[i].ID, es[i].URL)
				}
			}
			if rs[5].Format != "text" || rs[0].Format != "raw" {
				t.Errorf("formats %q %q, want text raw", rs[5].Format, rs[0].Format)
			}
		})
	}
}

func TestConcurrencyCaps(t *testing.T) {
	tests := []struct {
		name        string
		origins     int
		perHost     int
		inFlight    int
		concurrency int
		wantPeak    int64 // over all origins
	}{
		{"per host", 1, 10, 200, 100, 10},
		{"per instance", 3, 10, 7, 100, 7},
		{"per batch", 3, 10, 200, 4, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var all gauge
			var origins []*origin
			for range tt.origins {
				origins = append(origins, newOrigin(t, &all, delayed(50*time.Millisecond)))
			}
			m := startManager(t, NewMemoryStore(), NewMemoryQueue(), httpFetcher(t),
				Options{PerHostLimit: tt.perHost, MaxInFlight: tt.inFlight})
			es := urls(60, func(i int) string {
				return fmt.Sprintf("%s/%d", origins[i%tt.origins].URL, i)
			})
			job, err := m.Submit(context.Background(), spec(es, tt.concurrency))
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			if j := waitJob(t, m, job.ID, 10*time.Second); j.Succeeded != 60 {
				t.Fatalf("job = %+v", j)
			}
			if p := all.peak.Load(); p != tt.wantPeak {
				t.Errorf("peak concurrency = %d, want %d", p, tt.wantPeak)
			}
			for _, o := range origins {
				if p := o.peak.Load(); p > int64(tt.perHost) {
					t.Errorf("origin peak = %d, want <= %d", p, tt.perHost)
				}
			}
		})
	}
}

func TestResultCaps(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			body := strings.Repeat("x", 1000)
			o := newOrigin(t, nil, func(w http.ResponseWriter, _ *http.Request) {
				fmt.Fprint(w, body)
			})
			var tooLarge atomic.Int64
			hooks := Hooks{OnURLDone: func(ok bool, errType string) {
				if errType == string(problem.ContentTooLarge) {
					tooLarge.Add(1)
				}
			}}
			m := startManager(t, b.store(t), b.queue(t, "a", time.Minute), httpFetcher(t),
				Options{MaxResultBytesPerJob: 3500, Hooks: hooks})
			es := urls(10, func(i int) string { return fmt.Sprintf("%s/%d", o.URL, i) })
			job, err := m.Submit(context.Background(), spec(es, 1))
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			j := waitJob(t, m, job.ID, 5*time.Second)
			if j.Status != Completed || j.Succeeded != 3 || j.FailedCount != 7 {
				t.Errorf("job = %+v, want completed, 3 stored, 7 over the cap", j)
			}
			rs, _ := allResults(t, m, job.ID, "")
			for _, r := range rs {
				if r.Success == (r.ErrorType == string(problem.ContentTooLarge)) ||
					(!r.Success && r.Content != "") {
					t.Errorf("result %s: %q with %d content bytes", r.ID, r.ErrorType,
						len(r.Content))
				}
			}
			// the hooks run after the store write that ends the job
			eventually(t, time.Second, "7 content_too_large hooks", func() bool {
				return tooLarge.Load() == 7
			})
		})
	}
}

func TestMemoryStoreTotalCap(t *testing.T) {
	s := NewMemoryStore()
	ctx := context.Background()
	now := time.Now()
	for _, id := range []string{"a", "b"} {
		if err := s.Create(ctx, &Record{Job: Job{ID: id, Status: Running, Total: 2}}); err != nil {
			t.Fatal(err)
		}
	}
	big := Result{Success: true, Content: strings.Repeat("x", 1000)}
	caps := Caps{Total: 2500}
	out, _, _ := s.Put(ctx, "a", []indexed{{0, big}, {1, big}}, caps, now)
	out2, done, _ := s.Put(ctx, "b", []indexed{{0, big}, {1, big}}, caps, now)
	if fmt.Sprint(out, out2) != "[1 1] [2 2]" || !done {
		t.Errorf("outcomes %v %v done %v, want [1 1] [2 2] true", out, out2, done)
	}
	if again, _, _ := s.Put(ctx, "a", []indexed{{0, big}}, caps, now); again[0] != putSkipped {
		t.Errorf("second result for an index: outcome %d, want skipped", again[0])
	}
}

func TestStreamAndWait(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			o := newOrigin(t, nil, func(w http.ResponseWriter, r *http.Request) {
				var n int
				fmt.Sscanf(r.URL.Path, "/%d", &n)
				delayed(time.Duration(n*50)*time.Millisecond)(w, r)
			})
			m := startManager(t, b.store(t), b.queue(t, "a", time.Minute), httpFetcher(t),
				Options{})
			ctx := context.Background()
			es := urls(10, func(i int) string { return fmt.Sprintf("%s/%d", o.URL, 9-i) })
			job, err := m.Submit(ctx, spec(es, 10))
			if err != nil {
				t.Fatalf("Submit: %v", err)
			}
			ch, err := m.Stream(ctx, job.ID)
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			var order []string
			for r := range ch {
				order = append(order, r.ID)
			}
			// entry 9 answers first, entry 0 last (results of one poll come in
			// index order, so allow a swap at the end)
			if len(order) != 10 || order[0] != "9" || !slices.Contains(order[8:], "0") {
				t.Errorf("streamed %v, want 10 results, 9 first and 0 last", order)
			}
			j := waitJob(t, m, job.ID, time.Second)
			if j.Status != Completed {
				t.Errorf("Wait = %+v", j)
			}
			// a late stream gets everything at once and ends
			ch, err = m.Stream(ctx, job.ID)
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			n := 0
			for range ch {
				n++
			}
			if n != 10 {
				t.Errorf("late stream sent %d results, want 10", n)
			}
			page, _, _, err := m.Results(ctx, job.ID, "", 8, 5)
			if err != nil || len(page) != 2 || page[0].ID != "8" {
				t.Errorf("Results(8, 5) = %d results, %v", len(page), err)
			}
		})
	}
}

func TestWaitTimesOut(t *testing.T) {
	o := newOrigin(t, nil, delayed(2*time.Second))
	m := startManager(t, NewMemoryStore(), NewMemoryQueue(), httpFetcher(t), Options{})
	job, err := m.Submit(context.Background(), spec([]Entry{{ID: "0", URL: o.URL}}, 1))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	j, err := m.Wait(ctx, job.ID)
	if !errors.Is(err, context.DeadlineExceeded) || j == nil || j.Status.Done() {
		t.Errorf("Wait = %+v, %v; want the running job and a deadline error", j, err)
	}
}

func TestCloseWaitsForRunningTasks(t *testing.T) {
	o := newOrigin(t, nil, delayed(100*time.Millisecond))
	store := NewMemoryStore()
	m := NewManager(store, NewMemoryQueue(), httpFetcher(t), Options{Workers: 2})
	if err := m.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// 10 URLs, 2 at a time: most are still queued when Close starts
	es := urls(10, func(i int) string { return fmt.Sprintf("%s/%d", o.URL, i) })
	job, err := m.Submit(ctx, spec(es, 2))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*time.Second, "fetches to start", func() bool { return o.started.Load() > 0 })
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := m.Close(cctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if j, _ := m.Get(ctx, job.ID, ""); j.Status != Completed || j.Succeeded != 10 {
		t.Errorf("after a graceful Close the job is %+v, want completed", j)
	}
}

func TestPanickingFetcherIsAResult(t *testing.T) {
	var once sync.Once
	fetch := func(context.Context, Task) Result {
		once.Do(func() { panic("bug") })
		return Result{Success: true}
	}
	m := startManager(t, NewMemoryStore(), NewMemoryQueue(), fetch, Options{})
	job, err := m.Submit(context.Background(),
		spec(urls(2, func(i int) string { return fmt.Sprintf("http://h%d/", i) }), 1))
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, m, job.ID, 2*time.Second)
	if j.Status != Completed || j.Succeeded != 1 || j.FailedCount != 1 {
		t.Errorf("job = %+v, want one internal_error and one success", j)
	}
}
