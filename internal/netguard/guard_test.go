package netguard

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"downloader/internal/problem"
)

// fakeResolver answers from a table; a host with several answers gets the
// next one on each call (the last one repeats). It fails the test when a
// host it does not know is looked up.
type fakeResolver struct {
	t       *testing.T
	answers map[string][][]netip.Addr
	errs    map[string]error

	mu    sync.Mutex
	calls map[string]int
}

func newResolver(t *testing.T) *fakeResolver {
	t.Helper()
	return &fakeResolver{
		t:       t,
		answers: map[string][][]netip.Addr{},
		errs:    map[string]error{},
		calls:   map[string]int{},
	}
}

// set queues one answer per call for host.
func (r *fakeResolver) set(host string, answers ...string) *fakeResolver {
	var addrs []netip.Addr
	for _, a := range answers {
		addrs = append(addrs, netip.MustParseAddr(a))
	}
	r.answers[host] = append(r.answers[host], addrs)
	return r
}

func (r *fakeResolver) LookupNetIP(
	ctx context.Context, network, host string,
) ([]netip.Addr, error) {
	r.mu.Lock()
	n := r.calls[host]
	r.calls[host]++
	r.mu.Unlock()
	if err, ok := r.errs[host]; ok {
		return nil, err
	}
	answers, ok := r.answers[host]
	if !ok {
		r.t.Errorf("unexpected lookup of %q", host)
		return nil, &net.DNSError{Err: "unexpected", Name: host}
	}
	return answers[min(n, len(answers)-1)], nil
}

func (r *fakeResolver) count(host string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls[host]
}

// noResolver fails the test if any lookup happens.
type noResolver struct{ t *testing.T }

func (r noResolver) LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error) {
	r.t.Errorf("unexpected lookup of %q", host)
	return nil, errors.New("unexpected lookup")
}

// loopbackDialer fails the test if a socket is ever about to connect to a
// non-loopback address, and counts the sockets it sees.
func loopbackDialer(t *testing.T) (*net.Dialer, *int) {
	t.Helper()
	var mu sync.Mutex
	n := new(int)
	d := &net.Dialer{Timeout: 5 * time.Second}
	d.Control = func(network, address string, _ syscall.RawConn) error {
		mu.Lock()
		*n++
		mu.Unlock()
		ap, err := netip.ParseAddrPort(address)
		if err != nil || !ap.Addr().Unmap().IsLoopback() {
			t.Errorf("dial of non-loopback address %q", address)
			return errors.New("test forbids this address")
		}
		return nil
	}
	return d, n
}

