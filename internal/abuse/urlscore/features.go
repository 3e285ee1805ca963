// Package urlscore scores a URL by its text alone: a logistic regression on
// hashed character n-grams, tokens and a few named heuristics (IP hosts,
// brand look-alikes, free hosting, shorteners, …). It never fetches or
// resolves the URL, so it can run on every new link before it is stored.
//
// The features leave out what the training data gives away without saying
// anything about abuse: the scheme, the length of the URL, the digits of
// years and whether the URL is a bare host. See docs/safety.md.
package urlscore

import (
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/net/idna"
	"golang.org/x/net/publicsuffix"
)

// Buckets is the number of slots the features are hashed into. 2^20
// rather than 2^18: fewer n-grams share a slot, which measured better in
// grouped cross-validation; only the slots with a weight are stored.
const Buckets = 1 << 20

// featureVersion names the feature scheme; a model file trained on another
// scheme is refused, since its weights would land in the wrong slots.
const featureVersion = "urlscore-features-2"

// Feature is one non-zero entry of a sparse feature vector.
type Feature struct {
	Index uint32
	Value float32
}

// Signal is a named heuristic that fired on a URL, for explaining a
// decision to people.
type Signal struct {
	Name   string `json:"name"`
	Detail string `json:"detail"`
	// Weight is the signal's contribution to the log-odds of the score. It
	// is zero from Heuristics, which knows no model, and set by Explain.
	Weight float64 `json:"weight"`
}

// Signal names.
const (
	SigIPHost          = "ip-host"
	SigPunycode        = "punycode-host"
	SigMixedScript     = "mixed-script-host"
	SigBrandSubdomain  = "brand-in-subdomain"
	SigBrandDomain     = "brand-in-domain"
	SigBrandPath       = "brand-in-path"
	SigBrandLookalike  = "brand-lookalike"
	SigManySubdomains  = "many-subdomains"
	SigShortener       = "url-shortener"
	SigFreeHosting     = "free-hosting"
	SigSuspiciousPath  = "suspicious-words"
	SigSuspiciousHost  = "suspicious-host-words"
	SigCredentialsTrap = "userinfo-in-url"
	SigRedirectParam   = "url-in-query"
	// SigBrandOwn fires on a brand's own domain. Phishing copies the
	// brands' names, so the model must also see where they are genuine.
	SigBrandOwn = "brand-own-domain"
)

// manySubdomains is the number of labels below the registrable domain
// (after "www.") from which SigManySubdomains fires.
const manySubdomains = 3

// maxRest caps how much of the path and query is read, so that an 8 KB
// URL costs no more to score than a 512-byte one.
const maxRest = 512

// maxTokens caps the tokens taken from one part of the URL.
const maxTokens = 48

// Features returns the sparse feature vector of a URL, sorted by index
// with duplicate slots summed. u should be normalised (absolute http or
// https, host in punycode), but any string is accepted.
func Features(u string) []Feature {
	var e extractor
	e.extract(u, nil)
	out := make([]Feature, 0, len(e.idx))
	for i, ix := range e.idx {
		out = append(out, Feature{ix, e.val[i]})
	}
	slices.SortStableFunc(out, func(a, b Feature) int { return int(a.Index) - int(b.Index) })
	merged := out[:0]
	for _, f := range out {
		if n := len(merged); n > 0 && merged[n-1].Index == f.Index {
			merged[n-1].Value += f.Value
			continue
		}
		merged = append(merged, f)
	}
	return merged
}

// Heuristics returns the named signals that fire on a URL, in a fixed
// order. Each is also a feature of the model, which weighs it.
func Heuristics(u string) []Signal {
	var e extractor
	var f findings
	e.extract(u, &f)
	return f.signals
}

// urlParts is a URL cut into the pieces the features look at. The scheme
// is dropped on purpose: in the training data it tells the year, not the
// intent.
type urlParts struct {
	host     string // lower case, no port, no trailing dot, no leading "www."
	domain   string // registrable domain (eTLD+1); the host itself when there is none
	suffix   string // public suffix
	sub      string // labels below domain, without the trailing dot
	label    string // domain without its suffix: "paypal" of "paypal.co.uk"
	rest     string // path, query and fragment; "" for "/" or nothing
	path     string
	query    string // query and fragment, without the "?"
	port     string
	userinfo bool
	ip       bool
}

