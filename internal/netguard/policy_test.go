package netguard

import (
	"net/netip"
	"slices"
	"strings"
	"testing"
)

func TestCheckAddrDefaultPolicy(t *testing.T) {
	tests := []struct {
		name string
		addr string
		want Reason
	}{
		// IPv4 ranges.
		{name: "this network", addr: "0.0.0.0", want: ReasonUnspecified},
		{name: "this network high", addr: "0.255.1.2", want: ReasonUnspecified},
		{name: "private 10", addr: "10.0.0.1", want: ReasonPrivate},
		{name: "private 10 top", addr: "10.255.255.255", want: ReasonPrivate},
		{name: "cgnat", addr: "100.64.0.1", want: ReasonCGNAT},
		{name: "cgnat top", addr: "100.127.255.254", want: ReasonCGNAT},
		{name: "below cgnat", addr: "100.63.255.255", want: Allowed},
		{name: "above cgnat", addr: "100.128.0.0", want: Allowed},
		{name: "loopback", addr: "127.0.0.1", want: ReasonLoopback},
		{name: "loopback other", addr: "127.1.2.3", want: ReasonLoopback},
		{name: "metadata", addr: "169.254.169.254", want: ReasonLinkLocal},
		{name: "link local", addr: "169.254.0.1", want: ReasonLinkLocal},
		{name: "private 172", addr: "172.16.0.1", want: ReasonPrivate},
		{name: "private 172 top", addr: "172.31.255.255", want: ReasonPrivate},
		{name: "public 172.32", addr: "172.32.0.1", want: Allowed},
		{name: "public 172.15", addr: "172.15.255.255", want: Allowed},
		{name: "ietf protocol", addr: "192.0.0.8", want: ReasonReserved},
		{name: "nat64 discovery", addr: "192.0.0.170", want: ReasonReserved},
		{name: "test net 1", addr: "192.0.2.1", want: ReasonDocumentation},
		{name: "6to4 relay anycast", addr: "192.88.99.1", want: ReasonReserved},
		{name: "private 192.168", addr: "192.168.1.1", want: ReasonPrivate},
		{name: "benchmarking", addr: "198.18.0.1", want: ReasonBenchmarking},
		{name: "benchmarking top", addr: "198.19.255.255", want: ReasonBenchmarking},
		{name: "test net 2", addr: "198.51.100.7", want: ReasonDocumentation},
		{name: "test net 3", addr: "203.0.113.9", want: ReasonDocumentation},
		{name: "multicast", addr: "224.0.0.1", want: ReasonMulticast},
		{name: "multicast top", addr: "239.255.255.255", want: ReasonMulticast},
		{name: "reserved class e", addr: "240.0.0.1", want: ReasonReserved},
		{name: "reserved high", addr: "255.255.255.254", want: ReasonReserved},
		{name: "broadcast", addr: "255.255.255.255", want: ReasonBroadcast},
		{name: "public v4", addr: "8.8.8.8", want: Allowed},
		{name: "public v4 other", addr: "93.184.216.34", want: Allowed},
		{name: "public v4 1.1.1.1", addr: "1.1.1.1", want: Allowed},

		// IPv6 ranges.
		{name: "v6 unspecified", addr: "::", want: ReasonUnspecified},
		{name: "v6 loopback", addr: "::1", want: ReasonLoopback},
		{name: "discard", addr: "100::1", want: ReasonReserved},
		{name: "outside 2000::/3 low", addr: "1234::1", want: ReasonReserved},
		{name: "outside 2000::/3 high", addr: "4000::1", want: ReasonReserved},
		{name: "ietf 2001::/23", addr: "2001:1::1", want: ReasonReserved},
		{name: "ietf 2001::/23 top", addr: "2001:1ff::1", want: ReasonReserved},
		{name: "benchmarking v6", addr: "2001:2::1", want: ReasonBenchmarking},
		{name: "documentation v6", addr: "2001:db8::1", want: ReasonDocumentation},
		{name: "documentation 3fff", addr: "3fff::1", want: ReasonDocumentation},
		{name: "srv6", addr: "5f00::1", want: ReasonReserved},
		{name: "unique local fc", addr: "fc00::1", want: ReasonUniqueLocal},
		{name: "unique local fd", addr: "fd12:3456::1", want: ReasonUniqueLocal},
		{name: "aws metadata v6", addr: "fd00:ec2::254", want: ReasonUniqueLocal},
		{name: "link local v6", addr: "fe80::1", want: ReasonLinkLocal},
		{name: "link local v6 zone", addr: "fe80::1%eth0", want: ReasonLinkLocal},
		{name: "site local", addr: "fec0::1", want: ReasonSiteLocal},
		{name: "multicast v6", addr: "ff02::1", want: ReasonMulticast},
		{name: "public v6", addr: "2606:4700:4700::1111", want: Allowed},
		{name: "public v6 other", addr: "2a00:1450:4001:80b::200e", want: Allowed},
		{name: "public v6 2001:200", addr: "2001:200::1", want: Allowed},

		// IPv4-mapped ::ffff:0:0/96 (RFC 4291 2.5.5.2).
		{name: "mapped loopback", addr: "::ffff:127.0.0.1", want: ReasonIPv4Mapped},
		{name: "mapped private", addr: "::ffff:10.1.2.3", want: ReasonIPv4Mapped},
		{name: "mapped metadata", addr: "::ffff:169.254.169.254", want: ReasonIPv4Mapped},
		{name: "mapped unspecified", addr: "::ffff:0.0.0.0", want: ReasonIPv4Mapped},
		{name: "mapped public", addr: "::ffff:8.8.8.8", want: Allowed},

		// IPv4-compatible ::/96 (deprecated): refused outright.
		{name: "compatible loopback", addr: "::127.0.0.1", want: ReasonIPv4Compatible},
		{name: "compatible private", addr: "::10.0.0.1", want: ReasonIPv4Compatible},
		{name: "compatible metadata", addr: "::169.254.169.254", want: ReasonIPv4Compatible},
		{name: "compatible public", addr: "::8.8.8.8", want: ReasonIPv4Compatible},

		// NAT64 well-known prefix (RFC 6052) and local-use (RFC 8215).
		{name: "nat64 loopback", addr: "64:ff9b::127.0.0.1", want: ReasonNAT64},
		{name: "nat64 private", addr: "64:ff9b::192.168.0.1", want: ReasonNAT64},
		{name: "nat64 metadata", addr: "64:ff9b::169.254.169.254", want: ReasonNAT64},
		{name: "nat64 public", addr: "64:ff9b::8.8.8.8", want: Allowed},
		{name: "nat64 local loopback", addr: "64:ff9b:1::127.0.0.1", want: ReasonNAT64},
		{name: "nat64 local private", addr: "64:ff9b:1::10.0.0.1", want: ReasonNAT64},
		{name: "nat64 local metadata", addr: "64:ff9b:1::a9fe:a9fe", want: ReasonNAT64},
		{name: "nat64 local public", addr: "64:ff9b:1::8.8.8.8", want: Allowed},
		{name: "nat64 local other /96", addr: "64:ff9b:1:1::808:808", want: ReasonNAT64},
		{name: "64:ff9b outside prefixes", addr: "64:ff9b:2::1", want: ReasonReserved},

		// 6to4 2002::/16 (RFC 3056): IPv4 in bits 16-47.
		{name: "6to4 loopback", addr: "2002:7f00:1::1", want: ReasonSixToFour},
		{name: "6to4 private", addr: "2002:c0a8:101::1", want: ReasonSixToFour},
		{name: "6to4 metadata", addr: "2002:a9fe:a9fe::", want: ReasonSixToFour},
		{name: "6to4 public", addr: "2002:808:808::1", want: Allowed},

		// Teredo 2001::/32 (RFC 4380): refused outright. The client v4 is
		// the last 32 bits inverted: 127.0.0.1 -> 80ff:fffe.
		{name: "teredo loopback", addr: "2001:0:4136:e378:8000:63bf:80ff:fffe",
			want: ReasonTeredo},
		{name: "teredo private", addr: "2001:0:4136:e378:8000:63bf:f5ff:fffe",
			want: ReasonTeredo},
		{name: "teredo metadata", addr: "2001:0:4136:e378:8000:63bf:5601:5601",
			want: ReasonTeredo},
		{name: "teredo public", addr: "2001:0:4136:e378:8000:63bf:f7f7:f7f7",
			want: ReasonTeredo},
	}
	var p Policy
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := p.CheckAddr(netip.MustParseAddr(tt.addr))
			if got != tt.want {
				t.Errorf("CheckAddr(%s) = %s, want %s", tt.addr, got, tt.want)
			}
		})
	}
}

