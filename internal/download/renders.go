package download

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"downloader/internal/cache"
)

// Renders remembers converted pages by their content, so a page served
// from the cache is not extracted again for every text or Markdown
// request. The key is the format, the final URL (links are made absolute
// against it) and the body's digest: the same bytes always convert to the
// same answer, so entries never go stale, they only age out of the LRU.
type Renders struct {
	store *cache.Memory
}

// NewRenders keeps up to maxBytes of converted output.
func NewRenders(maxBytes int64) *Renders {
	return &Renders{store: cache.NewMemory(maxBytes)}
}

// rendersKeep is how long a converted page is kept at most.
const rendersKeep = 24 * time.Hour

func renderKey(p *Page, f Format) string {
	h := sha256.New()
	h.Write([]byte(f))
	h.Write([]byte{0})
	h.Write([]byte(p.Src.FinalURL))
	h.Write([]byte{0})
	h.Write(p.Src.Body)
	return hex.EncodeToString(h.Sum(nil))
}

// Render converts p to f through the remembered outputs. Only article
// extractions (HTML to text or Markdown) are worth remembering; a client's
// no-store bypasses them like the response cache.
func (s *Service) Render(ctx context.Context, p *Page, f Format) ([]byte, error) {
	if s.Renders == nil || p.Src.NoStore || p.Kind != KindHTML || (f != Text && f != Markdown) {
		return p.Render(ctx, f)
	}
	key := renderKey(p, f)
	if e, err := s.Renders.store.Get(ctx, key); err == nil && e != nil {
		return e.Body, nil
	}
	out, err := p.Render(ctx, f)
	if err != nil {
		return nil, err
	}
	_ = s.Renders.store.Set(ctx, key, &cache.Entry{Body: out,
		FreshUntil: time.Now().Add(rendersKeep)}, rendersKeep)
	return out, nil
}
