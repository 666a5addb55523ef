package netguard

// Reason says why a destination is refused. The zero value, [Allowed], means
// it is not refused. Every other value is a bounded, stable label for logs
// and metrics; see [Reasons].
type Reason int

// The reasons a destination can be refused. Add to the list, never rename:
// the strings are metric label values.
const (
	Allowed              Reason = iota // not refused
	ReasonLoopback                     // 127.0.0.0/8, ::1
	ReasonPrivate                      // RFC 1918
	ReasonLinkLocal                    // 169.254.0.0/16 (cloud metadata), fe80::/10
	ReasonCGNAT                        // 100.64.0.0/10
	ReasonUnspecified                  // 0.0.0.0/8, ::
	ReasonMulticast                    // 224.0.0.0/4, ff00::/8
	ReasonBroadcast                    // 255.255.255.255
	ReasonReserved                     // IETF or IANA reserved, not globally reachable
	ReasonDocumentation                // TEST-NETs, 2001:db8::/32, 3fff::/20
	ReasonBenchmarking                 // 198.18.0.0/15, 2001:2::/48
	ReasonUniqueLocal                  // fc00::/7
	ReasonSiteLocal                    // fec0::/10
	ReasonIPv4Mapped                   // ::ffff:0:0/96 holding a refused IPv4
	ReasonIPv4Compatible               // ::/96, deprecated
	ReasonNAT64                        // 64:ff9b::/96, 64:ff9b:1::/48 holding a refused IPv4
	ReasonSixToFour                    // 2002::/16 holding a refused IPv4
	ReasonTeredo                       // 2001::/32
	ReasonDenied                       // inside Policy.Deny
	ReasonPortDenied                   // port refused by Policy.AllowPorts or DenyPorts
	ReasonDomainDenied                 // name refused by Policy.AllowDomains or DenyDomains
	ReasonInvalid                      // not an address or a well-formed host name
	numReasons
)

var reasonNames = [numReasons]string{
	Allowed:              "allowed",
	ReasonLoopback:       "loopback",
	ReasonPrivate:        "private",
	ReasonLinkLocal:      "link_local",
	ReasonCGNAT:          "cgnat",
	ReasonUnspecified:    "unspecified",
	ReasonMulticast:      "multicast",
	ReasonBroadcast:      "broadcast",
	ReasonReserved:       "reserved",
	ReasonDocumentation:  "documentation",
	ReasonBenchmarking:   "benchmarking",
	ReasonUniqueLocal:    "unique_local",
	ReasonSiteLocal:      "site_local",
	ReasonIPv4Mapped:     "ipv4_mapped",
	ReasonIPv4Compatible: "ipv4_compatible",
	ReasonNAT64:          "nat64",
	ReasonSixToFour:      "6to4",
	ReasonTeredo:         "teredo",
	ReasonDenied:         "denied",
	ReasonPortDenied:     "port_denied",
	ReasonDomainDenied:   "domain_denied",
	ReasonInvalid:        "invalid",
}

// String is the snake_case label of r; "unknown" for a value outside the
// list, so the set of labels stays bounded.
func (r Reason) String() string {
	if r < 0 || r >= numReasons {
		return "unknown"
	}
	return reasonNames[r]
}

// Reasons lists every refusing Reason (all but [Allowed]), for metrics that
// pre-register their label values.
func Reasons() []Reason {
	rs := make([]Reason, 0, numReasons-1)
	for r := Allowed + 1; r < numReasons; r++ {
		rs = append(rs, r)
	}
	return rs
}

// noun names what a refusal is about, for the client-facing detail.
func (r Reason) noun() string {
	switch r {
	case ReasonPortDenied:
		return "port"
	case ReasonDomainDenied:
		return "domain"
	case ReasonInvalid:
		return "host"
	default:
		return "address"
	}
}
