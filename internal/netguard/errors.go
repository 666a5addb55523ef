package netguard

import (
	"net/netip"
	"strconv"

	"downloader/internal/problem"
)

// BlockedError is the cause of every refusal. The error a [Guard] returns
// is the *problem.Error of type url_blocked (see [BlockedError.Problem])
// whose Err is the BlockedError, so both match with errors.As.
type BlockedError struct {
	// Host is the host as given (name or literal IP); at socket level it is
	// the socket address.
	Host string
	// Addr is the refused address; the zero Addr when the refusal came
	// before resolution (port, domain, malformed host).
	Addr netip.Addr
	// Port is the destination port; 0 when unknown.
	Port uint16
	// Reason says why.
	Reason Reason
}

// Error describes the refusal for logs; it may name an internal address,
// so it is never shown to a client.
func (e *BlockedError) Error() string {
	s := "block " + strconv.Quote(e.Host)
	if e.Addr.IsValid() {
		s += " address " + e.Addr.String()
	}
	if e.Port != 0 {
		s += " port " + strconv.Itoa(int(e.Port))
	}
	return s + ": " + e.Reason.String()
}

// Problem wraps e in the url_blocked problem a client sees. Its detail
// names the reason but never the resolved address, which may be internal.
func (e *BlockedError) Problem() *problem.Error {
	return problem.Wrap(problem.URLBlocked, e,
		"the destination %s is not allowed (%s)", e.Reason.noun(), e.Reason)
}
