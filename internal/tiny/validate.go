package tiny

import (
	"errors"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// MaxURLLength is the longest destination URL accepted, in bytes.
const MaxURLLength = 8 << 10

// MaxAliasLength is the longest custom alias accepted.
const MaxAliasLength = 64

// reservedWords may not be used as aliases (compared case-insensitively) and
// generated codes equal to one are skipped, so a short code can never shadow
// a route of the service.
var reservedWords = map[string]bool{
	"admin": true, "api": true, "app": true, "assets": true, "auth": true,
	"dashboard": true, "docs": true, "favicon.ico": true, "health": true,
	"healthz": true, "help": true, "login": true, "logout": true,
	"metrics": true, "openapi": true, "readyz": true, "robots.txt": true,
	"signup": true, "static": true, "status": true, "ui": true,
	"well-known": true, ".well-known": true, "tiny": true, "new": true,
	"settings": true, "account": true, "report": true, "preview": true,
	"setup": true, "signin": true, "signout": true,
}

// maxReservedLength is the length of the longest reserved word.
const maxReservedLength = 16

// IsReserved reports whether name is a reserved word of the service, in any
// letter case. It does not allocate.
func IsReserved(name string) bool {
	if len(name) > maxReservedLength {
		return false
	}
	var lower [maxReservedLength]byte
	for i := 0; i < len(name); i++ {
		c := name[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	return reservedWords[string(lower[:len(name)])]
}

// ValidateAlias checks a custom alias: 1 to 64 characters of [A-Za-z0-9_-],
// not a reserved word.
func ValidateAlias(alias string) error {
	if alias == "" {
		return FieldErrorf(Invalid, "alias", "alias must not be empty")
	}
	if len(alias) > MaxAliasLength {
		return FieldErrorf(Invalid, "alias", "alias must be at most %d characters", MaxAliasLength)
	}
	for i := 0; i < len(alias); i++ {
		if !isAliasByte(alias[i]) {
			return FieldErrorf(Invalid, "alias", "alias may contain only letters, digits, '-' and '_'")
		}
	}
	if IsReserved(alias) {
		return FieldErrorf(Invalid, "alias", "alias %q is reserved", alias)
	}
	return nil
}

func isAliasByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// IsCodeSyntax reports whether s could be a short code or an alias, so that
// a path segment can be routed to the redirect without a lookup.
func IsCodeSyntax(s string) bool {
	if s == "" || len(s) > MaxAliasLength {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isAliasByte(s[i]) {
			return false
		}
	}
	return true
}

// URLPolicy says which destinations NormalizeURL refuses beyond the fixed
// rules: the service's own hosts, to prevent redirect loops, and the
// private, metadata and reserved hosts of the DestinationRule.
type URLPolicy struct {
	// OwnHosts are host[:port] values that serve this instance. A URL whose
	// host and effective port match one of them is refused. A loopback
	// one (127.0.0.1, [::1], localhost, 0.0.0.0) stands for all of them.
	OwnHosts []string
	// Destinations decides which hosts a link may lead to.
	Destinations DestinationRule
}

// NormalizeURL validates a destination URL and returns its canonical form:
// scheme and host in lower case, an IDN host in punycode, a default port
// dropped, an IPv4 address in dotted decimal (also when written as a
// number, in hex or octal, or IPv4-mapped in IPv6). It refuses anything but
// absolute http and https URLs with a host, URLs longer than MaxURLLength,
// userinfo, control characters and whitespace, links to the service itself,
// and hosts that p.Destinations refuses. Errors are Invalid with field
// "url".
func (p URLPolicy) NormalizeURL(raw string) (string, error) {
	bad := func(format string, args ...any) (string, error) {
		return "", FieldErrorf(Invalid, "url", format, args...)
	}
	if raw == "" {
		return bad("url is required")
	}
	if len(raw) > MaxURLLength {
		return bad("url must be at most %d bytes", MaxURLLength)
	}
	if !utf8.ValidString(raw) {
		return bad("url must be valid UTF-8")
	}
	for _, r := range raw {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff' {
			return bad("url must not contain whitespace or control characters")
		}
	}
	if strings.ContainsRune(raw, '\\') {
		return bad("url must not contain backslashes")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad("url is not a valid URL")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" {
		return bad("url must be absolute, with an http or https scheme")
	}
	if scheme != "http" && scheme != "https" {
		return bad("url scheme %q is not allowed; use http or https", truncate(scheme, 20))
	}
	if u.Opaque != "" || u.Host == "" {
		return bad("url must have a host")
	}
	if u.User != nil || strings.Contains(u.Host, "@") {
		return bad("url must not contain a user name or password")
	}
	host := u.Hostname()
	port := u.Port()
	if host == "" {
		return bad("url must have a host")
	}
	// url.Parse decodes %80-%FF escapes in the host, so the host can hold
	// bytes that are not UTF-8 even though raw is; IDNA would turn them
	// into U+FFFD and a punycode label that no later check accepts.
	if !utf8.ValidString(host) {
		return bad("url host is not a valid domain name")
	}
	if port != "" {
		n, err := strconv.Atoi(port)
		if err != nil || n < 1 || n > 65535 {
			return bad("url port must be between 1 and 65535")
		}
		if defaultPort(scheme) == port {
			port = ""
		}
	}
	host, err = normalizeHost(host, strings.HasPrefix(u.Host, "["))
	if err != nil {
		return "", err
	}
	u.Scheme = scheme
	u.Host = host
	if port != "" {
		u.Host = host + ":" + port
	}
	if p.isOwnHost(scheme, u.Host) {
		return bad("url points to this service; that would be a redirect loop")
	}
	if err := p.Destinations.CheckHost(host); err != nil {
		return "", err
	}
	out := u.String()
	if len(out) > MaxURLLength {
		return bad("url must be at most %d bytes", MaxURLLength)
	}
	return out, nil
}

// normalizeHost returns the canonical form of a URL's host: an IPv6
// address in brackets, an IPv4 address (IPv4-mapped IPv6 included) dotted,
// a name in lower-case punycode without a trailing dot.
func normalizeHost(host string, bracketed bool) (string, error) {
	bad := func(msg string) (string, error) { return "", FieldErrorf(Invalid, "url", "%s", msg) }
	if bracketed {
		a, err := netip.ParseAddr(host)
		if err != nil || !a.Is6() || a.Zone() != "" {
			return bad("url host is not a valid IPv6 address")
		}
		if a.Is4In6() {
			// [::ffff:8.8.8.8] reaches 8.8.8.8; "[8.8.8.8]" would not parse.
			return a.Unmap().String(), nil
		}
		return "[" + a.String() + "]", nil
	}
	if ip, isIP, err := parseIPv4Host(host); isIP {
		// Browsers read "0", "2130706433" or "0x7f.1" as IPv4 addresses;
		// store the address they will reach, so loops and IP checks see it.
		if err != nil {
			return bad("url host is not a valid IPv4 address")
		}
		return ip.String(), nil
	}
	name := strings.TrimSuffix(host, ".")
	if !hasDomainShape(name) {
		return bad("url host is not a valid domain name")
	}
	// The shape is checked again after IDNA: a label "xn--" decodes
	// to nothing, so "xn--.a" would come out as ".a".
	ascii, err := idna.Lookup.ToASCII(name)
	if err != nil || !hasDomainShape(ascii) {
		return bad("url host is not a valid domain name")
	}
	ascii = strings.ToLower(ascii)
	if _, isIP, _ := parseIPv4Host(ascii); isIP {
		// IDNA maps full-width digits and dots to ASCII ones, and browsers
		// then read "１２７.０.０.１" as 127.0.0.1: normalise it again.
		return normalizeHost(ascii, false)
	}
	return ascii, nil
}

// hasDomainShape reports whether name is one or more non-empty labels
// separated by single dots.
func hasDomainShape(name string) bool {
	return name != "" && !strings.HasPrefix(name, ".") && !strings.HasSuffix(name, ".") && !strings.Contains(name, "..")
}

// parseIPv4Host parses a host the way the WHATWG URL standard (and so every
// browser) does: when its last label is a number, the host is an IPv4
// address whose parts may be decimal, octal (leading 0) or hex (0x), and
// whose last part fills the remaining bytes. isIP is false for domain names.
func parseIPv4Host(host string) (ip netip.Addr, isIP bool, err error) {
	parts := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(parts) == 0 || !isIPv4Number(parts[len(parts)-1]) {
		return netip.Addr{}, false, nil
	}
	invalid := errors.New("invalid IPv4 host")
	if len(parts) > 4 {
		return netip.Addr{}, true, invalid
	}
	nums := make([]uint64, len(parts))
	for i, p := range parts {
		n, ok := parseIPv4Number(p)
		if !ok {
			return netip.Addr{}, true, invalid
		}
		nums[i] = n
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return netip.Addr{}, true, invalid
	}
	v := last
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return netip.Addr{}, true, invalid
		}
		v += n << (8 * (3 - i))
	}
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true, nil
}

