package extract

import (
	"context"
	"net/url"
	"runtime"
	"sync"
	"testing"
)

// minF1 is the quality floor on the corpus: the published go-trafilatura
// figure on the whole benchmark.
const minF1 = 0.960

// TestCorpusQuality runs Extract over the corpus and fails when F1 drops
// below minF1. Under -race (about ten times slower) or -short it runs
// every eighth page and only checks that each extraction works and the
// subset stays above a looser floor; the full figure is checked in the
// ordinary run.
func TestCorpusQuality(t *testing.T) {
	pages, err := LoadCorpus(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	floor := minF1
	if raceEnabled || testing.Short() {
		pages, floor = everyNth(pages, 8), 0.94
	}
	texts := extractAll(t, pages)
	ev := Evaluate(pages, func(p Page) string { return texts[p.Key] })
	t.Logf("%s", ev.Summary)
	for _, w := range ev.Pages[:min(5, len(ev.Pages))] {
		t.Logf("worst: %s F1=%.3f %s", w.Key[:8], w.F1, w.URL)
	}
	if ev.Summary.F1 < floor {
		t.Errorf("F1 = %.4f, want >= %.3f", ev.Summary.F1, floor)
	}
}

// everyNth keeps pages 0, n, 2n, ...
func everyNth(pages []Page, n int) []Page {
	var out []Page
	for i := 0; i < len(pages); i += n {
		out = append(out, pages[i])
	}
	return out
}

// extractAll extracts the text of every page, on all CPUs at once (which
// also shows Extract is safe to call concurrently).
func extractAll(t *testing.T, pages []Page) map[string]string {
	t.Helper()
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  = make(map[string]string, len(pages))
		next = make(chan Page)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range next {
				u, _ := url.Parse(p.URL)
				a, err := Extract(context.Background(), p.HTML, u, Options{Markdown: true})
				if err != nil {
					t.Errorf("extract %s: %v", p.Key, err)
					continue
				}
				mu.Lock()
				out[p.Key] = a.Text
				mu.Unlock()
			}
		}()
	}
	for _, p := range pages {
		next <- p
	}
	close(next)
	wg.Wait()
	return out
}
