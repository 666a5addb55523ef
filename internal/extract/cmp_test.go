package extract

import (
	"context"
	"flag"
	"net/url"
	"os"
	"path/filepath"
	"testing"
)

var against = flag.String("against", "", "variant to compare with the default")

func TestCompareVariants(t *testing.T) {
	if !*ablation {
		t.Skip("run with -ablation")
	}
	pages, err := LoadCorpus(corpusDir(t))
	if err != nil {
		t.Fatal(err)
	}
	a, b := defaultConfig(), defaultConfig()
	for _, v := range variants() {
		if v.name == *against {
			b = v.cfg
		}
	}
	for _, p := range pages {
		u, _ := url.Parse(p.URL)
		ra, _ := extractWith(context.Background(), p.HTML, u, Options{}, a)
		rb, _ := extractWith(context.Background(), p.HTML, u, Options{}, b)
		var ta, tb Tally
		ta.Add(Score(p.Expected, ra.Text))
		tb.Add(Score(p.Expected, rb.Text))
		fa, fb := ta.Summary().F1, tb.Summary().F1
		if fa-fb > 0.01 || fb-fa > 0.01 {
			t.Logf("%s a=%.3f b=%.3f", p.Key[:8], fa, fb)
			if *dumpDir != "" {
				_ = os.WriteFile(filepath.Join(*dumpDir, p.Key[:8]+".a"), []byte(ra.Text), 0o644)
				_ = os.WriteFile(filepath.Join(*dumpDir, p.Key[:8]+".b"), []byte(rb.Text), 0o644)
			}
		}
	}
}
