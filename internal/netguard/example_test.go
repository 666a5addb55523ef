package netguard_test

import (
	"fmt"
	"net/http"
	"net/netip"

	"downloader/internal/netguard"
)

func ExamplePolicy_CheckAddr() {
	allow, err := netguard.ParsePrefixes("127.0.0.1/32")
	if err != nil {
		panic(err)
	}
	p := netguard.Policy{Allow: allow}
	for _, s := range []string{"127.0.0.1", "127.0.0.2", "169.254.169.254",
		"::ffff:10.0.0.1", "64:ff9b::a9fe:a9fe", "8.8.8.8"} {
		fmt.Println(s, p.CheckAddr(netip.MustParseAddr(s)))
	}
	// Output:
	// 127.0.0.1 allowed
	// 127.0.0.2 loopback
	// 169.254.169.254 link_local
	// ::ffff:10.0.0.1 ipv4_mapped
	// 64:ff9b::a9fe:a9fe nat64
	// 8.8.8.8 allowed
}

func ExampleGuard() {
	allow, err := netguard.ParsePrefixes("") // DOWNLOADER_SSRF_ALLOW
	if err != nil {
		panic(err)
	}
	g := &netguard.Guard{
		Policy:  netguard.Policy{Allow: allow, DenyPorts: []uint16{25}},
		OnBlock: func(r netguard.Reason) { /* count r in a metric */ },
	}
	client := &http.Client{Transport: &http.Transport{
		Proxy:       nil, // never a proxy: it would dial out of the Guard's sight
		DialContext: g.DialContext,
	}}
	_ = client
}
