package jobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"downloader/internal/problem"
)

// Entry is one URL of a batch body. In JSON it is a string (the URL) or an
// object {"url", "id", "format", "timeout"} with timeout in seconds.
type Entry struct {
	// ID names the entry in results; its index ("0", "1", ...) by default.
	ID string
	// URL is the target as given; an invalid or blocked URL becomes this
	// entry's failed result, not a fault of the body.
	URL string
	// Format is the requested format; "" means the batch default.
	Format string
	// Timeout bounds the whole fetch; zero means the fetcher's default.
	Timeout time.Duration
}

// Spec is a parsed POST /batch body.
type Spec struct {
	Entries []Entry
	// DefaultFormat applies to entries without a format; "raw" by default.
	DefaultFormat string
	// Concurrency bounds the batch's in-flight fetches.
	Concurrency int
	// CallbackURL, when set, receives the signed end-of-job notice.
	CallbackURL string
	// CallbackSecret signs it; "" means the configured default.
	CallbackSecret string
	// Owner is the API key name that submits it; "" when auth is off. The
	// api layer sets it, never the body.
	Owner string
}

// Limits bound a batch body. Zero fields take the defaults of
// [DefaultLimits].
type Limits struct {
	// MaxURLs is the most URLs per batch. Default: 100.
	MaxURLs int
	// MaxBodyBytes is the largest body. Default: 1 MiB.
	MaxBodyBytes int64
	// MaxConcurrency is the highest concurrency accepted. Default: 100.
	MaxConcurrency int
	// DefaultConcurrency applies when the body has none. Default: 20.
	DefaultConcurrency int
	// Formats are the accepted format names. Default: raw text markdown
	// html json.
	Formats []string
	// MaxTimeout is the longest per-entry timeout; zero means no ceiling.
	MaxTimeout time.Duration
}

// DefaultLimits returns the limits of DESIGN.md.
func DefaultLimits() Limits {
	return Limits{
		MaxURLs:            100,
		MaxBodyBytes:       1 << 20,
		MaxConcurrency:     100,
		DefaultConcurrency: 20,
		Formats:            []string{"raw", "text", "markdown", "html", "json"},
	}
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits()
	if l.MaxURLs <= 0 {
		l.MaxURLs = d.MaxURLs
	}
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = d.MaxBodyBytes
	}
	if l.MaxConcurrency <= 0 {
		l.MaxConcurrency = d.MaxConcurrency
	}
	if l.DefaultConcurrency <= 0 {
		l.DefaultConcurrency = min(d.DefaultConcurrency, l.MaxConcurrency)
	}
	if len(l.Formats) == 0 {
		l.Formats = d.Formats
	}
	return l
}

// maxIDLen bounds an entry id.
const maxIDLen = 256

// body is the wire form of a batch.
type body struct {
	URLs           []json.RawMessage `json:"urls"`
	DefaultFormat  *string           `json:"default_format"`
	Concurrency    *int              `json:"concurrency"`
	CallbackURL    *string           `json:"callback_url"`
	CallbackSecret *string           `json:"callback_secret"`
}

// entryBody is the object form of an entry.
type entryBody struct {
	URL     *string  `json:"url"`
	ID      *string  `json:"id"`
	Format  *string  `json:"format"`
	Timeout *float64 `json:"timeout"`
}

// ParseSpec reads a batch body strictly: one JSON value, no unknown fields.
// It returns a *problem.Error: payload_too_large over l.MaxBodyBytes, else
// validation_error naming the field at fault (e.g. urls[3].format).
func ParseSpec(r io.Reader, l Limits) (*Spec, error) {
	l = l.withDefaults()
	raw, err := io.ReadAll(io.LimitReader(r, l.MaxBodyBytes+1))
	if err != nil {
		return nil, problem.Wrap(problem.Validation, err, "the body could not be read")
	}
	if int64(len(raw)) > l.MaxBodyBytes {
		return nil, problem.New(problem.PayloadTooLarge,
			"the batch body is over %d bytes", l.MaxBodyBytes)
	}
	var b body
	if err := decodeStrict(raw, &b, ""); err != nil {
		return nil, err
	}
	return b.spec(l)
}

// decodeStrict decodes exactly one JSON value with no unknown fields; at
// names the value in messages ("" for the body).
func decodeStrict(raw []byte, v any, at string) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonProblem(err, at)
	}
	if _, err := dec.Token(); err != io.EOF {
		return problem.New(problem.Validation, "the body holds more than one JSON value")
	}
	return nil
}

// jsonProblem turns a decoding error into a validation problem that names
// the field when it can.
func jsonProblem(err error, at string) *problem.Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		field := strings.TrimPrefix(at+"."+te.Field, ".")
		if te.Field == "" && at == "" {
			field = "the body"
		}
		return problem.Wrap(problem.Validation, err, "%s: want %s, got %s",
			strings.TrimSuffix(field, "."), jsonKind(te.Type), te.Value)
	}
	msg := strings.TrimPrefix(err.Error(), "json: ")
	switch {
	case strings.HasPrefix(msg, "unknown field "):
	case errors.Is(err, io.EOF):
		msg = "the body is empty"
	case errors.Is(err, io.ErrUnexpectedEOF):
		msg = "invalid JSON: the body ends in the middle of a value"
	default:
		msg = "invalid JSON: " + msg
	}
	if at != "" {
		msg = at + ": " + msg
	}
	return problem.Wrap(problem.Validation, err, "%s", msg)
}

