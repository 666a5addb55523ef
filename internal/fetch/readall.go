package fetch

import (
	"bytes"
	"fmt"
	"io"
	"strconv"
)

// ReadAll reads the whole body of r, within its limit, and closes it. Its
// errors are those of Response.Body.
func ReadAll(r *Response) ([]byte, error) {
	defer r.Body.Close()
	var buf bytes.Buffer
	n := contentLength(r)
	if n < 0 {
		// unknown length (chunked or encoded): start at a typical page size
		// instead of growing from 512 bytes
		n = unknownLengthHint
		if b, ok := r.Body.(*body); ok {
			n = min(n, b.max)
		}
	}
	buf.Grow(int(n) + bytes.MinRead)
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// unknownLengthHint is ReadAll's first buffer when the length is unknown.
const unknownLengthHint = 16 << 10

// contentLength is the body's announced length when it is not encoded and
// fits its limit, else -1.
func contentLength(r *Response) int64 {
	b, ok := r.Body.(*body)
	if !ok || b.dec != nil || r.Header.Get("Content-Encoding") != "" {
		return -1
	}
	n, err := strconv.ParseInt(r.Header.Get("Content-Length"), 10, 64)
	if err != nil || n > b.max {
		return -1
	}
	return n
}

// wrapCanceled wraps the caller's cancellation.
func wrapCanceled(err error) error {
	return fmt.Errorf("read upstream body: %w", err)
}

var _ io.ReadCloser = (*body)(nil)
