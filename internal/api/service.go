package api

import (
	"net/http"

	"runtime"
	"time"

	"downloader/internal/problem"
)

// handleHealth answers while the process is alive.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, map[string]any{"status": "ok"})
}

// handleReady fails while draining; a degraded dependency (a lost Redis)
// is reported in the body without failing readiness.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	if s.draining.Load() {
		w.Header().Set("Retry-After", "5")
		writeJSON(w, r, http.StatusServiceUnavailable,
			map[string]any{"status": "draining"})
		return
	}
	body := map[string]any{"status": "ready"}
	if s.ready != nil {
		if degraded := s.ready(r.Context()); degraded != "" {
			body["status"], body["degraded"] = "degraded", degraded
		}
	}
	writeJSON(w, r, http.StatusOK, body)
}

// handleVersion reports the build.
func (s *Server) handleVersion(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, r, http.StatusOK, map[string]any{
		"version":    s.opts.Version,
		"go":         runtime.Version(),
		"started_at": s.started.UTC().Format(time.RFC3339),
	})
}

// handleMethodNotAllowed answers a known route asked with the wrong
// method.
func (s *Server) handleMethodNotAllowed(w http.ResponseWriter, r *http.Request) {
	s.WriteError(w, r, problem.New(problem.MethodNotAllowed,
		"%s does not answer %s", clip(r.URL.Path), r.Method))
}
