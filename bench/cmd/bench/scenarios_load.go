package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"

	"downloader/bench/load"
)

// idleConn is a keep-alive connection the harness opened and left idle.
type idleConn struct {
	c  net.Conn
	br *bufio.Reader
}

// get sends one GET /health on the connection and reads the answer.
func (ic *idleConn) get(addr string) error {
	_ = ic.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(ic.c, "GET /health HTTP/1.1\r\nHost: %s\r\n\r\n", addr); err != nil {
		return fmt.Errorf("write request: %w", err)
	}
	resp, err := http.ReadResponse(ic.br, nil)
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	_ = ic.c.SetDeadline(time.Time{})
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("health answered %s", resp.Status)
	}
	return nil
}

// openIdle opens n keep-alive connections to addr, each after one
// request, with 64 dialers at once.
func openIdle(ctx context.Context, addr string, n int) ([]*idleConn, error) {
	var (
		mu    sync.Mutex
		conns []*idleConn
		first error
		wg    sync.WaitGroup
	)
	work := make(chan struct{})
	for range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				ic, err := dialIdle(ctx, addr)
				mu.Lock()
				if err != nil && first == nil {
					first = err
				}
				if ic != nil {
					conns = append(conns, ic)
				}
				mu.Unlock()
			}
		}()
	}
	for range n {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	return conns, first
}

func dialIdle(ctx context.Context, addr string) (*idleConn, error) {
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	ic := &idleConn{c: c, br: bufio.NewReaderSize(c, 4096)}
	if err := ic.get(addr); err != nil {
		c.Close()
		return nil, err
	}
	return ic, nil
}

func (h *harness) scnIdle(ctx context.Context, s *scenario) error {
	n := pick(h.smoke, 300, 10000)
	s.Setup = fmt.Sprintf("A fresh service instance; the harness opens %d HTTP/1.1 "+
		"connections, sends one `GET /health` on each and leaves them idle, then vegeta "+
		"sends 1,000 req/s of uncached raw 10 KB for %s per run on its own connections; "+
		"afterwards 100 of the idle connections are asked again.", n, h.dur)
	svc, err := h.startService(ctx, "service-idle")
	if err != nil {
		return err
	}
	defer svc.stop()
	conns, oerr := openIdle(ctx, svc.addr, n)
	defer func() {
		for _, ic := range conns {
			ic.c.Close()
		}
	}()
	rss := float64(procStatus(svc.pid(), "VmRSS")) / (1 << 20)
	gor := goroutines(ctx, h.client, svc.addr)
	err = h.repeat(ctx, s, 0, func(int) (figures, loads, error) {
		r := h.rate(ctx, 1000, fixed(load.Request{URL: h.via(svc, raw10k), Header: noStore()}))
		f := figures{"idle_open": float64(len(conns)), "rss_idle_mb": rss,
			"goroutines_idle": gor, "errors": float64(r.Errors), "p50": r.P50, "p99": r.P99}
		return f, loads{"rate": r}, nil
	})
	alive := 0
	for i := 0; i < len(conns) && i < 100; i++ {
		if conns[i*len(conns)/min(100, len(conns))].get(svc.addr) == nil {
			alive++
		}
	}
	for _, r := range s.Runs {
		r["idle_alive_of_100"] = float64(alive)
	}
	s.medians()
	if oerr != nil {
		s.Notes = append(s.Notes, "first error opening idle connections: "+oerr.Error())
	}
	s.Rows = []row{
		{"idle connections open", s.fig("idle_open", ""), "—", "—", num(float64(n)),
			s.met("idle_open", equal(float64(n)))},
		{"errors at 1,000 req/s", s.fig("errors", ""), "—", "—", "0", s.met("errors", equal(0))},
		{"P99 at 1,000 req/s", s.fig("p99", " ms"), "—", "—", "< 20 ms",
			s.met("p99", below(20))},
		{"P50 at 1,000 req/s", s.fig("p50", " ms"), "—", "—", "—", "—"},
		{"idle connections still served afterwards (of 100 asked)",
			s.fig("idle_alive_of_100", ""), "—", "—", "—", "—"},
		{"service RSS with the idle connections", s.fig("rss_idle_mb", " MiB"), "—", "—",
			"—", "—"},
		{"service goroutines with the idle connections", s.fig("goroutines_idle", ""), "—",
			"—", "—", "—"},
	}
	return err
}

