// Package netguard decides which network destinations the service may reach
// (its SSRF policy) and enforces that decision when a connection is dialled.
//
// A [Policy] is plain data: extra allowed and denied address ranges, ports
// and domains. [Policy.CheckAddr] classifies one address and returns a
// [Reason]: [Allowed] or a bounded label such as "loopback" or "nat64".
// [Guard] applies a Policy at dial time: use [Guard.DialContext] as the
// DialContext of every http.Transport that fetches an upstream or posts a
// callback, and [Guard.CheckURL] to fail a batch entry early. Such a
// Transport must have a nil Proxy (a proxy would resolve and dial the name
// itself, out of the Guard's sight), and any DialTLSContext must dial
// through the Guard too.
//
// Decisions, so that callers need not rediscover them:
//
//   - The check happens after DNS, on every dial (so on every redirect hop
//     and reconnection), and only the checked IP is dialled; the name is
//     never resolved again by the dialer. A name that resolved to a public
//     address a second ago and to an internal one now (DNS rebinding) is
//     refused on the second dial.
//   - A name is refused if ANY of its addresses is refused, even when a
//     public one comes first: this defeats answers that mix a public
//     address with an internal one.
//   - Refused by default: loopback, private (RFC 1918), link-local (which
//     holds cloud metadata 169.254.169.254), CGNAT, unspecified, multicast,
//     broadcast, documentation, benchmarking and IETF-reserved ranges,
//     unique-local and site-local IPv6, and every IPv6 address outside
//     global unicast 2000::/3. Each range cites its RFC in ranges.go.
//   - IPv6 forms that embed an IPv4 address: IPv4-mapped (::ffff:0:0/96),
//     NAT64 (64:ff9b::/96, and 64:ff9b:1::/96 inside the local-use
//     64:ff9b:1::/48, whose other addresses are refused because the IPv4
//     position is unknown) and 6to4 (2002::/16) are refused when the
//     embedded IPv4 address would be, with the form as the reason.
//     IPv4-compatible (::/96, deprecated) and Teredo (2001::/32, a tunnel
//     through third-party relays) are refused outright.
//   - Policy.Deny always refuses and is matched against the address and its
//     embedded IPv4 address. Policy.Allow opens an address when the address
//     itself, or its embedded IPv4 address for the mapped, NAT64 and 6to4
//     forms, lies inside it; a Teredo or IPv4-compatible address must be
//     listed in its IPv6 form.
//   - Refusals are *problem.Error values of type url_blocked whose cause is
//     a *[BlockedError]; the client-facing detail names the reason, never
//     the resolved address.
package netguard
