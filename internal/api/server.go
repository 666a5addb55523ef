// Package api is the HTTP face of the service: routing, content
// negotiation, the problem+json error writer, and the middleware that
// identifies, limits, logs and measures every request.
package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"downloader/internal/download"
	"downloader/internal/problem"
)

// Route classes: bounded names for limits, metrics and logs.
const (
	ClassDownload = "download"
	ClassBatch    = "batch"
	ClassRead     = "read"
	ClassOther    = "other"
	ClassService  = "service"
)

// Options are the HTTP layer's settings.
type Options struct {
	// Version is reported by /version.
	Version string
	// DefaultTimeout and MaxTimeout bound X-Timeout.
	DefaultTimeout, MaxTimeout time.Duration
	// MaxBody bounds a converted body.
	MaxBody int64
	// AccessLog writes one line per request at Info.
	AccessLog bool
	// MetricsKey, when set, is the bearer token /metrics requires.
	MetricsKey string
}

// Server answers the service's routes. Build it with [New].
type Server struct {
	opts     Options
	download *download.Service
	log      *slog.Logger
	obs      Observer
	ready    func(context.Context) string

	batches Batches

	draining atomic.Bool
	started  time.Time
	extra    []func(chi.Router)
	wrap     []func(http.Handler) http.Handler
}

// Observer receives the figures of every request; nil fields of a
// [Server] get a no-op. The metrics package implements it.
type Observer interface {
	RequestStarted(class string) (done func())
	Request(class, method string, status int, errType string, total, own time.Duration, bytes int64)
	RawTTFB(d time.Duration)
	Cache(result string)
	ContentType(kind string)
	ExtractionFailure()
}

// Deps are the parts a Server is wired from. Download is required.
type Deps struct {
	Download *download.Service
	Logger   *slog.Logger
	Observer Observer
	// Ready reports a degraded dependency ("" when all is well); a lost
	// Redis degrades the service without making it unready.
	Ready func(context.Context) string
	// Batches serves POST /batch and /jobs; a nil Manager answers 503.
	Batches Batches
	// Routes mounts extra routes (batch, metrics, usage, status).
	Routes []func(chi.Router)
	// Middleware wraps every route after the request id and access log
	// (authentication, rate limits, quotas), outermost first.
	Middleware []func(http.Handler) http.Handler
}

// New builds a Server.
func New(d Deps, o Options) *Server {
	s := &Server{
		opts:     o,
		download: d.Download,
		log:      d.Logger,
		obs:      d.Observer,
		ready:    d.Ready,
		started:  time.Now(),
		extra:    d.Routes,
		wrap:     d.Middleware,
		batches:  d.Batches,
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.obs == nil {
		s.obs = nopObserver{}
	}
	return s
}

// Drain makes /ready fail so load balancers move away before shutdown.
func (s *Server) Drain() { s.draining.Store(true) }

// Handler is the service's whole HTTP handler.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.track, s.recoverer, middleware.GetHead)
	for _, mw := range s.wrap {
		r.Use(mw)
	}
	r.MethodFunc(http.MethodGet, "/health", s.handleHealth)
	r.MethodFunc(http.MethodGet, "/ready", s.handleReady)
	r.MethodFunc(http.MethodGet, "/version", s.handleVersion)
	r.MethodFunc(http.MethodGet, "/fetch", s.handleFetchQuery)
	s.mountBatches(r)
	for _, mount := range s.extra {
		mount(r)
	}
	r.NotFound(s.handleTarget)
	r.MethodNotAllowed(s.handleMethodNotAllowed)
	return r
}

// ClassOf is the route class of a request, for limits and metrics.
func ClassOf(r *http.Request) string {
	p := r.URL.Path
	switch {
	case p == "/health" || p == "/ready" || p == "/version" || p == "/metrics" ||
		p == "/status" || p == "/status.json":
		return ClassService
	case p == "/batch":
		return ClassBatch
	case len(p) >= 5 && p[:5] == "/jobs", p == "/usage":
		return ClassRead
	case p == "/fetch":
		return ClassDownload
	}
	if _, ok := targetOf(r.RequestURI); ok {
		return ClassDownload
	}
	return ClassOther
}

// WriteError writes err as problem+json with the request's id, and notes
// its type for the access log and metrics. Internal errors are logged here,
// once, with their cause.
func (s *Server) WriteError(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
		clientGone(w, r)
		return
	}
	if t := problem.TypeOf(err); t == problem.Internal {
		s.log.ErrorContext(r.Context(), "internal error",
			slog.String(keyRequestID, requestID(r.Context())), slog.Any("error", err))
	}
	Error(w, r, err)
}

// StatusClientClosed is logged and counted for a request whose client went
// away before the answer (nginx's 499); nothing is sent.
const StatusClientClosed = 499

// clientGone records a client that hung up: no answer can reach it, and it
// is neither an internal error nor the service's fault.
func clientGone(w http.ResponseWriter, r *http.Request) {
	if info := infoOf(r.Context()); info != nil {
		info.errType, info.gone = "", true
	}
}

// Error writes err as problem+json for middleware built before the Server
// (keys, quotas, limits), whose errors are never internal.
func Error(w http.ResponseWriter, r *http.Request, err error) {
	p := problem.From(err)
	if info := infoOf(r.Context()); info != nil {
		info.errType = string(p.Type)
		if p.Type == "" {
			info.errType = string(problem.Internal)
		}
	}
	problem.Write(w, requestID(r.Context()), p)
}

// requestID returns the id of the request in ctx.
func requestID(ctx context.Context) string {
	if info := infoOf(ctx); info != nil {
		return info.id
	}
	return ""
}

// RequestID is the id of the request in ctx ("" outside a request).
func RequestID(ctx context.Context) string { return requestID(ctx) }

// newRequestID returns a random 16-byte hex id.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// saneID reports whether a client's X-Request-ID may be kept: a short
// token of safe characters.
func saneID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, c := range id {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':':
		default:
			return false
		}
	}
	return true
}

type nopObserver struct{}

func (nopObserver) RequestStarted(string) func() { return func() {} }
func (nopObserver) Request(string, string, int, string, time.Duration, time.Duration, int64) {
}
func (nopObserver) RawTTFB(time.Duration) {}
func (nopObserver) Cache(string)          {}
func (nopObserver) ContentType(string)    {}
func (nopObserver) ExtractionFailure()    {}