func newUpstream(t *testing.T) (port string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = io.WriteString(w, "hello")
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func clientFor(t *testing.T, g *Guard) *http.Client {
	t.Helper()
	tr := &http.Transport{DialContext: g.DialContext, DisableKeepAlives: true}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, rawURL string) (string, error) {
	t.Helper()
	resp, err := c.Get(rawURL)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// wantBlocked asserts err is the url_blocked problem for reason, caused by
// a BlockedError naming host.
func wantBlocked(t *testing.T, err error, host string, reason Reason) {
	t.Helper()
	var p *problem.Error
	if !errors.As(err, &p) || p.Type != problem.URLBlocked {
		t.Fatalf("error %v is not a url_blocked problem", err)
	}
	if !strings.Contains(p.Detail, "is not allowed ("+reason.String()+")") {
		t.Errorf("detail %q does not name reason %s", p.Detail, reason)
	}
	var b *BlockedError
	if !errors.As(err, &b) {
		t.Fatalf("error %v has no BlockedError", err)
	}
	if b.Reason != reason || b.Host != host {
		t.Errorf("BlockedError = %+v, want host %q reason %s", b, host, reason)
	}
}

func TestDialContextRefusesBeforeDialling(t *testing.T) {
	tests := []struct {
		name    string
		answers []string
		allow   string
		want    Reason
	}{
		{name: "private", answers: []string{"10.0.0.1"}, want: ReasonPrivate},
		{name: "metadata", answers: []string{"169.254.169.254"}, want: ReasonLinkLocal},
		{name: "loopback", answers: []string{"127.0.0.1"}, want: ReasonLoopback},
		{name: "mapped loopback", answers: []string{"::ffff:127.0.0.1"}, want: ReasonIPv4Mapped},
		{name: "nat64 metadata", answers: []string{"64:ff9b::a9fe:a9fe"}, want: ReasonNAT64},
		{name: "zoned link local", answers: []string{"fe80::1%lo"}, want: ReasonLinkLocal},
		{
			name: "public then private", answers: []string{"8.8.8.8", "10.0.0.1"},
			want: ReasonPrivate,
		},
		{
			name: "allowed then private", answers: []string{"127.0.0.1", "10.0.0.1"},
			allow: "127.0.0.1/32", want: ReasonPrivate,
		},
		{
			name: "allowed then other loopback", answers: []string{"127.0.0.1", "127.0.0.2"},
			allow: "127.0.0.1/32", want: ReasonLoopback,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, dials := loopbackDialer(t)
			var blocked []Reason
			g := &Guard{
				Policy:   Policy{Allow: mustPrefixes(t, tt.allow)},
				Resolver: newResolver(t).set("internal.test", tt.answers...),
				Dialer:   d,
				OnBlock:  func(r Reason) { blocked = append(blocked, r) },
			}
			conn, err := g.DialContext(context.Background(), "tcp", "internal.test:80")
			if conn != nil {
				conn.Close()
			}
			wantBlocked(t, err, "internal.test", tt.want)
			if *dials != 0 {
				t.Errorf("%d sockets were opened, want none", *dials)
			}
			if len(blocked) != 1 || blocked[0] != tt.want {
				t.Errorf("OnBlock saw %v, want [%s]", blocked, tt.want)
			}
		})
	}
}

func TestDialContextAllowedLoopback(t *testing.T) {
	port := newUpstream(t)
	d, dials := loopbackDialer(t)
	res := newResolver(t).set("upstream.test", "127.0.0.1")
	g := &Guard{
		Policy:   Policy{Allow: mustPrefixes(t, "127.0.0.1/32")},
		Resolver: res,
		Dialer:   d,
	}
	body, err := get(t, clientFor(t, g), "http://upstream.test:"+port+"/")
	if err != nil {
		t.Fatalf("GET: %v", err)
	}
	if body != "hello" {
		t.Errorf("body = %q", body)
	}
	if *dials != 1 || res.count("upstream.test") != 1 {
		t.Errorf("dials = %d, lookups = %d, want 1 and 1", *dials, res.count("upstream.test"))
	}
}

func TestDialContextRebinding(t *testing.T) {
	port := newUpstream(t)
	d, dials := loopbackDialer(t)
	res := newResolver(t)
	res.set("rebind.test", "127.0.0.1").set("rebind.test", "10.0.0.1")
	g := &Guard{
		Policy:   Policy{Allow: mustPrefixes(t, "127.0.0.1/32")},
		Resolver: res,
		Dialer:   d,
	}
	c := clientFor(t, g)
	if _, err := get(t, c, "http://rebind.test:"+port+"/"); err != nil {
		t.Fatalf("first GET: %v", err)
	}
	_, err := get(t, c, "http://rebind.test:"+port+"/")
	wantBlocked(t, err, "rebind.test", ReasonPrivate)
	if *dials != 1 || res.count("rebind.test") != 2 {
		t.Errorf("dials = %d, lookups = %d, want 1 and 2", *dials, res.count("rebind.test"))
	}
}

func TestDialContextLiteralSkipsDNS(t *testing.T) {
	port := newUpstream(t)
	g := &Guard{
		Policy:   Policy{Allow: mustPrefixes(t, "127.0.0.1")},
		Resolver: noResolver{t},
	}
	body, err := get(t, clientFor(t, g), "http://127.0.0.1:"+port+"/")
	if err != nil || body != "hello" {
		t.Fatalf("GET = %q, %v", body, err)
	}

	_, err = get(t, clientFor(t, g), "http://[::ffff:127.0.0.2]:"+port+"/")
	wantBlocked(t, err, "::ffff:127.0.0.2", ReasonIPv4Mapped)
}

func TestDialContextTriesAddressesInOrder(t *testing.T) {
	port := newUpstream(t)
	d, dials := loopbackDialer(t)
	// 127.0.0.2 is on the loopback interface but nothing listens there.
	g := &Guard{
		Policy:   Policy{Allow: mustPrefixes(t, "127.0.0.0/8")},
		Resolver: newResolver(t).set("two.test", "127.0.0.2", "127.0.0.1"),
		Dialer:   d,
	}
	body, err := get(t, clientFor(t, g), "http://two.test:"+port+"/")
	if err != nil || body != "hello" {
		t.Fatalf("GET = %q, %v", body, err)
	}
	if *dials != 2 {
		t.Errorf("dials = %d, want 2", *dials)
	}
}

func TestDialContextDialErrorIsWrapped(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	g := &Guard{Policy: Policy{Allow: mustPrefixes(t, "127.0.0.1")}, Resolver: noResolver{t}}

	_, err = g.DialContext(context.Background(), "tcp", addr)
	var ne net.Error
	if !errors.As(err, &ne) || !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("error %v is not a wrapped connection refusal", err)
	}
	var p *problem.Error
	if errors.As(err, &p) {
		t.Errorf("dial error became a problem: %v", p)
	}
	if !strings.HasPrefix(err.Error(), "dial 127.0.0.1: ") {
		t.Errorf("error %q lacks its prefix", err)
	}
}

