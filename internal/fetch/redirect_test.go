package fetch

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"downloader/internal/problem"
)

func TestRedirects(t *testing.T) {
	var srvURL string
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		host := strings.TrimPrefix(srvURL, "http://")
		switch r.URL.Path {
		case "/rel":
			http.Redirect(w, r, "abs", http.StatusFound)
		case "/abs":
			w.Header().Set("Location", srvURL+"/proto")
			w.WriteHeader(http.StatusMovedPermanently)
		case "/proto":
			w.Header().Set("Location", "//"+host+"/see")
			w.WriteHeader(http.StatusTemporaryRedirect)
		case "/see":
			http.Redirect(w, r, "/final?x=1", http.StatusSeeOther)
		case "/final":
			fmt.Fprintf(w, "%s %s", r.Method, r.URL.RawQuery)
		case "/loop-a":
			http.Redirect(w, r, "/loop-b", http.StatusFound)
		case "/loop-b":
			http.Redirect(w, r, "/loop-a", http.StatusFound)
		case "/ftp":
			http.Redirect(w, r, "ftp://example.invalid/x", http.StatusFound)
		case "/nolocation":
			w.WriteHeader(http.StatusFound)
		default:
			var n int
			if _, err := fmt.Sscanf(r.URL.Path, "/chain/%d", &n); err == nil && n > 0 {
				http.Redirect(w, r, fmt.Sprintf("/chain/%d", n-1), http.StatusFound)
				return
			}
			fmt.Fprint(w, "end")
		}
	})
	srvURL = srv.URL
	tests := []struct {
		name     string
		path     string
		maxRedir int
		wantBody string
		wantHops []Hop
		wantErr  problem.Type
	}{
		{name: "relative absolute protocol-relative 303", path: "/rel",
			wantBody: "GET x=1", wantHops: []Hop{
				{srv.URL + "/rel", 302}, {srv.URL + "/abs", 301},
				{srv.URL + "/proto", 307}, {srv.URL + "/see", 303}}},
		{name: "loop", path: "/loop-a", wantErr: problem.TooManyRedirects},
		{name: "exactly the limit", path: "/chain/3", maxRedir: 3, wantBody: "end"},
		{name: "one hop too many", path: "/chain/4", maxRedir: 3,
			wantErr: problem.TooManyRedirects},
		{name: "default limit of 10", path: "/chain/11", wantErr: problem.TooManyRedirects},
		{name: "non-http scheme", path: "/ftp", wantErr: problem.URLBlocked},
		{name: "redirect without location", path: "/nolocation",
			wantErr: problem.UpstreamHTTP},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var seen []string
			c, _ := newTestClient(t, Options{MaxRedirects: tt.maxRedir,
				OnRedirect: func(from, to *url.URL, status int) {
					seen = append(seen, from.Path)
				}})
			r, body, err := get(t, c, &Request{URL: mustURL(t, srv.URL+tt.path)})
			if tt.wantErr != "" {
				wantProblem(t, err, tt.wantErr)
				return
			}
			if err != nil {
				t.Fatalf("Do: %v", err)
			}
			if string(body) != tt.wantBody {
				t.Errorf("body %q; want %q", body, tt.wantBody)
			}
			if tt.wantHops != nil && fmt.Sprint(r.Redirects) != fmt.Sprint(tt.wantHops) {
				t.Errorf("hops %v; want %v", r.Redirects, tt.wantHops)
			}
			if len(seen) != len(r.Redirects) {
				t.Errorf("OnRedirect saw %d hops; want %d", len(seen), len(r.Redirects))
			}
			if tt.path == "/rel" && r.URL.String() != srv.URL+"/final?x=1" {
				t.Errorf("final URL %s; want %s/final?x=1", r.URL, srv.URL)
			}
		})
	}
}

func TestRedirectMethod(t *testing.T) {
	tests := []struct {
		name   string
		method string
		status int
		want   string
	}{
		{"303 turns GET into GET", http.MethodGet, 303, http.MethodGet},
		{"HEAD stays HEAD on 303", http.MethodHead, 303, http.MethodHead},
		{"307 keeps the method", http.MethodGet, 307, http.MethodGet},
		{"301 to GET", "PROPFIND", 301, http.MethodGet},
		{"308 keeps PROPFIND", "PROPFIND", 308, "PROPFIND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := redirectMethod(tt.method, tt.status); got != tt.want {
				t.Errorf("redirectMethod(%s, %d) = %s; want %s",
					tt.method, tt.status, got, tt.want)
			}
		})
	}
}

func TestRedirectDropsCredentialsAcrossHosts(t *testing.T) {
	var gotAuth string
	target := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
	})
	// other.test is another host name for 127.0.0.1 (see loopbackDial).
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, strings.Replace(target.URL, "127.0.0.1", "other.test", 1),
			http.StatusFound)
	})
	c, _ := newTestClient(t, Options{})
	h := http.Header{"Authorization": {"Bearer x"}}
	_, _, err := get(t, c, &Request{URL: mustURL(t, srv.URL), Header: h})
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	if gotAuth != "" {
		t.Errorf("Authorization %q crossed hosts", gotAuth)
	}
}
