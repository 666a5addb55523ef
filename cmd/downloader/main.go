// Command downloader fetches public URLs for its clients and hands them
// back raw or converted. `downloader` (or `downloader serve`) runs the HTTP
// service; `downloader get URL` runs the same pipeline once and prints the
// result; `downloader version` prints the build.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"downloader/internal/config"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// timeNow is the clock of the usage report.
var timeNow = time.Now

func main() {
	os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

// errUsage marks a bad command line or setting: exit status 2.
var errUsage = errors.New("usage")

// run is the whole program, separated from main for tests.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, args, stderr)
	case "get":
		err = get(ctx, args, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "downloader", version)
	case "help":
		usage(stderr, newFlags(new(config.Config), "serve"))
	default:
		fmt.Fprintf(stderr, "downloader: unknown command %q (serve, get, version)\n", cmd)
		return 2
	}
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "downloader:", err)
		return 2
	default:
		fmt.Fprintln(stderr, "downloader:", err)
		return 1
	}
}

func newFlags(c *config.Config, name string) *pflag.FlagSet {
	*c = config.Default()
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SortFlags = false
	config.Bind(fs, c)
	return fs
}

// loadConfig reads flags, then DOWNLOADER_* variables, then validates.
func loadConfig(fs *pflag.FlagSet, c *config.Config, args []string, stderr io.Writer) error {
	fs.SetOutput(stderr)
	fs.Usage = func() { usage(stderr, fs) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err
		}
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := config.ApplyEnv(fs, os.LookupEnv); err != nil {
		return fmt.Errorf("%w: %w", errUsage, err)
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%w: bad setting:\n%w", errUsage, err)
	}
	return nil
}

func usage(w io.Writer, fs *pflag.FlagSet) {
	fmt.Fprintf(w, `downloader fetches public URLs and returns them raw or converted.

Usage:
  downloader [serve] [flags]              run the HTTP service
  downloader get URL [--format F] [flags] fetch one URL and print it
  downloader version                      print the version

Every flag can also be set with an environment variable: --max-body is
DOWNLOADER_MAX_BODY. A flag given on the command line wins.

Flags:
%s`, fs.FlagUsages())
}

func errUsagef(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errUsage}, args...)...)
}
