package extract

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html/charset"
)

// Page is one page of an evaluation corpus.
type Page struct {
	// Key names the page: html/KEY.html.gz in the corpus directory.
	Key string
	// URL is the page's original address.
	URL string
	// Expected is the hand-checked article text.
	Expected string
	// HTML is the page converted to UTF-8 from the charset it declares.
	HTML []byte
}

// groundTruth is one entry of ground-truth.json.
type groundTruth struct {
	URL         string `json:"url"`
	ArticleBody string `json:"articleBody"`
}

// LoadCorpus reads a corpus laid out like ../shared/corpus/aeb:
// ground-truth.json (KEY -> url, articleBody) and html/KEY.html.gz. Pages
// come back sorted by key, converted to UTF-8.
func LoadCorpus(dir string) ([]Page, error) {
	raw, err := os.ReadFile(filepath.Join(dir, "ground-truth.json"))
	if err != nil {
		return nil, fmt.Errorf("read ground truth: %w", err)
	}
	var truth map[string]groundTruth
	if err := json.Unmarshal(raw, &truth); err != nil {
		return nil, fmt.Errorf("decode ground truth: %w", err)
	}
	pages := make([]Page, 0, len(truth))
	for key, gt := range truth {
		body, err := readPage(filepath.Join(dir, "html", key+".html.gz"))
		if err != nil {
			return nil, err
		}
		pages = append(pages, Page{
			Key: key, URL: gt.URL, Expected: gt.ArticleBody, HTML: body,
		})
	}
	sort.Slice(pages, func(i, j int) bool { return pages[i].Key < pages[j].Key })
	return pages, nil
}

// readPage reads one gzipped page and converts it to UTF-8, sniffing the
// charset from a BOM or <meta> as a browser would.
func readPage(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open page: %w", err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("open gzip %s: %w", filepath.Base(path), err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("read gzip %s: %w", filepath.Base(path), err)
	}
	return ToUTF8(raw, "text/html")
}

// ToUTF8 converts an HTML document to UTF-8. A BOM or a charset in
// contentType is trusted; otherwise a page whose bytes are valid UTF-8 is
// taken as UTF-8 (legacy encodings almost never produce valid UTF-8 with
// non-ASCII text, while many UTF-8 pages declare their charset late or
// not at all), and the rest follow the <meta> prescan of the HTML spec,
// windows-1252 by default.
func ToUTF8(page []byte, contentType string) ([]byte, error) {
	enc, name, certain := charset.DetermineEncoding(page, contentType)
	if !certain && utf8.Valid(page) || name == "utf-8" {
		return page, nil
	}
	out, err := io.ReadAll(enc.NewDecoder().Reader(bytes.NewReader(page)))
	if err != nil {
		return nil, fmt.Errorf("convert charset %s: %w", name, err)
	}
	return out, nil
}

// Worst is one page of an [Evaluation], with its own precision and recall.
type Worst struct {
	Key       string
	URL       string
	Precision float64
	Recall    float64
	F1        float64
}

// Evaluation is the result of running an extractor over a corpus.
type Evaluation struct {
	Summary Summary
	// Pages lists every page, worst F1 first.
	Pages []Worst
}

// Evaluate scores produce(page) against each page's expected text.
func Evaluate(pages []Page, produce func(Page) string) Evaluation {
	var t Tally
	ev := Evaluation{Pages: make([]Worst, 0, len(pages))}
	for _, p := range pages {
		tp, fp, fn := Score(p.Expected, produce(p))
		t.Add(tp, fp, fn)
		ev.Pages = append(ev.Pages, pageResult(p, tp, fp, fn))
	}
	ev.Summary = t.Summary()
	sort.SliceStable(ev.Pages, func(i, j int) bool {
		return ev.Pages[i].F1 < ev.Pages[j].F1
	})
	return ev
}

// pageResult is the per-page view of one score.
func pageResult(p Page, tp, fp, fn float64) Worst {
	var one Tally
	one.Add(tp, fp, fn)
	s := one.Summary()
	return Worst{
		Key: p.Key, URL: p.URL, Precision: s.Precision, Recall: s.Recall, F1: s.F1,
	}
}

// String formats a summary as one line.
func (s Summary) String() string {
	return strings.TrimSpace(fmt.Sprintf("pages=%d F1=%.4f precision=%.4f recall=%.4f",
		s.Pages, s.F1, s.Precision, s.Recall))
}
