// Command bench measures the downloader service against a loopback origin
// and reference proxies, and writes BENCHMARKS.md and raw JSON results.
//
//	go run ./bench/cmd/bench -bin bin/downloader            full run
//	go run ./bench/cmd/bench -bin bin/downloader -smoke     a short run, no goals asserted
//
// It serves the origin from its own process, starts the service binary as a user
// would run it (environment variables, access log on, rate limits off),
// nginx as a plain reverse proxy when installed, and private redis-server
// instances on free ports. Every request goes to loopback only.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"downloader/bench/load"
	"downloader/bench/origin"
)

// harness holds what every scenario shares.
type harness struct {
	smoke    bool
	runs     int
	dur      time.Duration
	mixedDur time.Duration
	bin      string
	tmp      string
	log      *slog.Logger

	origin      *origin.Server
	originAddr  string
	batchAddrs  []string
	nginx       *proc
	nginxReason string
	svc         *proc
	client      *http.Client
	nofile      uint64
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

type options struct {
	smoke    bool
	bin      string
	corpus   string
	md       string
	jsonOut  string
	notes    string
	render   string
	runs     int
	dur      time.Duration
	mixedDur time.Duration
	only     string
	keepTmp  bool
}

func parseFlags() options {
	var o options
	flag.BoolVar(&o.smoke, "smoke", false, "short run of every scenario, small sizes, no goals")
	flag.StringVar(&o.bin, "bin", "bin/downloader", "service binary")
	flag.StringVar(&o.corpus, "corpus", "../shared/corpus/aeb", "corpus with html/*.html.gz")
	flag.StringVar(&o.md, "md", "", "write the report here (empty: none)")
	flag.StringVar(&o.jsonOut, "json", "", "write raw results here (empty: none)")
	flag.StringVar(&o.notes, "notes", "", "hand-written analysis appended to the report")
	flag.StringVar(&o.render, "render", "",
		"only rewrite -md from this results JSON and -notes, measuring nothing")
	flag.IntVar(&o.runs, "runs", 0, "repetitions per scenario (0: 3, smoke 1)")
	flag.DurationVar(&o.dur, "run-duration", 0, "length of one load run (0: 6s, smoke 1s)")
	flag.DurationVar(&o.mixedDur, "duration", 0, "length of the mixed run (0: 5m, smoke 3s)")
	flag.StringVar(&o.only, "only", "", "comma-separated scenario ids to run (empty: all)")
	flag.BoolVar(&o.keepTmp, "keep-tmp", false, "keep the temp dir with logs")
	flag.Parse()
	if o.runs == 0 {
		o.runs = pick(o.smoke, 1, 3)
	}
	if o.dur == 0 {
		o.dur = pick(o.smoke, time.Second, 6*time.Second)
	}
	if o.mixedDur == 0 {
		o.mixedDur = pick(o.smoke, 3*time.Second, 5*time.Minute)
	}
	return o
}

func pick[T any](smoke bool, small, full T) T {
	if smoke {
		return small
	}
	return full
}

func run() error {
	o := parseFlags()
	if o.render != "" {
		return render(o)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, cleanup, err := setup(ctx, o)
	if err != nil {
		return err
	}
	defer cleanup()
	started := time.Now()
	loadStart := loadAvg()
	scs := h.runAll(ctx, o.only)
	mf := machineFacts(h)
	mf.LoadStart, mf.LoadEnd = loadStart, loadAvg()
	rep := report{Machine: mf, Scenarios: scs, Smoke: o.smoke,
		Started: started.UTC().Format(time.RFC3339),
		Seconds: time.Since(started).Seconds()}
	if o.jsonOut != "" {
		if err := writeJSON(o.jsonOut, rep); err != nil {
			return err
		}
	}
	if err := writeMarkdown(o, &rep); err != nil {
		return err
	}
	failed := 0
	for _, s := range scs {
		if s.Err != "" {
			failed++
			h.log.Error("scenario failed", "id", s.ID, "err", s.Err)
		}
	}
	h.log.Info("bench done", "seconds", int(rep.Seconds), "failed", failed)
	if failed > 0 {
		return fmt.Errorf("%d scenarios failed", failed)
	}
	return ctx.Err()
}

// setup starts the origin, nginx and the shared service instance.
func setup(ctx context.Context, o options) (*harness, func(), error) {
	h := &harness{smoke: o.smoke, runs: o.runs, dur: o.dur, mixedDur: o.mixedDur,
		log: slog.New(slog.NewTextHandler(os.Stderr, nil))}
	var err error
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	fail := func(err error) (*harness, func(), error) {
		cleanup()
		return nil, nil, err
	}
	if h.nofile, err = raiseNoFile(); err != nil {
		h.log.Warn("nofile limit unchanged", "err", err)
	}
	if h.bin, err = filepath.Abs(o.bin); err != nil {
		return fail(fmt.Errorf("resolve bin: %w", err))
	}
	if _, err := os.Stat(h.bin); err != nil {
		return fail(fmt.Errorf("stat service binary: %w", err))
	}
	if h.tmp, err = os.MkdirTemp("", "downloader-bench-"); err != nil {
		return fail(fmt.Errorf("make temp dir: %w", err))
	}
	if !o.keepTmp {
		cleanups = append(cleanups, func() { os.RemoveAll(h.tmp) })
	}
	if h.origin, err = origin.New(o.corpus); err != nil {
		return fail(err)
	}
	if len(h.origin.Pages()) == 0 {
		h.log.Warn("no corpus pages", "corpus", o.corpus)
	}
	srvs, err := h.serveOrigins()
	if err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, func() {
		for _, s := range srvs {
			s.Close()
		}
	})
	h.client = load.NewClient(256)
	h.nginx, err = h.startNginx(ctx, h.originAddr)
	switch {
	case errors.Is(err, errNoNginx) && o.smoke:
		h.nginxReason = "nginx is not installed: reference skipped (smoke run)"
		h.log.Warn("nginx reference skipped", "reason", h.nginxReason)
	case err != nil:
		return fail(fmt.Errorf("start nginx reference: %w", err))
	default:
		cleanups = append(cleanups, h.nginx.stop)
	}
	if h.svc, err = h.startService(ctx, "service"); err != nil {
		return fail(err)
	}
	cleanups = append(cleanups, h.svc.stop)
	h.log.Info("harness ready", "origin", h.originAddr, "service", h.svc.addr,
		"tmp", h.tmp, "nofile", h.nofile)
	return h, cleanup, nil
}

// serveOrigins serves the origin on one main port and ten batch ports.
func (h *harness) serveOrigins() ([]*http.Server, error) {
	var srvs []*http.Server
	for i := range 11 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			for _, s := range srvs {
				s.Close()
			}
			return nil, fmt.Errorf("listen origin: %w", err)
		}
		s := &http.Server{Handler: h.origin, ReadHeaderTimeout: 10 * time.Second}
		go func() { _ = s.Serve(l) }()
		srvs = append(srvs, s)
		if i == 0 {
			h.originAddr = l.Addr().String()
			continue
		}
		h.batchAddrs = append(h.batchAddrs, l.Addr().String())
	}
	return srvs, nil
}

