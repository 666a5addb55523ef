package extract

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPageTimes (-ablation) lists the slowest corpus pages for text and
// Markdown, to find what makes the P99. Run it with -cpu 1.
func TestPageTimes(t *testing.T) {
	if !*ablation {
		t.Skip("run with -ablation")
	}
	pages, err := LoadCorpus(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, opts := range []Options{{}, {Markdown: true}} {
		type row struct {
			key  string
			size int
			d    time.Duration
		}
		var rows []row
		for _, p := range pages {
			u, _ := url.Parse(p.URL)
			best := time.Hour
			for range 3 {
				start := cpuTime()
				if _, err := Extract(context.Background(), p.HTML, u, opts); err != nil {
					t.Fatal(err)
				}
				best = min(best, cpuTime()-start)
			}
			rows = append(rows, row{p.Key[:8], len(p.HTML), best})
		}
		slices.SortFunc(rows, func(a, b row) int { return int(b.d - a.d) })
		for _, r := range rows[:6] {
			t.Logf("markdown=%v %s %7d bytes %v", opts.Markdown, r.key, r.size, r.d)
		}
	}
}

var onlyPage = flag.String("page", "", "key prefix of the page BenchmarkOnePage runs")

// BenchmarkOnePage extracts one corpus page (-page KEY) per iteration,
// to profile what makes it slow.
func BenchmarkOnePage(b *testing.B) {
	pages, err := LoadCorpus(corpusDir(b))
	if err != nil {
		b.Fatal(err)
	}
	for _, p := range pages {
		if *onlyPage == "" || !strings.HasPrefix(p.Key, *onlyPage) {
			continue
		}
		u, _ := url.Parse(p.URL)
		for _, md := range []bool{false, true} {
			b.Run(fmt.Sprintf("%s/markdown=%v", p.Key[:8], md), func(b *testing.B) {
				for b.Loop() {
					_, _ = Extract(context.Background(), p.HTML, u, Options{Markdown: md})
				}
			})
		}
		return
	}
	b.Skip("no -page given or no such page")
}

var outDir = flag.String("outdir", "",
	"TestDumpOutputs writes every page's text, Markdown and HTML here")

// TestDumpOutputs (-ablation -outdir DIR) writes the outputs of every
// corpus page, to check that a speed-up changes nothing.
func TestDumpOutputs(t *testing.T) {
	if !*ablation || *outDir == "" {
		t.Skip("run with -ablation -outdir DIR")
	}
	pages, err := LoadCorpus(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pages {
		u, _ := url.Parse(p.URL)
		a, err := Extract(context.Background(), p.HTML, u, Options{Markdown: true, HTML: true})
		if err != nil {
			t.Fatal(err)
		}
		out := fmt.Sprintf("%s\n--- text\n%s\n--- markdown\n%s\n--- html\n%s\n",
			metaDump(a), a.Text, a.Markdown, a.HTML)
		if err := os.WriteFile(filepath.Join(*outDir, p.Key[:8]), []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