func parseURL(raw string) urlParts {
	var p urlParts
	s := raw
	if i := strings.Index(s, "://"); i > 0 && isScheme(s[:i]) {
		s = s[i+3:]
	}
	end := strings.IndexAny(s, "/?#")
	if end < 0 {
		end = len(s)
	}
	auth, rest := s[:end], s[end:]
	if i := strings.LastIndexByte(auth, '@'); i >= 0 {
		auth = auth[i+1:]
		p.userinfo = true
	}
	host := auth
	if strings.HasPrefix(host, "[") {
		if i := strings.IndexByte(host, ']'); i > 0 {
			if i+2 < len(host) && host[i+1] == ':' {
				p.port = host[i+2:]
			}
			host = host[1:i]
		}
	} else if i := strings.LastIndexByte(host, ':'); i >= 0 {
		p.port = host[i+1:]
		host = host[:i]
	}
	host = lowerASCII(strings.TrimSuffix(host, "."))
	if a, err := netip.ParseAddr(host); err == nil && a.Zone() == "" {
		p.ip = true
	} else {
		host = strings.TrimPrefix(host, "www.")
	}
	p.host = host
	p.domain = host
	if !p.ip && host != "" {
		if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
			p.domain = d
		}
		p.suffix, _ = publicsuffix.PublicSuffix(host)
		p.sub = strings.TrimSuffix(host[:len(host)-len(p.domain)], ".")
		p.label = strings.TrimSuffix(strings.TrimSuffix(p.domain, p.suffix), ".")
	}
	if rest == "/" {
		rest = ""
	}
	if len(rest) > maxRest {
		rest = rest[:maxRest]
	}
	p.rest = rest
	p.path = rest
	if i := strings.IndexAny(rest, "?#"); i >= 0 {
		p.path = rest[:i]
		p.query = strings.TrimPrefix(rest[i:], "?")
	}
	return p
}

func isScheme(s string) bool {
	if s == "" || len(s) > 16 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i] | 0x20
		if !(c >= 'a' && c <= 'z' || i > 0 && (s[i] >= '0' && s[i] <= '9' || s[i] == '+' || s[i] == '-' || s[i] == '.')) {
			return false
		}
	}
	return true
}

// lowerASCII lower-cases ASCII letters, allocating only when it must.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'A' && c <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if c := b[j]; c >= 'A' && c <= 'Z' {
					b[j] = c + 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// Feature namespaces: the first byte hashed, so that "login" in the host
// and "login" in the path are different features.
const (
	nsHostGram  = 'h'
	nsRestGram  = 'p'
	nsSubTok    = 's'
	nsLabelTok  = 'd'
	nsSuffix    = 't'
	nsPathTok   = 'w'
	nsQueryKey  = 'k'
	nsQueryTok  = 'q'
	nsExt       = 'x'
	nsShape     = 'z'
	nsSignal    = 'S'
	nsPathWord  = 'W'
	nsHostWord  = 'V'
	nsBrandPart = 'B'
)

// extractor collects the feature slots of one URL. Its buffers are reused
// across URLs (see Model.Score), so scoring allocates little.
type extractor struct {
	idx []uint32
	val []float32
	buf []byte
	// dense are the features of the trees (dense.go).
	dense [numDense]float32
}

func (e *extractor) reset() {
	e.idx = e.idx[:0]
	e.val = e.val[:0]
}

func (e *extractor) add(h uint32, v float32) {
	e.idx = append(e.idx, slot(h))
	e.val = append(e.val, v)
}

// addBlock scales the features added since start to unit L2 norm, so that
// a long path weighs no more than a short one: length is a shortcut.
func (e *extractor) addBlock(start int) {
	n := len(e.idx) - start
	if n == 0 {
		return
	}
	v := float32(1 / math.Sqrt(float64(n)))
	for i := start; i < len(e.val); i++ {
		e.val[i] = v
	}
}

func (e *extractor) extract(u string, f *findings) {
	p := parseURL(u)
	e.dense = [numDense]float32{}

	// Character n-grams of the host, anchored at both ends.
	start := len(e.idx)
	e.buf = append(e.buf[:0], '^')
	e.buf = appendFolded(e.buf, p.host)
	e.buf = append(e.buf, '$')
	e.grams(nsHostGram, e.buf)
	e.addBlock(start)

	// Character n-grams of path and query.
	if p.rest != "" {
		start = len(e.idx)
		e.buf = appendFolded(e.buf[:0], p.rest)
		e.grams(nsRestGram, e.buf)
		e.addBlock(start)
	}

	// Tokens, by the part of the URL they come from.
	if !p.ip {
		e.tokens(nsSubTok, p.sub)
		e.tokens(nsLabelTok, p.label)
		e.add(hashString(hashByte(offset32, nsSuffix), p.suffix), 1)
	}
	e.tokens(nsPathTok, p.path)
	if p.query != "" {
		start = len(e.idx)
		for q := p.query; q != "" && len(e.idx)-start < maxTokens; {
			var kv string
			kv, q, _ = strings.Cut(q, "&")
			if k, _, _ := strings.Cut(kv, "="); k != "" {
				e.add(hashFolded(hashByte(offset32, nsQueryKey), k), 1)
			}
		}
		e.addBlock(start)
		e.tokens(nsQueryTok, p.query)
	}
	if ext := extension(p.path); ext != "" {
		e.add(hashFolded(hashByte(offset32, nsExt), ext), 1)
	}
	e.shape(&p)
	e.denseOf(&p)
	e.heuristics(&p, f)
}

// The n-gram lengths. 2 to 6 measured a little better than 3 to 5 in
// grouped cross-validation (docs/safety.md).
const minGram, maxGram = 2, 6

