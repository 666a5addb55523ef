package main

import (
	"log/slog"
	"net/url"
	"os"
	"strings"
	"time"

	"downloader/internal/cache"
	"downloader/internal/config"
	"downloader/internal/download"
	"downloader/internal/fetch"
	"downloader/internal/metrics"
	"downloader/internal/netguard"
)

// hooks receive the events of the lower layers (metrics); nil fields are
// skipped.
type hooks struct {
	onBlock    func(netguard.Reason)
	onRetry    func()
	onRedirect func()
	onBreaker  func(from, to string)
}

// newGuard builds the SSRF guard of the configured policy.
func newGuard(c *config.Config, h hooks) *netguard.Guard {
	return &netguard.Guard{
		Policy: netguard.Policy{
			Allow:        c.Allow,
			Deny:         c.Deny,
			AllowPorts:   c.PortsAllow,
			DenyPorts:    c.PortsDeny,
			AllowDomains: config.SplitList(c.AllowDomains),
			DenyDomains:  config.SplitList(c.DenyDomains),
		},
		OnBlock: h.onBlock,
	}
}

// newFetcher builds the upstream client, dialling through the guard.
func newFetcher(c *config.Config, g *netguard.Guard, h hooks) *fetch.Client {
	opts := fetch.Options{
		DialContext:    g.DialContext,
		UserAgent:      c.UserAgent,
		ConnectTimeout: c.ConnectTimeout,
		HeaderTimeout:  c.HeaderTimeout,
		Timeout:        c.Timeout,
		MaxRedirects:   c.MaxRedirects,
		MaxHeaderBytes: int64(c.MaxHeaderBytes),
		Retries:        c.Retries,
	}
	if c.Retries == 0 {
		opts.Retries = -1
	}
	if h.onRetry != nil {
		opts.OnRetry = func(string, int, time.Duration, error) { h.onRetry() }
	}
	if h.onRedirect != nil {
		opts.OnRedirect = func(_, _ *url.URL, _ int) { h.onRedirect() }
	}
	if h.onBreaker != nil {
		opts.OnBreakerChange = func(_, from, to string) { h.onBreaker(from, to) }
	}
	return fetch.New(opts)
}

// newDownload builds the single-URL pipeline over a store (nil: no cache).
func newDownload(c *config.Config, f *fetch.Client, store cache.Store,
	copts cache.Options) *download.Service {
	s := &download.Service{
		Fetch:         f,
		MaxBody:       int64(c.MaxBody),
		MaxRawBody:    int64(c.MaxRawBody),
		CacheMaxEntry: int64(c.CacheMaxEntry),
		Extractor:     download.NewExtractor(0),
		Renders:       download.NewRenders(64 << 20),
	}
	if c.Cache && store != nil {
		copts.MaxEntryBytes = int64(c.CacheMaxEntry)
		s.Cache = cache.New(store, copts)
	}
	return s
}

// newLogger builds the process logger of the configured level and
// format, writing to a buffered stderr; close flushes it.
func newLogger(c *config.Config) (log *slog.Logger, close func()) {
	var level slog.Level
	_ = level.UnmarshalText([]byte(strings.ToUpper(c.LogLevel)))
	opts := &slog.HandlerOptions{Level: level}
	out := newBufferedLog(os.Stderr)
	if c.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(out, opts)), func() { _ = out.Close() }
	}
	return slog.New(slog.NewJSONHandler(out, opts)), func() { _ = out.Close() }
}

// breakerGauge counts the hosts whose breaker is open or half-open; closed
// breakers are the unremarkable rest (and are evicted when idle), so they
// are not counted.
func breakerGauge(m *metrics.Metrics) func(from, to string) {
	name := func(s string) string { return strings.ReplaceAll(s, "-", "_") }
	return func(from, to string) {
		if from != "closed" {
			m.BreakerState(name(from), -1)
		}
		if to != "closed" {
			m.BreakerState(name(to), 1)
		}
	}
}
