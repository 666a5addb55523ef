package netguard

import "net/netip"

// rangeRule refuses every address inside prefix for reason.
type rangeRule struct {
	prefix netip.Prefix
	reason Reason
}

func rule(cidr string, r Reason) rangeRule {
	return rangeRule{prefix: netip.MustParsePrefix(cidr), reason: r}
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

// The IPv6 prefixes that embed an IPv4 address.
var (
	// IPv4-compatible, deprecated by RFC 4291 2.5.5.1 (:: and ::1 excepted).
	compatPrefix = netip.MustParsePrefix("::/96")
	// NAT64 well-known prefix, RFC 6052 2.1.
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	// NAT64 local-use prefix, RFC 8215; only its first /96 is decoded.
	nat64LocalPrefix = netip.MustParsePrefix("64:ff9b:1::/48")
	nat64Local96     = netip.MustParsePrefix("64:ff9b:1::/96")
	// 6to4, RFC 3056 2: the IPv4 address is bits 16 to 47.
	sixToFourPrefix = netip.MustParsePrefix("2002::/16")
	// Teredo, RFC 4380 4: the client IPv4 is the last 32 bits, inverted.
	teredoPrefix = netip.MustParsePrefix("2001::/32")
	// Global unicast, RFC 4291 2.4: IANA allocates from nothing else.
	globalUnicast = netip.MustParsePrefix("2000::/3")
)

// embedded finds the IPv4 address that an IPv6 address ip stands for, and
// the form that holds it. form is Allowed when ip embeds nothing. v4 is
// invalid when the form is known but its IPv4 position is not (the local-use
// NAT64 prefix outside its first /96).
func embedded(ip netip.Addr) (v4 netip.Addr, form Reason) {
	if ip.Is4() {
		return netip.Addr{}, Allowed
	}
	b := ip.As16()
	last := [4]byte{b[12], b[13], b[14], b[15]}
	switch {
	case ip.Is4In6():
		return ip.Unmap(), ReasonIPv4Mapped
	case nat64Prefix.Contains(ip), nat64Local96.Contains(ip):
		return netip.AddrFrom4(last), ReasonNAT64
	case nat64LocalPrefix.Contains(ip):
		return netip.Addr{}, ReasonNAT64
	case sixToFourPrefix.Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), ReasonSixToFour
	case teredoPrefix.Contains(ip):
		for i := range last {
			last[i] ^= 0xff
		}
		return netip.AddrFrom4(last), ReasonTeredo
	case compatPrefix.Contains(ip) && !ip.IsUnspecified() && !ip.IsLoopback():
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
	for _, r := range rules {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	if ip.Is6() && !globalUnicast.Contains(ip) {
		return ReasonReserved
	}
	return Allowed
}
