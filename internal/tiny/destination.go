package tiny

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"syscall"
)

// DestinationClass sorts destination hosts by the network they reach.
type DestinationClass uint8

// The classes of destination. A short link is followed by its visitor's
// browser, so a link to a private address sends that visitor into their
// own network (a router's admin page, a printer, a cloud instance's
// metadata service); an outgoing fetch by tiny itself would reach the
// server's network.
const (
	// PublicDestination is anything not below: allowed.
	PublicDestination DestinationClass = iota
	// PrivateDestination is loopback, unspecified, private, shared (CGNAT),
	// link-local and unique-local addresses, and names only a local network
	// resolves: refused unless DestinationRule.AllowPrivate.
	PrivateDestination
	// MetadataDestination is a cloud instance metadata service, by address
	// or by name: always refused, since it hands out credentials.
	MetadataDestination
	// ReservedDestination is multicast, broadcast and reserved space, which
	// never holds a web server: always refused.
	ReservedDestination
)

// Destination is what ClassifyAddr and ClassifyHost find out about a host.
type Destination struct {
	Class DestinationClass
	// Kind says what the host is in words, such as "loopback address" or
	// "single-label name"; empty for a public destination.
	Kind string
}

// DestinationRule is the one rule on where a link may lead, applied to
// every destination tiny accepts (create, update, bulk) and meant for every
// address tiny itself connects to on a link's behalf. The zero value
// refuses every non-public destination.
type DestinationRule struct {
	// AllowPrivate lets private destinations through, for instances that
	// shorten intranet links. Metadata and reserved ones stay refused.
	AllowPrivate bool
}

// Allows reports whether the rule lets destinations of class c through.
func (r DestinationRule) Allows(c DestinationClass) bool {
	return c == PublicDestination || c == PrivateDestination && r.AllowPrivate
}

// CheckAddr returns nil if a may be a destination, or an Invalid error on
// field "url" that says what a is.
func (r DestinationRule) CheckAddr(a netip.Addr) error {
	return r.check(ClassifyAddr(a), a.String())
}

// CheckHost is CheckAddr for a host as NormalizeURL writes it: a
// lower-case ASCII name, a dotted IPv4 address, or an IPv6 address with or
// without brackets.
func (r DestinationRule) CheckHost(host string) error {
	return r.check(ClassifyHost(host), host)
}

func (r DestinationRule) check(d Destination, host string) error {
	if r.Allows(d.Class) {
		return nil
	}
	what := WithArticle(d.Kind)
	switch d.Class {
	case MetadataDestination:
		return FieldErrorf(Invalid, "url", "url leads to %s (%s); links there are never allowed", what, host)
	case ReservedDestination:
		return FieldErrorf(Invalid, "url", "url leads to %s (%s), which is not a web destination", what, host)
	default:
		return FieldErrorf(Invalid, "url", "url leads to %s (%s); links must lead to public hosts", what, host)
	}
}

// DialControl is a net.Dialer Control for the connections tiny makes on a
// person's word (an import from another shortener's API): it refuses an
// address the rule refuses links to lead to. It runs on the address about
// to be dialled, after any DNS lookup, so a name that resolves (or is
// rebound) to a private address is refused as a literal one is.
func (r DestinationRule) DialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("not connecting to %q: not an address", address)
	}
	if d := ClassifyAddr(ap.Addr()); !r.Allows(d.Class) {
		return fmt.Errorf("not connecting to %s: it is %s", ap.Addr(), WithArticle(d.Kind))
	}
	return nil
}

// WithArticle puts "a" or "an" before kind.
func WithArticle(kind string) string {
	if kind != "" && strings.ContainsRune("aeiou", rune(kind[0])) {
		return "an " + kind
	}
	return "a " + kind
}

// IsPrivateDestination reports whether a is anything but a public address:
// private, metadata or reserved.
func IsPrivateDestination(a netip.Addr) bool {
	return ClassifyAddr(a).Class != PublicDestination
}

// metadataAddrs are the addresses of cloud instance metadata services.
// Some sit inside link-local or reserved space, one is public; all are
// refused whatever the rule.
var metadataAddrs = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // AWS, GCP, Azure, Oracle, OpenStack, DigitalOcean…
	netip.MustParseAddr("169.254.170.2"):   true, // AWS ECS task metadata and credentials
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
	netip.MustParseAddr("192.0.0.192"):     true, // Oracle Cloud (legacy)
	netip.MustParseAddr("168.63.129.16"):   true, // Azure WireServer, a public address
	netip.MustParseAddr("fd00:ec2::254"):   true, // AWS over IPv6
	netip.MustParseAddr("fd20:ce::254"):    true, // GCP over IPv6
}

// metadataNames are the host names of cloud instance metadata services.
var metadataNames = map[string]bool{
	"metadata":                   true, // GCP's search domain makes it metadata.google.internal
	"metadata.google.internal":   true,
	"metadata.goog":              true,
	"instance-data":              true, // AWS
	"instance-data.ec2.internal": true,
}

// privateSuffixes are top-level names that no public DNS answers for and
// local networks use: reserved (RFC 6762 .local, RFC 8375 home.arpa,
// ICANN's .internal), never to be delegated (.home, .corp), or common
// defaults of routers and hosts files (.lan, .localdomain, .intranet).
var privateSuffixes = []string{"local", "internal", "home.arpa", "home", "corp", "lan", "localdomain", "intranet"}

// prefixClass is a range of addresses and what they are.
type prefixClass struct {
	prefix netip.Prefix
	Destination
}

