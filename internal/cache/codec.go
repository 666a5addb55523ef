package cache

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/klauspost/compress/zstd"
)

// codecMagic opens every encoded entry, so a foreign or older value is
// recognised as such instead of being misread.
const codecMagic = "DLC1"

// errCorrupt reports a stored value that cannot be decoded.
var errCorrupt = errors.New("corrupt cache value")

// wireMeta is everything of an [Entry] but its body, as JSON.
type wireMeta struct {
	URL         string      `json:"u"`
	FinalURL    string      `json:"f,omitempty"`
	Redirects   []Hop       `json:"r,omitempty"`
	Status      int         `json:"s"`
	Header      http.Header `json:"h,omitempty"`
	ContentType string      `json:"t,omitempty"`
	Charset     string      `json:"c,omitempty"`
	StoredAt    time.Time   `json:"at"`
	FreshUntil  time.Time   `json:"fu"`
}

// codec turns entries into compressed bytes and back: zstd of magic,
// uvarint length of the JSON metadata, the metadata, then the raw body.
// Its encoder and decoder are safe for concurrent use.
type codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// maxDecoded bounds what a stored value may expand to, so a corrupt or
// hostile value cannot exhaust memory.
const maxDecoded = 256 << 20

func newCodec() *codec {
	enc, err := zstd.NewWriter(nil,
		zstd.WithEncoderLevel(zstd.SpeedFastest),
		zstd.WithEncoderConcurrency(1),
		zstd.WithZeroFrames(true))
	if err != nil {
		panic(err) // only invalid options fail, and these are constant
	}
	dec, err := zstd.NewReader(nil,
		zstd.WithDecoderConcurrency(0),
		zstd.WithDecoderMaxMemory(maxDecoded))
	if err != nil {
		panic(err)
	}
	return &codec{enc: enc, dec: dec}
}

func (c *codec) encode(e *Entry) ([]byte, error) {
	meta, err := json.Marshal(wireMeta{
		URL: e.URL, FinalURL: e.FinalURL, Redirects: e.Redirects,
		Status: e.Status, Header: e.Header, ContentType: e.ContentType,
		Charset: e.Charset, StoredAt: e.StoredAt, FreshUntil: e.FreshUntil,
	})
	if err != nil {
		return nil, fmt.Errorf("encode entry: %w", err)
	}
	raw := make([]byte, 0, len(codecMagic)+binary.MaxVarintLen64+len(meta)+len(e.Body))
	raw = append(raw, codecMagic...)
	raw = binary.AppendUvarint(raw, uint64(len(meta)))
	raw = append(raw, meta...)
	raw = append(raw, e.Body...)
	return c.enc.EncodeAll(raw, make([]byte, 0, len(raw)/2+64)), nil
}

func (c *codec) decode(b []byte) (*Entry, error) {
	raw, err := c.dec.DecodeAll(b, nil)
	if err != nil {
		return nil, fmt.Errorf("decompress entry: %w: %w", errCorrupt, err)
	}
	rest, ok := bytes.CutPrefix(raw, []byte(codecMagic))
	if !ok {
		return nil, fmt.Errorf("decode entry: %w: bad magic", errCorrupt)
	}
	n, k := binary.Uvarint(rest)
	if k <= 0 || n > uint64(len(rest)-k) {
		return nil, fmt.Errorf("decode entry: %w: bad length", errCorrupt)
	}
	var m wireMeta
	if err := json.Unmarshal(rest[k:k+int(n)], &m); err != nil {
		return nil, fmt.Errorf("decode entry: %w: %w", errCorrupt, err)
	}
	return &Entry{
		URL: m.URL, FinalURL: m.FinalURL, Redirects: m.Redirects,
		Status: m.Status, Header: m.Header, ContentType: m.ContentType,
		Charset: m.Charset, Body: rest[k+int(n):],
		StoredAt: m.StoredAt, FreshUntil: m.FreshUntil,
	}, nil
}
