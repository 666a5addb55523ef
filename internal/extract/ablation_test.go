package extract

import (
	"context"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

var ablation = flag.Bool("ablation", false, "print corpus scores of pipeline variants")

// corpusDir is the evaluation corpus, found from the module root.
func corpusDir(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Skip("module root not found")
		}
		dir = parent
	}
	c := filepath.Join(dir, "..", "shared", "corpus", "aeb")
	if _, err := os.Stat(filepath.Join(c, "ground-truth.json")); err != nil {
		t.Skipf("corpus not found at %s", c)
	}
	return c
}

// evaluateConfig runs the pipeline cfg over pages.
func evaluateConfig(t testing.TB, pages []Page, cfg config) Evaluation {
	t.Helper()
	return Evaluate(pages, func(p Page) string {
		u, _ := url.Parse(p.URL)
		a, err := extractWith(context.Background(), p.HTML, u, Options{}, cfg)
		if err != nil {
			t.Fatalf("extract %s: %v", p.Key, err)
		}
		return a.Text
	})
}

func TestAblation(t *testing.T) {
	if !*ablation {
		t.Skip("run with -ablation")
	}
	pages, err := LoadCorpus(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range variants() {
		ev := evaluateConfig(t, pages, v.cfg)
		t.Logf("%-40s %s", v.name, ev.Summary)
	}
}

var dumpDir = flag.String("dump", "", "write default pipeline output per page into this directory")

func TestWorst(t *testing.T) {
	if !*ablation {
		t.Skip("run with -ablation")
	}
	pages, err := LoadCorpus(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	ev := Evaluate(pages, func(p Page) string {
		u, _ := url.Parse(p.URL)
		a, _ := extractWith(context.Background(), p.HTML, u, Options{}, defaultConfig())
		if *dumpDir != "" {
			_ = os.WriteFile(filepath.Join(*dumpDir, p.Key[:8]+".got"), []byte(a.Text), 0o644)
			_ = os.WriteFile(filepath.Join(*dumpDir, p.Key[:8]+".want"), []byte(p.Expected), 0o644)
		}
		return a.Text
	})
	for _, w := range ev.Pages[:25] {
		t.Logf("%s P=%.3f R=%.3f F1=%.3f %s", w.Key[:8], w.Precision, w.Recall, w.F1, w.URL)
	}
}
