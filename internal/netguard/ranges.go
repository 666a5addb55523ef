package netguard

import (
	"encoding/binary"
	"net/netip"
)

// rangeRule refuses every address inside a prefix for reason. The prefix is
// kept as a 128-bit network and mask (IPv4 in its mapped form), so a check
// is two AND-and-compare steps.
type rangeRule struct {
	prefix         netip.Prefix
	hi, lo         uint64
	maskHi, maskLo uint64
	reason         Reason
}

func rule(cidr string, r Reason) rangeRule {
	p := netip.MustParsePrefix(cidr)
	bits := p.Bits()
	if p.Addr().Is4() {
		bits += 96
	}
	b := p.Addr().As16()
	rr := rangeRule{
		prefix: p,
		hi:     binary.BigEndian.Uint64(b[:8]),
		lo:     binary.BigEndian.Uint64(b[8:]),
		maskHi: ^uint64(0) << max(0, 64-bits),
		maskLo: ^uint64(0) << max(0, 128-bits),
		reason: r,
	}
	if bits == 0 {
		rr.maskHi = 0
	}
	if bits <= 64 {
		rr.maskLo = 0
	}
	rr.hi &= rr.maskHi
	rr.lo &= rr.maskLo
	return rr
}

// contains reports whether the 128-bit address hi, lo lies in the rule.
func (r *rangeRule) contains(hi, lo uint64) bool {
	return hi&r.maskHi == r.hi && lo&r.maskLo == r.lo
}

// v4Rules are the IPv4 ranges that are not globally reachable, from the IANA
// IPv4 Special-Purpose Address Registry (RFC 6890). A more specific prefix
// comes before any prefix that contains it. These tables are read-only.
var v4Rules = []rangeRule{
	rule("0.0.0.0/8", ReasonUnspecified),         // "this network", RFC 791, RFC 1122 3.2.1.3
	rule("10.0.0.0/8", ReasonPrivate),            // RFC 1918
	rule("100.64.0.0/10", ReasonCGNAT),           // shared address space, RFC 6598
	rule("127.0.0.0/8", ReasonLoopback),          // RFC 1122 3.2.1.3
	rule("169.254.0.0/16", ReasonLinkLocal),      // RFC 3927; 169.254.169.254 is cloud metadata
	rule("172.16.0.0/12", ReasonPrivate),         // RFC 1918
	rule("192.0.0.0/24", ReasonReserved),         // IETF protocol assignments, RFC 6890 2.2.2
	rule("192.0.2.0/24", ReasonDocumentation),    // TEST-NET-1, RFC 5737
	rule("192.88.99.0/24", ReasonReserved),       // 6to4 relay anycast, deprecated by RFC 7526
	rule("192.168.0.0/16", ReasonPrivate),        // RFC 1918
	rule("198.18.0.0/15", ReasonBenchmarking),    // RFC 2544
	rule("198.51.100.0/24", ReasonDocumentation), // TEST-NET-2, RFC 5737
	rule("203.0.113.0/24", ReasonDocumentation),  // TEST-NET-3, RFC 5737
	rule("224.0.0.0/4", ReasonMulticast),         // RFC 5771
	rule("255.255.255.255/32", ReasonBroadcast),  // limited broadcast, RFC 919, RFC 8190
	rule("240.0.0.0/4", ReasonReserved),          // future use, RFC 1112 4
}

// v6Rules are the IPv6 ranges that are not globally reachable, from the IANA
// IPv6 Special-Purpose Address Registry (RFC 6890). The forms that embed an
// IPv4 address (RFC 4291 2.5.5, RFC 6052, RFC 8215, RFC 3056, RFC 4380) are
// decided by embedded before these rules run. Anything outside 2000::/3 that
// no rule names is refused as reserved by classify.
var v6Rules = []rangeRule{
	rule("::/128", ReasonUnspecified),          // RFC 4291 2.5.2
	rule("::1/128", ReasonLoopback),            // RFC 4291 2.5.3
	rule("100::/64", ReasonReserved),           // discard-only, RFC 6666
	rule("2001:2::/48", ReasonBenchmarking),    // RFC 5180
	rule("2001::/23", ReasonReserved),          // IETF protocol assignments, RFC 2928
	rule("2001:db8::/32", ReasonDocumentation), // RFC 3849
	rule("3fff::/20", ReasonDocumentation),     // RFC 9637
	rule("5f00::/16", ReasonReserved),          // SRv6 SIDs, RFC 9602
	rule("fc00::/7", ReasonUniqueLocal),        // RFC 4193; AWS metadata is fd00:ec2::254
	rule("fe80::/10", ReasonLinkLocal),         // RFC 4291 2.5.6
	rule("fec0::/10", ReasonSiteLocal),         // deprecated by RFC 3879
	rule("ff00::/8", ReasonMulticast),          // RFC 4291 2.7
}

// Global unicast, RFC 4291 2.4: IANA allocates from nothing else.
var globalUnicast = rule("2000::/3", Allowed)

// embedded finds the IPv4 address that an IPv6 address ip stands for, and
// the form that holds it. form is Allowed when ip embeds nothing. v4 is
// invalid when the form is known but its IPv4 position is not (the local-use
// NAT64 prefix outside its first /96).
func embedded(ip netip.Addr) (v4 netip.Addr, form Reason) {
	if ip.Is4() {
		return netip.Addr{}, Allowed
	}
	b := ip.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	last := [4]byte{b[12], b[13], b[14], b[15]}
	switch {
	case ip.Is4In6(): // ::ffff:0:0/96, RFC 4291 2.5.5.2
		return ip.Unmap(), ReasonIPv4Mapped
	case hi == 0x0064_ff9b_0000_0000 && lo>>32 == 0: // 64:ff9b::/96, RFC 6052 2.1
		return netip.AddrFrom4(last), ReasonNAT64
	case hi == 0x0064_ff9b_0001_0000 && lo>>32 == 0: // 64:ff9b:1::/96 of RFC 8215
		return netip.AddrFrom4(last), ReasonNAT64
	case hi>>16 == 0x0064_ff9b_0001: // rest of 64:ff9b:1::/48: IPv4 position unknown
		return netip.Addr{}, ReasonNAT64
	case hi>>48 == 0x2002: // 2002::/16, RFC 3056 2: IPv4 in bits 16 to 47
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), ReasonSixToFour
	case hi>>32 == 0x2001_0000: // 2001::/32, RFC 4380 4: client IPv4 inverted
		for i := range last {
			last[i] ^= 0xff
		}
		return netip.AddrFrom4(last), ReasonTeredo
	case hi == 0 && lo>>32 == 0 && lo > 1: // ::/96 but :: and ::1, RFC 4291 2.5.5.1
		return netip.AddrFrom4(last), ReasonIPv4Compatible
	}
	return netip.Addr{}, Allowed
}

// classify applies the built-in rules to ip (no zone, no embedding), with no
// regard to a Policy.
func classify(ip netip.Addr) Reason {
	rules := v6Rules
	if ip.Is4() {
		rules = v4Rules
	}
	b := ip.As16()
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	for i := range rules {
		if rules[i].contains(hi, lo) {
			return rules[i].reason
		}
	}
	if ip.Is6() && !globalUnicast.contains(hi, lo) {
		return ReasonReserved
	}
	return Allowed
}