// grams adds the n-grams of b.
func (e *extractor) grams(ns byte, b []byte) {
	for n := minGram; n <= maxGram; n++ {
		h0 := hashByte(hashByte(offset32, ns), byte('0'+n))
		for i := 0; i+n <= len(b); i++ {
			h := h0
			for _, c := range b[i : i+n] {
				h = hashByte(h, c)
			}
			e.add(h, 1)
		}
	}
}

// tokens adds the alphanumeric runs of s as one block.
func (e *extractor) tokens(ns byte, s string) {
	start := len(e.idx)
	h0 := hashByte(offset32, ns)
	for i := 0; i < len(s) && len(e.idx)-start < maxTokens; {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isAlnum(s[j]) {
			j++
		}
		e.add(hashFolded(h0, s[i:j]), 1)
		i = j
	}
	e.addBlock(start)
}

// shape adds features of the URL's form that are not its length.
func (e *extractor) shape(p *urlParts) {
	flag := func(name string) { e.add(hashString(hashByte(offset32, nsShape), name), 1) }
	count := func(name string, n int) {
		e.add(hashByte(hashString(hashByte(offset32, nsShape), name), byte('0'+n)), 1)
	}
	subs := 0
	if p.sub != "" {
		subs = strings.Count(p.sub, ".") + 1
	}
	count("subdomains:", min(subs, 4))
	count("label-hyphens:", min(strings.Count(p.label, "-"), 3))
	if strings.IndexFunc(p.label, unicode.IsDigit) >= 0 {
		flag("label-digits")
	}
	if p.port != "" && p.port != "80" && p.port != "443" {
		flag("port")
	}
	if strings.Contains(p.rest, "%") {
		flag("percent-escapes")
	}
	if strings.Contains(p.path, "//") {
		flag("double-slash")
	}
	if strings.Contains(p.query, "@") || strings.Contains(p.query, "%40") {
		flag("query-at")
	}
	if strings.Contains(p.rest, "#") {
		flag("fragment")
	}
	if hasRandomToken(p.rest) {
		flag("random-token")
	}
	if consonantRun(p.label) >= 5 {
		flag("label-consonant-run")
	}
}

// hasRandomToken reports a path or query token of mixed-case letters and
// digits, the look of a generated id.
func hasRandomToken(s string) bool {
	for i := 0; i < len(s); {
		if !isAlnum(s[i]) {
			i++
			continue
		}
		var up, lo, dig int
		j := i
		for ; j < len(s) && isAlnum(s[j]); j++ {
			switch c := s[j]; {
			case c >= 'A' && c <= 'Z':
				up++
			case c >= 'a' && c <= 'z':
				lo++
			default:
				dig++
			}
		}
		if j-i >= 8 && up >= 2 && lo >= 2 && dig >= 1 {
			return true
		}
		i = j
	}
	return false
}

func consonantRun(s string) int {
	best, run := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' && !strings.ContainsRune("aeiouy", rune(c)) {
			run++
			best = max(best, run)
		} else {
			run = 0
		}
	}
	return best
}

func extension(path string) string {
	seg := path[strings.LastIndexByte(path, '/')+1:]
	i := strings.LastIndexByte(seg, '.')
	if i < 0 || len(seg)-i-1 == 0 || len(seg)-i-1 > 5 {
		return ""
	}
	return seg[i+1:]
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// appendFolded appends s lower-cased with every run of digits folded into
// one '0': "/2025/08/" and "/2016/11/" read the same, so the model cannot
// learn the year a URL was collected in.
func appendFolded(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c, ok := foldedAt(s, i); ok {
			b = append(b, c)
		}
	}
	return b
}

// foldedAt returns byte i of s as appendFolded writes it, and false when
// appendFolded drops it (a digit after a digit).
func foldedAt(s string, i int) (byte, bool) {
	c := s[i]
	switch {
	case c >= '0' && c <= '9':
		if i > 0 && s[i-1] >= '0' && s[i-1] <= '9' {
			return 0, false
		}
		return '0', true
	case c >= 'A' && c <= 'Z':
		return c + 'a' - 'A', true
	}
	return c, true
}

// FNV-1a, fixed so that slots are the same in every process and release.
const (
	offset32 uint32 = 2166136261
	prime32  uint32 = 16777619
)

func hashByte(h uint32, c byte) uint32 { return (h ^ uint32(c)) * prime32 }

func hashString(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		h = hashByte(h, s[i])
	}
	return h
}

// hashFolded hashes s as appendFolded would write it.
func hashFolded(h uint32, s string) uint32 {
	for i := 0; i < len(s); i++ {
		if c, ok := foldedAt(s, i); ok {
			h = hashByte(h, c)
		}
	}
	return h
}

// slot finishes a hash (FNV's low bits mix poorly) and maps it to a bucket.
func slot(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x7feb352d
	h ^= h >> 15
	h *= 0x846ca68b
	h ^= h >> 16
	return h & (Buckets - 1)
}

// findings records the details of the heuristics for Heuristics; Score
// passes nil and gets only the features.
type findings struct {
	signals []Signal
}

