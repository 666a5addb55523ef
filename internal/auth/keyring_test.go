package auth

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"downloader/internal/problem"
)

func testKeyring(t *testing.T) *Keyring {
	t.Helper()
	hashed, err := NewHashedKey("hashed", hexSum("hashed-secret"))
	if err != nil {
		t.Fatal(err)
	}
	admin := NewKey("ops", "ops-secret")
	admin.Admin, admin.Tier = true, "unlimited"
	return NewKeyring([]Key{NewKey("alice", "alice-secret"), hashed, admin})
}

func TestAuthenticate(t *testing.T) {
	k := testKeyring(t)
	tests := []struct {
		name    string
		headers [][2]string
		want    string // key name, or the error type
	}{
		{name: "missing", want: string(problem.AuthRequired)},
		{name: "wrong bearer", headers: [][2]string{{"Authorization", "Bearer nope"}},
			want: string(problem.AuthFailed)},
		{name: "wrong x-api-key", headers: [][2]string{{"X-API-Key", "nope"}},
			want: string(problem.AuthFailed)},
		{name: "bearer", headers: [][2]string{{"Authorization", "Bearer alice-secret"}},
			want: "alice"},
		{name: "bearer lower case", headers: [][2]string{{"Authorization", "bearer alice-secret"}},
			want: "alice"},
		{name: "bearer upper case",
			headers: [][2]string{{"Authorization", "BEARER  alice-secret "}},
			want:    "alice"},
		{name: "x-api-key", headers: [][2]string{{"X-Api-Key", "ops-secret"}}, want: "ops"},
		{name: "hashed key", headers: [][2]string{{"X-API-Key", "hashed-secret"}}, want: "hashed"},
		{name: "both same", headers: [][2]string{{"Authorization", "Bearer alice-secret"},
			{"X-API-Key", "alice-secret"}}, want: "alice"},
		{name: "both different valid",
			headers: [][2]string{{"Authorization", "Bearer alice-secret"},
				{"X-API-Key", "ops-secret"}}, want: string(problem.AuthFailed)},
		{name: "both different one wrong", headers: [][2]string{
			{"Authorization", "Bearer alice-secret"}, {"X-API-Key", "nope"}},
			want: string(problem.AuthFailed)},
		{name: "two x-api-key values", headers: [][2]string{{"X-API-Key", "alice-secret"},
			{"X-API-Key", "ops-secret"}}, want: string(problem.AuthFailed)},
		{name: "basic scheme is no key", headers: [][2]string{{"Authorization", "Basic YTpi"}},
			want: string(problem.AuthRequired)},
		{name: "empty bearer", headers: [][2]string{{"Authorization", "Bearer "}},
			want: string(problem.AuthRequired)},
		{name: "prefix of a key", headers: [][2]string{{"X-API-Key", "alice-secre"}},
			want: string(problem.AuthFailed)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/x", nil)
			for _, h := range tt.headers {
				r.Header.Add(h[0], h[1])
			}
			key, err := k.Authenticate(r)
			got := ""
			if err != nil {
				var p *problem.Error
				if !errors.As(err, &p) || p.HTTPStatus() != http.StatusUnauthorized {
					t.Fatalf("error %v is not a 401 problem", err)
				}
				got = string(p.Type)
			} else {
				got = key.Name
			}
			if got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAuthOff(t *testing.T) {
	k := NewKeyring(nil)
	key, err := k.Authenticate(httptest.NewRequest("GET", "/", nil))
	if k.Enabled() || key != nil || err != nil {
		t.Fatalf("auth off: enabled %v key %v err %v", k.Enabled(), key, err)
	}
}

func TestMiddleware(t *testing.T) {
	k := testKeyring(t)
	open := func(r *http.Request) bool { return r.URL.Path == "/health" }
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id, ok := FromContext(r.Context())
		if !ok {
			t.Error("no identity")
		}
		name := "-"
		if id.Key != nil {
			name = id.Key.Name
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"key": name, "ip": id.IP.String(),
			"client": ClientID(r), "tier": Tier(r)})
	})
	onError := func(w http.ResponseWriter, _ *http.Request, err error) {
		problem.Write(w, "rid", err)
	}
	ip := WithClientIP(func(*http.Request) netip.Addr { return netip.MustParseAddr("192.0.2.9") })
	srv := httptest.NewServer(Middleware(k, open, onError, ip)(h))
	t.Cleanup(srv.Close)

	tests := []struct {
		name, path, key string
		status          int
		body            map[string]any
	}{
		{name: "open route", path: "/health", status: 200,
			body: map[string]any{"key": "-", "ip": "192.0.2.9", "client": "ip:192.0.2.9",
				"tier": ""}},
		{name: "keyed", path: "/x", key: "ops-secret", status: 200,
			body: map[string]any{"key": "ops", "ip": "192.0.2.9", "client": "key:ops",
				"tier": "unlimited"}},
		{name: "missing", path: "/x", status: 401,
			body: map[string]any{"error_type": "authentication_required"}},
		{name: "wrong", path: "/x", key: "bad", status: 401,
			body: map[string]any{"error_type": "authentication_failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", srv.URL+tt.path, nil)
			if tt.key != "" {
				req.Header.Set("X-API-Key", tt.key)
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var body map[string]any
			_ = json.NewDecoder(res.Body).Decode(&body)
			if res.StatusCode != tt.status {
				t.Fatalf("status %d, want %d", res.StatusCode, tt.status)
			}
			if tt.status == 401 && res.Header.Get("WWW-Authenticate") == "" {
				t.Fatal("401 without WWW-Authenticate")
			}
			for k, v := range tt.body {
				if body[k] != v {
					t.Fatalf("%s = %v, want %v (body %v)", k, body[k], v, body)
				}
			}
		})
	}
}
