package auth

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"downloader/internal/problem"
)

type newStore func(t *testing.T, now func() time.Time) UsageStore

func stores() map[string]newStore {
	return map[string]newStore{
		"memory": func(_ *testing.T, now func() time.Time) UsageStore {
			return NewMemoryUsage(now)
		},
		"memory-without-admit": func(_ *testing.T, now func() time.Time) UsageStore {
			return struct{ UsageStore }{NewMemoryUsage(now)} // hides Admit
		},
		"redis": func(t *testing.T, now func() time.Time) UsageStore {
			c, prefix := sharedRedis(t)
			s := NewRedisUsage(c, prefix, now)
			s.Timeout = 2 * time.Second
			return s
		},
	}
}

func at(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestUsageStore(t *testing.T) {
	for name, mk := range stores() {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			s := mk(t, clk.Now)
			ctx := context.Background()
			events := []struct {
				key string
				e   Event
			}{
				{"alice", Event{Time: at("2026-11-30T23:59:59Z"), Requests: 1, Class: "download"}},
				{"alice", Event{Time: at("2026-11-30T23:59:59Z"), Bytes: 100}},
				{"alice", Event{Time: at("2026-12-01T00:00:00Z"), Requests: 1, Class: "batch",
					Batch: true}},
				{"alice", Event{Time: at("2026-12-01T00:00:00Z"), URLs: 40, Bytes: 7,
					Error: true}},
				{"alice", Event{Time: at("2026-12-02T10:00:00+02:00"), Requests: 1,
					Class: "download"}}, // 08:00 UTC
				{"bob", Event{Time: at("2026-12-02T12:00:00Z"), Requests: 2, Class: "read"}},
			}
			for _, ev := range events {
				if err := s.Add(ctx, ev.key, ev.e); err != nil {
					t.Fatal(err)
				}
			}
			counts := []struct {
				now        string
				day, month int64
			}{
				{"2026-11-30T12:00:00Z", 1, 1},
				{"2026-12-01T23:59:59Z", 1, 2}, // the month bucket holds Dec 2 too
				{"2026-12-02T00:00:00Z", 1, 2},
				{"2026-12-03T00:00:00Z", 0, 2},
				{"2027-01-01T00:00:00Z", 0, 0},
			}
			for _, c := range counts {
				day, month, err := s.Count(ctx, "alice", at(c.now))
				if err != nil || day != c.day || month != c.month {
					t.Fatalf("Count at %s = %d, %d, %v; want %d, %d", c.now, day, month, err,
						c.day, c.month)
				}
			}

			reps, err := s.Report(ctx, "alice", 3, at("2026-12-02T20:00:00Z"))
			if err != nil || len(reps) != 1 {
				t.Fatalf("Report: %v %v", reps, err)
			}
			u := reps[0]
			got, _ := json.Marshal(u)
			want := `{"key":"alice","from":"2026-11-30","to":"2026-12-02","month_requests":2,` +
				`"total":{"requests":3,"by_class":{"batch":1,"download":2},"single":2,"batch":1,` +
				`"urls":40,"bytes":107,"errors":1,"error_rate":0.3333333333333333},"days":[` +
				`{"date":"2026-11-30","requests":1,"by_class":{"download":1},"single":1,` +
				`"batch":0,"urls":0,"bytes":100,"errors":0,"error_rate":0},` +
				`{"date":"2026-12-01","requests":1,"by_class":{"batch":1},"single":0,` +
				`"batch":1,"urls":40,"bytes":7,"errors":1,"error_rate":1},` +
				`{"date":"2026-12-02","requests":1,"by_class":{"download":1},"single":1,` +
				`"batch":0,"urls":0,"bytes":0,"errors":0,"error_rate":0}]}`
			if string(got) != want {
				t.Fatalf("report\n got %s\nwant %s", got, want)
			}

			all, err := s.Report(ctx, "", 1, at("2026-12-02T20:00:00Z"))
			if err != nil || len(all) != 2 || all[0].Key != "alice" || all[1].Key != "bob" ||
				all[1].Total.Requests != 2 || all[1].Days[0].ByClass["read"] != 2 {
				t.Fatalf("admin report: %+v %v", all, err)
			}
			none, err := s.Report(ctx, "carol", 2, at("2026-12-02T20:00:00Z"))
			if err != nil || len(none) != 1 || len(none[0].Days) != 2 ||
				none[0].Total.Requests != 0 {
				t.Fatalf("empty report: %+v %v", none, err)
			}
		})
	}
}

// quotaServer serves keyed requests through auth and quota middleware; the
// handler writes "hello", or fails with 502 on /fail.
func quotaServer(t *testing.T, s UsageStore, clk *clock, opts ...QuotaOption) *httptest.Server {
	t.Helper()
	day := NewKey("day", "day-secret")
	day.QuotaDay = 3
	month := NewKey("month", "month-secret")
	month.QuotaMonth = 4
	free := NewKey("free", "free-secret")
	k := NewKeyring([]Key{day, month, free})
	onError := func(w http.ResponseWriter, _ *http.Request, err error) {
		problem.Write(w, "rid", err)
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/fail" {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		_, _ = w.Write([]byte("hello"))
	})
	classify := func(r *http.Request) string {
		if r.URL.Path == "/batch" {
			return "batch"
		}
		return "download"
	}
	opts = append([]QuotaOption{QuotaClock(clk.Now), QuotaClassify(classify)}, opts...)
	chain := Middleware(k, nil, onError)(QuotaMiddleware(s, onError, opts...)(h))
	srv := httptest.NewServer(chain)
	t.Cleanup(srv.Close)
	return srv
}

