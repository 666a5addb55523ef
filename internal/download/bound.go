package download

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/net/html"

	"downloader/internal/extract"
	"downloader/internal/problem"
)

// Extractor bounds article extraction: at most Slots run at once, and a
// caller stops waiting when its context ends. An abandoned extraction
// finishes in the background and holds its slot until then, so a flood of
// pathological pages costs at most Slots cores.
type Extractor struct {
	slots   chan struct{}
	waiting atomic.Int64
	// maxWaiting is the queue beyond which a conversion is refused at
	// once with 503: under overload, quick refusals keep raw downloads and
	// cache hits fast instead of letting every request time out.
	maxWaiting int64
}

// waitingPerSlot sizes the queue of conversions waiting for a slot.
const waitingPerSlot = 8

// NewExtractor allows slots concurrent extractions; 0 means GOMAXPROCS.
func NewExtractor(slots int) *Extractor {
	if slots <= 0 {
		slots = runtime.GOMAXPROCS(0)
	}
	return &Extractor{slots: make(chan struct{}, slots),
		maxWaiting: int64(slots * waitingPerSlot)}
}

// errConversionTime is the cause of a conversion cut by the deadline.
var errConversionTime = errors.New("conversion deadline")

// Extract runs extract.Extract within ctx. A page the HTML parser refuses
// (nesting deeper than it accepts) falls back to the page's plain text. A
// nil Extractor runs inline, unbounded.
func (x *Extractor) Extract(ctx context.Context, page []byte, p *Page,
	opts extract.Options) (*extract.Article, error) {
	if x == nil {
		a, err := extract.Extract(ctx, page, p.pageURL(), opts)
		if err != nil && problem.TypeOf(err) == problem.Internal {
			return plainArticle(page, p), nil
		}
		return a, err
	}
	if err := x.acquire(ctx); err != nil {
		return nil, err
	}
	type result struct {
		a   *extract.Article
		err error
	}
	done := make(chan result, 1)
	go func() {
		defer func() { <-x.slots }()
		a, err := extract.Extract(context.WithoutCancel(ctx), page, p.pageURL(), opts)
		done <- result{a, err}
	}()
	select {
	case r := <-done:
		if r.err != nil && problem.TypeOf(r.err) == problem.Internal {
			return plainArticle(page, p), nil
		}
		return r.a, r.err
	case <-ctx.Done():
		return nil, timeUp(ctx)
	}
}

// acquire takes a slot, waiting within ctx, unless too many wait already.
func (x *Extractor) acquire(ctx context.Context) error {
	select {
	case x.slots <- struct{}{}:
		return nil
	default:
	}
	if x.waiting.Add(1) > x.maxWaiting {
		x.waiting.Add(-1)
		return &problem.Error{Type: problem.Unavailable, RetryAfter: 2 * time.Second,
			Detail: "too many conversions are waiting; try again shortly"}
	}
	defer x.waiting.Add(-1)
	select {
	case x.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return timeUp(ctx)
	}
}

func timeUp(ctx context.Context) error {
	return problem.Wrap(problem.UpstreamTimeout, fmt.Errorf("%w: %w", errConversionTime,
		context.Cause(ctx)), "the conversion did not finish within the request's timeout")
}

// plainArticle is the last resort for a page the extractor cannot read:
// its metadata and the text of every element but scripts and styles, one
// block per line.
func plainArticle(page []byte, p *Page) *extract.Article {
	m := extract.Metadata(page, p.pageURL())
	text := plainText(page)
	return &extract.Article{Title: m.Title, Byline: m.Byline, Language: m.Language,
		Description: m.Description, SiteName: m.SiteName, Published: m.Published,
		Text: text, Markdown: text}
}

// plainText walks the tokens (no tree, so no depth limit) and keeps text.
func plainText(page []byte) string {
	z := html.NewTokenizer(bytes.NewReader(page))
	var b strings.Builder
	skip := 0
	for {
		switch z.Next() {
		case html.ErrorToken:
			return strings.TrimSpace(collapseBlank(b.String()))
		case html.StartTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "noscript", "template", "title":
				skip++
			case "p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "section",
				"article":
				b.WriteString("\n")
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			switch string(name) {
			case "script", "style", "noscript", "template", "title":
				if skip > 0 {
					skip--
				}
			}
		case html.TextToken:
			if skip == 0 {
				b.WriteString(strings.Join(strings.Fields(string(z.Text())), " "))
				b.WriteString(" ")
			}
		}
	}
}

// collapseBlank keeps one blank line between blocks.
func collapseBlank(s string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n\n")
}
