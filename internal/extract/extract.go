package extract

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	trafilatura "github.com/markusmobius/go-trafilatura"
	"golang.org/x/net/html"

	"downloader/internal/problem"
)

// Options selects the work [Extract] does. The zero value extracts the
// article text and metadata only.
type Options struct {
	// Markdown also renders the article as Markdown in [Article.Markdown].
	Markdown bool
	// HTML also returns the cleaned article HTML in [Article.HTML].
	HTML bool
	// NoFallback turns off the second opinion of go-readability and
	// go-domdistiller when trafilatura finds little or doubtful text. The
	// fallback is on by default: it rescues the pages trafilatura gets
	// wrong, and as it runs only when it could change the result it costs
	// about 1 ms a page at the median.
	NoFallback bool
}

// Article is the main content of a page and its metadata.
type Article struct {
	Title       string
	Byline      string
	Language    string
	Description string
	SiteName    string
	Image       string
	// Published is the publication time; zero when unknown.
	Published time.Time
	// Text is the main article text, paragraphs separated by blank lines.
	Text string
	// Markdown is the article as Markdown, only with [Options.Markdown].
	// Links and images are absolute, resolved against <base href> when the
	// page has one and against the page URL otherwise.
	Markdown string
	// HTML is the cleaned article HTML, only with [Options.HTML].
	HTML string
}

// Extract finds the main article of page, an HTML document already
// converted to UTF-8, fetched from pageURL (nil when unknown). A page with
// no recognisable article returns its main region, rendered as a whole
// (empty when it has no text); a page nested too deep for the parser is
// read flattened. An error is returned only when the context ends
// (wrapping [problem.UpstreamTimeout]) or the extractor itself breaks
// ([problem.Internal]).
func Extract(ctx context.Context, page []byte, pageURL *url.URL, opts Options) (*Article, error) {
	return extractWith(ctx, page, pageURL, opts, defaultConfig())
}

// config holds the tuning knobs of the extraction pipeline, so tests can
// measure each idea on and off.
type config struct {
	focus    trafilatura.ExtractionFocus
	fallback bool
	// lazyReadability runs go-readability only when it could win, on
	// pages of at most readabilityElems elements (0: any)
	lazyReadability  bool
	readabilityElems int
	// pruneInert drops comments, scripts and styles before the extractors
	pruneInert bool
	ownText    bool
	dateMode   trafilatura.HtmlDateMode
	links      bool // keep links and images in the content tree
	// paragraph filters, see cleanBlocks
	dedup, lead, leadDesc, leadDate, phrases, linkRuns, tail bool
	// wholePage is set for a page rendered as a whole (see findContent):
	// when the filters would leave nothing, its paragraphs are kept
	wholePage bool
}

// defaultConfig is the pipeline that measured best on the corpus.
func defaultConfig() config {
	return config{
		focus:            trafilatura.Balanced,
		fallback:         true,
		lazyReadability:  true,
		readabilityElems: 800,
		pruneInert:       true,
		ownText:          true,
		dateMode:         trafilatura.Disabled,
		links:            false,
		dedup:            false, lead: true, leadDesc: false, leadDate: true,
		phrases: true, linkRuns: true, tail: true,
	}
}

