package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync/atomic"

	"downloader/internal/problem"
)

// Keyring holds the configured keys. It is safe for concurrent use; Reload
// swaps the whole set atomically, so a request sees the old set or the new
// one, never a mix.
type Keyring struct {
	keys atomic.Pointer[[]Key]
}

// NewKeyring returns a keyring holding a copy of keys; empty means auth is
// off.
func NewKeyring(keys []Key) *Keyring {
	k := &Keyring{}
	k.Reload(keys)
	return k
}

// Reload replaces the keys with a copy of keys.
func (k *Keyring) Reload(keys []Key) {
	c := slices.Clone(keys)
	k.keys.Store(&c)
}

// Enabled reports whether any key is configured, i.e. whether requests
// must authenticate.
func (k *Keyring) Enabled() bool { return k.Len() > 0 }

// Len is the number of keys.
func (k *Keyring) Len() int { return len(*k.keys.Load()) }

// Authenticate returns the key of r, presented as "Authorization: Bearer
// <key>" (scheme case-insensitive) or "X-API-Key: <key>". With auth off it
// returns nil, nil. Errors are *problem.Error: authentication_required when
// no key is presented, authentication_failed when the key is unknown or two
// different keys are presented. The comparison is over SHA-256 digests, in
// constant time, against every key, so timing tells nothing about which
// key came close.
func (k *Keyring) Authenticate(r *http.Request) (*Key, error) {
	keys := *k.keys.Load()
	if len(keys) == 0 {
		return nil, nil
	}
	secret, err := credential(r.Header)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(secret))
	match := -1
	for i := range keys {
		eq := subtle.ConstantTimeCompare(sum[:], keys[i].digest[:])
		match = subtle.ConstantTimeSelect(eq, i, match)
	}
	if match < 0 {
		return nil, problem.New(problem.AuthFailed, "the API key is not valid")
	}
	return &keys[match], nil
}

// credential is the one secret the request presents.
func credential(h http.Header) (string, error) {
	var found []string
	for _, v := range h.Values("Authorization") {
		scheme, token, _ := strings.Cut(strings.TrimSpace(v), " ")
		if strings.EqualFold(scheme, "Bearer") && strings.TrimSpace(token) != "" {
			found = append(found, strings.TrimSpace(token))
		}
	}
	for _, v := range h.Values("X-API-Key") {
		if v = strings.TrimSpace(v); v != "" {
			found = append(found, v)
		}
	}
	if len(found) == 0 {
		return "", problem.New(problem.AuthRequired,
			"an API key is required: send Authorization: Bearer <key> or X-API-Key: <key>")
	}
	for _, v := range found[1:] {
		if subtle.ConstantTimeCompare([]byte(v), []byte(found[0])) != 1 {
			return "", problem.New(problem.AuthFailed,
				"the request presents two different API keys")
		}
	}
	return found[0], nil
}

// Identity is who a request comes from.
type Identity struct {
	// Key is the authenticated key; nil when auth is off or the route is open.
	Key *Key
	// IP is the client address (see ratelimit.ClientIP).
	IP netip.Addr
}

type identityKey struct{}

// WithIdentity returns ctx carrying id.
func WithIdentity(ctx context.Context, id Identity) context.Context {
	return context.WithValue(ctx, identityKey{}, id)
}

// FromContext returns the identity [Middleware] put in ctx.
func FromContext(ctx context.Context) (Identity, bool) {
	id, ok := ctx.Value(identityKey{}).(Identity)
	return id, ok
}

// ClientID names the client of r for rate limits: "key:<name>" for an
// authenticated key, else "ip:<address>".
func ClientID(r *http.Request) string {
	id, _ := FromContext(r.Context())
	if id.Key != nil {
		return "key:" + id.Key.Name
	}
	if !id.IP.IsValid() {
		id.IP = remoteIP(r)
	}
	return "ip:" + id.IP.String()
}

// Tier is the tier of r's key, "" without one (see ratelimit.WithPlans).
func Tier(r *http.Request) string {
	if id, _ := FromContext(r.Context()); id.Key != nil {
		return id.Key.Tier
	}
	return ""
}

// MiddlewareOption configures [Middleware].
type MiddlewareOption func(*authMiddleware)

// WithClientIP sets how the client address is found, typically
// func(r) { return ratelimit.ClientIP(r, cfg.Trusted) }; by default it is
// RemoteAddr.
func WithClientIP(f func(*http.Request) netip.Addr) MiddlewareOption {
	return func(m *authMiddleware) { m.clientIP = f }
}

type authMiddleware struct {
	k        *Keyring
	open     func(*http.Request) bool
	onError  func(http.ResponseWriter, *http.Request, error)
	clientIP func(*http.Request) netip.Addr
}

// Middleware authenticates every request except those open reports true
// for (/health, /ready, /version; nil: none), and puts its [Identity] in
// the context, also with auth off. A failure goes to onError with a
// *problem.Error (401) and a WWW-Authenticate: Bearer header set. Keys are
// never logged here or anywhere in this package.
func Middleware(
	k *Keyring,
	open func(*http.Request) bool,
	onError func(w http.ResponseWriter, r *http.Request, err error),
	opts ...MiddlewareOption,
) func(http.Handler) http.Handler {
	m := &authMiddleware{k: k, open: open, onError: onError, clientIP: remoteIP}
	for _, o := range opts {
		o(m)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			m.serve(w, r, next)
		})
	}
}

func (m *authMiddleware) serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	id := Identity{IP: m.clientIP(r)}
	if m.open == nil || !m.open(r) {
		key, err := m.k.Authenticate(r)
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer realm="downloader"`)
			m.onError(w, r, err)
			return
		}
		id.Key = key
	}
	next.ServeHTTP(w, r.WithContext(WithIdentity(r.Context(), id)))
}

func remoteIP(r *http.Request) netip.Addr {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap().WithZone("")
}
