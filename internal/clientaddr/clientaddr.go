// Package clientaddr decides who the client of a request is, once for every
// path (the redirect fast path, the API, pages, rate limits and visitor
// hashes), so that they can never disagree.
//
// The client is the socket's peer, unless the peer is a trusted proxy: then
// it is the rightmost X-Forwarded-For entry that is not itself a trusted
// proxy. Entries to the left of that one were written by the client and
// prove nothing. Several X-Forwarded-For header lines are one list, joined
// in order (RFC 9110, section 5.3). A request from an untrusted peer has its
// header ignored.
//
// The identity of an address, for rate limits and unique visitors, is its
// Key: an IPv4 address itself, an IPv6 address masked to a prefix (/64 by
// default), since one subscriber commonly holds a whole /64 and can pick a
// fresh address from it for every request.
//
// Both decisions are allocation-free for well-formed input, for the
// redirect fast path.
package clientaddr

import (
	"fmt"
	"net/netip"
	"strings"
)

// DefaultIPv6Prefix is the prefix length an IPv6 address is keyed on when
// none is configured: the /64 of one subscriber's network.
const DefaultIPv6Prefix = 64

// The range of IPv6 key prefixes: shorter than /32 would put whole
// providers in one bucket.
const (
	MinIPv6Prefix = 32
	MaxIPv6Prefix = 128
)

// maxEntry is longer than any address an entry may hold, with brackets, a
// zone of an interface name and a port; a longer entry is garbage and is not
// parsed.
const maxEntry = 64

// Policy decides the client address of a request and its Key. The zero
// Policy trusts no proxy and keys IPv6 on DefaultIPv6Prefix. A Policy is
// safe for concurrent use.
type Policy struct {
	trusted []netip.Prefix
	v6bits  int
}

// New returns a Policy that trusts the proxies in trusted and keys IPv6
// addresses on their first ipv6Prefix bits (0: DefaultIPv6Prefix).
// Errors: ipv6Prefix out of MinIPv6Prefix..MaxIPv6Prefix, or an invalid
// trusted prefix.
func New(trusted []netip.Prefix, ipv6Prefix int) (Policy, error) {
	if ipv6Prefix == 0 {
		ipv6Prefix = DefaultIPv6Prefix
	}
	if err := CheckIPv6Prefix(ipv6Prefix); err != nil {
		return Policy{}, err
	}
	p := Policy{v6bits: ipv6Prefix, trusted: make([]netip.Prefix, 0, len(trusted))}
	for _, t := range trusted {
		if !t.IsValid() {
			return Policy{}, fmt.Errorf("trusted proxy %v is not a valid prefix", t)
		}
		p.trusted = append(p.trusted, normalPrefix(t))
	}
	return p, nil
}

// CheckIPv6Prefix returns an error unless bits is an IPv6 key prefix length
// New accepts.
func CheckIPv6Prefix(bits int) error {
	if bits < MinIPv6Prefix || bits > MaxIPv6Prefix {
		return fmt.Errorf("IPv6 prefix length %d is outside %d..%d", bits, MinIPv6Prefix, MaxIPv6Prefix)
	}
	return nil
}

// ParseProxy parses a trusted proxy as configured: an address
// ("127.0.0.1", "::1") or a network in CIDR notation ("10.0.0.0/8").
// Host bits of a network are dropped, and an IPv4-mapped IPv6 network is
// its IPv4 network. A zone is refused: addresses are matched without one.
func ParseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "%") {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q: a zone has no meaning here; give the address without it", s)
	}
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, fmt.Errorf("trusted proxy %q is not an address or a CIDR network", s)
		}
		return normalPrefix(p), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("trusted proxy %q is not an address or a CIDR network", s)
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// normalPrefix masks p and turns an IPv4-mapped IPv6 network into its IPv4
// network, since addresses are unmapped before they are matched.
func normalPrefix(p netip.Prefix) netip.Prefix {
	p = p.Masked()
	if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
		return netip.PrefixFrom(a.Unmap(), p.Bits()-96)
	}
	return p
}

// Trusted returns the trusted proxies, as matched.
func (p Policy) Trusted() []netip.Prefix { return p.trusted }

