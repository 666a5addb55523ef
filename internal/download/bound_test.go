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

func TestRendersRemembersExtractions(t *testing.T) {
	x := NewExtractor(1)
	svc := &Service{Extractor: x, Renders: NewRenders(1 << 20)}
	html := "<html><body><article><p>" + strings.Repeat("Words of the article. ", 30) +
		"</p></article></body></html>"
	first, err := svc.Render(context.Background(), svc.Page(page("text/html", "", html).Src), Text)
	if err != nil || !strings.Contains(string(first), "Words of the article.") {
		t.Fatalf("first render: %q %v", first, err)
	}
	// With every extraction slot taken, only a remembered answer can come back.
	x.slots <- struct{}{}
	defer func() { <-x.slots }()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	again, err := svc.Render(ctx, svc.Page(page("text/html", "", html).Src), Text)
	if err != nil || string(again) != string(first) {
		t.Fatalf("second render: %q %v", again, err)
	}
	_, err = svc.Render(ctx, svc.Page(page("text/html", "", html+" ").Src), Text)
	if problem.TypeOf(err) != problem.UpstreamTimeout {
		t.Fatalf("other bytes must be extracted again: %v", err)
	}
}

func TestExtractorRefusesWhenTheQueueIsFull(t *testing.T) {
	x := NewExtractor(1)
	x.maxWaiting = 1
	x.slots <- struct{}{}
	defer func() { <-x.slots }()
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	waiter := make(chan error, 1)
	go func() {
		_, err := x.Extract(ctx, nil, page("text/html", "", ""), extract.Options{})
		waiter <- err
	}()
	for x.waiting.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	_, err := x.Extract(ctx, nil, page("text/html", "", ""), extract.Options{})
	if p := problem.From(err); p.Type != problem.Unavailable || p.RetryAfter <= 0 {
		t.Fatalf("over the queue: %v", err)
	}
	if err := <-waiter; problem.TypeOf(err) != problem.UpstreamTimeout {
		t.Fatalf("the waiter: %v", err)
	}
}

func TestRendersHonourNoStore(t *testing.T) {
	x := NewExtractor(1)
	svc := &Service{Extractor: x, Renders: NewRenders(1 << 20)}
	html := "<html><body><article><p>" + strings.Repeat("Stored words. ", 30) +
		"</p></article></body></html>"
	if _, err := svc.Render(context.Background(), svc.Page(page("text/html", "", html).Src),
		Text); err != nil {
		t.Fatal(err)
	}
	x.slots <- struct{}{}
	defer func() { <-x.slots }()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	p := svc.Page(page("text/html", "", html).Src)
	p.Src.NoStore = true
	if _, err := svc.Render(ctx, p, Text); problem.TypeOf(err) != problem.UpstreamTimeout {
		t.Fatalf("no-store must extract again: %v", err)
	}
}
