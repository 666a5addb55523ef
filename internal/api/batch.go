package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"downloader/internal/jobs"
	"downloader/internal/problem"
	"downloader/internal/ratelimit"
)

// maxWait is the longest Prefer: wait=N honoured (DESIGN.md "Batches").
const maxWait = 60 * time.Second

// Batches serves POST /batch and /jobs/{id}. Manager nil answers 503.
type Batches struct {
	Manager *jobs.Manager
	Limits  jobs.Limits
	// Owner names the caller that owns a job ("" when keys are off).
	Owner func(*http.Request) string
	// OnSubmit, when set, is told of each accepted batch and its number of
	// URLs (usage figures).
	OnSubmit func(r *http.Request, urls int)
	// CheckCallback, when set, vets a callback_url before the job is
	// created (scheme, literal address, port and domain policy); its
	// *problem.Error refuses the whole body.
	CheckCallback func(rawURL string) error
}

func (s *Server) mountBatches(r chi.Router) {
	r.Post("/batch", s.handleBatch)
	r.Get("/jobs/{id}", s.handleJob)
	r.Get("/jobs/{id}/status", s.handleJob)
	r.Get("/jobs/{id}/results", s.handleResults)
	r.Delete("/jobs/{id}", s.handleCancel)
}

func (s *Server) owner(r *http.Request) string {
	if s.batches.Owner == nil {
		return ""
	}
	return s.batches.Owner(r)
}

func (s *Server) manager(w http.ResponseWriter, r *http.Request) *jobs.Manager {
	if s.batches.Manager == nil {
		s.WriteError(w, r, &problem.Error{Type: problem.Unavailable,
			Detail: "batch jobs are not available on this instance", RetryAfter: 30 * time.Second})
	}
	return s.batches.Manager
}

// handleBatch creates a job: 202 by default, 200 with every result under
// Prefer: wait=N, or one NDJSON line per result with that Accept.
func (s *Server) handleBatch(w http.ResponseWriter, r *http.Request) {
	m := s.manager(w, r)
	if m == nil {
		return
	}
	spec, err := jobs.ParseSpec(r.Body, s.batches.Limits)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if spec.CallbackURL != "" && s.batches.CheckCallback != nil {
		if err := s.batches.CheckCallback(spec.CallbackURL); err != nil {
			s.WriteError(w, r, err)
			return
		}
	}
	spec.Owner = s.owner(r)
	// A batch counts once as a request and once per URL against the
	// client's separate URL budget.
	if _, err := ratelimit.Spend(r.Context(), ratelimit.ClassBatchURLs,
		len(spec.Entries)); err != nil {
		s.WriteError(w, r, err)
		return
	}
	job, err := m.Submit(r.Context(), spec)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if s.batches.OnSubmit != nil {
		s.batches.OnSubmit(r, len(spec.Entries))
	}
	w.Header().Set("Location", "/jobs/"+job.ID)
	switch {
	case strings.Contains(r.Header.Get("Accept"), "application/x-ndjson"):
		s.streamJob(w, r, m, job)
	case preferWait(r.Header) > 0:
		s.waitJob(w, r, m, job, preferWait(r.Header))
	default:
		writeJSON(w, r, http.StatusAccepted, job)
	}
}

// preferWait reads Prefer: wait=N (RFC 7240), capped at maxWait.
func preferWait(h http.Header) time.Duration {
	for _, v := range h.Values("Prefer") {
		for _, p := range strings.Split(v, ",") {
			k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(k), "wait") {
				continue
			}
			n, err := strconv.Atoi(strings.Trim(strings.TrimSpace(val), `"`))
			if err != nil || n <= 0 {
				return 0
			}
			d := time.Duration(n) * time.Second
			return min(d, maxWait)
		}
	}
	return 0
}

// jobWithResults is the 200 answer of Prefer: wait.
type jobWithResults struct {
	*jobs.Job
	Results []jobs.Result `json:"results"`
	Summary jobs.Summary  `json:"summary"`
}

func (s *Server) waitJob(w http.ResponseWriter, r *http.Request, m *jobs.Manager,
	job *jobs.Job, wait time.Duration) {
	ctx, cancel := context.WithTimeout(r.Context(), wait)
	defer cancel()
	done, err := m.Wait(ctx, job.ID)
	if err != nil || !done.Status.Done() {
		if done != nil {
			job = done // the latest state, not the one at submission
		}
		writeJSON(w, r, http.StatusAccepted, job)
		return
	}
	results, sum, final, err := m.Results(r.Context(), job.ID, s.owner(r), 0, 0)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	w.Header().Set("Preference-Applied", "wait="+strconv.Itoa(int(wait.Seconds())))
	writeJSON(w, r, http.StatusOK, jobWithResults{Job: final, Results: results, Summary: sum})
}

// streamJob sends one JSON line per result as each finishes, then the
// summary line.
func (s *Server) streamJob(w http.ResponseWriter, r *http.Request, m *jobs.Manager,
	job *jobs.Job) {
	ch, err := m.Stream(r.Context(), job.ID)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	for res := range ch {
		if enc.Encode(res) != nil {
			return
		}
		_ = rc.Flush()
	}
	_, sum, final, err := m.Results(r.Context(), job.ID, s.owner(r), 0, 1)
	if err != nil {
		return
	}
	_ = enc.Encode(map[string]any{"summary": sum, "job": final})
}

func (s *Server) handleJob(w http.ResponseWriter, r *http.Request) {
	m := s.manager(w, r)
	if m == nil {
		return
	}
	job, err := m.Get(r.Context(), chi.URLParam(r, "id"), s.owner(r))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, job)
}

// resultsPage is the answer of GET /jobs/{id}/results.
type resultsPage struct {
	*jobs.Job
	Offset  int           `json:"offset"`
	Limit   int           `json:"limit"`
	Results []jobs.Result `json:"results"`
	Summary jobs.Summary  `json:"summary"`
}

func (s *Server) handleResults(w http.ResponseWriter, r *http.Request) {
	m := s.manager(w, r)
	if m == nil {
		return
	}
	offset, err1 := queryInt(r, "offset", 0)
	limit, err2 := queryInt(r, "limit", 0)
	if err1 != nil || err2 != nil {
		s.WriteError(w, r, problem.New(problem.Validation,
			"offset and limit must be non-negative integers"))
		return
	}
	results, sum, job, err := m.Results(r.Context(), chi.URLParam(r, "id"), s.owner(r),
		offset, limit)
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	if results == nil {
		results = []jobs.Result{}
	}
	writeJSON(w, r, http.StatusOK, resultsPage{Job: job, Offset: offset, Limit: limit,
		Results: results, Summary: sum})
}

func (s *Server) handleCancel(w http.ResponseWriter, r *http.Request) {
	m := s.manager(w, r)
	if m == nil {
		return
	}
	job, err := m.Cancel(r.Context(), chi.URLParam(r, "id"), s.owner(r))
	if err != nil {
		s.WriteError(w, r, err)
		return
	}
	writeJSON(w, r, http.StatusOK, job)
}

func queryInt(r *http.Request, key string, def int) (int, error) {
	v := r.URL.Query().Get(key)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, problem.New(problem.Validation, "%s must be a non-negative integer", key)
	}
	return n, nil
}