func TestDialContextResolveErrors(t *testing.T) {
	res := newResolver(t)
	res.errs["missing.test"] = &net.DNSError{
		Err: "no such host", Name: "missing.test", IsNotFound: true,
	}
	res.answers["empty.test"] = [][]netip.Addr{nil}
	g := &Guard{Resolver: res}
	for _, host := range []string{"missing.test", "empty.test"} {
		t.Run(host, func(t *testing.T) {
			_, err := g.DialContext(context.Background(), "tcp", host+":443")
			var p *problem.Error
			if !errors.As(err, &p) || p.Type != problem.UpstreamUnreachable {
				t.Fatalf("error %v is not upstream_unreachable", err)
			}
			if p.Detail != "could not resolve host" {
				t.Errorf("detail = %q", p.Detail)
			}
			var de *net.DNSError
			if !errors.As(err, &de) || !de.IsNotFound || de.Name != host {
				t.Errorf("error %v has no DNSError for %s", err, host)
			}
			var b *BlockedError
			if errors.As(err, &b) {
				t.Errorf("DNS failure matches BlockedError")
			}
		})
	}
}

// hangResolver blocks until its context ends.
type hangResolver struct{}

func (hangResolver) LookupNetIP(ctx context.Context, _, host string) ([]netip.Addr, error) {
	<-ctx.Done()
	return nil, &net.DNSError{Err: "i/o timeout", Name: host, IsTimeout: true}
}

func TestDialContextResolveDeadline(t *testing.T) {
	g := &Guard{Resolver: hangResolver{}}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := g.DialContext(ctx, "tcp", "slow.test:80")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("error %v does not match DeadlineExceeded", err)
	}
	if got := problem.TypeOf(err); got != problem.UpstreamTimeout {
		t.Errorf("TypeOf = %s, want %s", got, problem.UpstreamTimeout)
	}
}

