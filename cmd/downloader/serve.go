package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"downloader/internal/api"
	"downloader/internal/cache"
	"downloader/internal/config"
	"downloader/internal/metrics"
	"downloader/internal/netguard"
)

// serve runs the HTTP service until SIGTERM or SIGINT, then drains.
func serve(ctx context.Context, args []string, stderr io.Writer) error {
	var c config.Config
	fs := newFlags(&c, "serve")
	if err := loadConfig(fs, &c, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: serve takes no arguments, got %q", errUsage, fs.Args())
	}
	if os.Getenv("GOGC") == "" {
		// Conversions allocate a lot per page; collecting half as often
		// takes a third off their tail latency for some more heap.
		debug.SetGCPercent(200)
	}
	log, closeLog := newLogger(&c)
	defer closeLog()
	app, err := build(ctx, &c, log)
	if err != nil {
		return err
	}
	defer app.close()

	if c.DebugListen != "" {
		stop, err := serveDebug(c.DebugListen, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	ln, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", c.Listen, err)
	}
	return runServer(ctx, &c, log, app, ln)
}

// newHTTPServer sets timeouts fit for streaming: headers must come fast,
// idle connections are closed, and writes are bounded per chunk by the
// raw stream (not by a whole-response deadline, which would cut large
// downloads).
func newHTTPServer(c *config.Config, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      c.MaxTimeout + 30*time.Second,
		IdleTimeout:       120 * time.Second,
		// Large enough that an over-long target reaches the handler and
		// gets a problem+json 400 instead of net/http's plain-text 431.
		MaxHeaderBytes: 1 << 20,
		ErrorLog:       slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
}

// runServer serves on ln until a signal, then fails readiness, drains
// in-flight requests within the grace period and stops the workers. A
// second signal exits at once.
func runServer(ctx context.Context, c *config.Config, log *slog.Logger, app *app,
	ln net.Listener) error {
	srv := newHTTPServer(c, app.handler, log)
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sig)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	log.InfoContext(ctx, "serving", slog.String("listen", ln.Addr().String()),
		slog.String("version", version))

	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	case s := <-sig:
		log.InfoContext(ctx, "draining", slog.String("signal", s.String()),
			slog.Duration("grace", c.ShutdownGrace))
	}
	// Fail readiness first and keep serving a moment, so load balancers
	// see the 503 and move away before the listener closes.
	app.api.Drain()
	select {
	case <-time.After(c.ShutdownDelay):
	case <-sig:
		log.WarnContext(ctx, "second signal: skipping the readiness delay")
	}
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), c.ShutdownGrace)
	defer cancel()
	go func() {
		select {
		case <-sig:
			log.WarnContext(ctx, "second signal: exiting now")
			os.Exit(1)
		case <-grace.Done():
		}
	}()
	err := srv.Shutdown(grace)
	if stopErr := app.stop(grace); stopErr != nil {
		err = errors.Join(err, stopErr)
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("shut down: %w", err)
	}
	log.InfoContext(ctx, "stopped")
	return nil
}

// app is the wired service.
type app struct {
	api     *api.Server
	handler http.Handler
	closers []func()
	stops   []func(context.Context) error
}

func (a *app) close() {
	for i := len(a.closers) - 1; i >= 0; i-- {
		a.closers[i]()
	}
}

// stop ends background work (batch workers) within ctx.
func (a *app) stop(ctx context.Context) error {
	var errs []error
	for _, f := range a.stops {
		errs = append(errs, f(ctx))
	}
	return errors.Join(errs...)
}

// build wires every part from the settings.
func build(ctx context.Context, c *config.Config, log *slog.Logger) (*app, error) {
	a := &app{}
	reg := prometheus.NewRegistry()
	m := metrics.New(reg, metrics.Options{Version: version})
	rdb := newRedis(c, log)
	if rdb != nil {
		a.closers = append(a.closers, func() { _ = rdb.Close() })
	}

	guard := newGuard(c, hooks{onBlock: func(r netguard.Reason) { m.SSRFRefusal(r.String()) }})
	fetcher := newFetcher(c, guard, hooks{
		onRetry: m.Retry, onRedirect: m.Redirect,
		onBreaker: breakerGauge(m),
	})
	a.closers = append(a.closers, fetcher.CloseIdleConnections)
	smp := &sampler{m: m}
	svc := newDownload(c, fetcher, cacheStore(c, rdb, smp), cache.Options{
		Logger: log, Hooks: cache.Hooks{OnStoreOp: m.CacheStoreOp},
	})
	svc.OnUpstream = m.Upstream

	mgr, err := newJobs(ctx, c, log, rdb, guard, svc, m, smp)
	if err != nil {
		return nil, err
	}
	sctx, stopSampler := context.WithCancel(ctx)
	go smp.run(sctx)
	a.closers = append(a.closers, stopSampler)
	a.stops = append(a.stops, mgr.Close)

	sec, err := newSecurity(ctx, c, log, rdb, m)
	if err != nil {
		return nil, err
	}
	a.api = api.New(api.Deps{
		Download: svc,
		Logger:   log,
		Observer: m,
		Ready:    redisReady(rdb, c.RedisTimeout),
		Batches: api.Batches{Manager: mgr, Limits: batchLimits(c), Owner: sec.owner,
			OnSubmit: sec.submitted, CheckCallback: checkEntry(guard)},
		Middleware: sec.middleware,
		Routes:     []func(chi.Router){sec.routes, serviceRoutes(c, m)},
	}, api.Options{
		Version:        version,
		DefaultTimeout: c.Timeout,
		MaxTimeout:     c.MaxTimeout,
		MaxBody:        int64(c.MaxBody),
		AccessLog:      c.AccessLog,
	})
	a.handler = a.api.Handler()
	return a, nil
}
