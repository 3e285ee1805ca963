package safebrowsing

import (
	"crypto/sha256"
	"errors"
	"net/netip"
	"strconv"
	"strings"
)

// Canonicalize returns url in the canonical form the Safe Browsing lists
// are hashed from (the v4 "URLs and Hashing" rules): no tab, CR or LF, no
// fragment, unescaped until stable, a lower-case host without leading,
// trailing or repeated dots, an IP host in dotted decimal, no port or
// user info, a path with "." and ".." resolved and slashes collapsed, and
// every byte <= 0x20, >= 0x7f, '#' and '%' escaped again.
func Canonicalize(url string) (string, error) {
	scheme, host, path, query, hasQuery, err := canonicalParts(url)
	if err != nil {
		return "", err
	}
	s := scheme + "://" + host + path
	if hasQuery {
		s += "?" + query
	}
	return s, nil
}

var errNoHost = errors.New("safebrowsing: URL has no host")

// canonicalParts splits url into its canonical scheme, host, path and query.
func canonicalParts(url string) (scheme, host, path, query string, hasQuery bool, err error) {
	url = dropTabsAndNewlines(url)
	url = strings.Trim(url, " ")
	if i := strings.IndexByte(url, '#'); i >= 0 {
		url = url[:i]
	}
	url = unescapeFully(url)

	scheme = "http"
	if i := strings.Index(url, "://"); i > 0 && isScheme(url[:i]) {
		scheme, url = strings.ToLower(url[:i]), url[i+3:]
	}
	// The authority ends at the first '/' or '?'.
	end := strings.IndexAny(url, "/?")
	authority, rest := url, ""
	if end >= 0 {
		authority, rest = url[:end], url[end:]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	host = canonicalHost(authority)
	if host == "" {
		return "", "", "", "", false, errNoHost
	}
	path = rest
	if i := strings.IndexByte(rest, '?'); i >= 0 {
		path, query, hasQuery = rest[:i], rest[i+1:], true
	}
	path = canonicalPath(path)
	return escape(scheme), escape(host), escape(path), escape(query), hasQuery, nil
}

// dropTabsAndNewlines removes tab, CR and LF byte-wise: invalid UTF-8
// stays as it is.
func dropTabsAndNewlines(s string) string {
	if !strings.ContainsAny(s, "\t\r\n") {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != '\t' && c != '\r' && c != '\n' {
			b = append(b, c)
		}
	}
	return string(b)
}

func isScheme(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.')) {
			return false
		}
	}
	return s != ""
}

// unescapeFully percent-unescapes s until it holds no more escapes.
func unescapeFully(s string) string {
	for {
		u := unescapeOnce(s)
		if u == s {
			return s
		}
		s = u
	}
}

func unescapeOnce(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isHex(c byte) bool { return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' }

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

// escape escapes the bytes the rules name, with upper-case hex digits.
func escape(s string) string {
	const digits = "0123456789ABCDEF"
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= 0x20 || c >= 0x7f || c == '#' || c == '%' {
			b.WriteByte('%')
			b.WriteByte(digits[c>>4])
			b.WriteByte(digits[c&15])
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x20 || c >= 0x7f || c == '#' || c == '%' {
			return true
		}
	}
	return false
}

// canonicalHost drops the port, trims and collapses dots, writes an IPv4
// address in any of its forms as dotted decimal, and lower-cases the rest.
func canonicalHost(authority string) string {
	host := authority
	if strings.HasPrefix(host, "[") { // IPv6 literal, kept as written
		if i := strings.IndexByte(host, ']'); i >= 0 {
			return asciiLower(host[:i+1])
		}
	}
	if i := strings.LastIndexByte(host, ':'); i >= 0 {
		host = host[:i]
	}
	host = strings.Trim(host, ".")
	for strings.Contains(host, "..") {
		host = strings.ReplaceAll(host, "..", ".")
	}
	if ip, ok := parseIPv4(host); ok {
		return ip
	}
	return asciiLower(host)
}

// asciiLower lower-cases ASCII letters only: strings.ToLower would turn
// invalid UTF-8 into U+FFFD, and the lists hash the bytes as they are.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// parseIPv4 reads the forms inet_aton accepts: one to four parts, each
// decimal, octal (leading 0) or hex (0x); the last part fills the bytes
// left.
func parseIPv4(host string) (string, bool) {
	parts := strings.Split(host, ".")
	if len(parts) == 0 || len(parts) > 4 {
		return "", false
	}
	var vals []uint64
	for _, p := range parts {
		base, digits := 10, p
		switch {
		case len(p) > 2 && (p[:2] == "0x" || p[:2] == "0X"):
			base, digits = 16, p[2:]
		case len(p) > 1 && p[0] == '0':
			base, digits = 8, p[1:]
		}
		v, err := strconv.ParseUint(digits, base, 32)
		if err != nil {
			return "", false
		}
		vals = append(vals, v)
	}
	var n uint64
	for i, v := range vals[:len(vals)-1] {
		if v > 255 {
			return "", false
		}
		n |= v << (8 * (3 - i))
	}
	last := vals[len(vals)-1]
	if last >= 1<<(8*(5-len(vals))) {
		return "", false
	}
	n |= last
	a := netip.AddrFrom4([4]byte{byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)})
	return a.String(), true
}

// canonicalPath resolves "." and ".." and collapses slashes; an empty
// path is "/".
func canonicalPath(p string) string {
	if p == "" {
		return "/"
	}
	if !strings.Contains(p, "//") && !strings.Contains(p, "/./") && !strings.Contains(p, "/../") &&
		!strings.HasSuffix(p, "/.") && !strings.HasSuffix(p, "/..") {
		return p // already canonical, as most paths are
	}
	trailing := strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.") || strings.HasSuffix(p, "/..")
	var out []string
	for _, seg := range strings.Split(p, "/") {
		switch seg {
		case "", ".":
		case "..":
			if len(out) > 0 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	s := "/" + strings.Join(out, "/")
	if trailing && len(out) > 0 {
		s += "/"
	}
	return s
}

// Expressions returns the host-suffix/path-prefix expressions of url that
// are looked up in the lists: the exact host and up to four suffixes of
// its last five components (none for an IP address), each with the path
// and query, the path alone, and up to four leading directories.
func Expressions(url string) ([]string, error) {
	_, host, path, query, hasQuery, err := canonicalParts(url)
	if err != nil {
		return nil, err
	}
	hosts := []string{host}
	if _, err := netip.ParseAddr(strings.Trim(host, "[]")); err != nil { // an IP address has no suffixes
		parts := strings.Split(host, ".")
		start := max(1, len(parts)-5)
		for i := start; i < len(parts)-1 && len(hosts) < 5; i++ {
			hosts = append(hosts, strings.Join(parts[i:], "."))
		}
	}
	var paths []string
	if hasQuery {
		paths = append(paths, path+"?"+query)
	}
	paths = append(paths, path)
	dirs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	prefix := "/"
	for i := 0; i < len(dirs) && i < 4; i++ {
		if prefix != path {
			paths = append(paths, prefix)
		}
		if i == len(dirs)-1 {
			break
		}
		prefix += dirs[i] + "/"
	}
	out := make([]string, 0, len(hosts)*len(paths))
	for _, h := range hosts {
		for _, p := range paths {
			out = append(out, h+p) // distinct: the hosts differ, and so do the paths
		}
	}
	return out, nil
}

// Hash returns the SHA-256 of an expression, the full hash the lists'
// prefixes are cut from.
func Hash(expression string) [32]byte { return sha256.Sum256([]byte(expression)) }