func TestDialContextPolicyBeforeDNS(t *testing.T) {
	tests := []struct {
		name    string
		policy  Policy
		network string
		address string
		host    string
		want    Reason
	}{
		{name: "denied port", policy: Policy{DenyPorts: []uint16{25}},
			address: "mail.test:25", host: "mail.test", want: ReasonPortDenied},
		{name: "port outside list", policy: Policy{AllowPorts: []uint16{80, 443}},
			address: "web.test:8080", host: "web.test", want: ReasonPortDenied},
		{name: "port zero", address: "web.test:0", host: "web.test", want: ReasonPortDenied},
		{name: "named port", address: "web.test:http", host: "web.test", want: ReasonInvalid},
		{name: "denied domain", policy: Policy{DenyDomains: []string{"corp.test"}},
			address: "git.corp.test:443", host: "git.corp.test", want: ReasonDomainDenied},
		{name: "domain outside list", policy: Policy{AllowDomains: []string{"ok.test"}},
			address: "other.test:443", host: "other.test", want: ReasonDomainDenied},
		{name: "numeric host", address: "2130706433:80", host: "2130706433", want: ReasonInvalid},
		{name: "literal metadata", address: "169.254.169.254:80", host: "169.254.169.254",
			want: ReasonLinkLocal},
		{name: "literal v6 loopback", network: "tcp6", address: "[::1]:80", host: "::1",
			want: ReasonLoopback},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, dials := loopbackDialer(t)
			g := &Guard{Policy: tt.policy, Resolver: noResolver{t}, Dialer: d}
			network := tt.network
			if network == "" {
				network = "tcp"
			}
			_, err := g.DialContext(context.Background(), network, tt.address)
			wantBlocked(t, err, tt.host, tt.want)
			if *dials != 0 {
				t.Errorf("%d sockets were opened", *dials)
			}
		})
	}
}

func TestDialContextUnsupportedNetwork(t *testing.T) {
	g := &Guard{Resolver: noResolver{t}}
	for _, network := range []string{"udp", "unix", "ip4:icmp"} {
		if _, err := g.DialContext(context.Background(), network, "127.0.0.1:53"); err == nil {
			t.Errorf("network %q was accepted", network)
		}
	}
}

// TestSocketCheck proves the last line of defence: a socket about to connect
// to a refused address is stopped even when the caller's own checks let it
// through.
func TestSocketCheck(t *testing.T) {
	port := newUpstream(t)
	d, _ := loopbackDialer(t)
	var blocked []Reason
	g := &Guard{Dialer: d, OnBlock: func(r Reason) { blocked = append(blocked, r) }}
	conn, err := g.dialer().DialContext(context.Background(), "tcp", "127.0.0.1:"+port)
	if conn != nil {
		conn.Close()
	}
	wantBlocked(t, err, "127.0.0.1:"+port, ReasonLoopback)
	if len(blocked) != 1 {
		t.Errorf("OnBlock saw %v", blocked)
	}

	g.Policy.Allow = mustPrefixes(t, "127.0.0.1")
	conn, err = g.dialer().DialContext(context.Background(), "tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatalf("allowed socket refused: %v", err)
	}
	conn.Close()
}

