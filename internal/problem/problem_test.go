package problem

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"
)

func TestStatusOfEveryType(t *testing.T) {
	want := map[Type]int{
		Validation: 400, AuthRequired: 401, AuthFailed: 401, URLBlocked: 403, NotFound: 404,
		UnsupportedFormat: 406, PayloadTooLarge: 413, RateLimited: 429, QuotaExceeded: 429,
		Unavailable: 503, UpstreamHTTP: 502, UpstreamUnreachable: 502, ContentTooLarge: 502,
		TooManyRedirects: 502, RenderError: 502, UpstreamTimeout: 504, Internal: 500,
		MethodNotAllowed: 405,
	}
	for _, ty := range Types {
		if got := ty.Status(); got != want[ty] {
			t.Errorf("%s.Status() = %d, want %d", ty, got, want[ty])
		}
	}
	if len(Types) != len(want) {
		t.Errorf("Types lists %d types, the table %d", len(Types), len(want))
	}
}

func TestFrom(t *testing.T) {
	inner := New(URLBlocked, "no")
	tests := []struct {
		name string
		err  error
		want Type
	}{
		{"problem", inner, URLBlocked},
		{"wrapped problem", fmt.Errorf("dial: %w", inner), URLBlocked},
		{"deadline", fmt.Errorf("x: %w", context.DeadlineExceeded), UpstreamTimeout},
		{"plain", errors.New("boom"), Internal},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := TypeOf(tt.err); got != tt.want {
				t.Errorf("TypeOf = %q, want %q", got, tt.want)
			}
		})
	}
	if From(nil) != nil || TypeOf(nil) != "" {
		t.Error("nil is not a problem")
	}
	if p := From(errors.New("secret detail")); p.Detail == "secret detail" {
		t.Error("an internal error's cause reached the client detail")
	}
}

func TestWrite(t *testing.T) {
	w := httptest.NewRecorder()
	w.Header().Set("Content-Encoding", "gzip")
	Write(w, "req-1", &Error{Type: UpstreamHTTP, Status: 404, UpstreamStatus: 404,
		Detail: "gone", RetryAfter: 1500 * time.Millisecond})
	if w.Code != 404 || w.Header().Get("Content-Type") != "application/problem+json" ||
		w.Header().Get("Content-Encoding") != "" || w.Header().Get("Retry-After") != "2" {
		t.Fatalf("status %d headers %v", w.Code, w.Header())
	}
	var b Body
	if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil {
		t.Fatal(err)
	}
	if b.ErrorType != UpstreamHTTP || b.Status != 404 || b.RequestID != "req-1" ||
		b.UpstreamStatus != 404 || b.Type == "" || b.Title == "" {
		t.Errorf("body %+v", b)
	}
}