// extractWith is [Extract] with explicit tuning.
func extractWith(ctx context.Context, page []byte, pageURL *url.URL, opts Options,
	cfg config) (art *Article, err error) {
	if err := ctx.Err(); err != nil {
		return nil, problem.Wrap(problem.UpstreamTimeout, err, "extraction cancelled")
	}
	defer func() {
		// the extractors are third-party code run on hostile input
		if r := recover(); r != nil {
			art, err = nil, problem.Wrap(problem.Internal, fmt.Errorf("%v", r),
				"extract article")
		}
	}()
	doc, err := parsePage(page)
	if err != nil {
		return nil, problem.Wrap(problem.Internal, err, "parse page")
	}
	if opts.NoFallback {
		cfg.fallback = false
	}
	meta := metaOf(doc, pageURL)
	art = articleOf(meta)
	base := baseURL(doc, pageURL)
	// trafilatura resolves links against the page, not <base>, and not as
	// RFC 3986 does: hand it absolute ones
	absolutize(doc, base)
	if cfg.pruneInert {
		pruneInert(doc)
	}
	// before trafilatura, which edits the tree it is given
	hints := pageHintsOf(doc, meta)
	var rich map[string]*html.Node
	if opts.Markdown || opts.HTML {
		rich = indexRichLeaves(doc)
	}
	content, cfg := findContent(doc, pageURL, art, cfg)
	if content == nil {
		return art, ctxErr(ctx)
	}
	fixCodeBlocks(content)
	blocks := blocksOf(content)
	kept := cleanBlocks(blocks, hints, cfg)
	if cfg.wholePage && len(kept) == 0 {
		kept = blocks // a page of furniture only: that is what it says
	}
	art.Text = strings.Join(kept, "\n\n")
	if !cfg.ownText {
		art.Text = strings.TrimSpace(nodeText(content))
	}
	if opts.Markdown || opts.HTML {
		restoreInline(content, rich)
		if err := renderArticle(ctx, art, content, blocks, kept, hints, opts); err != nil {
			return nil, err
		}
	}
	return art, ctxErr(ctx)
}

// findContent finds the article of doc with trafilatura, filling the
// metadata it finds into art, or renders the page's main region when
// trafilatura finds no article or the page is too large for it (see
// page.go). For a page rendered as a whole the returned config keeps
// only the furniture filter: its headline belongs to it.
func findContent(doc *html.Node, pageURL *url.URL, art *Article,
	cfg config) (*html.Node, config) {
	if paragraphWork(doc) <= maxParagraphWork {
		content, tm, baseline := runTrafilatura(doc, pageURL, cfg)
		mergeMeta(art, tm)
		if content != nil && !baseline {
			return content, cfg
		}
	}
	// its menus and asides are gone with the chrome; lists of links in
	// its main region are its content
	cfg.lead, cfg.linkRuns, cfg.tail, cfg.wholePage = false, false, false, true
	return pageContent(doc), cfg
}

// ctxErr reports a context that ended while the extractors ran.
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return problem.Wrap(problem.UpstreamTimeout, err, "extraction cancelled")
	}
	return nil
}

// articleOf starts an article from the page's metadata.
func articleOf(m Meta) *Article {
	return &Article{
		Title: m.Title, Byline: m.Byline, Language: m.Language,
		Description: m.Description, SiteName: m.SiteName, Image: m.Image,
		Published: m.Published,
	}
}

// mergeMeta fills what the <head> did not say from trafilatura's findings
// (it also reads the body: bylines, dates in the text, the language).
func mergeMeta(a *Article, m trafilatura.Metadata) {
	a.Title = firstOf(a.Title, m.Title)
	a.Byline = firstOf(a.Byline, m.Author)
	a.Language = firstOf(a.Language, m.Language)
	a.Description = firstOf(a.Description, m.Description)
	a.SiteName = firstOf(a.SiteName, m.Sitename)
	a.Image = firstOf(a.Image, m.Image)
	if a.Published.IsZero() {
		a.Published = m.Date
	}
}

// pageHintsOf gathers the page-wide hints for cleanBlocks.
func pageHintsOf(doc *html.Node, m Meta) *pageHints {
	h := &pageHints{description: normText(m.Description)}
	h.links, h.linkSet = collectLinks(doc)
	for t := range h.linkSet {
		h.longestLink = max(h.longestLink, len(t))
	}
	for _, t := range []string{m.Title, m.headline} {
		if n := normText(t); n != "" {
			h.titles = append(h.titles, n)
		}
	}
	for _, n := range findAll(doc, "h1") {
		if t := normText(nodeText(n)); t != "" {
			h.titles = append(h.titles, t)
		}
	}
	return h
}

// findAll returns the elements named tag under n, in document order.
func findAll(n *html.Node, tag string) []*html.Node {
	var out []*html.Node
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && n.Data == tag {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}
