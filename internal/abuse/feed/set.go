package feed

import (
	"iter"
	"math/bits"
	"math/rand/v2"
	"net/url"
	"strings"
)

// Kind says whether an entry is a domain (or IP address) or a URL prefix.
type Kind uint8

const (
	KindDomain Kind = iota + 1 // matches the host and all its subdomains
	KindURL                    // matches the URL and URLs under it
)

func (k Kind) String() string {
	switch k {
	case KindDomain:
		return "domain"
	case KindURL:
		return "url"
	}
	return "unknown"
}

// Match says which feed and which entry a URL matched.
type Match struct {
	Feed  string // the feed's name (its path or URL)
	Entry string // the normalised entry: "example.com" or "example.com/path"
	Kind  Kind
}

// List is one parsed feed. It is immutable and safe for concurrent use.
//
// Storage is built for million-entry feeds: all entries live in one string
// (the arena), each entry is an 8-byte span into it, and lookups go through
// an open-addressing table of 8-byte slots (32-bit hash tag + entry index),
// so a miss rarely touches the arena. That is about 24 bytes per entry plus
// the text, against ~60 for a map[string]struct{} of separate strings, and
// almost nothing for the GC to scan.
type List struct {
	name  string
	arena string
	doms  index
	urls  index
}

// Name returns the feed name given to Parse.
func (l *List) Name() string { return l.name }

// Len returns the number of unique entries.
func (l *List) Len() int { return len(l.doms.spans) + len(l.urls.spans) }

// Domains yields the domain and IP entries.
func (l *List) Domains() iter.Seq[string] { return l.doms.all(l.arena) }

// URLs yields the URL entries, as host[:port]/path[?query].
func (l *List) URLs() iter.Seq[string] { return l.urls.all(l.arena) }

type span struct{ off, n uint32 }

type index struct {
	spans []span
	table []uint64 // 0 = empty, else tag<<32 | (index into spans)+1
	mask  uint64
}

func (x *index) all(arena string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for _, sp := range x.spans {
			if !yield(arena[sp.off : sp.off+sp.n]) {
				return
			}
		}
	}
}

// build fills the table from spans, dropping duplicates (compacting spans in
// place). hash gives an entry's hash; it must agree with lookups.
func (x *index) build(arena string, hash func(string) uint64) (dups int) {
	if len(x.spans) == 0 {
		x.spans = nil
		return 0
	}
	// Load factor ≤ 1/2 keeps linear probe chains short, misses included.
	size := 1 << bits.Len(uint(2*len(x.spans)-1))
	x.table = make([]uint64, size)
	x.mask = uint64(size - 1)
	n := 0
	for _, sp := range x.spans {
		e := arena[sp.off : sp.off+sp.n]
		h := hash(e)
		tag := h >> 32
		i := h & x.mask
		dup := false
		for ; x.table[i] != 0; i = (i + 1) & x.mask {
			s := x.table[i]
			if s>>32 == tag {
				o := x.spans[uint32(s)-1]
				if arena[o.off:o.off+o.n] == e {
					dup = true
					break
				}
			}
		}
		if dup {
			dups++
			continue
		}
		x.spans[n] = sp
		n++
		x.table[i] = tag<<32 | uint64(n)
	}
	x.spans = x.spans[:n:n]
	return dups
}

// find returns the entry for hash h that eq accepts, or "" and false.
func (x *index) find(arena string, h uint64, eq func(string) bool) (string, bool) {
	if x.table == nil {
		return "", false
	}
	tag := h >> 32
	for i := h & x.mask; ; i = (i + 1) & x.mask {
		s := x.table[i]
		if s == 0 {
			return "", false
		}
		if s>>32 == tag {
			o := x.spans[uint32(s)-1]
			if e := arena[o.off : o.off+o.n]; eq(e) {
				return e, true
			}
		}
	}
}

// builder collects entries while parsing. Text and spans go into fixed-size
// chunks that are joined once at the end: growing one slice by appending
// would copy it several times over and hold old and new copies at once,
// which dominated both time and peak memory for million-entry feeds.
type builder struct {
	name string
	text chunks[byte]
	doms chunks[span]
	urls chunks[span]
}

const chunkLen = 1 << 16 // elements, so 64 KiB of text, 512 KiB of spans

type chunks[T any] struct {
	full []([]T)
	cur  []T
	n    int // elements in full
}

func (c *chunks[T]) add(v ...T) {
	if len(c.cur)+len(v) > cap(c.cur) {
		if len(c.cur) > 0 {
			c.full = append(c.full, c.cur)
			c.n += len(c.cur)
		}
		// Chunks start small (most feeds are) and double up to chunkLen.
		size := min(max(2*cap(c.cur), 256), chunkLen)
		c.cur = make([]T, 0, max(size, len(v)))
	}
	c.cur = append(c.cur, v...)
}

