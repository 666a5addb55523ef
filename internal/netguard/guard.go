package netguard

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"

	"downloader/internal/problem"
)

// Resolver looks up the addresses of a host. [*net.Resolver] satisfies it;
// tests inject their own so no test waits on real DNS.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

var _ Resolver = (*net.Resolver)(nil)

// The defaults of a Guard whose Dialer is nil.
const (
	DefaultDialTimeout = 10 * time.Second
	DefaultKeepAlive   = 30 * time.Second
)

// Guard dials only the destinations its Policy allows. Use
// [Guard.DialContext] as the DialContext of every http.Transport that
// reaches an upstream or a callback. A Guard is safe for concurrent use
// once built; do not change its fields while it is in use.
type Guard struct {
	// Policy decides which destinations may be dialled.
	Policy Policy
	// Resolver resolves host names. Nil means net.DefaultResolver.
	Resolver Resolver
	// Dialer dials the checked addresses; its own Control or ControlContext
	// still runs, after the Guard's check of the socket address. Nil means a
	// net.Dialer with DefaultDialTimeout and DefaultKeepAlive.
	Dialer *net.Dialer
	// OnBlock, when not nil, is called once per refusal with its reason (for
	// metrics). It must be quick and safe for concurrent use.
	OnBlock func(Reason)
}

// DialContext dials address ("host:port") over network ("tcp", "tcp4" or
// "tcp6") if the policy allows it. The port and host are checked first;
// a name is then resolved (a literal IP skips DNS) and every resolved
// address is checked: if ANY is refused the whole dial is refused, so a
// name cannot mix a public address with an internal one and hope the
// internal one is tried. Only the checked addresses are dialled, in order,
// never the name again; the socket address is checked once more just
// before connect.
//
// A refusal is a *problem.Error of type url_blocked whose Err is a
// *[BlockedError]. A name that does not resolve is a *problem.Error of type
// upstream_unreachable ("could not resolve host"), unless ctx ended first.
// Other dial errors are wrapped with %w, so net.Error and context errors
// still match.
func (g *Guard) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	lookupNet, ok := lookupNetworks[network]
	if !ok {
		return nil, fmt.Errorf("dial %s: unsupported network %q", address, network)
	}
	host, portText, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("split address: %w", err)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return nil, g.block(host, netip.Addr{}, 0, ReasonInvalid)
	}
	if err := g.checkHostPort(host, uint16(port)); err != nil {
		return nil, err
	}

	addrs, err := g.resolve(ctx, lookupNet, host)
	if err != nil {
		return nil, err
	}
	for _, a := range addrs {
		if r := g.Policy.CheckAddr(a); r != Allowed {
			return nil, g.block(host, a, uint16(port), r)
		}
	}
	return g.dialEach(ctx, network, host, uint16(port), addrs)
}

var lookupNetworks = map[string]string{"tcp": "ip", "tcp4": "ip4", "tcp6": "ip6"}

// checkHostPort applies the port and host parts of the policy.
func (g *Guard) checkHostPort(host string, port uint16) error {
	if r := g.Policy.CheckPort(port); r != Allowed {
		return g.block(host, netip.Addr{}, port, r)
	}
	if r := g.Policy.CheckHost(host); r != Allowed {
		ip, _ := netip.ParseAddr(strings.Trim(host, "[]"))
		return g.block(host, ip, port, r)
	}
	return nil
}

// resolve returns the addresses of host: itself when it is a literal IP.
func (g *Guard) resolve(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	}
	var res Resolver = net.DefaultResolver
	if g.Resolver != nil {
		res = g.Resolver
	}
	addrs, err := res.LookupNetIP(ctx, network, host)
	if err != nil && ctx.Err() != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, ctx.Err())
	}
	if err != nil {
		return nil, problem.Wrap(problem.UpstreamUnreachable, err, "could not resolve host")
	}
	if len(addrs) == 0 {
		err := &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		return nil, problem.Wrap(problem.UpstreamUnreachable, err, "could not resolve host")
	}
	return addrs, nil
}

// dialEach dials addrs in order and returns the first connection; if all
// fail, the first error (as net.Dialer does).
func (g *Guard) dialEach(
	ctx context.Context, network, host string, port uint16, addrs []netip.Addr,
) (net.Conn, error) {
	d := g.dialer()
	var first error
	for _, a := range addrs {
		conn, err := d.DialContext(ctx, network, netip.AddrPortFrom(a, port).String())
		if err == nil {
			return conn, nil
		}
		if first == nil {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, fmt.Errorf("dial %s: %w", host, first)
}

// dialer copies the configured Dialer and puts the socket check in front of
// its own control function.
func (g *Guard) dialer() *net.Dialer {
	d := net.Dialer{Timeout: DefaultDialTimeout, KeepAlive: DefaultKeepAlive}
	if g.Dialer != nil {
		d = *g.Dialer
	}
	inner, innerOld := d.ControlContext, d.Control
	d.Control = nil
	d.ControlContext = func(
		ctx context.Context, network, address string, c syscall.RawConn,
	) error {
		if err := g.checkSocket(address); err != nil {
			return err
		}
		if inner != nil {
			return inner(ctx, network, address, c)
		}
		if innerOld != nil {
			return innerOld(network, address, c)
		}
		return nil
	}
	return &d
}

// checkSocket re-checks the address a socket is about to connect to.
func (g *Guard) checkSocket(address string) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return g.block(address, netip.Addr{}, 0, ReasonInvalid)
	}
	if r := g.Policy.CheckAddr(ap.Addr()); r != Allowed {
		return g.block(address, ap.Addr(), ap.Port(), r)
	}
	return nil
}

// CheckURL checks u without DNS or dialling: the scheme (http or https,
// else a validation_error "unsupported scheme"), the port (explicit or the
// scheme's default), the domain lists, and a literal IP host. It lets a
// batch fail an entry early; a name is still checked again at dial time.
// ctx is reserved for future checks that may block.
func (g *Guard) CheckURL(ctx context.Context, u *url.URL) error {
	if u == nil {
		return problem.New(problem.Validation, "missing URL")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return problem.New(problem.Validation, "unsupported scheme %q", u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return problem.New(problem.Validation, "missing host")
	}
	port, err := urlPort(u.Port(), scheme)
	if err != nil {
		return problem.Wrap(problem.Validation, err, "invalid port")
	}
	return g.checkHostPort(host, port)
}

func urlPort(text, scheme string) (uint16, error) {
	if text == "" && scheme == "https" {
		return 443, nil
	}
	if text == "" {
		return 80, nil
	}
	p, err := strconv.ParseUint(text, 10, 16)
	if err != nil {
		return 0, fmt.Errorf("parse port: %w", err)
	}
	return uint16(p), nil
}

// block reports a refusal to OnBlock and builds its error.
func (g *Guard) block(host string, ip netip.Addr, port uint16, r Reason) error {
	if g.OnBlock != nil {
		g.OnBlock(r)
	}
	return (&BlockedError{Host: host, Addr: ip, Port: port, Reason: r}).Problem()
}
