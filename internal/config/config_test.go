package config

import (
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	c := Default()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	Bind(fs, &c)
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	if err := ApplyEnv(fs, lookup); err != nil {
		return c, err
	}
	return c, c.Validate()
}

func TestDefaultsValidate(t *testing.T) {
	c, err := parse(t, nil, nil)
	if err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if c.Listen != "127.0.0.1:8000" || c.MaxBody != 50<<20 || c.MaxRawBody != 2<<30 {
		t.Errorf("unexpected defaults: %+v", c)
	}
}

func TestEnvAndFlags(t *testing.T) {
	env := map[string]string{
		"DOWNLOADER_LISTEN":     ":9000",
		"DOWNLOADER_SSRF_ALLOW": "127.0.0.1/32, ::1",
		"DOWNLOADER_MAX_BODY":   "10MiB",
		"DOWNLOADER_RATELIMIT":  "off",
	}
	c, err := parse(t, []string{"--listen", "127.0.0.1:7000"}, env)
	if err != nil {
		t.Fatal(err)
	}
	if c.Listen != "127.0.0.1:7000" {
		t.Errorf("flag should win over env: listen = %q", c.Listen)
	}
	if len(c.Allow) != 2 || c.Allow[0].String() != "127.0.0.1/32" || c.Allow[1].String() != "::1/128" {
		t.Errorf("allow = %v", c.Allow)
	}
	if c.MaxBody != 10<<20 || c.RateLimit != "off" {
		t.Errorf("env not applied: %+v", c)
	}
}

func TestBadSettings(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"cidr", map[string]string{"DOWNLOADER_SSRF_ALLOW": "10.0.0.0/99"}, "DOWNLOADER_SSRF_ALLOW"},
		{"listen", map[string]string{"DOWNLOADER_LISTEN": "nope"}, "--listen"},
		{"ratelimit", map[string]string{"DOWNLOADER_RATELIMIT": "maybe"}, "DOWNLOADER_RATELIMIT"},
		{"size", map[string]string{"DOWNLOADER_MAX_BODY": "lots"}, "DOWNLOADER_MAX_BODY"},
		{"duration", map[string]string{"DOWNLOADER_TIMEOUT": "soon"}, "DOWNLOADER_TIMEOUT"},
		{"redis", map[string]string{"DOWNLOADER_REDIS_URL": "http://x"}, "DOWNLOADER_REDIS_URL"},
		{"concurrency", map[string]string{"DOWNLOADER_BATCH_CONCURRENCY": "500"},
			"--batch-concurrency"},
		{"ports", map[string]string{"DOWNLOADER_DENY_PORTS": "22,x"}, "--deny-ports"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parse(t, nil, tt.env)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one naming %s", err, tt.want)
			}
		})
	}
}

func TestByteSize(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"1024", 1024}, {"512KiB", 512 << 10}, {"50MiB", 50 << 20}, {"2GiB", 2 << 30},
		{"10MB", 10e6}, {"1g", 1 << 30},
	}
	for _, tt := range tests {
		got, err := ParseByteSize(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseByteSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	b := ByteSize(50 << 20)
	if b.String() != "50MiB" {
		t.Errorf("String = %q", b.String())
	}
	if _, err := ParseByteSize("-1"); err == nil {
		t.Error("negative size accepted")
	}
}