func isIPv4Number(s string) bool {
	if s == "" {
		return false
	}
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		for _, c := range h {
			if !strings.ContainsRune("0123456789abcdef", c) {
				return false
			}
		}
		return true
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func parseIPv4Number(s string) (uint64, bool) {
	base := 10
	lower := strings.ToLower(s)
	switch {
	case strings.HasPrefix(lower, "0x"):
		base, s = 16, s[2:]
		if s == "" {
			return 0, true
		}
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	n, err := strconv.ParseUint(s, base, 64)
	if err != nil || n > 0xFFFFFFFF {
		return 0, false
	}
	return n, true
}

func (p URLPolicy) isOwnHost(scheme, hostport string) bool {
	h, port := splitHostPort(hostport, defaultPort(scheme))
	for _, own := range p.OwnHosts {
		oh, oport := splitHostPort(strings.ToLower(own), "")
		if oh != h && !(isLoopbackHost(oh) && isLoopbackHost(h)) {
			continue
		}
		if oport == "" || oport == port {
			return true
		}
	}
	return false
}

// isLoopbackHost reports whether host reaches the local machine: a
// loopback or unspecified address, or localhost. A service listening on
// one of them is reached through all of them (localhost resolves to both
// 127.0.0.1 and ::1, and 0.0.0.0 means every interface).
func isLoopbackHost(host string) bool {
	if a, err := netip.ParseAddr(host); err == nil {
		a = a.Unmap()
		return a.IsLoopback() || a.IsUnspecified() || a.Is4() && a.As4()[0] == 0
	}
	host = strings.TrimSuffix(host, ".")
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

func splitHostPort(hostport, defPort string) (host, port string) {
	if h, p, err := net.SplitHostPort(hostport); err == nil {
		return strings.Trim(h, "[]"), p
	}
	return strings.Trim(hostport, "[]"), defPort
}

func defaultPort(scheme string) string {
	if scheme == "https" {
		return "443"
	}
	return "80"
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}
