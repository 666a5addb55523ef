// Package config holds the service's settings: plain data with defaults,
// one flag and one DOWNLOADER_* environment variable per setting, and a
// Validate whose errors name the flag to change.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Config is every setting of the service. [Default] gives the values a
// fresh start uses; [Bind] registers one flag per field, and [ApplyEnv]
// reads the DOWNLOADER_* variable derived from each flag's name.
type Config struct {
	Listen        string        // --listen: host:port; default 127.0.0.1:8000
	ShutdownGrace time.Duration // --shutdown-grace: drain time after SIGTERM; default 30s
	ShutdownDelay time.Duration // --shutdown-delay: /ready fails this long first; 2s
	LogLevel      string        // --log-level: debug, info, warn, error; default info
	LogFormat     string        // --log-format: json or text; default json
	AccessLog     bool          // --access-log: one line per request; default true
	DebugListen   string        // --debug-listen: pprof on host:port when set; default off

	SSRFAllow    string // --ssrf-allow: CIDRs that may be dialled although internal
	SSRFDeny     string // --ssrf-deny: extra CIDRs that are never dialled
	AllowPorts   string // --allow-ports: upstream ports allowed; empty = any
	DenyPorts    string // --deny-ports: upstream ports refused
	AllowDomains string // --allow-domains: only these domains (and subdomains)
	DenyDomains  string // --deny-domains: never these domains (and subdomains)

	UserAgent      string        // --user-agent
	ConnectTimeout time.Duration // --connect-timeout; default 5s
	HeaderTimeout  time.Duration // --header-timeout; default 10s
	Timeout        time.Duration // --timeout: whole exchange; default 30s
	MaxTimeout     time.Duration // --max-timeout: ceiling for X-Timeout; default 120s
	MaxRedirects   int           // --max-redirects; default 10
	Retries        int           // --retries; default 2 (0 disables)
	MaxBody        ByteSize      // --max-body: converted or cached bodies; default 50MiB
	MaxRawBody     ByteSize      // --max-raw-body: raw streams; default 2GiB
	MaxHeaderBytes ByteSize      // --max-header-bytes: upstream headers; default 1MiB

	RedisURL     string        // --redis-url: shared state in Redis when set
	RedisTimeout time.Duration // --redis-timeout: per operation; default 100ms

	Cache         bool     // --cache: cache upstream responses; default true
	CacheMaxBytes ByteSize // --cache-max-bytes: memory cache total; default 256MiB
	CacheMaxEntry ByteSize // --cache-max-entry: largest cached body; default 10MiB

	RateLimit      string // --ratelimit: on or off; default on
	RateLimitTiers string // --ratelimit-tiers: class=N/period list
	TrustedProxies string // --trusted-proxies: CIDRs whose X-Forwarded-For is believed

	APIKeys     string // --api-keys: name:key[:tier] pairs
	APIKeysFile string // --api-keys-file: JSON or YAML key file, re-read on SIGHUP
	Key         string // --key: one key named "default"
	MetricsKey  string // --metrics-key: bearer token that /metrics requires when set

	BatchMaxURLs      int           // --batch-max-urls; default 100
	BatchMaxBody      ByteSize      // --batch-max-body; default 1MiB
	BatchConcurrency  int           // --batch-concurrency: default per batch; 20
	BatchHostLimit    int           // --batch-host-limit: per host:port; default 10
	BatchInFlight     int           // --batch-inflight: per instance; default 200
	JobTTL            time.Duration // --job-ttl; default 24h
	JobResultBytes    ByteSize      // --job-result-bytes: stored results per job; 256MiB
	CallbackSecret    string        // --callback-secret: default webhook signing key
	VisibilityTimeout time.Duration // --visibility-timeout: Redis task reclaim; 60s

	// Derived by Validate.
	Allow, Deny []netip.Prefix
	Trusted     []netip.Prefix
	PortsAllow  []uint16
	PortsDeny   []uint16
}

// Default returns the settings of a fresh start.
func Default() Config {
	return Config{
		Listen:            "127.0.0.1:8000",
		ShutdownGrace:     30 * time.Second,
		ShutdownDelay:     2 * time.Second,
		LogLevel:          "info",
		LogFormat:         "json",
		AccessLog:         true,
		UserAgent:         "downloader/1.0 (+https://github.com/downloader)",
		ConnectTimeout:    5 * time.Second,
		HeaderTimeout:     10 * time.Second,
		Timeout:           30 * time.Second,
		MaxTimeout:        120 * time.Second,
		MaxRedirects:      10,
		Retries:           2,
		MaxBody:           50 << 20,
		MaxRawBody:        2 << 30,
		MaxHeaderBytes:    1 << 20,
		RedisTimeout:      100 * time.Millisecond,
		Cache:             true,
		CacheMaxBytes:     256 << 20,
		CacheMaxEntry:     10 << 20,
		RateLimit:         "on",
		BatchMaxURLs:      100,
		BatchMaxBody:      1 << 20,
		BatchConcurrency:  20,
		BatchHostLimit:    10,
		BatchInFlight:     200,
		JobTTL:            24 * time.Hour,
		JobResultBytes:    256 << 20,
		VisibilityTimeout: 60 * time.Second,
	}
}