// mixNext returns the mixed scenario's request picker for svc.
func (h *harness) mixNext(svc *proc, hits []load.Request, seed uint64) func(int) load.Request {
	pages := h.pages()
	return load.Mix(seed, []load.Weighted{
		{Weight: 70, Pick: func(r *rand.Rand) load.Request { return hits[r.IntN(len(hits))] }},
		{Weight: 20, Pick: func(*rand.Rand) load.Request {
			return load.Request{URL: h.via(svc, raw10k), Header: noStore()}
		}},
		{Weight: 9, Pick: func(r *rand.Rand) load.Request {
			return textReq(h.via(svc, "/page/"+pages[r.IntN(len(pages))]+"?cc=max-age=3600"))
		}},
		{Weight: 1, Pick: func(*rand.Rand) load.Request {
			return load.Request{URL: "http://" + svc.addr + "/ftp://127.0.0.1/x",
				Want: http.StatusBadRequest}
		}},
	})
}

func textReq(u string) load.Request {
	return load.Request{URL: u, Header: http.Header{"Accept": {"text/plain"}}}
}

// sample is the service's RSS and goroutines at one moment.
type sample struct {
	At         float64 `json:"at_s"`
	RSSMB      float64 `json:"rss_mb"`
	Goroutines float64 `json:"goroutines"`
	// FDs counts the service's open file descriptors, mostly
	// connections: goroutines follow them.
	FDs float64 `json:"fds"`
}

func (h *harness) scnMixed(ctx context.Context, s *scenario) error {
	if len(h.pages()) == 0 {
		return h.noCorpus(s)
	}
	svc, err := h.startService(ctx, "service-mixed")
	if err != nil {
		return err
	}
	defer svc.stop()
	hits := make([]load.Request, 100)
	for i := range hits {
		path := fmt.Sprintf("/bytes/10240?cc=max-age=3600&k=%d", i)
		hits[i] = load.Request{URL: h.via(svc, path)}
		if o := load.Do(ctx, h.client, hits[i]); !o.OK {
			return fmt.Errorf("warm cache: %s", o.Err)
		}
	}
	for _, p := range h.pages() {
		_ = load.Do(ctx, h.client, textReq(h.via(svc, "/page/"+p+"?cc=max-age=3600")))
	}
	probeDur := pick(h.smoke, time.Second, 5*time.Second)
	probe := load.Closed(ctx, h.client, 64, probeDur, 0, h.mixNext(svc, hits, 7))
	rate := min(pick(h.smoke, 300, 5000), max(100, int(probe.RPS*0.5)/100*100))
	s.Setup = fmt.Sprintf("A fresh service instance; 100 cacheable 10 KB URLs and the corpus "+
		"pages (as text) warmed first. Mix: 70%% cache hits over the 100 URLs, 20%% uncached "+
		"raw 10 KB (`no-store`), 9%% text of a random corpus page (`max-age=3600` at the "+
		"origin, so the service may serve it from its cache), 1%% bad URLs (`ftp:`, a 400 "+
		"expected). A %s closed-loop probe with 64 connections reached %.0f req/s; the run "+
		"uses 50%% of it, capped at 5,000: **%d req/s** for %s with vegeta. RSS and "+
		"goroutines sampled every few seconds; start = the first sample after 10%% of the "+
		"run.", probeDur, probe.RPS, rate, h.mixedDur)
	var samples []sample
	sctx, stopSampling := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		samples = h.sampleProc(sctx, svc, pick(h.smoke, 500*time.Millisecond, 5*time.Second))
	}()
	r := load.Rate(ctx, rate, h.mixedDur, 512, h.mixNext(svc, hits, 11))
	stopSampling()
	wg.Wait()
	f := figures{"rate": float64(rate), "probe_rps": probe.RPS, "achieved_rps": r.RPS,
		"errors": float64(r.Errors), "requests": float64(r.Requests), "p50": r.P50, "p99": r.P99}
	mixedGrowth(f, samples, h.mixedDur)
	s.Runs, s.Loads = []map[string]float64{f}, []map[string]load.Result{{"mixed": r}}
	s.medians()
	s.Notes = append(s.Notes, fmt.Sprintf("samples (s, RSS MiB, goroutines, open fds): %v",
		samples))
	if h.mixedDur < 5*time.Minute {
		s.Notes = append(s.Notes, fmt.Sprintf("shortened to %s (issue asks 5 minutes)",
			h.mixedDur))
	}
	s.Rows = mixedRows(s)
	return nil
}