func TestCheckAddrInvalid(t *testing.T) {
	var p Policy
	if got := p.CheckAddr(netip.Addr{}); got != ReasonInvalid {
		t.Errorf("CheckAddr(zero) = %s, want invalid", got)
	}
}

func TestEmbedded(t *testing.T) {
	tests := []struct {
		name     string
		addr     string
		wantV4   string
		wantForm Reason
	}{
		{name: "mapped", addr: "::ffff:10.1.2.3", wantV4: "10.1.2.3", wantForm: ReasonIPv4Mapped},
		{name: "compatible", addr: "::10.1.2.3", wantV4: "10.1.2.3",
			wantForm: ReasonIPv4Compatible},
		{name: "nat64", addr: "64:ff9b::a01:203", wantV4: "10.1.2.3", wantForm: ReasonNAT64},
		{name: "nat64 local", addr: "64:ff9b:1::a01:203", wantV4: "10.1.2.3",
			wantForm: ReasonNAT64},
		{name: "6to4", addr: "2002:a01:203:1::5", wantV4: "10.1.2.3", wantForm: ReasonSixToFour},
		{
			name: "teredo", addr: "2001:0:4136:e378:8000:63bf:f5fe:fdfc",
			wantV4: "10.1.2.3", wantForm: ReasonTeredo,
		},
		{name: "plain v6", addr: "2606:4700::1", wantForm: Allowed},
		{name: "v4", addr: "10.1.2.3", wantForm: Allowed},
		{name: "loopback is not compatible", addr: "::1", wantForm: Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v4, form := embedded(netip.MustParseAddr(tt.addr))
			if form != tt.wantForm {
				t.Errorf("form = %s, want %s", form, tt.wantForm)
			}
			got := ""
			if v4.IsValid() {
				got = v4.String()
			}
			if got != tt.wantV4 {
				t.Errorf("v4 = %q, want %q", got, tt.wantV4)
			}
		})
	}
}

