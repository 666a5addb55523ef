package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"syscall"
	"time"

	"downloader/bench/load"
)

func (h *harness) scnCoalesce(ctx context.Context, s *scenario) error {
	s.Setup = "100 goroutines released at once ask the service for one URL it has not " +
		"seen (origin answers after 200 ms with `max-age=3600`); the origin counts " +
		"the requests that reach it."
	err := h.repeat(ctx, s, 0, func(run int) (figures, loads, error) {
		path := fmt.Sprintf("/bytes/10240?delay=200ms&cc=max-age=3600&co=%d-%d",
			run, time.Now().UnixNano())
		r := load.Request{URL: h.via(h.svc, path)}
		before := h.origin.Total()
		gate := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		ok := 0
		for range 100 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-gate
				if load.Do(ctx, h.client, r).OK {
					mu.Lock()
					ok++
					mu.Unlock()
				}
			}()
		}
		close(gate)
		wg.Wait()
		f := figures{"origin_requests": float64(h.origin.Total() - before),
			"ok": float64(ok)}
		return f, nil, nil
	})
	s.Rows = []row{
		{"origin requests", s.fig("origin_requests", ""), "—", "—", "exactly 1",
			s.met("origin_requests", equal(1))},
		{"answers 200 (of 100)", s.fig("ok", ""), "—", "—", "100", s.met("ok", equal(100))},
	}
	return err
}

func (h *harness) scnText(ctx context.Context, s *scenario) error {
	pages := h.pages()
	if len(pages) == 0 {
		return h.noCorpus(s)
	}
	passes := pick(h.smoke, 1, 2)
	s.Setup = fmt.Sprintf("A service instance started with `GOMAXPROCS=1`; one connection "+
		"asks for each of the %d corpus pages in turn (%d pass(es) per run), gzipped at the "+
		"origin, `no-store`, with `Accept: text/plain`, then `text/markdown`, then raw "+
		"(`X-Format: raw`, the reference: the same fetch without conversion). pages/s = "+
		"pages per second of one connection, so of the one core.", len(pages), passes)
	svc, err := h.startService(ctx, "service-1cpu", "GOMAXPROCS=1")
	if err != nil {
		return err
	}
	defer svc.stop()
	kinds := []struct{ name, header, value string }{
		{"text", "Accept", "text/plain"},
		{"md", "Accept", "text/markdown"},
		{"raw", "X-Format", "raw"},
	}
	err = h.repeat(ctx, s, 0, func(int) (figures, loads, error) {
		f, l := figures{}, loads{}
		for _, k := range kinds {
			next := func(i int) load.Request {
				hd := noStore()
				hd.Set(k.header, k.value)
				return load.Request{URL: h.via(svc, "/page/"+pages[i%len(pages)]), Header: hd}
			}
			r := load.Closed(ctx, h.client, 1, 5*time.Minute, passes*len(pages), next)
			l[k.name] = r
			f[k.name+"_pps"], f[k.name+"_p50"] = r.RPS, r.P50
			f[k.name+"_p99"], f[k.name+"_errors"] = r.P99, float64(r.Errors)
		}
		return f, l, nil
	})
	s.Rows = []row{
		{"text P99 per page", s.fig("text_p99", " ms"), s.fig("raw_p99", " ms (raw)"), "—",
			"< 50 ms", s.met("text_p99", below(50))},
		{"Markdown P99 per page", s.fig("md_p99", " ms"), s.fig("raw_p99", " ms (raw)"), "—",
			"< 50 ms", s.met("md_p99", below(50))},
		{"text P50 per page", s.fig("text_p50", " ms"), s.fig("raw_p50", " ms (raw)"), "—",
			"—", "—"},
		{"Markdown P50 per page", s.fig("md_p50", " ms"), s.fig("raw_p50", " ms (raw)"), "—",
			"—", "—"},
		{"text pages/s, one core", s.fig("text_pps", ""), s.fig("raw_pps", " (raw)"), "—",
			"—", "—"},
		{"Markdown pages/s, one core", s.fig("md_pps", ""), s.fig("raw_pps", " (raw)"), "—",
			"—", "—"},
		{"errors", s.fig("text_errors", " text, ") + s.fig("md_errors", " Markdown"),
			s.fig("raw_errors", " (raw)"), "—", "0", s.met("text_errors", equal(0))},
	}
	return err
}

// batchAnswer is the part of the Prefer: wait answer the harness reads.
type batchAnswer struct {
	Status  string `json:"status"`
	Results []struct {
		Success bool `json:"success"`
	} `json:"results"`
}

