package netguard

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// FuzzCheckAddr checks that CheckAddr never panics, always answers a known
// reason, ignores zones, and treats an IPv4 address and its IPv4-mapped,
// NAT64 and 6to4 forms alike, with and without an Allow range.
func FuzzCheckAddr(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "10.1.2.3", "169.254.169.254", "8.8.8.8",
		"100.64.0.1", "255.255.255.255", "192.0.2.1"} {
		f.Add(netip.MustParseAddr(s).AsSlice(), uint8(0))
		f.Add(netip.MustParseAddr(s).AsSlice(), uint8(32))
	}
	for _, s := range []string{"::1", "fe80::1", "2001:db8::1", "2606:4700::1", "64:ff9b::1",
		"64:ff9b:1::a00:1", "64:ff9b:1:2::1", "2002:a00:1::", "2001:0:1::1", "::a00:1", "::2"} {
		f.Add(netip.MustParseAddr(s).AsSlice(), uint8(64))
	}
	f.Fuzz(func(t *testing.T, raw []byte, bits uint8) {
		ip, ok := netip.AddrFromSlice(raw)
		if !ok {
			return
		}
		var p Policy
		if int(bits) <= ip.BitLen() {
			p.Allow = []netip.Prefix{netip.PrefixFrom(ip, int(bits)).Masked()}
		}
		for _, pol := range []Policy{{}, p} {
			got := pol.CheckAddr(ip)
			if got < 0 || got >= numReasons {
				t.Fatalf("CheckAddr(%s) = %d, out of range", ip, int(got))
			}
			if pol.Allow != nil && got != Allowed {
				t.Fatalf("CheckAddr(%s) = %s inside its own Allow %v", ip, got, pol.Allow)
			}
			if ip.Is6() && pol.CheckAddr(ip.WithZone("z1")) != got {
				t.Fatalf("zone changes the answer for %s", ip)
			}
			if ip.Is4() {
				checkEmbeddings(t, &pol, ip, got)
			}
		}
		if got, want := classify(ip.WithZone("")), slowClassify(ip.WithZone("")); got != want {
			t.Fatalf("classify(%s) = %s, netip.Prefix gives %s", ip, got, want)
		}
		v4, form := embedded(ip.WithZone(""))
		if wantV4, wantForm := slowEmbedded(ip.WithZone("")); v4 != wantV4 || form != wantForm {
			t.Fatalf("embedded(%s) = %s, %s; want %s, %s", ip, v4, form, wantV4, wantForm)
		}
	})
}

// slowClassify is classify written with netip.Prefix.Contains, the
// reference for the bit masks of rangeRule.
func slowClassify(ip netip.Addr) Reason {
	rules := v6Rules
	if ip.Is4() {
		rules = v4Rules
	}
	for _, r := range rules {
		if r.prefix.Contains(ip) {
			return r.reason
		}
	}
	if ip.Is6() && !globalUnicast.prefix.Contains(ip) {
		return ReasonReserved
	}
	return Allowed
}

// checkEmbeddings compares the answer for v4 with its IPv6 forms.
func checkEmbeddings(t *testing.T, p *Policy, v4 netip.Addr, want Reason) {
	t.Helper()
	b := v4.As4()
	forms := []struct {
		addr netip.Addr
		form Reason
	}{
		{netip.AddrFrom16(v4.As16()), ReasonIPv4Mapped},
		{netip.AddrFrom16([16]byte{0, 0x64, 0xff, 0x9b, 12: b[0], b[1], b[2], b[3]}), ReasonNAT64},
		{netip.AddrFrom16([16]byte{0x20, 0x02, b[0], b[1], b[2], b[3], 15: 1}), ReasonSixToFour},
	}
	for _, f := range forms {
		got := p.CheckAddr(f.addr)
		if (got == Allowed) != (want == Allowed) {
			t.Fatalf("CheckAddr(%s) = %s but CheckAddr(%s) = %s", f.addr, got, v4, want)
		}
		if want != Allowed && got != f.form {
			t.Fatalf("CheckAddr(%s) = %s, want %s", f.addr, got, f.form)
		}
	}
	teredo := netip.AddrFrom16([16]byte{0x20, 0x01, 12: ^b[0], ^b[1], ^b[2], ^b[3]})
	if got := p.CheckAddr(teredo); got != ReasonTeredo {
		t.Fatalf("CheckAddr(%s) = %s, want teredo", teredo, got)
	}
}

// FuzzParsePrefixes checks that ParsePrefixes never panics and that what it
// accepts is valid, masked and stable when printed and parsed again.
func FuzzParsePrefixes(f *testing.F) {
	for _, s := range []string{"", "127.0.0.1/32", "10.0.0.0/8, ::1", "fd00::/8,1.2.3.4",
		"::ffff:10.0.0.0/104", "10.0.0.1/33", "fe80::1%eth0", " , ", "1.2.3.4/8"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, csv string) {
		ps, err := ParsePrefixes(csv)
		if err != nil {
			return
		}
		var texts []string
		for _, p := range ps {
			if !p.IsValid() || p != p.Masked() {
				t.Fatalf("ParsePrefixes(%q) gave %v", csv, p)
			}
			texts = append(texts, p.String())
		}
		again, err := ParsePrefixes(strings.Join(texts, ","))
		if err != nil || !slices.Equal(again, ps) {
			t.Fatalf("round trip of %q: %v, %v", csv, again, err)
		}
	})
}

// FuzzCheckHost checks that CheckHost never panics and answers a known
// reason for any host and domain list.
func FuzzCheckHost(f *testing.F) {
	for _, s := range []string{"example.com", "[::1]", "127.0.0.1", "bücher.example", "0x7f.1",
		"a..b", "fe80::1%eth0", "."} {
		f.Add(s, "example.com")
	}
	f.Fuzz(func(t *testing.T, host, domain string) {
		for _, p := range []Policy{{}, {DenyDomains: []string{domain}},
			{AllowDomains: []string{domain}}} {
			if r := p.CheckHost(host); r < 0 || r >= numReasons {
				t.Fatalf("CheckHost(%q) = %d", host, int(r))
			}
		}
	})
}

// slowEmbedded is embedded written with netip.Prefix, the reference for its
// bit tests.
func slowEmbedded(ip netip.Addr) (netip.Addr, Reason) {
	pfx := netip.MustParsePrefix
	b := ip.As16()
	last := netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	switch {
	case ip.Is4():
		return netip.Addr{}, Allowed
	case pfx("::ffff:0:0/96").Contains(ip):
		return ip.Unmap(), ReasonIPv4Mapped
	case pfx("64:ff9b::/96").Contains(ip), pfx("64:ff9b:1::/96").Contains(ip):
		return last, ReasonNAT64
	case pfx("64:ff9b:1::/48").Contains(ip):
		return netip.Addr{}, ReasonNAT64
	case pfx("2002::/16").Contains(ip):
		return netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]}), ReasonSixToFour
	case pfx("2001::/32").Contains(ip):
		return netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}), ReasonTeredo
	case pfx("::/96").Contains(ip) && !pfx("::/127").Contains(ip):
		return last, ReasonIPv4Compatible
	}
	return netip.Addr{}, Allowed
}
