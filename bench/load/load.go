// Package load drives HTTP load for the benchmark harness: a closed loop
// of a fixed number of connections for throughput, and vegeta at a fixed
// rate for latency. Both are bounded in time and count, and both report
// exact percentiles over every request.
package load

import (
	"context"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Request is one request a generator sends.
type Request struct {
	URL    string
	Header http.Header
	// Want is the status the answer must have to count as a success;
	// zero means any 2xx.
	Want int
}

// ok reports whether code is the answer r expects.
func (r Request) ok(code int) bool {
	if r.Want != 0 {
		return code == r.Want
	}
	return code >= 200 && code < 300
}

// Result sums up one run. Latencies are in milliseconds.
type Result struct {
	Requests int         `json:"requests"`
	Errors   int         `json:"errors"`
	Seconds  float64     `json:"seconds"`
	RPS      float64     `json:"rps"`
	Bytes    int64       `json:"bytes"`
	P50      float64     `json:"p50_ms"`
	P90      float64     `json:"p90_ms"`
	P99      float64     `json:"p99_ms"`
	Max      float64     `json:"max_ms"`
	Codes    map[int]int `json:"codes"`
	// FirstErrors keeps a few error texts for the report.
	FirstErrors []string `json:"first_errors,omitempty"`
}

// NewClient returns a client whose transport keeps conns connections to
// each host, never proxies and never follows redirects.
func NewClient(conns int) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
		MaxIdleConns:        conns * 2,
		MaxIdleConnsPerHost: conns * 2,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   120 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Closed runs conns goroutines that each send next's requests back to
// back until d has passed, maxReq requests were sent (0: no cap) or ctx
// ends. next gets the request's sequence number.
func Closed(ctx context.Context, c *http.Client, conns int, d time.Duration,
	maxReq int, next func(i int) Request) Result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu  sync.Mutex
		agg collector
		seq int
		wg  sync.WaitGroup
	)
	take := func() (int, bool) {
		mu.Lock()
		defer mu.Unlock()
		if maxReq > 0 && seq >= maxReq {
			return 0, false
		}
		seq++
		return seq - 1, true
	}
	start := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var local collector
			for ctx.Err() == nil {
				i, more := take()
				if !more {
					break
				}
				local.add(Do(ctx, c, next(i)))
			}
			mu.Lock()
			agg.merge(&local)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return agg.result(time.Since(start))
}

// Outcome is what one request gave.
type Outcome struct {
	Code    int
	Bytes   int64
	Latency time.Duration
	OK      bool
	Err     string
	// Cut is true when the run's deadline ended the request: it counts
	// neither as a success nor as an error.
	Cut bool
}

// Do sends one request, reads the whole body and times it.
func Do(ctx context.Context, c *http.Client, r Request) Outcome {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return Outcome{Err: err.Error()}
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		return Outcome{Err: err.Error(), Cut: ctx.Err() != nil, Latency: time.Since(start)}
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	o := Outcome{Code: resp.StatusCode, Bytes: n, Latency: time.Since(start)}
	switch {
	case err != nil:
		o.Err, o.Cut = err.Error(), ctx.Err() != nil
	case resp.ContentLength >= 0 && n != resp.ContentLength:
		o.Err = "short body"
	case !r.ok(resp.StatusCode):
		o.Err = resp.Status
	default:
		o.OK = true
	}
	return o
}

// Weighted is a request class picked with probability Weight/sum.
type Weighted struct {
	Weight int
	Pick   func(r *rand.Rand) Request
}

// Mix returns a next function for Closed that picks among classes by
// weight, with its own seeded source.
func Mix(seed uint64, classes []Weighted) func(int) Request {
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	sum := 0
	for _, c := range classes {
		sum += c.Weight
	}
	return func(int) Request {
		mu.Lock()
		defer mu.Unlock()
		n := rng.IntN(sum)
		for _, c := range classes {
			if n < c.Weight {
				return c.Pick(rng)
			}
			n -= c.Weight
		}
		return classes[len(classes)-1].Pick(rng)
	}
}

// Rate sends next's requests at rate per second for d with vegeta and
// returns the exact figures over every answer. conns caps the idle
// connections vegeta keeps. Answers are judged by the Want of the last
// request made for their URL, so one URL must always want one status.
func Rate(ctx context.Context, rate int, d time.Duration, conns int,
	next func(int) Request) Result {
	var (
		mu    sync.Mutex
		wants = map[string]Request{}
		seq   int
	)
	targeter := func(t *vegeta.Target) error {
		mu.Lock()
		r := next(seq)
		seq++
		wants[r.URL] = r
		mu.Unlock()
		*t = vegeta.Target{Method: http.MethodGet, URL: r.URL, Header: r.Header.Clone()}
		return nil
	}
	atk := vegeta.NewAttacker(
		vegeta.Connections(conns),
		vegeta.KeepAlive(true),
		vegeta.Timeout(30*time.Second),
		vegeta.MaxBody(0),
		vegeta.Redirects(vegeta.NoFollow),
		vegeta.Proxy(func(*http.Request) (*url.URL, error) { return nil, nil }),
	)
	stop := context.AfterFunc(ctx, func() { atk.Stop() })
	defer stop()
	var agg collector
	start := time.Now()
	pacer := vegeta.ConstantPacer{Freq: rate, Per: time.Second}
	for res := range atk.Attack(vegeta.Targeter(targeter), pacer, d, "bench") {
		mu.Lock()
		r := wants[res.URL]
		mu.Unlock()
		o := Outcome{Code: int(res.Code), Bytes: int64(res.BytesIn), Latency: res.Latency}
		o.OK = res.Code != 0 && r.ok(int(res.Code))
		if !o.OK {
			o.Err = res.Error
		}
		agg.add(o)
	}
	return agg.result(time.Since(start))
}

// collector gathers outcomes.
type collector struct {
	lat    []time.Duration
	errs   int
	bytes  int64
	codes  map[int]int
	first  []string
	counts int
}

func (c *collector) add(o Outcome) {
	if o.Cut {
		return
	}
	c.counts++
	if c.codes == nil {
		c.codes = map[int]int{}
	}
	c.codes[o.Code]++
	c.bytes += o.Bytes
	if !o.OK {
		c.errs++
		if len(c.first) < 5 {
			c.first = append(c.first, o.Err)
		}
		return
	}
	c.lat = append(c.lat, o.Latency)
}

func (c *collector) merge(o *collector) {
	c.lat = append(c.lat, o.lat...)
	c.errs += o.errs
	c.bytes += o.bytes
	c.counts += o.counts
	if c.codes == nil {
		c.codes = map[int]int{}
	}
	for k, v := range o.codes {
		c.codes[k] += v
	}
	for _, e := range o.first {
		if len(c.first) < 5 {
			c.first = append(c.first, e)
		}
	}
}

func (c *collector) result(elapsed time.Duration) Result {
	slices.Sort(c.lat)
	r := Result{
		Requests: c.counts, Errors: c.errs, Seconds: elapsed.Seconds(),
		Bytes: c.bytes, Codes: c.codes, FirstErrors: c.first,
		P50: Percentile(c.lat, 50), P90: Percentile(c.lat, 90),
		P99: Percentile(c.lat, 99), Max: Percentile(c.lat, 100),
	}
	if elapsed > 0 {
		r.RPS = float64(c.counts-c.errs) / elapsed.Seconds()
	}
	return r
}

// Percentile returns the p-th percentile of sorted, in milliseconds
// (nearest rank), or 0 when sorted is empty.
func Percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p/100+0.5) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i]) / float64(time.Millisecond)
}