func (e *extractor) signal(f *findings, name, detail string) {
	e.add(hashString(hashByte(offset32, nsSignal), name), 1)
	if d := signalDense(name); d >= 0 {
		e.dense[d] = 1
	}
	if f != nil {
		f.signals = append(f.signals, Signal{Name: name, Detail: detail})
	}
}

func (e *extractor) heuristics(p *urlParts, f *findings) {
	if p.ip {
		e.signal(f, SigIPHost, "the host is an IP address: "+p.host)
	}
	if p.userinfo {
		e.signal(f, SigCredentialsTrap, "the URL has a user name before an @, which hides the real host")
	}
	if !p.ip && p.host != "" {
		e.hostHeuristics(p, f)
	}
	low := lowerASCII(p.rest)
	e.brandInPath(p, low, f)
	// Suspicious words in path and query, each its own feature.
	if found := e.words(nsPathWord, f, low); found != "" {
		e.signal(f, SigSuspiciousPath, "path or query says "+found)
	}
	if q := p.query; strings.Contains(q, "http:") || strings.Contains(q, "https:") ||
		strings.Contains(q, "http%3a") || strings.Contains(q, "http%3A") || strings.Contains(q, "https%3") {
		e.signal(f, SigRedirectParam, "the query carries another URL")
	}
}

// words adds a feature for each suspicious word in the lower-case texts
// and returns them, comma-separated when f asks for details ("+"
// otherwise, to save the allocation), or "" when there are none.
func (e *extractor) words(ns byte, f *findings, texts ...string) string {
	var seen bitset
	for _, t := range texts {
		wordLexicon.find(t, &seen)
	}
	if seen.empty() {
		return ""
	}
	var found []string
	n := float32(0)
	for i, w := range suspiciousWords {
		if seen.has(i) {
			n++
			e.add(hashString(hashByte(offset32, ns), w), 1)
			if f != nil {
				found = append(found, w)
			}
		}
	}
	if ns == nsPathWord {
		e.dense[dPathWords] = n
	} else {
		e.dense[dHostWords] = n
	}
	if f == nil {
		return "+"
	}
	return strings.Join(found, ", ")
}

// bitset is a set of up to 128 lexicon entries.
type bitset [2]uint64

func (b *bitset) add(i int)      { b[i>>6] |= 1 << (i & 63) }
func (b *bitset) has(i int) bool { return b[i>>6]&(1<<(i&63)) != 0 }
func (b *bitset) empty() bool    { return b[0]|b[1] == 0 }

// Where a lexicon entry may occur in a token.
const (
	anywhere = iota
	wholeToken
	tokenEdge // the start or the end of a token
)

// lexicon finds many short words in a text in one pass: each position is
// checked only against the entries that start with its two bytes. With a
// strings.Index per word, a 512-byte path of common letters cost 30 µs.
type lexicon struct {
	words []string
	where []uint8
	bits  [1 << 16 / 64]uint64
	by    map[uint16][]uint8
}

func newLexicon(words []string, where func(i int) uint8) *lexicon {
	if len(words) > 128 {
		panic("urlscore: lexicon too large for bitset")
	}
	l := &lexicon{words: words, by: map[uint16][]uint8{}}
	for i, w := range words {
		k := uint16(w[0])<<8 | uint16(w[1])
		l.bits[k>>6] |= 1 << (k & 63)
		l.by[k] = append(l.by[k], uint8(i))
		l.where = append(l.where, where(i))
	}
	return l
}