func mustPrefixes(t *testing.T, csv string) []netip.Prefix {
	t.Helper()
	ps, err := ParsePrefixes(csv)
	if err != nil {
		t.Fatalf("ParsePrefixes(%q): %v", csv, err)
	}
	return ps
}

func TestCheckAddrAllowDeny(t *testing.T) {
	tests := []struct {
		name  string
		allow string
		deny  string
		addr  string
		want  Reason
	}{
		{name: "allow opens one loopback", allow: "127.0.0.1/32", addr: "127.0.0.1",
			want: Allowed},
		{
			name: "allow keeps rest of loopback", allow: "127.0.0.1/32",
			addr: "127.0.0.2", want: ReasonLoopback,
		},
		{name: "allow bare ip", allow: "127.0.0.1", addr: "127.0.0.1", want: Allowed},
		{name: "allow v6 loopback", allow: "::1", addr: "::1", want: Allowed},
		{name: "allow v4 not v6", allow: "127.0.0.1", addr: "::1", want: ReasonLoopback},
		{name: "allow private range", allow: "10.0.0.0/8", addr: "10.9.8.7", want: Allowed},
		{name: "allow mapped via v4", allow: "127.0.0.1/32", addr: "::ffff:127.0.0.1",
			want: Allowed},
		{name: "allow v4 via mapped", allow: "::ffff:127.0.0.1", addr: "127.0.0.1", want: Allowed},
		{name: "allow nat64 via v4", allow: "10.0.0.0/8", addr: "64:ff9b::a00:1", want: Allowed},
		{name: "allow 6to4 via v4", allow: "10.0.0.0/8", addr: "2002:a00:1::1", want: Allowed},
		{
			name: "allow does not open teredo via v4", allow: "10.0.0.0/8",
			addr: "2001:0:4136:e378:8000:63bf:f5ff:fffe", want: ReasonTeredo,
		},
		{
			name: "allow opens teredo as v6", allow: "2001::/32",
			addr: "2001:0:4136:e378:8000:63bf:f5ff:fffe", want: Allowed,
		},
		{name: "allow does not open compatible", allow: "10.0.0.0/8", addr: "::a00:1",
			want: ReasonIPv4Compatible},
		{name: "allow other range", allow: "10.0.0.0/8", addr: "192.168.0.1", want: ReasonPrivate},
		{name: "allow ula", allow: "fd00::/8", addr: "fd00:ec2::254", want: Allowed},
		{name: "deny public", deny: "8.8.8.0/24", addr: "8.8.8.8", want: ReasonDenied},
		{name: "deny leaves neighbour", deny: "8.8.8.0/24", addr: "8.8.9.8", want: Allowed},
		{name: "deny wins over allow", allow: "127.0.0.1", deny: "127.0.0.0/8", addr: "127.0.0.1",
			want: ReasonDenied},
		{name: "deny mapped", deny: "8.8.8.8", addr: "::ffff:8.8.8.8", want: ReasonDenied},
		{name: "deny nat64", deny: "8.8.8.8", addr: "64:ff9b::808:808", want: ReasonDenied},
		{name: "deny 6to4", deny: "8.8.8.8", addr: "2002:808:808::", want: ReasonDenied},
		{name: "deny v6", deny: "2606:4700::/32", addr: "2606:4700::1", want: ReasonDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{Allow: mustPrefixes(t, tt.allow), Deny: mustPrefixes(t, tt.deny)}
			if got := p.CheckAddr(netip.MustParseAddr(tt.addr)); got != tt.want {
				t.Errorf("CheckAddr(%s) = %s, want %s", tt.addr, got, tt.want)
			}
		})
	}
}

