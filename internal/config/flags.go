package config

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// EnvPrefix starts every environment variable of the service.
const EnvPrefix = "DOWNLOADER_"

// EnvName is the environment variable read for a flag: --max-body is
// DOWNLOADER_MAX_BODY.
func EnvName(flag string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// Bind registers one flag per setting on fs, writing into c. Call it on a
// Config filled by [Default] so the help shows the defaults.
func Bind(fs *pflag.FlagSet, c *Config) {
	fs.StringVar(&c.Listen, "listen", c.Listen, "address to serve on (host:port)")
	fs.DurationVar(&c.ShutdownGrace, "shutdown-grace", c.ShutdownGrace,
		"time to drain in-flight requests after SIGTERM/SIGINT")
	fs.DurationVar(&c.ShutdownDelay, "shutdown-delay", c.ShutdownDelay,
		"after SIGTERM, /ready answers 503 this long before the listener closes")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info, warn or error")
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "json, or text for a terminal")
	fs.BoolVar(&c.AccessLog, "access-log", c.AccessLog, "log one line per request")
	fs.StringVar(&c.DebugListen, "debug-listen", c.DebugListen,
		"serve Go's pprof profiles on this host:port (keep it private; empty: off)")

	fs.StringVar(&c.SSRFAllow, "ssrf-allow", c.SSRFAllow,
		"comma-separated CIDRs that may be dialled although internal (e.g. 127.0.0.1/32)")
	fs.StringVar(&c.SSRFDeny, "ssrf-deny", c.SSRFDeny, "comma-separated CIDRs never dialled")
	fs.StringVar(&c.AllowPorts, "allow-ports", c.AllowPorts,
		"comma-separated upstream ports allowed (empty: any)")
	fs.StringVar(&c.DenyPorts, "deny-ports", c.DenyPorts, "comma-separated upstream ports refused")
	fs.StringVar(&c.AllowDomains, "allow-domains", c.AllowDomains,
		"only these domains and their subdomains may be fetched (empty: any)")
	fs.StringVar(&c.DenyDomains, "deny-domains", c.DenyDomains,
		"these domains and their subdomains are refused")

	fs.StringVar(&c.UserAgent, "user-agent", c.UserAgent, "User-Agent sent upstream")
	fs.DurationVar(&c.ConnectTimeout, "connect-timeout", c.ConnectTimeout,
		"upstream connect timeout")
	fs.DurationVar(&c.HeaderTimeout, "header-timeout", c.HeaderTimeout,
		"wait for the upstream's response headers")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout,
		"whole upstream exchange, redirects and retries included")
	fs.DurationVar(&c.MaxTimeout, "max-timeout", c.MaxTimeout, "largest X-Timeout a client may ask")
	fs.IntVar(&c.MaxRedirects, "max-redirects", c.MaxRedirects, "redirects followed")
	fs.IntVar(&c.Retries, "retries", c.Retries,
		"retries for connection failures and 429/502/503/504")
	fs.Var(&c.MaxBody, "max-body", "largest body converted or cached (after decompression)")
	fs.Var(&c.MaxRawBody, "max-raw-body", "largest raw stream (after decompression)")
	fs.Var(&c.MaxHeaderBytes, "max-header-bytes", "largest upstream response header block")

	fs.StringVar(&c.RedisURL, "redis-url", c.RedisURL,
		"redis://host:6379/0 to share cache, limits and jobs between instances")
	fs.DurationVar(&c.RedisTimeout, "redis-timeout", c.RedisTimeout, "per Redis operation")

	fs.BoolVar(&c.Cache, "cache", c.Cache, "cache upstream responses")
	fs.Var(&c.CacheMaxBytes, "cache-max-bytes", "memory cache size")
	fs.Var(&c.CacheMaxEntry, "cache-max-entry", "largest body kept in the cache")

	fs.StringVar(&c.RateLimit, "ratelimit", c.RateLimit, "on or off")
	fs.StringVar(&c.RateLimitTiers, "ratelimit-tiers", c.RateLimitTiers,
		"per route class, e.g. download=60/m,batch=20/m,read=200/m,other=100/m,batch_urls=1000/m")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies,
		"CIDRs of proxies whose X-Forwarded-For/Forwarded is believed")

	fs.StringVar(&c.APIKeys, "api-keys", c.APIKeys, "name:key[:tier] pairs, comma-separated")
	fs.StringVar(&c.APIKeysFile, "api-keys-file", c.APIKeysFile,
		"JSON or YAML key file (re-read on SIGHUP)")
	fs.StringVar(&c.Key, "key", c.Key, "one API key, named default")
	fs.StringVar(&c.MetricsKey, "metrics-key", c.MetricsKey,
		"bearer token /metrics requires (empty: open)")

	bindBatch(fs, c)
}

func bindBatch(fs *pflag.FlagSet, c *Config) {
	fs.IntVar(&c.BatchMaxURLs, "batch-max-urls", c.BatchMaxURLs, "URLs per batch")
	fs.Var(&c.BatchMaxBody, "batch-max-body", "largest POST /batch body")
	fs.IntVar(&c.BatchConcurrency, "batch-concurrency", c.BatchConcurrency,
		"default concurrency of a batch (at most 100)")
	fs.IntVar(&c.BatchHostLimit, "batch-host-limit", c.BatchHostLimit,
		"concurrent batch fetches per upstream host:port")
	fs.IntVar(&c.BatchInFlight, "batch-inflight", c.BatchInFlight,
		"concurrent batch fetches per instance")
	fs.DurationVar(&c.JobTTL, "job-ttl", c.JobTTL, "how long jobs and results are kept")
	fs.Var(&c.JobResultBytes, "job-result-bytes", "stored result bytes per job")
	fs.StringVar(&c.CallbackSecret, "callback-secret", c.CallbackSecret,
		"default HMAC key for batch callbacks")
	fs.DurationVar(&c.VisibilityTimeout, "visibility-timeout", c.VisibilityTimeout,
		"idle time after which another instance reclaims a batch task (Redis)")
}

// ApplyEnv sets every flag not given on the command line from its
// DOWNLOADER_* variable. lookup is usually os.LookupEnv.
func ApplyEnv(fs *pflag.FlagSet, lookup func(string) (string, bool)) error {
	if lookup == nil {
		lookup = os.LookupEnv
	}
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		if err != nil || f.Changed {
			return
		}
		v, ok := lookup(EnvName(f.Name))
		if !ok {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("%s: %w", EnvName(f.Name), e)
		}
	})
	return err
}

// ByteSize is a size setting that accepts 1048576, 512KiB, 50MiB, 2GiB,
// 10MB (decimal) and so on.
type ByteSize int64

// String renders the size in the largest exact binary unit.
func (b ByteSize) String() string {
	n := int64(b)
	for _, u := range []struct {
		s string
		v int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.v && n%u.v == 0 {
			return strconv.FormatInt(n/u.v, 10) + u.s
		}
	}
	return strconv.FormatInt(n, 10)
}

// Set parses a size.
func (b *ByteSize) Set(s string) error {
	n, err := ParseByteSize(s)
	if err != nil {
		return err
	}
	*b = ByteSize(n)
	return nil
}

// Type names the value in --help.
func (b *ByteSize) Type() string { return "size" }

var units = []struct {
	suffix string
	mult   int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9},
	{"k", 1 << 10}, {"m", 1 << 20}, {"g", 1 << 30}, {"b", 1},
}

// ParseByteSize reads a size with an optional unit.
func ParseByteSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	mult := int64(1)
	for _, u := range units {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q (want e.g. 50MiB)", s)
	}
	return n * mult, nil
}