func call(t *testing.T, srv *httptest.Server, path, key string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var body problem.Body
	_ = json.NewDecoder(res.Body).Decode(&body)
	if res.StatusCode == http.StatusTooManyRequests && body.ErrorType != problem.QuotaExceeded {
		t.Fatalf("429 of type %s", body.ErrorType)
	}
	return res.StatusCode, res.Header.Get("Retry-After")
}

func TestQuotaRollover(t *testing.T) {
	for name, mk := range stores() {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			clk.Set(at("2026-11-29T23:00:00Z"))
			s := mk(t, clk.Now)
			srv := quotaServer(t, s, clk)
			steps := []struct {
				at, key, status, retry string
			}{
				{"2026-11-29T23:00:00Z", "day", "200", ""},
				{"2026-11-29T23:00:00Z", "month", "200", ""},
				{"2026-11-29T23:10:00Z", "day", "200", ""},
				{"2026-11-29T23:20:00Z", "day", "200", ""},
				{"2026-11-29T23:30:00Z", "day", "429", "1800"},
				{"2026-11-29T23:59:59.5Z", "day", "429", "1"},
				{"2026-11-30T00:00:00Z", "day", "200", ""},
				{"2026-11-30T00:00:00Z", "month", "200", ""},
				{"2026-11-30T12:00:00Z", "month", "200", ""},
				{"2026-11-30T12:00:00Z", "month", "200", ""},
				{"2026-11-30T12:00:00Z", "month", "429", "43200"},
				{"2026-11-30T23:59:59Z", "month", "429", "1"},
				{"2026-12-01T00:00:00Z", "month", "200", ""},
				{"2026-12-01T00:00:00Z", "free", "200", ""},
			}
			for i, st := range steps {
				clk.Set(at(st.at))
				status, retry := call(t, srv, "/x", st.key+"-secret")
				if strconv.Itoa(status) != st.status || retry != st.retry {
					t.Fatalf("step %d (%s %s): %d retry %q, want %s %q", i, st.at, st.key,
						status, retry, st.status, st.retry)
				}
			}
			day, month, _ := s.Count(context.Background(), "day", at("2026-11-29T12:00:00Z"))
			if day != 3 || month != 4 {
				t.Fatalf("refusals counted: day %d month %d, want 3 and 4", day, month)
			}
		})
	}
}

func TestQuotaRecordsUsage(t *testing.T) {
	for name, mk := range stores() {
		t.Run(name, func(t *testing.T) {
			clk := newClock()
			s := mk(t, clk.Now)
			srv := quotaServer(t, s, clk)
			for _, p := range []string{"/x", "/x", "/batch", "/fail"} {
				call(t, srv, p, "free-secret")
			}
			reps, err := s.Report(context.Background(), "free", 1, clk.Now())
			if err != nil {
				t.Fatal(err)
			}
			c := reps[0].Total
			if c.Requests != 4 || c.Bytes != 15 || c.Errors != 1 || c.Batch != 1 ||
				c.Single != 3 || c.ByClass["download"] != 3 || c.ErrorRate != 0.25 {
				t.Fatalf("usage %+v", c)
			}
		})
	}
}

// TestQuotaStoreDown: Redis stopped mid-test; requests go on, errors are
// reported, and the store rests instead of timing out on every call.
func TestQuotaStoreDown(t *testing.T) {
	addr, stop := privateRedis(t)
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	clk := newClock()
	s := NewRedisUsage(c, "u:", clk.Now)
	var storeErrs atomic.Int64
	srv := quotaServer(t, s, clk, QuotaStoreError(func(*http.Request, error) {
		storeErrs.Add(1)
	}))
	if status, _ := call(t, srv, "/x", "day-secret"); status != 200 || storeErrs.Load() != 0 {
		t.Fatalf("redis up: %d, %d store errors", status, storeErrs.Load())
	}
	stop()
	start := time.Now()
	for range 5 {
		if status, _ := call(t, srv, "/x", "day-secret"); status != 200 {
			t.Fatalf("redis down: status %d", status)
		}
	}
	if storeErrs.Load() == 0 {
		t.Fatal("store errors not reported")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("5 requests took %s with the store down", d)
	}
}

// TestAdmitExact: many goroutines over two Redis clients (two instances)
// admit exactly the quota.
func TestAdmitExact(t *testing.T) {
	c1, prefix := sharedRedis(t)
	c2, _ := sharedRedis(t)
	mem := NewMemoryUsage(nil)
	for name, admitters := range map[string][]Admitter{
		"memory": {mem, mem},
		"redis":  {NewRedisUsage(c1, prefix, nil), NewRedisUsage(c2, prefix, nil)},
	} {
		t.Run(name, func(t *testing.T) {
			for _, a := range admitters {
				if r, ok := a.(*RedisUsage); ok {
					r.Timeout = 5 * time.Second
				}
			}
			var admitted atomic.Int64
			var wg sync.WaitGroup
			now := at("2026-12-03T12:00:00Z")
			for g := range 40 {
				wg.Go(func() {
					for range 10 {
						ok, _, _, err := admitters[g%2].Admit(context.Background(), "k",
							Event{Time: now, Requests: 1}, 150, 0)
						if err != nil {
							t.Error(err)
						}
						if ok {
							admitted.Add(1)
						}
					}
				})
			}
			wg.Wait()
			if admitted.Load() != 150 {
				t.Fatalf("admitted %d, want exactly 150", admitted.Load())
			}
		})
	}
}
