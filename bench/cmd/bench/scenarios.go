package main

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"downloader/bench/load"
)

// figures are one run's numbers, by name.
type figures map[string]float64

// loads are one run's load results, by name.
type loads map[string]load.Result

// plan is one scenario of the harness.
type plan struct {
	id, title string
	fn        func(context.Context, *scenario) error
}

func (h *harness) plans() []plan {
	return []plan{
		{"raw64", "Raw 10 KB, no cache, 64 connections", h.scnRaw64},
		{"raw-rate", "Raw 10 KB at 1,000 req/s: added latency", h.scnRawRate},
		{"cache", "Cache hits, 64 connections and 1,000 req/s", h.scnCache},
		{"coalesce", "100 concurrent requests for one uncached URL", h.scnCoalesce},
		{"text", "Text and Markdown over the corpus pages, one core", h.scnText},
		{"batch", "Batch of 100 URLs over 10 origins answering after 1 s", h.scnBatch},
		{"big", "Concurrent raw downloads of large files", h.scnBig},
		{"idle", "Idle keep-alive connections plus 1,000 req/s", h.scnIdle},
		{"redis-outage", "Redis stopped in the middle of a load run", h.scnRedisOutage},
		{"mixed", "Mixed load: hits, uncached, text, bad URLs", h.scnMixed},
	}
}

// runAll runs the scenarios named in only (comma-separated; empty: all).
func (h *harness) runAll(ctx context.Context, only string) []*scenario {
	want := map[string]bool{}
	for _, id := range strings.Split(only, ",") {
		if id = strings.TrimSpace(id); id != "" {
			want[id] = true
		}
	}
	var out []*scenario
	for _, p := range h.plans() {
		if len(want) > 0 && !want[p.id] {
			continue
		}
		if ctx.Err() != nil {
			break
		}
		s := &scenario{ID: p.id, Title: p.title}
		h.log.Info("scenario start", "id", p.id)
		t := time.Now()
		if err := p.fn(ctx, s); err != nil {
			s.Err = err.Error()
		}
		h.log.Info("scenario done", "id", p.id, "seconds", time.Since(t).Seconds(),
			"median", s.Median, "err", s.Err)
		out = append(out, s)
	}
	return out
}

// repeat runs one h.runs times (n when n > 0), keeping each run's
// figures, then sets the medians.
func (h *harness) repeat(ctx context.Context, s *scenario, n int,
	one func(run int) (figures, loads, error)) error {
	if n <= 0 {
		n = h.runs
	}
	defer s.medians()
	for run := range n {
		if err := ctx.Err(); err != nil {
			return err
		}
		f, l, err := one(run)
		if f != nil {
			s.Runs = append(s.Runs, f)
			s.Loads = append(s.Loads, l)
		}
		if err != nil {
			return fmt.Errorf("run %d: %w", run+1, err)
		}
	}
	return nil
}

// ratio sets f[key] = a/b when b is positive.
func (f figures) ratio(key string, a, b float64) {
	if b > 0 {
		f[key] = a / b
	}
}

// direct returns the origin URL of path.
func (h *harness) direct(path string) string { return "http://" + h.originAddr + path }

// via returns the URL that asks p for the origin's path.
func (h *harness) via(p *proc, path string) string {
	return "http://" + p.addr + "/http://" + h.originAddr + path
}

func noStore() http.Header { return http.Header{"Cache-Control": {"no-store"}} }

func fixed(r load.Request) func(int) load.Request {
	return func(int) load.Request { return r }
}

const raw10k = "/bytes/10240?cc=no-store"

// closed runs a closed loop of conns connections against r for h.dur.
func (h *harness) closed(ctx context.Context, conns int, r load.Request) load.Result {
	return load.Closed(ctx, h.client, conns, h.dur, 0, fixed(r))
}

// rate runs vegeta at rps against next for h.dur.
func (h *harness) rate(ctx context.Context, rps int, next func(int) load.Request) load.Result {
	return load.Rate(ctx, rps, h.dur, 256, next)
}

