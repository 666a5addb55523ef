package metrics

import (
	"net/http"
	"strconv"
	"strings"
	"sync"

	"downloader/internal/netguard"
	"downloader/internal/problem"
)

// Route classes, the bounded values of the class label.
const (
	ClassDownload = "download"
	ClassBatch    = "batch"
	ClassRead     = "read"
	ClassOther    = "other"
	ClassService  = "service"
)

// other is the label value that stands for anything outside a bounded set.
const other = "other"

var (
	classes = set(ClassDownload, ClassBatch, ClassRead, ClassOther, ClassService)
	methods = set(http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut,
		http.MethodPatch, http.MethodDelete, http.MethodOptions)
	cacheResults = set("hit", "miss", "stale", "revalidated", "bypass")
	backends     = set("memory", "redis")
	storeOps     = set("get", "set", "delete", "touch", "incr", "eval", "xadd",
		"xreadgroup", "xack", "xautoclaim", "publish", "ping", "scan")
	components   = set("cache", "ratelimit", "auth", "jobs", "usage")
	jobStatuses  = set("completed", "failed", "cancelled")
	breakerState = set("closed", "half_open", "open")
	contentKinds = set("html", "text", "json", "xml", "csv", "markdown", "binary")
	upstreamType = set(string(problem.UpstreamHTTP), string(problem.UpstreamUnreachable),
		string(problem.UpstreamTimeout), string(problem.ContentTooLarge),
		string(problem.TooManyRedirects))
)

func set(values ...string) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, v := range values {
		m[v] = true
	}
	return m
}

// bound returns v when it is in allowed, else "other".
func bound(allowed map[string]bool, v string) string {
	if allowed[v] {
		return v
	}
	return other
}

// errorTypeLabel bounds an error_type: "" for success, a [problem.Type], or
// "unknown".
func errorTypeLabel(errType string) string {
	if errType == "" {
		return ""
	}
	for _, t := range problem.Types {
		if string(t) == errType {
			return errType
		}
	}
	return "unknown"
}

// statusLabel bounds an HTTP status to 100..599, "0" otherwise.
func statusLabel(status int) string {
	if status < 100 || status > 599 {
		return "0"
	}
	return strconv.Itoa(status)
}

// reasonLabel bounds an SSRF refusal reason to the [netguard.Reason] strings.
func reasonLabel(reason string) string {
	for _, r := range netguard.Reasons() {
		if r.String() == reason {
			return reason
		}
	}
	return "unknown"
}

// isUpstreamError reports whether errType blames the upstream rather than
// the service.
func isUpstreamError(errType string) bool { return upstreamType[errType] }

// dynamicSet bounds label values that come from configuration (tier names):
// the first max distinct well-formed values are kept, the rest become
// "other".
type dynamicSet struct {
	mu   sync.Mutex
	seen map[string]bool
	max  int
}

func newDynamicSet(max int) *dynamicSet {
	return &dynamicSet{seen: map[string]bool{}, max: max}
}

func (s *dynamicSet) label(v string) string {
	v = strings.ToLower(v)
	if v == "" {
		return "none"
	}
	if len(v) > 32 || strings.Trim(v, "abcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
		return other
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[v] {
		return v
	}
	if len(s.seen) >= s.max {
		return other
	}
	s.seen[v] = true
	return v
}
