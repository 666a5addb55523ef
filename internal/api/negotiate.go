package api

import (
	"mime"
	"sort"
	"strconv"
	"strings"

	"downloader/internal/download"
	"downloader/internal/problem"
)

// acceptItem is one media range of an Accept header (RFC 9110 §12.5.1).
type acceptItem struct {
	typ, sub string
	q        float64
	order    int
}

func (a acceptItem) specificity() int {
	switch {
	case a.typ == "*":
		return 0
	case a.sub == "*":
		return 1
	}
	return 2
}

// parseAccept reads an Accept header, best first: by q, then by
// specificity, then by position. Items with q=0 are kept so they can
// exclude a format.
func parseAccept(h string) []acceptItem {
	var items []acceptItem
	for i, part := range strings.Split(h, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		typ, sub, ok := strings.Cut(mt, "/")
		if !ok {
			continue
		}
		q := 1.0
		if v, ok := params["q"]; ok {
			if f, err := strconv.ParseFloat(v, 64); err == nil && f >= 0 && f <= 1 {
				q = f
			}
		}
		items = append(items, acceptItem{typ: typ, sub: sub, q: q, order: i})
	}
	sort.SliceStable(items, func(i, j int) bool {
		a, b := items[i], items[j]
		if a.q != b.q {
			return a.q > b.q
		}
		return a.specificity() > b.specificity()
	})
	return items
}

// formatsFor maps one media range to the formats it asks for, given the
// upstream's media type: text/plain is the article text, text/markdown
// Markdown, text/html the page as UTF-8 HTML, application/json the
// envelope, and a range that covers the upstream's own type the raw body.
func formatsFor(a acceptItem, upstream string) []download.Format {
	mt := a.typ + "/" + a.sub
	switch mt {
	case "text/plain":
		return []download.Format{download.Text}
	case "text/markdown", "text/x-markdown":
		return []download.Format{download.Markdown}
	case "text/html", "application/xhtml+xml":
		return []download.Format{download.HTML}
	case "application/json":
		return []download.Format{download.JSON}
	case "*/*":
		return []download.Format{download.Raw}
	}
	ut, us, _ := strings.Cut(upstream, "/")
	if (a.typ == ut && (a.sub == "*" || a.sub == us)) && upstream != "" {
		return []download.Format{download.Raw}
	}
	if a.typ == "text" && a.sub == "*" {
		return []download.Format{download.Text}
	}
	return nil
}

// negotiate picks the format for an Accept header once the upstream's
// media type is known: the acceptable format with the highest q that the
// content can be turned into. No header, or */*, means raw.
func negotiate(accept, upstream string) (download.Format, error) {
	items := parseAccept(accept)
	if len(items) == 0 {
		return download.Raw, nil
	}
	refused := map[download.Format]bool{}
	for _, a := range items {
		if a.q == 0 {
			for _, f := range formatsFor(a, upstream) {
				refused[f] = true
			}
		}
	}
	for _, a := range items {
		if a.q == 0 {
			continue
		}
		for _, f := range formatsFor(a, upstream) {
			if !refused[f] && download.CanProduce(upstream, f) {
				return f, nil
			}
		}
	}
	return "", problem.New(problem.UnsupportedFormat,
		"no acceptable format can be made of %s content (Accept: %s)", upstream, clip(accept))
}

// mayBeRaw reports whether an Accept header could end in the raw format,
// before the upstream's type is known: if not, the body is buffered for a
// conversion from the start.
func mayBeRaw(accept string) bool {
	items := parseAccept(accept)
	if len(items) == 0 {
		return true
	}
	for _, a := range items {
		if a.q == 0 {
			continue
		}
		switch a.typ + "/" + a.sub {
		case "text/plain", "text/markdown", "text/x-markdown", "text/html",
			"application/xhtml+xml", "application/json":
			continue
		}
		return true
	}
	return false
}