// noErrors returns an error when a reference run failed: a broken
// reference would make every ratio meaningless.
func noErrors(name string, r load.Result) error {
	if r.Errors > 0 {
		return fmt.Errorf("%s: %d of %d requests failed: %v", name, r.Errors, r.Requests,
			r.FirstErrors)
	}
	if r.Requests == 0 {
		return fmt.Errorf("%s: no requests completed", name)
	}
	return nil
}

func (h *harness) scnRaw64(ctx context.Context, s *scenario) error {
	s.Setup = fmt.Sprintf("Closed loop, 64 connections, %s per target per run, GET of a 10 KB "+
		"body the origin marks `no-store`, the service also asked `Cache-Control: no-store`. "+
		"Targets run back to back: origin direct (ceiling), nginx reverse proxy, service.", h.dur)
	err := h.repeat(ctx, s, 0, func(int) (figures, loads, error) {
		f, l := figures{}, loads{}
		l["direct"] = h.closed(ctx, 64, load.Request{URL: h.direct(raw10k)})
		if h.nginx != nil {
			l["nginx"] = h.closed(ctx, 64, load.Request{URL: "http://" + h.nginx.addr + raw10k})
		}
		l["ours"] = h.closed(ctx, 64, load.Request{URL: h.via(h.svc, raw10k), Header: noStore()})
		for k, r := range l {
			f[k+"_rps"], f[k+"_p99"], f[k+"_errors"] = r.RPS, r.P99, float64(r.Errors)
		}
		f.ratio("ratio_nginx", f["ours_rps"], f["nginx_rps"])
		f.ratio("ratio_direct", f["ours_rps"], f["direct_rps"])
		return f, l, noErrors("direct", l["direct"])
	})
	s.Rows = []row{
		{"throughput vs nginx", s.fig("ours_rps", " req/s"), s.fig("nginx_rps", " req/s (nginx)"),
			s.fig("ratio_nginx", ""), ">= 0.8 of nginx", s.met("ratio_nginx", atLeast(0.8))},
		{"throughput vs origin direct", s.fig("ours_rps", " req/s"),
			s.fig("direct_rps", " req/s (direct)"), s.fig("ratio_direct", ""), "—", "—"},
		{"P99 latency", s.fig("ours_p99", " ms"), s.fig("nginx_p99", " ms (nginx)"), "—", "—",
			"—"},
		{"errors", s.fig("ours_errors", ""), s.fig("nginx_errors", " (nginx)"), "—", "0",
			s.met("ours_errors", equal(0))},
	}
	h.noteNginx(s)
	return err
}

func (h *harness) noteNginx(s *scenario) {
	if h.nginx == nil {
		s.Notes = append(s.Notes, h.nginxReason)
	}
}

