package download

import (
	"context"
	"strings"
	"testing"
	"time"

	"downloader/internal/extract"
	"downloader/internal/problem"
)

func TestDeepNestingFallsBackToPlainText(t *testing.T) {
	deep := "<html><head><title>Deep</title></head><body>" +
		strings.Repeat("<div>", 2000) + "<p>Buried words at the bottom.</p>" +
		strings.Repeat("</div>", 2000) + "<script>var x = 1;</script></body></html>"
	for _, x := range []*Extractor{nil, NewExtractor(1)} {
		p := page("text/html", "utf-8", deep)
		p.Extractor = x
		got, err := p.Render(context.Background(), Text)
		if err != nil {
			t.Fatalf("extractor %v: %v", x, err)
		}
		if string(got) != "Buried words at the bottom." {
			t.Errorf("text %q", got)
		}
	}
}

func TestExtractorDeadline(t *testing.T) {
	x := NewExtractor(1)
	x.slots <- struct{}{} // every slot busy with an abandoned page
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := x.Extract(ctx, []byte("<p>x</p>"), page("text/html", "", "<p>x</p>"),
		extract.Options{})
	if problem.TypeOf(err) != problem.UpstreamTimeout {
		t.Fatalf("error %v, want upstream_timeout", err)
	}
	if waited := time.Since(start); waited > 2*time.Second {
		t.Errorf("waited %v past a 50ms deadline", waited)
	}
	<-x.slots
	if _, err := x.Extract(context.Background(), []byte("<p>x</p>"),
		page("text/html", "", "<p>x</p>"), extract.Options{}); err != nil {
		t.Errorf("free slot: %v", err)
	}
}