func TestParsePrefixes(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{name: "empty", in: "", want: ""},
		{name: "blanks", in: " , ,", want: ""},
		{name: "cidr", in: "10.0.0.0/8", want: "10.0.0.0/8"},
		{name: "bare v4", in: "127.0.0.1", want: "127.0.0.1/32"},
		{name: "bare v6", in: "::1", want: "::1/128"},
		{name: "masked", in: "10.1.2.3/8", want: "10.0.0.0/8"},
		{name: "several", in: "127.0.0.1/32, fd00::/8 ,192.168.0.0/16",
			want: "127.0.0.1/32,fd00::/8,192.168.0.0/16"},
		{name: "garbage", in: "localhost", wantErr: true},
		{name: "bad bits", in: "10.0.0.0/33", wantErr: true},
		{name: "zone", in: "fe80::1%eth0", wantErr: true},
		{name: "one bad of two", in: "10.0.0.0/8,x", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, err := ParsePrefixes(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if err != nil {
				if !strings.HasPrefix(err.Error(), "parse prefix ") {
					t.Errorf("error %q lacks its prefix", err)
				}
				return
			}
			var got []string
			for _, p := range ps {
				got = append(got, p.String())
			}
			if s := strings.Join(got, ","); s != tt.want {
				t.Errorf("got %q, want %q", s, tt.want)
			}
		})
	}
}

func TestCheckPort(t *testing.T) {
	tests := []struct {
		name  string
		allow []uint16
		deny  []uint16
		port  uint16
		want  Reason
	}{
		{name: "any port", port: 8080, want: Allowed},
		{name: "zero", port: 0, want: ReasonPortDenied},
		{name: "denied", deny: []uint16{25}, port: 25, want: ReasonPortDenied},
		{name: "not denied", deny: []uint16{25}, port: 80, want: Allowed},
		{name: "allowed list", allow: []uint16{80, 443}, port: 443, want: Allowed},
		{name: "outside list", allow: []uint16{80, 443}, port: 8080, want: ReasonPortDenied},
		{name: "deny wins", allow: []uint16{80}, deny: []uint16{80}, port: 80,
			want: ReasonPortDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{AllowPorts: tt.allow, DenyPorts: tt.deny}
			if got := p.CheckPort(tt.port); got != tt.want {
				t.Errorf("CheckPort(%d) = %s, want %s", tt.port, got, tt.want)
			}
		})
	}
}