// mixedGrowth puts the start and end RSS and goroutines into f.
func mixedGrowth(f figures, samples []sample, d time.Duration) {
	if len(samples) == 0 {
		return
	}
	start := samples[0]
	for _, sm := range samples {
		if sm.At >= d.Seconds()/10 {
			start = sm
			break
		}
	}
	end := samples[len(samples)-1]
	f["rss_start_mb"], f["rss_end_mb"] = start.RSSMB, end.RSSMB
	f["goroutines_start"], f["goroutines_end"] = start.Goroutines, end.Goroutines
	f.ratio("rss_growth", end.RSSMB, start.RSSMB)
	f.ratio("goroutines_growth", end.Goroutines, start.Goroutines)
	f["fds_start"], f["fds_end"] = start.FDs, end.FDs
}

func mixedRows(s *scenario) []row {
	return []row{
		{"rate asked / achieved", s.fig("rate", " req/s"), s.fig("achieved_rps", " req/s"),
			"—", "5,000 or the highest steady rate", "—"},
		{"errors (valid requests non-2xx, bad URLs not 400)", s.fig("errors", ""),
			s.fig("requests", " requests"), "—", "0", s.met("errors", equal(0))},
		{"P50 / P99", s.fig("p50", " ms") + " / " + s.fig("p99", " ms"), "—", "—", "—", "—"},
		{"RSS start -> end",
			s.fig("rss_start_mb", " MiB") + " -> " + s.fig("rss_end_mb", " MiB"), "—",
			s.fig("rss_growth", ""), "no growth (end <= 1.2x start)",
			s.met("rss_growth", func(v float64) bool { return v <= 1.2 })},
		{"goroutines start -> end",
			s.fig("goroutines_start", "") + " -> " + s.fig("goroutines_end", ""), "—",
			s.fig("goroutines_growth", ""), "no growth (end <= 1.2x start)",
			s.met("goroutines_growth", func(v float64) bool { return v <= 1.2 })},
		{"open fds (connections) start -> end",
			s.fig("fds_start", "") + " -> " + s.fig("fds_end", ""), "—", "—", "—", "—"},
	}
}

// sampleProc samples the service's RSS and goroutines every tick until
// ctx ends.
func (h *harness) sampleProc(ctx context.Context, p *proc, tick time.Duration) []sample {
	c := &http.Client{Timeout: 5 * time.Second}
	t0 := time.Now()
	var out []sample
	tk := time.NewTicker(tick)
	defer tk.Stop()
	for {
		out = append(out, sample{At: time.Since(t0).Seconds(),
			RSSMB:      float64(procStatus(p.pid(), "VmRSS")) / (1 << 20),
			Goroutines: goroutines(context.Background(), c, p.addr),
			FDs:        float64(openFDs(p.pid()))})
		select {
		case <-ctx.Done():
			return out
		case <-tk.C:
		}
	}
}
