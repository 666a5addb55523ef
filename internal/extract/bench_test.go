package extract

import (
	"context"
	"net/url"
	"slices"
	"testing"
	"time"
)

// BenchmarkExtract runs Extract over every corpus page, once per
// iteration, and reports the median, P99 and maximum time per page, wall
// clock (ms/page-*) and CPU time of the process (cpu-ms/page-*, which
// with -cpu 1 is the work of one core, whatever else loads the machine).
// Run on one core with
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
			var wall, cpu []time.Duration
			var slow []sample
			b.ResetTimer()
			for b.Loop() {
				for i, p := range pages {
					start, startCPU := time.Now(), cpuTime()
					if _, err := Extract(ctx, p.HTML, urls[i], bc.opts); err != nil {
						b.Fatal(err)
					}
					wall = append(wall, time.Since(start))
					cpu = append(cpu, cpuTime()-startCPU)
					slow = append(slow, sample{p.Key[:8], cpu[len(cpu)-1]})
				}
			}
			slices.SortFunc(slow, func(x, y sample) int { return int(y.d - x.d) })
			for _, s := range slow[:min(6, len(slow))] {
				b.Logf("slow: %s %.1f cpu-ms", s.key, float64(s.d)/float64(time.Millisecond))
			}
			reportQuantiles(b, "ms/page", wall)
			reportQuantiles(b, "cpu-ms/page", cpu)
			b.ReportMetric(0, "ns/op")
		})
	}
}

// sample is the CPU time of one extraction.
type sample struct {
	key string
	d   time.Duration
}

// reportQuantiles reports the median, P99 and maximum of times in ms.
func reportQuantiles(b *testing.B, unit string, times []time.Duration) {
	b.Helper()
	slices.Sort(times)
	ms := func(q float64) float64 {
		return float64(times[int(q*float64(len(times)-1))]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(0.5), unit+"-p50")
	b.ReportMetric(ms(0.99), unit+"-p99")
	b.ReportMetric(ms(1), unit+"-max")
}