// jsonKind names the JSON type that a Go type decodes.
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Slice:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "a boolean"
	}
	return t.String()
}

func (b *body) spec(l Limits) (*Spec, error) {
	s := &Spec{DefaultFormat: "raw", Concurrency: l.DefaultConcurrency}
	if err := b.options(s, l); err != nil {
		return nil, err
	}
	switch {
	case len(b.URLs) == 0:
		return nil, problem.New(problem.Validation, "urls: at least one URL is required")
	case len(b.URLs) > l.MaxURLs:
		return nil, problem.New(problem.Validation,
			"urls: at most %d URLs per batch, got %d", l.MaxURLs, len(b.URLs))
	}
	seen := make(map[string]int, len(b.URLs))
	for i, raw := range b.URLs {
		e, err := parseEntry(raw, i, l)
		if err != nil {
			return nil, err
		}
		if j, dup := seen[e.ID]; dup {
			return nil, problem.New(problem.Validation,
				"urls[%d].id: %q is already the id of urls[%d]", i, e.ID, j)
		}
		seen[e.ID] = i
		s.Entries = append(s.Entries, e)
	}
	return s, nil
}

// options reads the batch-wide fields.
func (b *body) options(s *Spec, l Limits) error {
	if b.DefaultFormat != nil {
		if !slices.Contains(l.Formats, *b.DefaultFormat) {
			return badFormat("default_format", *b.DefaultFormat, l)
		}
		s.DefaultFormat = *b.DefaultFormat
	}
	if b.Concurrency != nil {
		c := *b.Concurrency
		if c < 1 || c > l.MaxConcurrency {
			return problem.New(problem.Validation,
				"concurrency: want 1 to %d, got %d", l.MaxConcurrency, c)
		}
		s.Concurrency = c
	}
	if b.CallbackURL != nil {
		if err := checkCallback(*b.CallbackURL); err != nil {
			return err
		}
		s.CallbackURL = *b.CallbackURL
	}
	if b.CallbackSecret != nil {
		s.CallbackSecret = *b.CallbackSecret
	}
	return nil
}

// checkCallback accepts an absolute http or https URL; which addresses it
// may reach is decided when the callback is dialled.
func checkCallback(raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return problem.New(problem.Validation,
			"callback_url: want an absolute http or https URL, got %q", raw)
	}
	return nil
}

func badFormat(field, got string, l Limits) error {
	return problem.New(problem.Validation, "%s: want one of %s, got %q",
		field, strings.Join(l.Formats, ", "), got)
}

// parseEntry reads urls[i], a string or an object.
func parseEntry(raw json.RawMessage, i int, l Limits) (Entry, error) {
	field := "urls[" + strconv.Itoa(i) + "]"
	e := Entry{ID: strconv.Itoa(i)}
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) > 0 && raw[0] == '"':
		if err := json.Unmarshal(raw, &e.URL); err != nil {
			return e, jsonProblem(err, field)
		}
		return e, nil
	case len(raw) == 0 || raw[0] != '{':
		return e, problem.New(problem.Validation,
			"%s: want a URL string or an object, got %.40s", field, raw)
	}
	var eb entryBody
	if err := decodeStrict(raw, &eb, field); err != nil {
		return e, err
	}
	return eb.entry(e, field, l)
}

func (eb *entryBody) entry(e Entry, field string, l Limits) (Entry, error) {
	if eb.URL == nil {
		return e, problem.New(problem.Validation, "%s.url: a URL is required", field)
	}
	e.URL = *eb.URL
	if eb.ID != nil {
		if *eb.ID == "" || len(*eb.ID) > maxIDLen {
			return e, problem.New(problem.Validation,
				"%s.id: want 1 to %d characters", field, maxIDLen)
		}
		e.ID = *eb.ID
	}
	if eb.Format != nil {
		if !slices.Contains(l.Formats, *eb.Format) {
			return e, badFormat(field+".format", *eb.Format, l)
		}
		e.Format = *eb.Format
	}
	if eb.Timeout != nil {
		d, err := timeout(*eb.Timeout, field+".timeout", l)
		if err != nil {
			return e, err
		}
		e.Timeout = d
	}
	return e, nil
}

// timeout converts seconds to a duration within the limits.
func timeout(secs float64, field string, l Limits) (time.Duration, error) {
	if secs <= 0 || math.IsInf(secs, 0) || math.IsNaN(secs) || secs > 1e6 {
		return 0, problem.New(problem.Validation,
			"%s: want a positive number of seconds, got %v", field, secs)
	}
	d := time.Duration(secs * float64(time.Second))
	if l.MaxTimeout > 0 && d > l.MaxTimeout {
		return 0, problem.New(problem.Validation, "%s: at most %s, got %s",
			field, l.MaxTimeout, d)
	}
	return d, nil
}