func (c *chunks[T]) len() int { return c.n + len(c.cur) }

func (c *chunks[T]) join() []T {
	if c.len() == 0 {
		return nil
	}
	out := make([]T, 0, c.len())
	for _, f := range c.full {
		out = append(out, f...)
	}
	out = append(out, c.cur...)
	*c = chunks[T]{}
	return out
}

func (b *builder) add(k Kind, key []byte) {
	sp := span{uint32(b.text.len()), uint32(len(key))}
	b.text.add(key...)
	if k == KindURL {
		b.urls.add(sp)
	} else {
		b.doms.add(sp)
	}
}

func (b *builder) finish(st *Stats) *List {
	var arena strings.Builder
	arena.Grow(b.text.len())
	for _, f := range b.text.full {
		arena.Write(f)
	}
	arena.Write(b.text.cur)
	b.text = chunks[byte]{}
	l := &List{
		name:  b.name,
		arena: arena.String(),
		doms:  index{spans: b.doms.join()},
		urls:  index{spans: b.urls.join()},
	}
	st.Duplicates += l.doms.build(l.arena, hashDomain)
	st.Duplicates += l.urls.build(l.arena, hashURL)
	st.Domains, st.URLs = len(l.doms.spans), len(l.urls.spans)
	return l
}

// Hashing: FNV-1a with a per-process random basis and a final mix. Domains
// are hashed right to left so that one pass over a host yields the hash of
// every suffix (example.com, b.example.com, a.b.example.com); URL keys are
// hashed left to right so one pass yields every path prefix.

const fnvPrime = 1099511628211

var hashBasis = 14695981039346656037 ^ rand.Uint64()

func mix(h uint64) uint64 {
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		c += 'a' - 'A'
	}
	return c
}

func hashDomain(s string) uint64 {
	h := hashBasis
	for i := len(s) - 1; i >= 0; i-- {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return mix(h)
}

func hashURL(s string) uint64 {
	h := hashBasis
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * fnvPrime
	}
	return mix(h)
}

// Set is the blocklist built from several feeds. It is immutable and safe
// for concurrent use; a nil *Set matches nothing.
type Set struct {
	lists   []*List
	hasURLs bool
}

// SetOf parses entries, one per element, as one feed named name: a small
// fixed list given in code rather than by a source.
func SetOf(name string, entries ...string) *Set {
	l, _, _ := Parse(strings.NewReader(strings.Join(entries, "\n")), name) // a strings.Reader cannot fail
	return NewSet(l)
}

// NewSet combines lists (nil ones are skipped). Earlier lists win when an
// entry is in several.
func NewSet(lists ...*List) *Set {
	s := &Set{}
	for _, l := range lists {
		if l == nil {
			continue
		}
		s.lists = append(s.lists, l)
		if len(l.urls.spans) > 0 {
			s.hasURLs = true
		}
	}
	return s
}

// Lists returns the lists in the set, in feed order.
func (s *Set) Lists() []*List {
	if s == nil {
		return nil
	}
	return s.lists
}

// Len returns the total number of entries over all feeds.
func (s *Set) Len() int {
	n := 0
	for _, l := range s.Lists() {
		n += l.Len()
	}
	return n
}

// MatchString parses rawURL and matches it; unparseable URLs match nothing.
func (s *Set) MatchString(rawURL string) (Match, bool) {
	if s == nil {
		return Match{}, false
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return Match{}, false
	}
	return s.Match(u)
}

// Match reports whether u's host is (a subdomain of) a listed domain, or u
// is a listed URL or under one. Broader entries are reported first. It does
// not allocate for ordinary lowercase ASCII hosts.
func (s *Set) Match(u *url.URL) (Match, bool) {
	if s == nil || len(s.lists) == 0 {
		return Match{}, false
	}
	host, ok := lookupHost(u.Hostname())
	if !ok {
		return Match{}, false
	}
	if m, ok := s.matchHost(host); ok {
		return m, true
	}
	if s.hasURLs {
		return s.matchURL(host, u)
	}
	return Match{}, false
}

// MatchHost reports whether host is (a subdomain of) a listed domain.
func (s *Set) MatchHost(host string) (Match, bool) {
	if s == nil || len(s.lists) == 0 {
		return Match{}, false
	}
	host, ok := lookupHost(host)
	if !ok {
		return Match{}, false
	}
	return s.matchHost(host)
}

// lookupHost strips the trailing dot and takes the slow path (allocating)
// only for IDNs and IPv6 literals; ASCII case is folded during hashing.
func lookupHost(h string) (string, bool) {
	h = strings.TrimSuffix(h, ".")
	if h == "" {
		return "", false
	}
	for i := 0; i < len(h); i++ {
		if c := h[i]; c >= 0x80 || c == ':' {
			b, ok := normHost(nil, []byte(h))
			return string(b), ok
		}
	}
	return h, true
}