func (h *harness) scnRawRate(ctx context.Context, s *scenario) error {
	s.Setup = fmt.Sprintf("vegeta at a constant 1,000 req/s for %s per target per run, "+
		"10 KB `no-store` body; added latency = service percentile minus origin-direct "+
		"percentile in the same run.", h.dur)
	err := h.repeat(ctx, s, 0, func(int) (figures, loads, error) {
		f, l := figures{}, loads{}
		l["direct"] = h.rate(ctx, 1000, fixed(load.Request{URL: h.direct(raw10k)}))
		if h.nginx != nil {
			l["nginx"] = h.rate(ctx, 1000,
				fixed(load.Request{URL: "http://" + h.nginx.addr + raw10k}))
		}
		l["ours"] = h.rate(ctx, 1000,
			fixed(load.Request{URL: h.via(h.svc, raw10k), Header: noStore()}))
		for k, r := range l {
			f[k+"_p50"], f[k+"_p99"], f[k+"_errors"] = r.P50, r.P99, float64(r.Errors)
		}
		f["added_p50"] = f["ours_p50"] - f["direct_p50"]
		f["added_p99"] = f["ours_p99"] - f["direct_p99"]
		if _, ok := l["nginx"]; ok {
			f["nginx_added_p50"] = f["nginx_p50"] - f["direct_p50"]
			f["nginx_added_p99"] = f["nginx_p99"] - f["direct_p99"]
		}
		return f, l, noErrors("direct", l["direct"])
	})
	s.Rows = []row{
		{"added latency P50", s.fig("added_p50", " ms"), s.fig("nginx_added_p50", " ms (nginx)"),
			"—", "—", "—"},
		{"added latency P99", s.fig("added_p99", " ms"), s.fig("nginx_added_p99", " ms (nginx)"),
			"—", "< 5 ms", s.met("added_p99", below(5))},
		{"service P50 / origin direct P50", s.fig("ours_p50", " ms"),
			s.fig("direct_p50", " ms (direct)"), "—", "—", "—"},
		{"service P99 / origin direct P99", s.fig("ours_p99", " ms"),
			s.fig("direct_p99", " ms (direct)"), "—", "—", "—"},
		{"errors", s.fig("ours_errors", ""), "—", "—", "0", s.met("ours_errors", equal(0))},
	}
	h.noteNginx(s)
	return err
}

func (h *harness) scnCache(ctx context.Context, s *scenario) error {
	s.Setup = fmt.Sprintf("One 10 KB URL the origin marks `max-age=3600`, warmed once, then "+
		"a closed loop of 64 connections for %[1]s; in the same run the uncached raw path "+
		"(`no-store`) with 64 connections for %[1]s, then vegeta at 1,000 req/s of hits.", h.dur)
	err := h.repeat(ctx, s, 0, func(run int) (figures, loads, error) {
		f, l := figures{}, loads{}
		path := fmt.Sprintf("/bytes/10240?cc=max-age=3600&run=%d&t=%d", run,
			time.Now().UnixNano())
		hit := load.Request{URL: h.via(h.svc, path)}
		if o := load.Do(ctx, h.client, hit); !o.OK {
			return nil, nil, fmt.Errorf("warm cache: %s", o.Err)
		}
		before := h.origin.Total()
		l["hit"] = h.closed(ctx, 64, hit)
		f["origin_during_hits"] = float64(h.origin.Total() - before)
		l["uncached"] = h.closed(ctx, 64, load.Request{URL: h.via(h.svc, raw10k),
			Header: noStore()})
		l["hit_rate"] = h.rate(ctx, 1000, fixed(hit))
		f["hit_rps"], f["uncached_rps"] = l["hit"].RPS, l["uncached"].RPS
		f.ratio("ratio_uncached", f["hit_rps"], f["uncached_rps"])
		f["hit_rate_p50"], f["hit_rate_p99"] = l["hit_rate"].P50, l["hit_rate"].P99
		f["errors"] = float64(l["hit"].Errors + l["uncached"].Errors + l["hit_rate"].Errors)
		return f, l, nil
	})
	s.Rows = []row{
		{"hit throughput", s.fig("hit_rps", " req/s"), "—", "—", ">= 20,000 req/s on 2 cores",
			s.met("hit_rps", atLeast(20000))},
		{"hit vs uncached raw throughput", s.fig("hit_rps", " req/s"),
			s.fig("uncached_rps", " req/s (uncached)"), s.fig("ratio_uncached", ""), ">= 10x",
			s.met("ratio_uncached", atLeast(10))},
		{"hit P50 at 1,000 req/s", s.fig("hit_rate_p50", " ms"), "—", "—", "—", "—"},
		{"hit P99 at 1,000 req/s", s.fig("hit_rate_p99", " ms"), "—", "—", "< 5 ms",
			s.met("hit_rate_p99", below(5))},
		{"origin requests during the hit loop", s.fig("origin_during_hits", ""), "—", "—", "0",
			s.met("origin_during_hits", equal(0))},
		{"errors", s.fig("errors", ""), "—", "—", "0", s.met("errors", equal(0))},
	}
	return err
}
