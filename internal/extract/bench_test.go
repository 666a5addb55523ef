package extract

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"
)

// BenchmarkExtract runs Extract over every corpus page, once per
// iteration, and reports the median and P99 time per page. Run on one
// core with
//
//	go test -run - -bench Extract -benchtime 3x -cpu 1 ./internal/extract
func BenchmarkExtract(b *testing.B) {
	pages, err := LoadCorpus(corpusDir(b))
	if err != nil {
		b.Fatal(err)
	}
	urls := make([]*url.URL, len(pages))
	for i, p := range pages {
		urls[i], _ = url.Parse(p.URL)
	}
	for _, bc := range []struct {
		name string
		opts Options
	}{
		{"text", Options{}},
		{"markdown", Options{Markdown: true}},
		{"text-nofallback", Options{NoFallback: true}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			ctx := context.Background()
			// warm up: the extractors compile their patterns on first use
			_, _ = Extract(ctx, pages[0].HTML, urls[0], bc.opts)
			var times []time.Duration
			b.ResetTimer()
			for b.Loop() {
				for i, p := range pages {
					start := time.Now()
					if _, err := Extract(ctx, p.HTML, urls[i], bc.opts); err != nil {
						b.Fatal(err)
					}
					times = append(times, time.Since(start))
				}
			}
			slices.Sort(times)
			ms := func(q float64) float64 {
				return float64(times[int(q*float64(len(times)-1))]) / float64(time.Millisecond)
			}
			b.ReportMetric(ms(0.5), "ms/page-p50")
			b.ReportMetric(ms(0.99), "ms/page-p99")
			b.ReportMetric(ms(1), "ms/page-max")
			b.ReportMetric(0, "ns/op")
		})
	}
}