func (s *Set) matchHost(host string) (Match, bool) {
	if strings.IndexByte(host, ':') >= 0 || isIPv4Shaped([]byte(host)) {
		// Addresses match exactly; their "suffixes" mean nothing.
		return s.probeDomain(hashDomainFold(host), host)
	}
	h := hashBasis
	for i := len(host) - 1; i >= 0; i-- {
		c := host[i]
		if c == '.' {
			if m, ok := s.probeDomain(mix(h), host[i+1:]); ok {
				return m, true
			}
		}
		h = (h ^ uint64(lower(c))) * fnvPrime
	}
	return s.probeDomain(mix(h), host)
}

func hashDomainFold(s string) uint64 {
	h := hashBasis
	for i := len(s) - 1; i >= 0; i-- {
		h = (h ^ uint64(lower(s[i]))) * fnvPrime
	}
	return mix(h)
}

func (s *Set) probeDomain(h uint64, suffix string) (Match, bool) {
	for _, l := range s.lists {
		if e, ok := l.doms.find(l.arena, h, func(e string) bool { return equalFold(e, suffix) }); ok {
			return Match{Feed: l.name, Entry: e, Kind: KindDomain}, true
		}
	}
	return Match{}, false
}

// equalFold compares an entry (lowercase) with ASCII input of any case.
func equalFold(entry, s string) bool {
	if len(entry) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if entry[i] != lower(s[i]) {
			return false
		}
	}
	return true
}

// urlKey is a URL's entry key, host[:port]/path[?query], kept in parts so
// candidates are compared without building the key string.
type urlKey struct {
	host, port, path, query string // port without ':', "" if default
}

// equal reports whether e is the key cut to path[:pl], plus "?"+query[:ql]
// when ql >= 0.
func (k *urlKey) equal(e string, pl, ql int) bool {
	n := len(k.host) + pl
	if k.port != "" {
		n += 1 + len(k.port)
	}
	if ql >= 0 {
		n += 1 + ql
	}
	if len(e) != n || !equalFold(e[:len(k.host)], k.host) {
		return false
	}
	e = e[len(k.host):]
	if k.port != "" {
		if e[0] != ':' || e[1:1+len(k.port)] != k.port {
			return false
		}
		e = e[1+len(k.port):]
	}
	if e[:pl] != k.path[:pl] {
		return false
	}
	if ql < 0 {
		return true
	}
	return e[pl] == '?' && e[pl+1:] == k.query[:ql]
}

// matchURL tries every key that is a prefix of u's key at a '/', '?' or '&'
// boundary (and every prefix ending in '/'), hashing u's key once from left
// to right.
func (s *Set) matchURL(host string, u *url.URL) (Match, bool) {
	if strings.IndexByte(host, ':') >= 0 {
		host = "[" + host + "]" // as stored; IPv6 hosts are rare
	}
	k := urlKey{host: host, path: u.EscapedPath(), query: u.RawQuery}
	if p := u.Port(); p != "80" && p != "443" {
		k.port = p
	}
	if k.path == "" {
		k.path = "/"
	}

	h := hashBasis
	for i := 0; i < len(host); i++ {
		h = (h ^ uint64(lower(host[i]))) * fnvPrime
	}
	if k.port != "" {
		h = (h ^ ':') * fnvPrime
		for i := 0; i < len(k.port); i++ {
			h = (h ^ uint64(k.port[i])) * fnvPrime
		}
	}
	for i := 0; i < len(k.path); i++ {
		c := k.path[i]
		if c == '/' && i > 0 {
			if m, ok := s.probeURL(mix(h), &k, i, -1); ok {
				return m, true
			}
		}
		h = (h ^ uint64(c)) * fnvPrime
		if c == '/' {
			// An entry ending in '/' covers everything below it.
			if m, ok := s.probeURL(mix(h), &k, i+1, -1); ok {
				return m, true
			}
		}
	}
	if k.path[len(k.path)-1] != '/' {
		if m, ok := s.probeURL(mix(h), &k, len(k.path), -1); ok {
			return m, true
		}
	}
	if k.query == "" {
		return Match{}, false
	}
	h = (h ^ '?') * fnvPrime
	for i := 0; i < len(k.query); i++ {
		c := k.query[i]
		if c == '&' {
			if m, ok := s.probeURL(mix(h), &k, len(k.path), i); ok {
				return m, true
			}
		}
		h = (h ^ uint64(c)) * fnvPrime
	}
	return s.probeURL(mix(h), &k, len(k.path), len(k.query))
}

func (s *Set) probeURL(h uint64, k *urlKey, pl, ql int) (Match, bool) {
	for _, l := range s.lists {
		if e, ok := l.urls.find(l.arena, h, func(e string) bool { return k.equal(e, pl, ql) }); ok {
			return Match{Feed: l.name, Entry: e, Kind: KindURL}, true
		}
	}
	return Match{}, false
}
