package extract

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// goldenURL is the address the golden pages pretend to come from.
const goldenURL = "https://gazette.example.org/2024/03/tide-clocks?ref=home"

// TestGolden extracts each testdata/golden/NAME.html and compares the
// text, Markdown and metadata with NAME.txt, NAME.md and NAME.meta.
func TestGolden(t *testing.T) {
	inputs, err := filepath.Glob(filepath.Join("testdata", "golden", "*.html"))
	if err != nil || len(inputs) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".html")
		t.Run(name, func(t *testing.T) {
			page, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			u, _ := url.Parse(goldenURL)
			a, err := Extract(context.Background(), page, u, Options{Markdown: true, HTML: true})
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			base := strings.TrimSuffix(in, ".html")
			checkGolden(t, base+".txt", a.Text)
			checkGolden(t, base+".md", a.Markdown)
			checkGolden(t, base+".meta", metaDump(a))
		})
	}
}

// metaDump lists an article's metadata one field a line.
func metaDump(a *Article) string {
	pub := ""
	if !a.Published.IsZero() {
		pub = a.Published.UTC().Format(time.RFC3339)
	}
	return fmt.Sprintf("title: %s\nbyline: %s\nlanguage: %s\ndescription: %s\n"+
		"site: %s\nimage: %s\npublished: %s\n",
		a.Title, a.Byline, a.Language, a.Description, a.SiteName, a.Image, pub)
}

// checkGolden compares got with the golden file, or rewrites it with -update.
func checkGolden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden (run with -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("%s differs\n--- got\n%s\n--- want\n%s", path, got, want)
	}
}