// batch posts one 100-URL batch to p and returns its wall time and the
// number of results that succeeded.
func (h *harness) batch(ctx context.Context, p *proc, tag string) (float64, int, error) {
	urls := make([]string, 100)
	for j := range urls {
		urls[j] = fmt.Sprintf("http://%s/bytes/1024?delay=1s&cc=no-store&b=%s-%d",
			h.batchAddrs[j%len(h.batchAddrs)], tag, j)
	}
	body, _ := json.Marshal(map[string]any{"urls": urls, "concurrency": 100})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+p.addr+"/batch",
		bytes.NewReader(body))
	if err != nil {
		return 0, 0, fmt.Errorf("make batch request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Prefer", "wait=30")
	t := time.Now()
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, 0, fmt.Errorf("post batch: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	wall := time.Since(t).Seconds()
	if err != nil {
		return 0, 0, fmt.Errorf("read batch answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return wall, 0, fmt.Errorf("batch answered %s: %.200s", resp.Status, b)
	}
	var a batchAnswer
	if err := json.Unmarshal(b, &a); err != nil {
		return wall, 0, fmt.Errorf("decode batch answer: %w", err)
	}
	ok := 0
	for _, r := range a.Results {
		if r.Success {
			ok++
		}
	}
	return wall, ok, nil
}

func (h *harness) scnBatch(ctx context.Context, s *scenario) error {
	s.Setup = "`POST /batch` with 100 URLs spread over 10 origin ports, each answering " +
		"after 1 s, `concurrency: 100`, `Prefer: wait=30`; wall time from sending the " +
		"request to the last byte of the 200 answer. Memory back end (the shared " +
		"instance) and Redis back end (an instance on a private redis-server). The " +
		"reference is the 1 s every URL takes."
	red, err := h.startRedis(ctx, "redis-batch")
	if err != nil {
		return err
	}
	defer red.stop()
	svc, err := h.startService(ctx, "service-redis",
		"DOWNLOADER_REDIS_URL=redis://"+red.addr+"/0")
	if err != nil {
		return err
	}
	defer svc.stop()
	err = h.repeat(ctx, s, 0, func(run int) (figures, loads, error) {
		f := figures{}
		tag := fmt.Sprintf("%d-%d", run, time.Now().UnixNano())
		var err error
		for _, b := range []struct {
			name string
			p    *proc
		}{{"mem", h.svc}, {"redis", svc}} {
			wall, ok, berr := h.batch(ctx, b.p, b.name+tag)
			f[b.name+"_wall_s"], f[b.name+"_ok"] = wall, float64(ok)
			if berr != nil && err == nil {
				err = fmt.Errorf("%s: %w", b.name, berr)
			}
		}
		f.ratio("mem_ratio", f["mem_wall_s"], 1)
		f.ratio("redis_ratio", f["redis_wall_s"], 1)
		return f, nil, err
	})
	s.Rows = []row{
		{"wall time, memory", s.fig("mem_wall_s", " s"), "1 s (origin delay)",
			s.fig("mem_ratio", ""), "< 2 s", s.met("mem_wall_s", below(2))},
		{"wall time, Redis", s.fig("redis_wall_s", " s"), "1 s (origin delay)",
			s.fig("redis_ratio", ""), "< 2 s", s.met("redis_wall_s", below(2))},
		{"succeeded, memory", s.fig("mem_ok", ""), "—", "—", "100", s.met("mem_ok", equal(100))},
		{"succeeded, Redis", s.fig("redis_ok", ""), "—", "—", "100",
			s.met("redis_ok", equal(100))},
	}
	return err
}

func (h *harness) scnBig(ctx context.Context, s *scenario) error {
	n, mb := pick(h.smoke, 10, 200), pick(h.smoke, 4, 100)
	s.Setup = fmt.Sprintf("%d concurrent GETs of a %d MiB file the origin generates on the "+
		"fly, first straight from the origin (ceiling), then through a freshly started "+
		"service instance (`no-store`, `X-Timeout: 120`: the default 30 s limit on a "+
		"whole exchange cuts streams that share the bandwidth 200 ways); throughput = "+
		"bytes received / wall time; peak RSS = `VmHWM` of the service process after "+
		"the run.", n, mb)
	path := fmt.Sprintf("/stream/%d", mb)
	c := load.NewClient(n)
	err := h.repeat(ctx, s, 0, func(run int) (figures, loads, error) {
		f, l := figures{}, loads{}
		svc, err := h.startService(ctx, fmt.Sprintf("service-big-%d", run))
		if err != nil {
			return nil, nil, err
		}
		defer svc.stop()
		l["direct"] = load.Closed(ctx, c, n, 5*time.Minute, n,
			fixed(load.Request{URL: h.direct(path)}))
		c.CloseIdleConnections()
		hd := noStore()
		hd.Set("X-Timeout", "120")
		l["ours"] = load.Closed(ctx, c, n, 5*time.Minute, n,
			fixed(load.Request{URL: h.via(svc, path), Header: hd}))
		c.CloseIdleConnections()
		f["hwm_mb"] = float64(procStatus(svc.pid(), "VmHWM")) / (1 << 20)
		for k, r := range l {
			f[k+"_mbps"] = float64(r.Bytes) / (1 << 20) / r.Seconds
			f[k+"_errors"] = float64(r.Errors)
		}
		f.ratio("ratio_direct", f["ours_mbps"], f["direct_mbps"])
		return f, l, noErrors("direct", l["direct"])
	})
	s.Rows = []row{
		{"peak RSS of the service", s.fig("hwm_mb", " MiB"), "—", "—", "< 200 MB",
			s.met("hwm_mb", below(200e6/(1<<20)))},
		{"throughput", s.fig("ours_mbps", " MiB/s"), s.fig("direct_mbps", " MiB/s (direct)"),
			s.fig("ratio_direct", ""), ">= 0.8 of direct", s.met("ratio_direct", atLeast(0.8))},
		{"errors", s.fig("ours_errors", ""), "—", "—", "0", s.met("ours_errors", equal(0))},
	}
	return err
}

func (h *harness) scnRedisOutage(ctx context.Context, s *scenario) error {
	d := pick(h.smoke, 2*time.Second, 9*time.Second)
	s.Setup = fmt.Sprintf("A service instance on a private redis-server; 16 connections for "+
		"%s: half cache hits over 20 URLs warmed first, half uncached raw 10 KB; after "+
		"a third of the run the redis-server is killed (SIGKILL). Every non-2xx answer or "+
		"transport error is a failed download.", d)
	err := h.repeat(ctx, s, 0, func(run int) (figures, loads, error) {
		red, err := h.startRedis(ctx, fmt.Sprintf("redis-outage-%d", run))
		if err != nil {
			return nil, nil, err
		}
		defer red.stop()
		svc, err := h.startService(ctx, fmt.Sprintf("service-outage-%d", run),
			"DOWNLOADER_REDIS_URL=redis://"+red.addr+"/0")
		if err != nil {
			return nil, nil, err
		}
		defer svc.stop()
		hits := make([]load.Request, 20)
		for i := range hits {
			hits[i] = load.Request{URL: h.via(svc, fmt.Sprintf(
				"/bytes/10240?cc=max-age=3600&ro=%d-%d-%d", run, i, time.Now().UnixNano()))}
			if o := load.Do(ctx, h.client, hits[i]); !o.OK {
				return nil, nil, fmt.Errorf("warm cache: %s", o.Err)
			}
		}
		next := load.Mix(uint64(run+1), []load.Weighted{
			{Weight: 1, Pick: func(r *rand.Rand) load.Request { return hits[r.IntN(len(hits))] }},
			{Weight: 1, Pick: func(*rand.Rand) load.Request {
				return load.Request{URL: h.via(svc, raw10k), Header: noStore()}
			}},
		})
		killer := time.AfterFunc(d/3, func() { _ = red.cmd.Process.Signal(syscall.SIGKILL) })
		defer killer.Stop()
		r := load.Closed(ctx, h.client, 16, d, 0, next)
		f := figures{"requests": float64(r.Requests), "failed": float64(r.Errors),
			"rps": r.RPS, "p99": r.P99}
		return f, loads{"mix": r}, nil
	})
	s.Rows = []row{
		{"failed downloads", s.fig("failed", ""), "—", "—", "0", s.met("failed", equal(0))},
		{"requests in the run", s.fig("requests", ""), "—", "—", "—", "—"},
		{"P99 latency", s.fig("p99", " ms"), "—", "—", "—", "—"},
	}
	return err
}

// pages returns the corpus pages a scenario uses: all of them, or ten in
// a smoke run.
func (h *harness) pages() []string {
	p := h.origin.Pages()
	if h.smoke {
		p = p[:min(len(p), 10)]
	}
	return p
}

// noCorpus notes a missing corpus: a smoke run skips the scenario, a full
// run fails it.
func (h *harness) noCorpus(s *scenario) error {
	if h.smoke {
		s.Notes = append(s.Notes, "skipped: no corpus pages found (-corpus)")
		return nil
	}
	return fmt.Errorf("no corpus pages (-corpus)")
}