// Validate checks every setting and fills the derived fields. Its errors
// name the flag and the environment variable to change.
func (c *Config) Validate() error {
	var errs []error
	bad := func(flag, format string, args ...any) {
		errs = append(errs, fmt.Errorf("--%s (%s): %s", flag, EnvName(flag),
			fmt.Sprintf(format, args...)))
	}
	if _, port, err := net.SplitHostPort(c.Listen); err != nil {
		bad("listen", "want host:port, got %q", c.Listen)
	} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		bad("listen", "want a port from 0 to 65535, got %q", port)
	}
	var err error
	if c.Allow, err = ParsePrefixes(c.SSRFAllow); err != nil {
		bad("ssrf-allow", "%v", err)
	}
	if c.Deny, err = ParsePrefixes(c.SSRFDeny); err != nil {
		bad("ssrf-deny", "%v", err)
	}
	if c.Trusted, err = ParsePrefixes(c.TrustedProxies); err != nil {
		bad("trusted-proxies", "%v", err)
	}
	if c.PortsAllow, err = parsePorts(c.AllowPorts); err != nil {
		bad("allow-ports", "%v", err)
	}
	if c.PortsDeny, err = parsePorts(c.DenyPorts); err != nil {
		bad("deny-ports", "%v", err)
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil ||
			(u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			bad("redis-url", "want redis://host:port/db, got %q", c.RedisURL)
		}
	}
	switch c.RateLimit {
	case "on", "off":
	default:
		bad("ratelimit", "want on or off, got %q", c.RateLimit)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("log-level", "want debug, info, warn or error, got %q", c.LogLevel)
	}
	switch c.LogFormat {
	case "json", "text":
	default:
		bad("log-format", "want json or text, got %q", c.LogFormat)
	}
	errs = append(errs, c.validateNumbers()...)
	return errors.Join(errs...)
}

func (c *Config) validateNumbers() []error {
	const positive = "want a value above 0"
	checks := []struct {
		flag string
		ok   bool
		got  any
		want string
	}{
		{"connect-timeout", c.ConnectTimeout > 0, c.ConnectTimeout, positive},
		{"header-timeout", c.HeaderTimeout > 0, c.HeaderTimeout, positive},
		{"timeout", c.Timeout > 0, c.Timeout, positive},
		{"max-timeout", c.MaxTimeout >= c.Timeout, c.MaxTimeout,
			"want at least --timeout (" + c.Timeout.String() + ")"},
		{"max-redirects", c.MaxRedirects >= 0, c.MaxRedirects, "want 0 or more"},
		{"retries", c.Retries >= 0, c.Retries, "want 0 or more"},
		{"max-body", c.MaxBody > 0, c.MaxBody, positive},
		{"max-raw-body", c.MaxRawBody > 0, c.MaxRawBody, positive},
		{"max-header-bytes", c.MaxHeaderBytes > 0, c.MaxHeaderBytes, positive},
		{"redis-timeout", c.RedisTimeout > 0, c.RedisTimeout, positive},
		{"cache-max-bytes", c.CacheMaxBytes > 0, c.CacheMaxBytes, positive},
		{"cache-max-entry", c.CacheMaxEntry > 0 && c.CacheMaxEntry <= c.CacheMaxBytes,
			c.CacheMaxEntry, "want above 0 and at most --cache-max-bytes"},
		{"batch-max-urls", c.BatchMaxURLs > 0, c.BatchMaxURLs, positive},
		{"batch-max-body", c.BatchMaxBody > 0, c.BatchMaxBody, positive},
		{"batch-concurrency", c.BatchConcurrency > 0 && c.BatchConcurrency <= 100,
			c.BatchConcurrency, "want 1 to 100"},
		{"batch-host-limit", c.BatchHostLimit > 0, c.BatchHostLimit, positive},
		{"batch-inflight", c.BatchInFlight > 0, c.BatchInFlight, positive},
		{"job-ttl", c.JobTTL > 0, c.JobTTL, positive},
		{"job-result-bytes", c.JobResultBytes > 0, c.JobResultBytes, positive},
		{"visibility-timeout", c.VisibilityTimeout > 0, c.VisibilityTimeout, positive},
		{"shutdown-grace", c.ShutdownGrace >= 0, c.ShutdownGrace, "want 0 or more"},
		{"shutdown-delay", c.ShutdownDelay >= 0, c.ShutdownDelay, "want 0 or more"},
	}
	var errs []error
	for _, p := range checks {
		if !p.ok {
			errs = append(errs, fmt.Errorf("--%s (%s): got %v, %s",
				p.flag, EnvName(p.flag), p.got, p.want))
		}
	}
	return errs
}

// ParsePrefixes reads comma-separated CIDRs or bare addresses.
func ParsePrefixes(csv string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range splitList(csv) {
		if strings.Contains(f, "/") {
			p, err := netip.ParsePrefix(f)
			if err != nil {
				return nil, fmt.Errorf("parse CIDR %q: %w", f, err)
			}
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("parse address %q: %w", f, err)
		}
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func parsePorts(csv string) ([]uint16, error) {
	var out []uint16
	for _, f := range splitList(csv) {
		n, err := strconv.ParseUint(f, 10, 16)
		if err != nil || n == 0 {
			return nil, fmt.Errorf("bad port %q", f)
		}
		out = append(out, uint16(n))
	}
	return out, nil
}

// SplitList splits a comma-separated setting, trimming blanks.
func SplitList(csv string) []string { return splitList(csv) }

func splitList(csv string) []string {
	var out []string
	for _, f := range strings.Split(csv, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}