// find adds to seen the entries that occur in the lower-case text t.
func (l *lexicon) find(t string, seen *bitset) {
	for i := 0; i+1 < len(t); i++ {
		k := uint16(t[i])<<8 | uint16(t[i+1])
		if l.bits[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for _, wi := range l.by[k] {
			w := l.words[wi]
			if !strings.HasPrefix(t[i:], w) {
				continue
			}
			starts := i == 0 || !isAlnum(t[i-1])
			ends := i+len(w) == len(t) || !isAlnum(t[i+len(w)])
			switch l.where[wi] {
			case wholeToken:
				if !starts || !ends {
					continue
				}
			case tokenEdge:
				if !starts && !ends {
					continue
				}
			}
			seen.add(int(wi))
		}
	}
}

// A short suspicious word must be a whole token ("auth" is not "author");
// a longer one may be part of one ("signin" in "signinpage").
var wordLexicon = newLexicon(suspiciousWords, func(i int) uint8 {
	if len(suspiciousWords[i]) < 5 {
		return wholeToken
	}
	return anywhere
})

// brandLexicon finds brand names as brand.inText does, except that it does
// not look through hyphens.
var brandLexicon = newLexicon(brandNames(), func(i int) uint8 {
	b := &brands[i]
	switch {
	case b.exact:
		return wholeToken
	case len(b.name) < 6:
		return tokenEdge
	}
	return anywhere
})

func brandNames() []string {
	names := make([]string, len(brands))
	for i, b := range brands {
		names[i] = b.name
	}
	return names
}

// hasWord reports whether the lower-case text s contains w, which must
// start a token when start is set and end one when end is set. A short
// word must be a whole token ("auth" is not "author"); a longer one may be
// part of one ("signin" in "signinpage").
func hasWord(s, w string, start, end bool) bool {
	for from := 0; ; {
		i := strings.Index(s[from:], w)
		if i < 0 {
			return false
		}
		i += from
		j := i + len(w)
		if (!start || i == 0 || !isAlnum(s[i-1])) && (!end || j == len(s) || !isAlnum(s[j])) {
			return true
		}
		from = i + 1
	}
}

// containsLoose reports whether s contains w, ignoring hyphens in s:
// "bank-of-america" contains "bankofamerica".
func containsLoose(s, w string) bool {
	for i := 0; i < len(s); i++ {
		k, j := 0, i
		for ; j < len(s) && k < len(w); j++ {
			if s[j] == '-' && k > 0 {
				continue
			}
			if s[j] != w[k] {
				break
			}
			k++
		}
		if k == len(w) {
			return true
		}
	}
	return false
}

func (e *extractor) hostHeuristics(p *urlParts, f *findings) {
	host := p.host
	if strings.HasPrefix(host, "xn--") || strings.Contains(host, ".xn--") {
		e.signal(f, SigPunycode, "the host has an internationalised (xn--) label")
		e.unicodeHost(p, f)
	}
	if p.sub != "" {
		if n := strings.Count(p.sub, ".") + 1; n >= manySubdomains {
			e.signal(f, SigManySubdomains, strconv.Itoa(n)+" labels below "+p.domain)
		}
	}
	if hostIn(host, p.domain, shorteners) != "" {
		e.signal(f, SigShortener, p.domain+" is a link shortener: the real destination is hidden")
	}
	if d := hostIn(host, p.domain, freeHosts); d != "" {
		e.signal(f, SigFreeHosting, d+" offers free hosting or tunnels")
	} else if strings.Contains(p.path, "/ipfs/") {
		e.signal(f, SigFreeHosting, "an IPFS gateway path")
	}

	// Brands.
	var inSub, inDomain, lookalike, own string
	for i := range brands {
		b := &brands[i]
		if b.owns(p) {
			if own == "" {
				own = b.name
			}
			continue
		}
		if inSub == "" && p.sub != "" && b.inText(p.sub) {
			inSub = b.name
		}
		if inDomain == "" && b.inText(p.label) {
			inDomain = b.name
		}
	}
	if own == "" {
		lookalike = lookalikeIn(p)
	}
	if own != "" {
		e.signal(f, SigBrandOwn, p.domain+" belongs to "+own)
	}
	if inSub != "" {
		e.signal(f, SigBrandSubdomain, inSub+" in a subdomain of "+p.domain)
	}
	if inDomain != "" {
		e.signal(f, SigBrandDomain, inDomain+" in the domain "+p.domain+", which is not "+inDomain+"'s")
	}
	if lookalike != "" {
		e.signal(f, SigBrandLookalike, p.domain+" looks like "+lookalike)
	}

	// Suspicious words in the host.
	if found := e.words(nsHostWord, f, p.sub, p.label); found != "" {
		e.signal(f, SigSuspiciousHost, "host says "+found)
	}
}

// unicodeHost decodes xn-- labels to look for mixed scripts and for brand
// names spelled with look-alike letters of another script.
func (e *extractor) unicodeHost(p *urlParts, f *findings) {
	uni, err := idna.Punycode.ToUnicode(p.host)
	if err != nil {
		return
	}
	mixed := false
	for _, label := range strings.Split(uni, ".") {
		if scriptsIn(label) > 1 {
			mixed = true
		}
	}
	if mixed {
		e.signal(f, SigMixedScript, "a label mixes writing systems: "+uni)
	}
	skeleton := strings.Map(latinSkeleton, uni)
	for i := range brands {
		b := &brands[i]
		if len(b.name) >= 4 && strings.Contains(strings.ReplaceAll(skeleton, "-", ""), b.name) {
			e.signal(f, SigBrandLookalike, uni+" spells "+b.name+" with look-alike letters")
			return
		}
	}
}

func scriptsIn(s string) int {
	scripts := []*unicode.RangeTable{unicode.Latin, unicode.Cyrillic, unicode.Greek, unicode.Armenian,
		unicode.Han, unicode.Hiragana, unicode.Katakana, unicode.Hangul, unicode.Arabic, unicode.Hebrew, unicode.Thai}
	seen := 0
	for i, t := range scripts {
		for _, r := range s {
			if unicode.Is(t, r) {
				seen |= 1 << i
				break
			}
		}
	}
	// Han with kana or hangul is how Japanese and Korean are written.
	const cjk = 1<<4 | 1<<5 | 1<<6 | 1<<7
	if seen&cjk != 0 && seen&^cjk == 0 {
		return 1
	}
	n := 0
	for ; seen != 0; seen &= seen - 1 {
		n++
	}
	return n
}

// latinSkeleton maps letters of other scripts to the Latin letters they
// look like.
func latinSkeleton(r rune) rune {
	if r < 0x80 {
		return r
	}
	if l, ok := confusables[r]; ok {
		return l
	}
	r = unicode.ToLower(r)
	if l, ok := confusables[r]; ok {
		return l
	}
	return r
}

var confusables = map[rune]rune{
	'а': 'a', 'в': 'b', 'с': 'c', 'ԁ': 'd', 'е': 'e', 'һ': 'h', 'і': 'i', 'ј': 'j', 'к': 'k',
	'ӏ': 'l', 'м': 'm', 'п': 'n', 'о': 'o', 'р': 'p', 'ԛ': 'q', 'г': 'r', 'ѕ': 's', 'т': 't',
	'ц': 'u', 'ѵ': 'v', 'ԝ': 'w', 'х': 'x', 'у': 'y', 'ʐ': 'z',
	'α': 'a', 'β': 'b', 'ε': 'e', 'ι': 'i', 'κ': 'k', 'ν': 'v', 'ο': 'o', 'ρ': 'p', 'τ': 't', 'υ': 'u', 'χ': 'x',
	'ɑ': 'a', 'ɡ': 'g', 'ı': 'i', 'ℓ': 'l', 'ǀ': 'l', 'ⅼ': 'l',
	'á': 'a', 'à': 'a', 'â': 'a', 'ä': 'a', 'ã': 'a', 'å': 'a', 'ą': 'a',
	'é': 'e', 'è': 'e', 'ê': 'e', 'ë': 'e', 'ę': 'e', 'í': 'i', 'ì': 'i', 'î': 'i', 'ï': 'i',
	'ó': 'o', 'ò': 'o', 'ô': 'o', 'ö': 'o', 'õ': 'o', 'ø': 'o', 'ú': 'u', 'ù': 'u', 'û': 'u', 'ü': 'u',
	'ç': 'c', 'ñ': 'n', 'ś': 's', 'ş': 's', 'ż': 'z', 'ł': 'l', 'ý': 'y', 'ğ': 'g',
}

// hostIn returns the entry of list that host is or is under.
func hostIn(host, domain string, list map[string]bool) string {
	if list[domain] {
		return domain
	}
	// Walk up the labels: "x.y.sites.google.com" → "y.sites.google.com" → …
	for h := host; h != ""; {
		if list[h] {
			return h
		}
		i := strings.IndexByte(h, '.')
		if i < 0 {
			break
		}
		h = h[i+1:]
	}
	return ""
}

func (e *extractor) brandInPath(p *urlParts, low string, f *findings) {
	if low == "" {
		return
	}
	var seen bitset
	brandLexicon.find(low, &seen)
	if seen.empty() {
		return
	}
	for i := range brands {
		b := &brands[i]
		if seen.has(i) && !b.owns(p) {
			e.add(hashString(hashByte(offset32, nsBrandPart), b.name), 1)
			e.signal(f, SigBrandPath, b.name+" in the path of "+p.domain)
			return
		}
	}
}

// brand is a well-known name that phishing imitates, with the registrable
// domains that really belong to it.
type brand struct {
	name string
	own  []string
	// exact: the name is a common word or part of one ("chase" in
	// "purchase"), so it must be a whole token.
	exact bool
}

// owns reports whether the URL is on the brand's own domain: one listed, or
// the brand's name under a country or generic suffix (amazon.co.uk).
func (b *brand) owns(p *urlParts) bool {
	if slices.Contains(b.own, p.domain) {
		return true
	}
	if p.label != b.name {
		return false
	}
	s := p.suffix
	top := s[strings.LastIndexByte(s, '.')+1:]
	return s == "com" || s == "net" || s == "org" || len(top) == 2
}

// inText reports the brand name in the lower-case text s: anywhere when
// the name is long and distinctive (ignoring hyphens), at the start or end
// of a token when it is short, as a whole token when it is a common word.
func (b *brand) inText(s string) bool {
	if len(b.name) >= 6 && !b.exact {
		return strings.Contains(s, b.name) || strings.IndexByte(s, '-') >= 0 && containsLoose(s, b.name)
	}
	if b.exact {
		return hasWord(s, b.name, true, true)
	}
	return hasWord(s, b.name, true, false) || hasWord(s, b.name, false, true)
}

// lookalikeIn returns the brand that a token of the host imitates: spelt
// with look-alike characters (0 for o, rn for m) or, for longer names,
// misspelt by one edit. Each token is de-glyphed once, for all brands.
func lookalikeIn(p *urlParts) string {
	for _, s := range [2]string{p.label, p.sub} {
		for i := 0; i < len(s); {
			if !isAlnum(s[i]) {
				i++
				continue
			}
			j := i
			for j < len(s) && isAlnum(s[j]) {
				j++
			}
			t := s[i:j]
			i = j
			d := deglyph(t)
			for k := range brands {
				b := &brands[k]
				if t == b.name || len(t)+1 < len(b.name) {
					continue
				}
				if d != t && len(t) <= len(b.name)+3 && !strings.Contains(t, b.name) && strings.Contains(d, b.name) {
					return b.name
				}
				if len(b.name) >= 6 && !b.exact && oneEdit(t, b.name) {
					return b.name
				}
			}
		}
	}
	return ""
}

var glyphs = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d", "0", "o", "1", "l", "3", "e", "5", "s", "4", "a", "7", "t", "8", "b", "9", "g")

func deglyph(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= '0' && c <= '9' || c == 'r' || c == 'v' || c == 'c' {
			return glyphs.Replace(s)
		}
	}
	return s
}

