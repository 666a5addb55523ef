// Package problem holds the one error type that crosses the API boundary.
//
// Every failure a client can see is a [*Error]: a stable [Type] from the
// fixed list of DESIGN.md, a client-safe detail, and the wrapped cause that
// only the log sees. [Write] renders it as application/problem+json
// (RFC 9457).
package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Type is the stable error_type of a problem. Clients and metrics rely on
// these strings: add to the list, never rename.
type Type string

// The error types of DESIGN.md.
const (
	Validation          Type = "validation_error"
	AuthRequired        Type = "authentication_required"
	AuthFailed          Type = "authentication_failed"
	URLBlocked          Type = "url_blocked"
	NotFound            Type = "not_found"
	UnsupportedFormat   Type = "unsupported_format"
	PayloadTooLarge     Type = "payload_too_large"
	RateLimited         Type = "rate_limit_exceeded"
	QuotaExceeded       Type = "quota_exceeded"
	Unavailable         Type = "service_unavailable"
	UpstreamHTTP        Type = "upstream_http_error"
	UpstreamUnreachable Type = "upstream_unreachable"
	ContentTooLarge     Type = "content_too_large"
	TooManyRedirects    Type = "too_many_redirects"
	RenderError         Type = "render_error"
	UpstreamTimeout     Type = "upstream_timeout"
	Internal            Type = "internal_error"
	MethodNotAllowed    Type = "method_not_allowed"
)

// Types lists every Type, for metrics that pre-register their label values.
var Types = []Type{
	Validation, AuthRequired, AuthFailed, URLBlocked, NotFound,
	UnsupportedFormat, PayloadTooLarge, RateLimited, QuotaExceeded,
	Unavailable, UpstreamHTTP, UpstreamUnreachable, ContentTooLarge,
	TooManyRedirects, RenderError, UpstreamTimeout, Internal, MethodNotAllowed,
}

var statuses = map[Type]int{
	Validation:          http.StatusBadRequest,
	AuthRequired:        http.StatusUnauthorized,
	AuthFailed:          http.StatusUnauthorized,
	URLBlocked:          http.StatusForbidden,
	NotFound:            http.StatusNotFound,
	UnsupportedFormat:   http.StatusNotAcceptable,
	PayloadTooLarge:     http.StatusRequestEntityTooLarge,
	RateLimited:         http.StatusTooManyRequests,
	QuotaExceeded:       http.StatusTooManyRequests,
	Unavailable:         http.StatusServiceUnavailable,
	UpstreamHTTP:        http.StatusBadGateway,
	UpstreamUnreachable: http.StatusBadGateway,
	ContentTooLarge:     http.StatusBadGateway,
	TooManyRedirects:    http.StatusBadGateway,
	RenderError:         http.StatusBadGateway,
	UpstreamTimeout:     http.StatusGatewayTimeout,
	Internal:            http.StatusInternalServerError,
	MethodNotAllowed:    http.StatusMethodNotAllowed,
}

// Status is the HTTP status that DESIGN.md fixes for t; 500 for an unknown
// type.
func (t Type) Status() int {
	if s, ok := statuses[t]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Title is a short human summary of t.
func (t Type) Title() string {
	if s := http.StatusText(t.Status()); s != "" && t != UpstreamHTTP {
		return s
	}
	return "Upstream HTTP Error"
}

// Error is a failure with a stable type, a message safe to show a client
// and the cause that only the log sees.
type Error struct {
	// Type is the error_type. The zero value is treated as Internal.
	Type Type
	// Status overrides Type.Status when non-zero (upstream 404 and 410 are
	// mirrored as such).
	Status int
	// Detail is shown to the client; it must never hold a secret.
	Detail string
	// UpstreamStatus is the upstream's HTTP status, when there was one.
	UpstreamStatus int
	// RetryAfter, when positive, becomes the Retry-After header.
	RetryAfter time.Duration
	// Err is the cause, for logs and errors.Is; never shown.
	Err error
}

// New returns a problem of type t with a client-safe detail.
func New(t Type, format string, args ...any) *Error {
	return &Error{Type: t, Detail: fmt.Sprintf(format, args...)}
}

// Wrap returns a problem of type t whose cause is err.
func Wrap(t Type, err error, format string, args ...any) *Error {
	return &Error{Type: t, Detail: fmt.Sprintf(format, args...), Err: err}
}

func (e *Error) Error() string {
	if e.Err != nil {
		return string(e.kind()) + ": " + e.Detail + ": " + e.Err.Error()
	}
	return string(e.kind()) + ": " + e.Detail
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func (e *Error) kind() Type {
	if e.Type == "" {
		return Internal
	}
	return e.Type
}

// HTTPStatus is the status the client sees.
func (e *Error) HTTPStatus() int {
	if e.Status != 0 {
		return e.Status
	}
	return e.kind().Status()
}

// From turns any error into a problem. A *Error anywhere in the chain is
// returned as is; a cancelled or expired context becomes a timeout; anything
// else is an internal error whose detail hides the cause.
func From(err error) *Error {
	if err == nil {
		return nil
	}
	var p *Error
	if errors.As(err, &p) {
		return p
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return Wrap(UpstreamTimeout, err, "the upstream did not answer in time")
	}
	return Wrap(Internal, err, "an internal error occurred")
}

// TypeOf is the error_type of err, or "" for nil.
func TypeOf(err error) Type {
	if err == nil {
		return ""
	}
	return From(err).kind()
}

// Body is the RFC 9457 document.
type Body struct {
	Type           string `json:"type"`
	Title          string `json:"title"`
	Status         int    `json:"status"`
	Detail         string `json:"detail"`
	ErrorType      Type   `json:"error_type"`
	RequestID      string `json:"request_id,omitempty"`
	UpstreamStatus int    `json:"upstream_status,omitempty"`
	Instance       string `json:"instance,omitempty"`
}

// BodyOf renders e for a request.
func BodyOf(e *Error, requestID string) Body {
	t := e.kind()
	return Body{
		Type:           "https://downloader.dev/problems/" + string(t),
		Title:          t.Title(),
		Status:         e.HTTPStatus(),
		Detail:         e.Detail,
		ErrorType:      t,
		RequestID:      requestID,
		UpstreamStatus: e.UpstreamStatus,
	}
}

// Write sends err as application/problem+json.
func Write(w http.ResponseWriter, requestID string, err error) {
	e := From(err)
	h := w.Header()
	for _, k := range []string{"Content-Encoding", "Content-Length", "ETag", "Last-Modified"} {
		h.Del(k)
	}
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	if e.RetryAfter > 0 {
		secs := int((e.RetryAfter + time.Second - 1) / time.Second)
		h.Set("Retry-After", strconv.Itoa(secs))
	}
	w.WriteHeader(e.HTTPStatus())
	_ = json.NewEncoder(w).Encode(BodyOf(e, requestID))
}
