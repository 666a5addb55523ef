package api

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"downloader/internal/problem"
)

// Log keys, held as constants so every line uses the same names.
const (
	keyRequestID = "request_id"
	keyClient    = "client"
	keyClass     = "route_class"
	keyMethod    = "method"
	keyPath      = "path"
	keyStatus    = "status"
	keyBytes     = "bytes"
	keyDuration  = "duration_ms"
	keyUpstream  = "upstream_ms"
	keyCache     = "cache"
	keyErrorType = "error_type"
)

type ctxKey struct{}

// reqInfo collects what the access log and the metrics need of a request;
// the handlers fill it as they learn.
type reqInfo struct {
	id       string
	class    string
	client   string
	start    time.Time
	upstream time.Duration
	cache    string
	errType  string
	gone     bool // the client hung up before an answer was written
}

func infoOf(ctx context.Context) *reqInfo {
	info, _ := ctx.Value(ctxKey{}).(*reqInfo)
	return info
}

// SetClient records the client identity (key name or IP, never the key)
// for the access log; the auth middleware calls it.
func SetClient(ctx context.Context, client string) {
	if info := infoOf(ctx); info != nil {
		info.client = client
	}
}

// statusWriter remembers the status and counts the bytes written.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection (flush,
// deadlines).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// track gives each request its id, then logs and measures it once done.
func (s *Server) track(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-ID")
		if !saneID(id) {
			id = newRequestID()
		}
		info := &reqInfo{id: id, class: ClassOf(r), start: time.Now(),
			client: "ip:" + clientAddr(r)}
		w.Header().Set("X-Request-ID", id)
		done := s.obs.RequestStarted(info.class)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			done()
			s.finish(r, sw, info)
		}()
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), ctxKey{}, info)))
	})
}

func (s *Server) finish(r *http.Request, sw *statusWriter, info *reqInfo) {
	status := sw.status
	switch {
	case status == 0 && info.gone:
		status = StatusClientClosed
	case status == 0:
		status = http.StatusOK
	}
	total := time.Since(info.start)
	own := total - info.upstream
	if own < 0 {
		own = 0
	}
	s.obs.Request(info.class, r.Method, status, info.errType, total, own, sw.bytes)
	if !s.opts.AccessLog {
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
		slog.String(keyRequestID, info.id),
		slog.String(keyClient, info.client),
		slog.String(keyClass, info.class),
		slog.String(keyMethod, r.Method),
		slog.String(keyPath, logPath(r, info)),
		slog.Int(keyStatus, status),
		slog.Int64(keyBytes, sw.bytes),
		slog.Float64(keyDuration, ms(total)),
		slog.Float64(keyUpstream, ms(info.upstream)),
		slog.String(keyCache, info.cache),
		slog.String(keyErrorType, info.errType),
	)
}

// logPath is the path of a service route; targets are logged without
// their query and user information, which may carry a client's secrets.
func logPath(r *http.Request, info *reqInfo) string {
	if info.class != ClassDownload {
		return r.URL.Path
	}
	raw, _ := targetOf(r.URL.EscapedPath())
	if u, err := url.Parse(raw); err == nil {
		// An encoded target was decoded: its query and user are here now.
		u.User, u.RawQuery, u.ForceQuery = nil, "", false
		raw = u.String()
	} else if i := strings.IndexByte(raw, '?'); i >= 0 {
		raw = raw[:i]
	}
	return "/" + raw
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func clientAddr(r *http.Request) string {
	host := r.RemoteAddr
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			host = host[:i]
			break
		}
	}
	if len(host) > 1 && host[0] == '[' {
		host = host[1 : len(host)-1]
	}
	return host
}

// recoverer turns a panic into a 500 problem, except the deliberate abort
// that cuts a failed raw stream.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic",
				slog.String(keyRequestID, requestID(r.Context())), slog.Any("panic", v))
			s.WriteError(w, r, problem.New(problem.Internal, "an internal error occurred"))
		}()
		next.ServeHTTP(w, r)
	})
}