func TestCheckHost(t *testing.T) {
	tests := []struct {
		name  string
		allow []string
		deny  []string
		host  string
		want  Reason
	}{
		{name: "name", host: "example.com", want: Allowed},
		{name: "literal public", host: "8.8.8.8", want: Allowed},
		{name: "literal loopback", host: "127.0.0.1", want: ReasonLoopback},
		{name: "bracketed v6", host: "[::1]", want: ReasonLoopback},
		{name: "zoned v6", host: "fe80::1%eth0", want: ReasonLinkLocal},
		{name: "deny exact", deny: []string{"example.com"}, host: "example.com",
			want: ReasonDomainDenied},
		{name: "deny subdomain", deny: []string{"example.com"}, host: "a.b.example.com",
			want: ReasonDomainDenied},
		{name: "deny not lookalike", deny: []string{"example.com"}, host: "badexample.com",
			want: Allowed},
		{name: "deny case and dot", deny: []string{"Example.COM."}, host: "WWW.example.com.",
			want: ReasonDomainDenied},
		{name: "deny wildcard entry", deny: []string{"*.example.com"}, host: "a.example.com",
			want: ReasonDomainDenied},
		{name: "allow list hit", allow: []string{"example.com"}, host: "a.example.com",
			want: Allowed},
		{name: "allow list miss", allow: []string{"example.com"}, host: "example.org",
			want: ReasonDomainDenied},
		{name: "allow list literal ip", allow: []string{"example.com"}, host: "8.8.8.8",
			want: ReasonDomainDenied},
		{name: "deny wins", allow: []string{"example.com"}, deny: []string{"x.example.com"},
			host: "x.example.com", want: ReasonDomainDenied},
		{name: "idn", deny: []string{"bücher.example"}, host: "xn--bcher-kva.example",
			want: ReasonDomainDenied},
		{name: "idn host", deny: []string{"xn--bcher-kva.example"}, host: "BÜCHER.example",
			want: ReasonDomainDenied},
		{name: "empty", host: "", want: ReasonInvalid},
		{name: "decimal ip", host: "2130706433", want: ReasonInvalid},
		{name: "short ip", host: "127.1", want: ReasonInvalid},
		{name: "hex ip", host: "0x7f.0x1", want: ReasonInvalid},
		{name: "octal ip", host: "0177.0.0.1", want: ReasonInvalid},
		{name: "bad chars", host: "a b.com", want: ReasonInvalid},
		{name: "empty label", host: "a..com", want: ReasonInvalid},
		{name: "numeric inner label", host: "123.example.com", want: Allowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Policy{AllowDomains: tt.allow, DenyDomains: tt.deny}
			if got := p.CheckHost(tt.host); got != tt.want {
				t.Errorf("CheckHost(%q) = %s, want %s", tt.host, got, tt.want)
			}
		})
	}
}

func TestReasons(t *testing.T) {
	rs := Reasons()
	if slices.Contains(rs, Allowed) {
		t.Error("Reasons() holds Allowed")
	}
	seen := map[string]bool{}
	for _, r := range rs {
		s := r.String()
		if s == "" || s == "unknown" || s != strings.ToLower(s) || strings.Contains(s, " ") {
			t.Errorf("reason %d has label %q", int(r), s)
		}
		if seen[s] {
			t.Errorf("label %q used twice", s)
		}
		seen[s] = true
	}
	if len(rs) != int(numReasons)-1 {
		t.Errorf("Reasons() has %d entries, want %d", len(rs), numReasons-1)
	}
	if Reason(-1).String() != "unknown" || numReasons.String() != "unknown" {
		t.Error("out-of-range reason is not \"unknown\"")
	}
	if Allowed.String() != "allowed" {
		t.Errorf("Allowed = %q", Allowed.String())
	}
}

func BenchmarkCheckAddr(b *testing.B) {
	benches := []struct {
		name   string
		policy Policy
		addr   string
	}{
		{name: "public_v4", addr: "93.184.216.34"},
		{name: "private_v4", addr: "192.168.1.1"},
		{name: "public_v6", addr: "2606:4700:4700::1111"},
		{name: "mapped_v4", addr: "::ffff:93.184.216.34"},
		{name: "nat64", addr: "64:ff9b::a00:1"},
		{
			name:   "public_v4_with_lists",
			policy: Policy{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
			addr:   "93.184.216.34",
		},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			ip := netip.MustParseAddr(bb.addr)
			for b.Loop() {
				_ = bb.policy.CheckAddr(ip)
			}
		})
	}
}

// lastAddr is the highest address inside p.
func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// TestRuleMasks compares the bit-mask rules with netip.Prefix at the edges
// of every range, just inside and just outside.
func TestRuleMasks(t *testing.T) {
	for _, r := range slices.Concat(v4Rules, v6Rules) {
		t.Run(r.prefix.String(), func(t *testing.T) {
			first, last := r.prefix.Addr(), lastAddr(r.prefix)
			for _, a := range []netip.Addr{first, last, first.Prev(), last.Next()} {
				if !a.IsValid() {
					continue
				}
				if got, want := classify(a), slowClassify(a); got != want {
					t.Errorf("classify(%s) = %s, want %s", a, got, want)
				}
			}
			if got := classify(first); got == Allowed {
				t.Errorf("classify(%s) allowed", first)
			}
		})
	}
}
