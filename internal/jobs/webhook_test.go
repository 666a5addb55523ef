package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	at := time.Unix(1700000000, 0)
	body := []byte(`{"job_id":"x"}`)
	sig := Sign("k", at, body)
	if sig[:13] != "t=1700000000," || len(sig) != len("t=1700000000,v1=")+64 {
		t.Fatalf("Sign = %q", sig)
	}
	tests := []struct {
		name   string
		secret string
		header string
		body   string
		now    time.Time
		ok     bool
	}{
		{"good", "k", sig, string(body), at.Add(time.Minute), true},
		{"another v1 too", "k", sig + ",v1=00", string(body), at, true},
		{"wrong secret", "other", sig, string(body), at, false},
		{"changed body", "k", sig, `{"job_id":"y"}`, at, false},
		{"stale", "k", sig, string(body), at.Add(time.Hour), false},
		{"no v1", "k", "t=1700000000", string(body), at, false},
		{"no t", "k", sig[13:], string(body), at, false},
		{"empty", "k", "", string(body), at, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Verify(tt.secret, tt.header, []byte(tt.body), tt.now, 5*time.Minute)
			if (err == nil) != tt.ok || (err != nil && !errors.Is(err, ErrSignature)) {
				t.Errorf("Verify = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// receiver is a loopback callback endpoint that fails its first fails
// calls with a 500.
type receiver struct {
	mu     sync.Mutex
	calls  int
	fails  int
	bodies [][]byte
	sigs   []string
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.calls++
	rc.bodies = append(rc.bodies, b)
	rc.sigs = append(rc.sigs, r.Header.Get(SignatureHeader))
	if rc.calls <= rc.fails {
		w.WriteHeader(http.StatusInternalServerError)
	}
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.calls
}

func TestCallbackSignedAndRetried(t *testing.T) {
	tests := []struct {
		name      string
		secret    string // the job's
		defSecret string // the configured default
		verifyKey string
	}{
		{"job secret", "job-secret", "default", "job-secret"},
		{"default secret", "", "default", "default"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := newOrigin(t, nil, delayed(0))
			rc := &receiver{fails: 1}
			hook := newOrigin(t, nil, rc.ServeHTTP)
			var mu sync.Mutex
			var slept []time.Duration
			m := startManager(t, NewMemoryStore(), NewMemoryQueue(), httpFetcher(t), Options{
				Webhook: &http.Client{}, CallbackSecret: tt.defSecret,
				CallbackBackoff: 2 * time.Second,
				Sleep: func(_ context.Context, d time.Duration) error {
					mu.Lock()
					defer mu.Unlock()
					slept = append(slept, d)
					return nil
				},
			})
			s := spec(urls(3, func(int) string { return o.URL }), 3)
			s.CallbackURL, s.CallbackSecret = hook.URL+"/cb", tt.secret
			job, err := m.Submit(context.Background(), s)
			if err != nil {
				t.Fatal(err)
			}
			waitJob(t, m, job.ID, 5*time.Second)
			eventually(t, 2*time.Second, "2 callback calls", func() bool { return rc.count() == 2 })

			rc.mu.Lock()
			body, sig := rc.bodies[1], rc.sigs[1]
			rc.mu.Unlock()
			if err := Verify(tt.verifyKey, sig, body, time.Now(), time.Minute); err != nil {
				t.Errorf("Verify: %v (header %q)", err, sig)
			}
			var got struct {
				JobID   string  `json:"job_id"`
				Status  Status  `json:"status"`
				Summary Summary `json:"summary"`
			}
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatal(err)
			}
			if got.JobID != job.ID || got.Status != Completed || got.Summary.Succeeded != 3 {
				t.Errorf("callback body = %s", body)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(slept) != 1 || slept[0] != 2*time.Second {
				t.Errorf("backoff waits = %v, want [2s]", slept)
			}
		})
	}
}

func TestCallbackGivesUp(t *testing.T) {
	o := newOrigin(t, nil, delayed(0))
	rc := &receiver{fails: 100}
	hook := newOrigin(t, nil, rc.ServeHTTP)
	var mu sync.Mutex
	var slept []time.Duration
	m := startManager(t, NewMemoryStore(), NewMemoryQueue(), httpFetcher(t), Options{
		Webhook: &http.Client{}, CallbackTries: 4,
		Sleep: func(_ context.Context, d time.Duration) error {
			mu.Lock()
			defer mu.Unlock()
			slept = append(slept, d)
			return nil
		},
	})
	s := spec(urls(1, func(int) string { return o.URL }), 1)
	s.CallbackURL = hook.URL
	job, err := m.Submit(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	waitJob(t, m, job.ID, 5*time.Second)
	eventually(t, 2*time.Second, "4 callback calls", func() bool { return rc.count() == 4 })
	time.Sleep(100 * time.Millisecond)
	mu.Lock()
	defer mu.Unlock()
	if rc.count() != 4 || len(slept) != 3 || slept[2] != 4*time.Second {
		t.Errorf("calls %d, waits %v; want 4 calls, waits 1s 2s 4s", rc.count(), slept)
	}
	if rc.sigs[0] != "" {
		t.Errorf("unsigned job got signature %q", rc.sigs[0])
	}
}