func classRanges(class DestinationClass, kind string, prefixes ...string) []prefixClass {
	out := make([]prefixClass, len(prefixes))
	for i, p := range prefixes {
		out[i] = prefixClass{netip.MustParsePrefix(p), Destination{class, kind}}
	}
	return out
}

// v4Ranges are the IPv4 ranges that are not public. Documentation ranges
// (192.0.2/24, 198.51.100/24, 203.0.113/24) are left public: nothing
// answers there, so a link to one harms no one.
var v4Ranges = slices.Concat(
	classRanges(PrivateDestination, "loopback address", "127.0.0.0/8"),
	// Browsers on Linux and macOS reach the local host through 0.0.0.0.
	classRanges(PrivateDestination, "unspecified address", "0.0.0.0/8"),
	classRanges(PrivateDestination, "private address", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"),
	classRanges(PrivateDestination, "shared (carrier-grade NAT) address", "100.64.0.0/10"),
	classRanges(PrivateDestination, "link-local address", "169.254.0.0/16"),
	// Benchmarking space that proxies and VPNs hand out as local addresses.
	classRanges(PrivateDestination, "benchmarking address", "198.18.0.0/15"),
	classRanges(ReservedDestination, "reserved address", "192.0.0.0/24", "240.0.0.0/4"),
	classRanges(ReservedDestination, "multicast address", "224.0.0.0/4"),
)

// v6Ranges are the IPv6 ranges inside 2000::/3 (global unicast) that are
// not public; everything outside 2000::/3 is classified by classifyV6.
var v6Ranges = slices.Concat(
	// Teredo, ORCHID, benchmarking: no web servers. Teredo embeds an IPv4
	// address too; refusing the whole range saves decoding it.
	classRanges(ReservedDestination, "reserved address", "2001::/23"),
)

// ClassifyAddr says what network address a reaches. An IPv6 address that
// embeds an IPv4 one (IPv4-mapped ::ffff:a.b.c.d, NAT64 64:ff9b::/96, 6to4
// 2002::/16) is classified by the IPv4 address it reaches; the deprecated
// IPv4-compatible ::a.b.c.d and Teredo are reserved. An address with a zone
// is private: only a local link has zones.
func ClassifyAddr(a netip.Addr) Destination {
	if metadataAddrs[a.WithZone("")] {
		return Destination{MetadataDestination, "cloud metadata service"}
	}
	if a.Zone() != "" {
		return Destination{PrivateDestination, "scoped address"}
	}
	if a.Is4In6() {
		return ClassifyAddr(a.Unmap())
	}
	if a.Is4() {
		return classifyIn(a, v4Ranges)
	}
	if !a.Is6() {
		return Destination{ReservedDestination, "invalid address"}
	}
	return classifyV6(a)
}

var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	nat64Local = netip.MustParsePrefix("64:ff9b:1::/48")
	sixToFour  = netip.MustParsePrefix("2002::/16")
	global6    = netip.MustParsePrefix("2000::/3")
	ula        = netip.MustParsePrefix("fc00::/7")
	linkLocal6 = netip.MustParsePrefix("fe80::/10")
	siteLocal6 = netip.MustParsePrefix("fec0::/10")
	multicast6 = netip.MustParsePrefix("ff00::/8")
)

func classifyV6(a netip.Addr) Destination {
	b := a.As16()
	switch {
	case a == netip.IPv6Loopback():
		return Destination{PrivateDestination, "loopback address"}
	case a == netip.IPv6Unspecified():
		return Destination{PrivateDestination, "unspecified address"}
	case nat64.Contains(a):
		return ClassifyAddr(netip.AddrFrom4([4]byte(b[12:16])))
	case nat64Local.Contains(a):
		return Destination{PrivateDestination, "local NAT64 address"}
	case sixToFour.Contains(a):
		return ClassifyAddr(netip.AddrFrom4([4]byte(b[2:6])))
	case ula.Contains(a):
		return Destination{PrivateDestination, "private (unique local) address"}
	case linkLocal6.Contains(a), siteLocal6.Contains(a):
		return Destination{PrivateDestination, "link-local address"}
	case multicast6.Contains(a):
		return Destination{ReservedDestination, "multicast address"}
	case !global6.Contains(a):
		// ::/96 (IPv4-compatible), 100::/64 (discard) and unassigned space.
		return Destination{ReservedDestination, "reserved address"}
	}
	return classifyIn(a, v6Ranges)
}

func classifyIn(a netip.Addr, list []prefixClass) Destination {
	for _, r := range list {
		if r.prefix.Contains(a) {
			return r.Destination
		}
	}
	return Destination{PublicDestination, ""}
}

// ClassifyHost says what network host reaches: an IP address (with or
// without brackets, IPv4 in any form a browser reads, like 2130706433 or
// 0x7f.1) by ClassifyAddr, a name by the rules of names. It does not
// resolve names: a name that public DNS resolves to a private address is
// public here, and whoever connects must check the address it gets.
func ClassifyHost(host string) Destination {
	if a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")); err == nil {
		return ClassifyAddr(a)
	}
	if a, isIP, err := parseIPv4Host(host); isIP {
		if err != nil {
			return Destination{ReservedDestination, "invalid address"}
		}
		return ClassifyAddr(a)
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if metadataNames[name] {
		return Destination{MetadataDestination, "cloud metadata service"}
	}
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return Destination{PrivateDestination, "loopback name"}
	}
	for _, s := range privateSuffixes {
		if name == s || strings.HasSuffix(name, "."+s) {
			return Destination{PrivateDestination, "local network name"}
		}
	}
	if !strings.Contains(name, ".") {
		// Resolved through the local search domains, if at all.
		return Destination{PrivateDestination, "single-label name"}
	}
	return Destination{PublicDestination, ""}
}
