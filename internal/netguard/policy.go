package netguard

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/idna"
)

// Policy says which destinations may be dialled. It is plain data: the zero
// value refuses every internal address, allows every public one, any port
// but 0, and any well-formed domain.
type Policy struct {
	// Allow holds internal ranges that may be dialled anyway
	// (DOWNLOADER_SSRF_ALLOW). An address is allowed when it, or the IPv4
	// address it embeds (IPv4-mapped, NAT64, 6to4, but not Teredo or the
	// deprecated IPv4-compatible form), lies inside one of them. Empty: none.
	Allow []netip.Prefix
	// Deny holds extra ranges to refuse. It wins over Allow and is matched
	// against the address and any IPv4 address it embeds. Empty: none.
	Deny []netip.Prefix
	// AllowPorts, when not empty, is the only ports that may be dialled.
	AllowPorts []uint16
	// DenyPorts are refused, whatever AllowPorts says.
	DenyPorts []uint16
	// AllowDomains, when not empty, is the only domains that may be dialled:
	// an entry covers itself and its subdomains ("example.com" covers
	// "a.example.com", not "badexample.com"). A literal IP host matches no
	// domain, so it is refused while this list is set.
	AllowDomains []string
	// DenyDomains are refused, with their subdomains, whatever AllowDomains
	// says.
	DenyDomains []string
}

// ParsePrefixes parses a comma-separated list of CIDRs and bare IP
// addresses (a bare address is its own /32 or /128), as found in
// DOWNLOADER_SSRF_ALLOW. Blanks around entries and empty entries are
// ignored; host bits are cleared ("10.1.2.3/8" is 10.0.0.0/8).
func ParsePrefixes(csv string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for entry := range strings.SplitSeq(csv, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		p, err := parsePrefix(entry)
		if err != nil {
			return nil, fmt.Errorf("parse prefix %q: %w", entry, err)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	ip, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	if ip.Zone() != "" {
		return netip.Prefix{}, fmt.Errorf("zone %q not allowed", ip.Zone())
	}
	return netip.PrefixFrom(ip, ip.BitLen()), nil
}

// CheckAddr classifies ip: [Allowed], or why it must not be dialled. A zone
// is ignored. In order: Deny refuses; Allow permits; an IPv6 form embedding
// an IPv4 address is refused when that IPv4 address would be (Teredo and
// IPv4-compatible addresses are refused outright); then the built-in
// special-purpose ranges refuse, as does any IPv6 address outside 2000::/3.
func (p *Policy) CheckAddr(ip netip.Addr) Reason {
	if !ip.IsValid() {
		return ReasonInvalid
	}
	ip = ip.WithZone("")
	v4, form := embedded(ip)
	if inAny(p.Deny, ip) || (v4.IsValid() && inAny(p.Deny, v4)) {
		return ReasonDenied
	}
	if inAny(p.Allow, ip) {
		return Allowed
	}
	switch form {
	case Allowed:
		return classify(ip)
	case ReasonTeredo, ReasonIPv4Compatible:
		return form
	}
	if !v4.IsValid() {
		return form
	}
	if inAny(p.Allow, v4) || classify(v4) == Allowed {
		return Allowed
	}
	return form
}

// inAny reports whether ip, or its IPv4-mapped form when ip is IPv4, lies in
// one of ps, so a list entry matches whichever form a caller wrote.
func inAny(ps []netip.Prefix, ip netip.Addr) bool {
	if len(ps) == 0 {
		return false
	}
	mapped := netip.AddrFrom16(ip.As16())
	for _, p := range ps {
		if p.Contains(ip) || (ip.Is4() && p.Contains(mapped)) {
			return true
		}
	}
	return false
}

// CheckPort classifies a destination port: 0 is always refused, then
// DenyPorts, then AllowPorts when it is not empty.
func (p *Policy) CheckPort(port uint16) Reason {
	if port == 0 || slices.Contains(p.DenyPorts, port) {
		return ReasonPortDenied
	}
	if len(p.AllowPorts) > 0 && !slices.Contains(p.AllowPorts, port) {
		return ReasonPortDenied
	}
	return Allowed
}

// CheckHost classifies a URL host (brackets optional around IPv6). A literal
// IP goes through [Policy.CheckAddr] (and is refused while AllowDomains is
// set); a name is checked against DenyDomains and AllowDomains, without DNS.
// A name that is malformed, or whose last label is numeric ("2130706433",
// "0x7f.1": forms that browsers read as IPv4), is [ReasonInvalid].
func (p *Policy) CheckHost(host string) Reason {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if ip, err := netip.ParseAddr(host); err == nil {
		if r := p.CheckAddr(ip); r != Allowed {
			return r
		}
		if len(p.AllowDomains) > 0 {
			return ReasonDomainDenied
		}
		return Allowed
	}
	name, ok := canonicalName(host)
	if !ok {
		return ReasonInvalid
	}
	if matchDomain(p.DenyDomains, name) {
		return ReasonDomainDenied
	}
	if len(p.AllowDomains) > 0 && !matchDomain(p.AllowDomains, name) {
		return ReasonDomainDenied
	}
	return Allowed
}

// matchDomain reports whether name is one of domains or below one of them.
func matchDomain(domains []string, name string) bool {
	for _, d := range domains {
		d = strings.TrimPrefix(d, "*.")
		d = strings.TrimPrefix(d, ".")
		d, ok := canonicalName(d)
		if !ok {
			continue
		}
		if name == d || (strings.HasSuffix(name, d) && name[len(name)-len(d)-1] == '.') {
			return true
		}
	}
	return false
}

// canonicalName lower-cases a host name, drops one final dot and turns an
// internationalised name into its ASCII form (RFC 5891). ok is false for a
// name that DNS could not hold or that ends in a numeric label.
func canonicalName(host string) (name string, ok bool) {
	name = strings.ToLower(strings.TrimSuffix(host, "."))
	if !isASCII(name) {
		a, err := idna.Lookup.ToASCII(name)
		if err != nil {
			return "", false
		}
		name = a
	}
	if name == "" || len(name) > 253 {
		return "", false
	}
	for label := range strings.SplitSeq(name, ".") {
		if !validLabel(label) {
			return "", false
		}
	}
	return name, !numericLabel(name[strings.LastIndexByte(name, '.')+1:])
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// validLabel accepts letters, digits, '-' and '_' (seen in real host names),
// 1 to 63 of them (RFC 1035 2.3.4).
func validLabel(l string) bool {
	if l == "" || len(l) > 63 {
		return false
	}
	for i := 0; i < len(l); i++ {
		c := l[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_'
		if !ok {
			return false
		}
	}
	return true
}

// numericLabel reports whether a final label would make the WHATWG URL
// parser read the host as an IPv4 number: all decimal digits, or 0x and hex.
func numericLabel(l string) bool {
	if rest, ok := strings.CutPrefix(l, "0x"); ok {
		l = rest
		return strings.Trim(l, "0123456789abcdef") == ""
	}
	return strings.Trim(l, "0123456789") == ""
}