// IPv6Prefix returns the prefix length IPv6 addresses are keyed on.
func (p Policy) IPv6Prefix() int {
	if p.v6bits == 0 {
		return DefaultIPv6Prefix
	}
	return p.v6bits
}

// Trusts reports whether a is a trusted proxy. Its zone is ignored, and an
// IPv4-mapped IPv6 address counts as its IPv4 address.
func (p Policy) Trusts(a netip.Addr) bool {
	if len(p.trusted) == 0 {
		return false
	}
	a = normal(a)
	// A handful of prefixes: a scan beats any index.
	for _, t := range p.trusted {
		if t.Contains(a) {
			return true
		}
	}
	return false
}

// Client returns the client address of a request that came from peer with
// the X-Forwarded-For header lines forwardedFor. The address has no zone and
// is unmapped; it is the zero Addr only when peer is invalid and untrusted.
//
// When peer is not a trusted proxy the lines are ignored. Otherwise the
// entries of all lines are walked from the right: the first one that is not
// a trusted proxy is the client. When every entry is trusted, the leftmost
// is. Empty entries are skipped (RFC 9110 allows them). An entry may carry a
// port ("192.0.2.1:4711", "[2001:db8::1]:4711"), which is dropped.
//
// An entry that is not an address ("unknown", a host name, garbage) ends the
// walk, and the last address read (a trusted proxy, or the peer) is the
// client: the proxy that wrote garbage is all that is known, so its clients
// share its identity rather than gain one of their choosing.
func (p Policy) Client(peer netip.Addr, forwardedFor []string) netip.Addr {
	client := normal(peer)
	if !p.Trusts(client) {
		return client
	}
	for i := len(forwardedFor) - 1; i >= 0; i-- {
		line := forwardedFor[i]
		for len(line) > 0 {
			var entry string
			if j := strings.LastIndexByte(line, ','); j >= 0 {
				entry, line = line[j+1:], line[:j]
			} else {
				entry, line = line, ""
			}
			entry = trimOWS(entry)
			if entry == "" {
				continue
			}
			a, ok := parseEntry(entry)
			if !ok {
				return client
			}
			client = a
			if !p.Trusts(a) {
				return a
			}
		}
	}
	return client
}

// Key returns the rate-limit and visitor identity of a: an IPv4 address as
// a /32, an IPv6 address masked to the Policy's prefix. An IPv4-mapped IPv6
// address is keyed as IPv4, and a zone is ignored. The zero Addr has the
// zero Prefix as its key.
func (p Policy) Key(a netip.Addr) netip.Prefix {
	a = normal(a)
	if a.Is4() {
		return netip.PrefixFrom(a, 32)
	}
	k, _ := a.Prefix(p.IPv6Prefix()) // fails only for the zero Addr, giving the zero Prefix
	return k
}

// KeyString returns Key(a) as text for a rate-limit bucket name: the IPv4
// address alone ("192.0.2.1"), or the IPv6 network ("2001:db8:7:7::/64").
func (p Policy) KeyString(a netip.Addr) string {
	k := p.Key(a)
	if k.Addr().Is4() {
		return k.Addr().String()
	}
	return k.String()
}

// normal drops a's zone and unmaps an IPv4-mapped address.
func normal(a netip.Addr) netip.Addr { return a.WithZone("").Unmap() }

// trimOWS trims the optional whitespace of HTTP (spaces and tabs).
func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

// parseEntry parses one X-Forwarded-For entry: an address, with a zone or a
// port or both allowed. The result is normal.
func parseEntry(s string) (netip.Addr, bool) {
	// Cheap refusals first: netip's error for garbage costs an allocation.
	if len(s) > maxEntry || !maybeAddr(s[0]) {
		return netip.Addr{}, false
	}
	// An address with a port is "[v6]:port" or "v4:port": an IPv6 address
	// has at least two colons. The forms are told apart before parsing.
	if c := strings.IndexByte(s, ':'); s[0] == '[' || c >= 0 && c == strings.LastIndexByte(s, ':') {
		if ap, err := netip.ParseAddrPort(s); err == nil {
			return normal(ap.Addr()), true
		}
	} else if a, err := netip.ParseAddr(s); err == nil {
		return normal(a), true
	}
	return netip.Addr{}, false
}

// maybeAddr reports whether c may start an address entry.
func maybeAddr(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' || c == ':' || c == '['
}
