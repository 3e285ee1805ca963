package feed

import (
	"bufio"
	"bytes"
	"io"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// MaxLineLen is the longest line Parse accepts; longer lines are counted as
// invalid and skipped rather than failing the whole feed.
const MaxLineLen = 8 << 10

// Stats describes one parse of a feed.
type Stats struct {
	Lines        int   // lines read
	Bytes        int64 // bytes read
	Domains      int   // unique domain (and IP) entries kept
	URLs         int   // unique URL entries kept
	Comments     int   // comment, header and blank lines
	Ignored      int   // localhost-style hosts entries and loopback/unspecified IPs
	Duplicates   int   // entries already present in the same feed
	Invalid      int   // unparseable, unsupported or overlong entries, skipped
	FirstInvalid int   // line number of the first invalid entry, 0 if none
}

// Parse reads a feed in any of the supported formats, detected per line so
// mixed files work:
//
//	example.com, *.example.com, .example.com   domain (matches subdomains too)
//	http://example.com/path                   URL (matches that URL and paths under it)
//	0.0.0.0 a.example b.example               hosts file; each name is a domain
//	||example.com^                            AdBlock domain rule
//	# ! ; [                                   comments and list headers
//
// Invalid lines are counted in Stats and skipped; the only error returned is
// one from r.
func Parse(r io.Reader, name string) (*List, Stats, error) {
	p := parser{b: builder{name: name}}
	br := bufio.NewReaderSize(r, 64<<10)
	for {
		line, err := br.ReadSlice('\n')
		p.st.Bytes += int64(len(line))
		if err == bufio.ErrBufferFull {
			// Far longer than MaxLineLen: drop the rest of the line.
			for err == bufio.ErrBufferFull {
				line, err = br.ReadSlice('\n')
				p.st.Bytes += int64(len(line))
			}
			p.st.Lines++
			p.invalid()
		} else if len(line) > 0 {
			p.line(line)
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, p.st, err
		}
	}
	l := p.b.finish(&p.st)
	return l, p.st, nil
}

type parser struct {
	b       builder
	st      Stats
	scratch []byte
}

func (p *parser) invalid() {
	p.st.Invalid++
	if p.st.FirstInvalid == 0 {
		p.st.FirstInvalid = p.st.Lines
	}
}

var bom = []byte("\xef\xbb\xbf")

func (p *parser) line(b []byte) {
	p.st.Lines++
	if p.st.Lines == 1 {
		b = bytes.TrimPrefix(b, bom)
	}
	if len(b) > MaxLineLen {
		p.invalid()
		return
	}
	b = bytes.TrimSpace(b)
	if i := trailingComment(b); i >= 0 {
		// Only a '#' after whitespace: "example.com##.ad" is an AdBlock
		// element-hiding rule, and cutting it would block all of
		// example.com.
		b = bytes.TrimSpace(b[:i])
	}
	if len(b) == 0 {
		p.st.Comments++
		return
	}
	switch b[0] {
	case '#', '!', ';', '[':
		p.st.Comments++
		return
	}

	first, rest := nextField(b)
	switch {
	case bytes.HasPrefix(first, []byte("||")):
		if len(rest) > 0 {
			p.invalid()
			return
		}
		p.adblock(first[2:])
	case bytes.Contains(first, []byte("://")):
		if len(rest) > 0 {
			p.invalid()
			return
		}
		p.url(string(first))
	case looksLikeIP(first):
		if _, err := netip.ParseAddr(string(first)); err != nil {
			p.invalid()
			return
		}
		if len(rest) == 0 {
			p.host(first) // a bare address is an entry
			return
		}
		// Hosts file: the address is where names are sent, the names are
		// the entries.
		for len(rest) > 0 {
			var name []byte
			name, rest = nextField(rest)
			p.host(name)
		}
	default:
		if len(rest) > 0 {
			p.invalid()
			return
		}
		p.host(first)
	}
}

// trailingComment returns the index of a '#' that starts a comment (preceded
// by whitespace), or -1.
func trailingComment(b []byte) int {
	for i := 1; i < len(b); i++ {
		if b[i] == '#' && (b[i-1] == ' ' || b[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// nextField splits off the first whitespace-separated field without
// allocating (bytes.Fields would, once per line).
func nextField(b []byte) (field, rest []byte) {
	i := 0
	for i < len(b) && b[i] != ' ' && b[i] != '\t' {
		i++
	}
	field = b[:i]
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	return field, b[i:]
}

// looksLikeIP is a cheap filter so netip.ParseAddr (which allocates an
// error on failure) only sees plausible addresses.
func looksLikeIP(b []byte) bool {
	digitsDots := true
	for _, c := range b {
		switch {
		case c == ':':
			return true
		case c == '.' || c >= '0' && c <= '9':
		default:
			digitsDots = false
		}
	}
	return digitsDots && len(b) > 0
}

func (p *parser) adblock(b []byte) {
	// Only plain "||host^" rules: options ($third-party, ...) and paths
	// change the meaning in ways a link blocklist cannot honour.
	b, ok := bytes.CutSuffix(b, []byte("^"))
	if !ok || bytes.ContainsAny(b, "^$/*|") {
		p.invalid()
		return
	}
	p.host(b)
}

// host adds a domain or IP entry; raw may carry "*." or "." in front.
func (p *parser) host(raw []byte) {
	if r, ok := bytes.CutPrefix(raw, []byte("*.")); ok {
		raw = r
	} else if r, ok := bytes.CutPrefix(raw, []byte(".")); ok {
		raw = r
	}
	var ok bool
	p.scratch, ok = normHost(p.scratch[:0], raw)
	if !ok {
		p.invalid()
		return
	}
	if ignoredName(p.scratch) {
		p.st.Ignored++
		return
	}
	if !validEntryHost(p.scratch) {
		p.invalid()
		return
	}
	p.b.add(KindDomain, p.scratch)
}

// ignoredName reports the names and addresses hosts files carry for the
// machine itself; they say nothing about abuse.
func ignoredName(h []byte) bool {
	switch string(h) {
	case "local", "broadcasthost":
		return true
	}
	if bytes.HasPrefix(h, []byte("localhost")) || bytes.HasPrefix(h, []byte("ip6-")) {
		return true
	}
	if isIPv4Shaped(h) || bytes.IndexByte(h, ':') >= 0 {
		// The addresses hosts files point names at (0.0.0.0, 127.0.0.1, ::).
		a, err := netip.ParseAddr(string(h))
		return err == nil && (a.IsUnspecified() || a.IsLoopback())
	}
	return false
}

// validEntryHost rejects names that would block far too much: single
// labels ("com") and ICANN public suffixes ("co.uk").
func validEntryHost(h []byte) bool {
	if isIPv4Shaped(h) || bytes.IndexByte(h, ':') >= 0 {
		return true // normHost already checked it is a canonical address
	}
	if bytes.IndexByte(h, '.') < 0 {
		return false
	}
	s := string(h)
	ps, icann := publicsuffix.PublicSuffix(s)
	return !(icann && ps == s)
}

func (p *parser) url(raw string) {
	key, isDomain, ok := normURL(p.scratch[:0], raw)
	p.scratch = key
	if !ok {
		p.invalid()
		return
	}
	if isDomain {
		if ignoredName(key) {
			p.st.Ignored++
			return
		}
		if !validEntryHost(key) {
			p.invalid()
			return
		}
		p.b.add(KindDomain, key)
		return
	}
	p.b.add(KindURL, key)
}

// normURL turns an http(s) URL into its entry key, host[:port]/path[?query],
// appended to dst. A URL with no path, query or unusual port is a domain
// entry and the key is just the host.
func normURL(dst []byte, raw string) (key []byte, isDomain, ok bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Opaque != "" {
		return dst, false, false
	}
	dst, ok = normHost(dst, []byte(u.Hostname()))
	if !ok {
		return dst, false, false
	}
	port := u.Port()
	if port == "80" || port == "443" {
		// Dropped whatever the scheme, so keys do not depend on it.
		port = ""
	}
	path := u.EscapedPath()
	if port == "" && (path == "" || path == "/") && u.RawQuery == "" {
		return dst, true, true
	}
	if bytes.IndexByte(dst, ':') >= 0 {
		// IPv6: brackets keep the port and path unambiguous.
		dst = append(append([]byte{'['}, dst...), ']')
	}
	if port != "" {
		dst = append(dst, ':')
		dst = append(dst, port...)
	}
	if path == "" {
		path = "/"
	}
	dst = append(dst, path...)
	if u.RawQuery != "" {
		dst = append(dst, '?')
		dst = append(dst, u.RawQuery...)
	}
	return dst, false, true
}

// normHost appends the canonical form of a host name or IP address to dst:
// lowercase ASCII, IDNs as punycode, no trailing dot, canonical IP text.
func normHost(dst, h []byte) ([]byte, bool) {
	h = bytes.TrimSuffix(h, []byte("."))
	if len(h) == 0 || len(h) > 253 {
		return dst, false
	}
	start := len(dst)
	ascii := true
	for _, c := range h {
		if c >= 0x80 {
			ascii = false
			break
		}
	}
	if !ascii {
		a, err := idna.Lookup.ToASCII(string(h))
		if err != nil {
			return dst, false
		}
		h = []byte(strings.TrimSuffix(a, "."))
		if len(h) == 0 || len(h) > 253 {
			return dst, false
		}
	}
	if bytes.IndexByte(h, ':') >= 0 {
		a, err := netip.ParseAddr(string(h))
		if err != nil || !a.Is6() || a.Zone() != "" {
			return dst, false
		}
		return a.AppendTo(dst), true
	}
	label, punycode := 0, false
	for i, c := range h {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-', c == '_':
		case c >= 'A' && c <= 'Z':
			c += 'a' - 'A'
		case c == '.':
			if label == 0 {
				return dst[:start], false
			}
			label = 0
			dst = append(dst, c)
			continue
		default:
			return dst[:start], false
		}
		if label == 0 && hasPrefixFold(h[i:], "xn--") {
			punycode = true
		}
		label++
		if label > 63 {
			return dst[:start], false
		}
		dst = append(dst, c)
	}
	if label == 0 {
		return dst[:start], false
	}
	out := dst[start:]
	if isIPv4Shaped(out) {
		// Numeric last label: only a canonical IPv4 address is a host.
		a, err := netip.ParseAddr(string(out))
		if err != nil || !a.Is4() || a.String() != string(out) {
			return dst[:start], false
		}
		return dst, true
	}
	if punycode {
		// An "xn--" label must decode to a valid IDN, or it is garbage that
		// no browser would resolve. Checked per label so an underscore
		// elsewhere in the name (invalid for IDNA, common in feeds) is fine.
		for l := range strings.SplitSeq(string(out), ".") {
			if strings.HasPrefix(l, "xn--") {
				if _, err := idna.Lookup.ToUnicode(l); err != nil {
					return dst[:start], false
				}
			}
		}
	}
	return dst, true
}

func hasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && strings.EqualFold(string(b[:len(prefix)]), prefix)
}

// isIPv4Shaped reports whether the last label is all digits, which for a
// host means it can only be an IPv4 address.
func isIPv4Shaped(h []byte) bool {
	i := bytes.LastIndexByte(h, '.') + 1
	if i == len(h) {
		return false
	}
	for _, c := range h[i:] {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