// machine is what the report states about where it ran.
type machine struct {
	Cores     int    `json:"cores"`
	CPU       string `json:"cpu"`
	MemoryGiB int64  `json:"memory_gib"`
	Kernel    string `json:"kernel"`
	Go        string `json:"go"`
	Commit    string `json:"commit"`
	Nginx     string `json:"nginx"`
	Redis     string `json:"redis"`
	NoFile    uint64 `json:"nofile"`
	// LoadStart and LoadEnd are /proc/loadavg when the scenarios began
	// and ended: other work on the machine skews every figure.
	LoadStart string `json:"loadavg_start"`
	LoadEnd   string `json:"loadavg_end"`
}

func machineFacts(h *harness) machine {
	m := machine{Cores: runtime.NumCPU(), Go: runtime.Version(), NoFile: h.nofile,
		CPU: cpuModel(), Kernel: firstLine("/proc/sys/kernel/osrelease"),
		Commit: command("git", "rev-parse", "--short", "HEAD"),
		Nginx:  command("nginx", "-v"), Redis: command("redis-server", "--version")}
	if m.Nginx == "" {
		m.Nginx = command("/usr/sbin/nginx", "-v")
	}
	m.MemoryGiB = procStatusMem() >> 30
	if m.Commit == "" {
		m.Commit = "unknown"
	}
	if m.Nginx == "" {
		m.Nginx = "not installed"
	}
	return m
}

// writeMarkdown writes rep with the notes of o to o.md, when set.
func writeMarkdown(o options, rep *report) error {
	if o.notes != "" {
		b, err := os.ReadFile(o.notes)
		if err != nil {
			return fmt.Errorf("read notes: %w", err)
		}
		rep.Notes = string(b)
	}
	if o.md == "" {
		return nil
	}
	if err := os.WriteFile(o.md, []byte(rep.markdown()), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// render rewrites the report from saved results.
func render(o options) error {
	b, err := os.ReadFile(o.render)
	if err != nil {
		return fmt.Errorf("read results: %w", err)
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("decode results: %w", err)
	}
	return writeMarkdown(o, &rep)
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	f := strings.Fields(firstLine("/proc/loadavg"))
	return strings.Join(f[:min(3, len(f))], " ")
}
