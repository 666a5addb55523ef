// Command evalextract measures article extraction on a corpus laid out
// like ../shared/corpus/aeb: it runs extract.Extract in-process over every
// page and prints F1, precision and recall by the Article Extraction
// Benchmark's rule (see extract.Score), and with -v the worst pages.
//
//	go run ./cmd/evalextract -corpus ../shared/corpus/aeb [-v] [-worst 20]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime"
	"slices"
	"time"

	"downloader/internal/extract"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "evalextract:", err)
		os.Exit(1)
	}
}

// run parses the flags, evaluates and prints the report to w.
func run(ctx context.Context, args []string, w io.Writer) error {
	fs := flag.NewFlagSet("evalextract", flag.ContinueOnError)
	dir := fs.String("corpus", "../shared/corpus/aeb", "corpus directory")
	verbose := fs.Bool("v", false, "list the worst pages")
	worst := fs.Int("worst", 20, "how many worst pages -v lists")
	noFallback := fs.Bool("no-fallback", false, "turn off the readability/domdistiller fallback")
	if err := fs.Parse(args); err != nil {
		return err
	}
	pages, err := extract.LoadCorpus(*dir)
	if err != nil {
		return fmt.Errorf("load corpus: %w", err)
	}
	opts := extract.Options{NoFallback: *noFallback}
	var firstErr error
	times := make([]time.Duration, 0, len(pages))
	start := time.Now()
	ev := extract.Evaluate(pages, func(p extract.Page) string {
		u, _ := url.Parse(p.URL)
		one := time.Now()
		a, err := extract.Extract(ctx, p.HTML, u, opts)
		times = append(times, time.Since(one))
		if err != nil {
			firstErr = fmt.Errorf("extract %s: %w", p.Key, err)
			return ""
		}
		return a.Text
	})
	if firstErr != nil {
		return firstErr
	}
	elapsed := time.Since(start)
	fmt.Fprintf(w, "%s\n", ev.Summary)
	fmt.Fprintf(w, "time: %v total, %.1f ms/page mean, p50 %.1f ms, p99 %.1f ms "+
		"(GOMAXPROCS=%d)\n", elapsed.Round(time.Millisecond),
		float64(elapsed.Milliseconds())/float64(max(1, len(pages))),
		quantileMS(times, 0.5), quantileMS(times, 0.99), runtime.GOMAXPROCS(0))
	if *verbose {
		printWorst(w, ev, *worst)
	}
	return nil
}

// quantileMS is the q-quantile of times in milliseconds, 0 when empty.
func quantileMS(times []time.Duration, q float64) float64 {
	if len(times) == 0 {
		return 0
	}
	sorted := slices.Clone(times)
	slices.Sort(sorted)
	return float64(sorted[int(q*float64(len(sorted)-1))]) / float64(time.Millisecond)
}

// printWorst lists the n pages with the lowest F1.
func printWorst(w io.Writer, ev extract.Evaluation, n int) {
	fmt.Fprintln(w, "worst pages:")
	for _, p := range ev.Pages[:min(n, len(ev.Pages))] {
		fmt.Fprintf(w, "  %s F1=%.3f P=%.3f R=%.3f %s\n",
			p.Key[:min(12, len(p.Key))], p.F1, p.Precision, p.Recall, p.URL)
	}
}