func TestDialerKeepsCallerControl(t *testing.T) {
	port := newUpstream(t)
	called := 0
	d := &net.Dialer{ControlContext: func(context.Context, string, string, syscall.RawConn) error {
		called++
		return nil
	}}
	g := &Guard{Policy: Policy{Allow: mustPrefixes(t, "127.0.0.1")}, Dialer: d}
	conn, err := g.DialContext(context.Background(), "tcp", "127.0.0.1:"+port)
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	if called != 1 {
		t.Errorf("caller's ControlContext ran %d times, want 1", called)
	}
	if d.ControlContext == nil || d.Control != nil {
		t.Error("caller's Dialer was modified")
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		name     string
		policy   Policy
		url      string
		wantType problem.Type
		want     Reason
	}{
		{name: "public https", url: "https://example.com/a?b=c"},
		{name: "public http port", url: "http://example.com:8080/"},
		{name: "upper-case scheme", url: "HTTPS://example.com/"},
		{name: "ftp", url: "ftp://example.com/f", wantType: problem.Validation},
		{name: "file", url: "file:///etc/passwd", wantType: problem.Validation},
		{name: "gopher", url: "gopher://127.0.0.1:70/", wantType: problem.Validation},
		{name: "no host", url: "http:///path", wantType: problem.Validation},
		{name: "port too big", url: "http://example.com:99999/", wantType: problem.Validation},
		{name: "loopback", url: "http://127.0.0.1/", wantType: problem.URLBlocked,
			want: ReasonLoopback},
		{name: "userinfo trick", url: "http://example.com@127.0.0.1/",
			wantType: problem.URLBlocked, want: ReasonLoopback},
		{name: "metadata", url: "http://169.254.169.254/latest/meta-data/",
			wantType: problem.URLBlocked, want: ReasonLinkLocal},
		{name: "mapped v6", url: "http://[::ffff:10.0.0.1]/", wantType: problem.URLBlocked,
			want: ReasonIPv4Mapped},
		{name: "v6 loopback", url: "http://[::1]:8080/", wantType: problem.URLBlocked,
			want: ReasonLoopback},
		{name: "decimal host", url: "http://2130706433/", wantType: problem.URLBlocked,
			want: ReasonInvalid},
		{name: "default port denied", policy: Policy{AllowPorts: []uint16{443}},
			url: "http://example.com/", wantType: problem.URLBlocked, want: ReasonPortDenied},
		{name: "default https port", policy: Policy{AllowPorts: []uint16{443}},
			url: "https://example.com/"},
		{name: "denied domain", policy: Policy{DenyDomains: []string{"example.com"}},
			url: "https://www.example.com/", wantType: problem.URLBlocked,
			want: ReasonDomainDenied},
		{name: "allowed internal", policy: Policy{Allow: []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8")}}, url: "http://10.1.1.1/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := url.Parse(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			g := &Guard{Policy: tt.policy, Resolver: noResolver{t}}
			err = g.CheckURL(context.Background(), u)
			if got := problem.TypeOf(err); got != tt.wantType {
				t.Fatalf("CheckURL error %v has type %q, want %q", err, got, tt.wantType)
			}
			if tt.wantType == problem.URLBlocked {
				wantBlocked(t, err, u.Hostname(), tt.want)
			}
		})
	}
}

func TestCheckURLNil(t *testing.T) {
	var g Guard
	if got := problem.TypeOf(g.CheckURL(context.Background(), nil)); got != problem.Validation {
		t.Errorf("nil URL: %s", got)
	}
}

func TestBlockedErrorText(t *testing.T) {
	b := &BlockedError{Host: "x.test", Addr: netip.MustParseAddr("10.0.0.1"), Port: 80,
		Reason: ReasonPrivate}
	if got, want := b.Error(), `block "x.test" address 10.0.0.1 port 80: private`; got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	p := b.Problem()
	if strings.Contains(p.Detail, "10.0.0.1") {
		t.Errorf("detail %q leaks the resolved address", p.Detail)
	}
	if p.HTTPStatus() != http.StatusForbidden {
		t.Errorf("status = %d", p.HTTPStatus())
	}
}

// BenchmarkDialContext measures what the Guard adds to a loopback dial
// (policy checks, an injected resolver, the socket check) against a plain
// net.Dialer.
func BenchmarkDialContext(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := ln.Addr().(*net.TCPAddr).Port
	res := &staticResolver{addrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
	g := &Guard{Policy: Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		Resolver: res}
	plain := &net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: DefaultKeepAlive}
	dials := map[string]func(context.Context, string, string) (net.Conn, error){
		"plain": plain.DialContext,
		"guard": g.DialContext,
	}
	for _, name := range []string{"plain", "guard"} {
		b.Run(name, func(b *testing.B) {
			addr := net.JoinHostPort("bench.test", strconv.Itoa(port))
			if name == "plain" {
				addr = ln.Addr().String()
			}
			for b.Loop() {
				c, err := dials[name](context.Background(), "tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
	}
}

type staticResolver struct{ addrs []netip.Addr }

func (r *staticResolver) LookupNetIP(context.Context, string, string) ([]netip.Addr, error) {
	return r.addrs, nil
}