// oneEdit reports whether a and b differ by exactly one substitution,
// insertion, deletion or swap of neighbours.
func oneEdit(a, b string) bool {
	if a == b || len(a)-len(b) > 1 || len(b)-len(a) > 1 {
		return false
	}
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	switch {
	case len(a) == len(b):
		if a[i+1:] == b[i+1:] {
			return true
		}
		return i+1 < len(a) && a[i] == b[i+1] && a[i+1] == b[i] && a[i+2:] == b[i+2:]
	case len(a) > len(b):
		return a[i+1:] == b[i:]
	default:
		return a[i:] == b[i+1:]
	}
}

var brands = []brand{
	{name: "paypal", own: []string{"paypal.com", "paypal.me", "paypalobjects.com", "paypal-community.com"}},
	{name: "apple", own: []string{"apple.com", "icloud.com", "apple.news", "mzstatic.com"}, exact: true},
	{name: "icloud", own: []string{"icloud.com", "apple.com"}},
	{name: "microsoft", own: []string{"microsoft.com", "live.com", "microsoftonline.com", "office.com", "azure.com", "msn.com", "windows.com", "bing.com", "sharepoint.com", "microsoft365.com", "xbox.com", "github.com"}},
	{name: "office365", own: []string{"office.com", "office365.com", "microsoft.com", "live.com", "microsoftonline.com"}},
	{name: "outlook", own: []string{"outlook.com", "live.com", "office.com", "microsoft.com", "office365.com"}},
	{name: "onedrive", own: []string{"onedrive.com", "live.com", "microsoft.com", "sharepoint.com"}},
	{name: "sharepoint", own: []string{"sharepoint.com", "microsoft.com"}},
	{name: "google", own: []string{"google.com", "googleapis.com", "gstatic.com", "youtube.com", "googleusercontent.com", "blogspot.com", "goo.gl", "g.co", "gmail.com", "withgoogle.com", "googleblog.com", "google.dev", "googlesource.com", "android.com", "chromium.org", "golang.org", "go.dev", "web.dev"}},
	{name: "gmail", own: []string{"gmail.com", "google.com"}},
	{name: "amazon", own: []string{"amazon.com", "amazonaws.com", "amazon.jobs", "amazon.science", "a2z.com", "aboutamazon.com", "amazon.dev"}},
	{name: "netflix", own: []string{"netflix.com", "nflxext.com", "netflixtechblog.com", "netflix.net"}},
	{name: "facebook", own: []string{"facebook.com", "fb.com", "fb.me", "meta.com", "messenger.com", "fbcdn.net"}},
	{name: "instagram", own: []string{"instagram.com"}},
	{name: "whatsapp", own: []string{"whatsapp.com", "whatsapp.net", "wa.me"}},
	{name: "metamask", own: []string{"metamask.io"}},
	{name: "coinbase", own: []string{"coinbase.com"}},
	{name: "binance", own: []string{"binance.com", "binance.us"}},
	{name: "steam", own: []string{"steampowered.com", "steamcommunity.com", "steamstatic.com"}, exact: true},
	{name: "steamcommunity", own: []string{"steamcommunity.com"}},
	{name: "discord", own: []string{"discord.com", "discord.gg", "discordapp.com", "discordapp.net", "discord.gift", "discord.media"}},
	{name: "chase", own: []string{"chase.com", "jpmorganchase.com"}, exact: true},
	{name: "wellsfargo", own: []string{"wellsfargo.com"}},
	{name: "bankofamerica", own: []string{"bankofamerica.com", "bofa.com"}},
	{name: "dhl", own: []string{"dhl.com", "dhl.de"}},
	{name: "usps", own: []string{"usps.com", "usps.gov"}},
	{name: "fedex", own: []string{"fedex.com"}},
	{name: "linkedin", own: []string{"linkedin.com", "lnkd.in"}},
	{name: "dropbox", own: []string{"dropbox.com", "dropboxusercontent.com"}},
	{name: "docusign", own: []string{"docusign.com", "docusign.net"}},
	{name: "adobe", own: []string{"adobe.com", "adobe.io", "typekit.net"}, exact: true},
	{name: "ledger", own: []string{"ledger.com"}, exact: true},
	{name: "trezor", own: []string{"trezor.io"}},
	{name: "telegram", own: []string{"telegram.org", "t.me", "telegram.me"}},
	{name: "roblox", own: []string{"roblox.com"}},
	{name: "ebay", own: []string{"ebay.com", "ebayimg.com"}},
	{name: "yahoo", own: []string{"yahoo.com", "yahoo.co.jp", "yimg.com"}},
	{name: "spotify", own: []string{"spotify.com", "scdn.co"}},
	{name: "allegro", own: []string{"allegro.pl"}, exact: true},
	{name: "santander", own: []string{"santander.com", "santander.co.uk", "santander.com.br"}},
	{name: "americanexpress", own: []string{"americanexpress.com"}},
	{name: "opensea", own: []string{"opensea.io"}},
	{name: "uniswap", own: []string{"uniswap.org"}},
	{name: "trustwallet", own: []string{"trustwallet.com"}},
	{name: "kraken", own: []string{"kraken.com"}, exact: true},
	{name: "robinhood", own: []string{"robinhood.com"}},
	{name: "tmobile", own: []string{"t-mobile.com"}},
}

// shorteners are link shorteners: a short link to a short link hides the
// destination from the check.
var shorteners = setOf(
	"bit.ly", "bitly.com", "tinyurl.com", "t.co", "goo.su", "is.gd", "u.to", "sc.link", "cutt.ly",
	"rebrand.ly", "ow.ly", "shorturl.at", "rb.gy", "t.ly", "s.id", "v.gd", "goo.gl", "tiny.cc",
	"buff.ly", "bl.ink", "short.io", "shorte.st", "adf.ly", "clck.ru", "qr.ae", "lnkd.in", "soo.gd",
	"x.gd", "did.li", "urlz.fr", "tny.im", "chirb.it", "tinu.be", "shorturl.asia", "2no.co", "iplogger.org",
	"grabify.link", "surl.li", "bitly.ws", "t2m.io", "linktr.ee", "l.ead.me", "qrco.de", "lnk.bio",
	"kutt.it", "1url.cz", "vk.cc", "ouo.io", "shrtco.de", "gg.gg", "tiny.one",
)

// freeHosts are hosting, site-builder, storage and tunnelling services
// where anybody can publish a page in a minute under the service's domain.
var freeHosts = setOf(
	"ngrok.io", "ngrok-free.app", "ngrok.app", "ngrok-free.dev", "trycloudflare.com", "r2.dev", "pages.dev",
	"workers.dev", "vercel.app", "netlify.app", "github.io", "gitlab.io", "web.app", "firebaseapp.com",
	"glitch.me", "weebly.com", "weeblysite.com", "wixsite.com", "wixstudio.com", "000webhostapp.com",
	"duckdns.org", "repl.co", "replit.app", "replit.dev", "herokuapp.com", "blogspot.com", "sites.google.com",
	"ipfs.io", "dweb.link", "cloudflare-ipfs.com", "ipfs.w3s.link", "nftstorage.link", "4everland.io",
	"fleek.co", "on-fleek.app", "webflow.io", "godaddysites.com", "square.site", "mytemp.website",
	"framer.app", "framer.website", "typedream.app", "onrender.com", "fly.dev", "surge.sh",
	"azurewebsites.net", "web.core.windows.net", "blob.core.windows.net", "firebasestorage.googleapis.com",
	"storage.googleapis.com", "s3.amazonaws.com", "backblazeb2.com", "cprapid.com", "ddns.net",
	"serveo.net", "loca.lt", "localtunnel.me", "jimdosite.com", "wordpress.com", "site123.me",
	"strikingly.com", "carrd.co", "notion.site", "jotform.com", "forms.gle", "mystrikingly.com",
	"myshopify.com", "webcindario.com", "atwebpages.com", "freehostia.com", "byethost.com", "infinityfreeapp.com",
	"epizy.com", "rf.gd", "free.nf", "wuaze.com", "zya.me", "yolasite.com", "tilda.ws", "ucoz.net",
	"hpage.com", "bitbucket.io", "codeanyapp.com", "glide.page", "canva.site",
	"my.canva.site", "teachable.com", "ukit.me", "mozello.com", "sharepoint.com", "gitbook.io",
	"no-ip.org", "hopto.org", "zapto.org", "servehttp.com", "sytes.net", "dynv6.net", "freeddns.org",
	"pythonanywhere.com", "deno.dev", "railway.app", "up.railway.app", "amplifyapp.com", "firebaseio.com",
)

// suspiciousWords are the words of credential and payment phishing, of
// fake gifts and of wallet drainers.
var suspiciousWords = []string{
	"login", "logon", "signin", "signon", "verify", "verification", "validate", "secure", "security",
	"account", "update", "confirm", "wallet", "password", "passwd", "banking", "webscr", "auth",
	"authenticate", "unlock", "suspend", "suspended", "billing", "invoice", "payment", "recover",
	"restore", "claim", "gift", "nitro", "airdrop", "reward", "bonus", "seed", "connect", "support",
	"customer", "service", "refund", "delivery", "parcel", "tracking", "package", "sso", "mfa",
	"session", "token", "dapp", "mint", "free", "prize", "giveaway", "office", "mail", "webmail",
	"docs", "document", "shared", "file", "download", "apk", "exe", "bin", "admin", "wp",
}

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}
