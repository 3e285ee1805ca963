package urlscore

import (
	"math"
	"strings"
)

// Dense features: a few dozen numbers that describe the form of a URL,
// for the trees that re-score the logistic regression (see Model). Like
// the hashed features they leave out the shortcuts of the training data:
// no URL length, no scheme, no years (digit counts are of the host only),
// a bare host reads the same as a one-segment path, and nothing names a
// domain. The last one is the logistic regression's log-odds.
const (
	dSubdomains = iota
	dHostHyphens
	dHostDigits
	dLabelLen
	dLabelEntropy
	dLabelVowels
	dLabelConsonantRun
	dLabelDigits
	dHostTokens
	dSuffixClass
	dPathDepth
	dQueryParams
	dExtClass
	dPathWords
	dHostWords
	dBrandSub
	dBrandDomain
	dBrandPath
	dBrandOwn
	dLookalike
	dShortener
	dFreeHost
	dIP
	dPunycode
	dMixedScript
	dUserinfo
	dURLInQuery
	dPort
	dPercent
	dRandomToken
	dFragment
	dDoubleSlash
	dLRMargin // the logistic regression's log-odds
	numDense
)

var denseNames = [numDense]string{
	"subdomains", "host-hyphens", "host-digits", "label-len", "label-entropy", "label-vowels",
	"label-consonant-run", "label-digits", "host-tokens", "suffix-class",
	"path-depth", "query-params", "ext-class", "path-words", "host-words", "brand-sub",
	"brand-domain", "brand-path", "brand-own", "lookalike", "shortener", "free-host", "ip",
	"punycode", "mixed-script", "userinfo", "url-in-query", "port", "percent", "random-token",
	"fragment", "double-slash", "lr-margin",
}

func signalDense(name string) int {
	switch name {
	case SigIPHost:
		return dIP
	case SigPunycode:
		return dPunycode
	case SigMixedScript:
		return dMixedScript
	case SigBrandSubdomain:
		return dBrandSub
	case SigBrandDomain:
		return dBrandDomain
	case SigBrandPath:
		return dBrandPath
	case SigBrandLookalike:
		return dLookalike
	case SigShortener:
		return dShortener
	case SigFreeHosting:
		return dFreeHost
	case SigCredentialsTrap:
		return dUserinfo
	case SigRedirectParam:
		return dURLInQuery
	case SigBrandOwn:
		return dBrandOwn
	}
	return -1
}

// denseOf fills e.dense with the features of p that the signals and the
// suspicious words do not set.
func (e *extractor) denseOf(p *urlParts) {
	d := &e.dense
	if p.sub != "" {
		d[dSubdomains] = float32(strings.Count(p.sub, ".") + 1)
	}
	var hy, dig int
	for i := 0; i < len(p.host); i++ {
		switch c := p.host[i]; {
		case c == '-':
			hy++
		case c >= '0' && c <= '9':
			dig++
		}
	}
	d[dHostHyphens] = float32(hy)
	d[dHostDigits] = float32(min(dig, 12))
	if !p.ip {
		l := p.label
		d[dLabelLen] = float32(min(len(l), 32))
		var counts [256]uint8
		var vow, ldig int
		for i := 0; i < len(l); i++ {
			c := l[i]
			counts[c]++
			switch {
			case c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u':
				vow++
			case c >= '0' && c <= '9':
				ldig++
			}
		}
		if len(l) > 0 {
			var h float64
			for _, n := range counts {
				if n > 0 {
					q := float64(n) / float64(len(l))
					h -= q * math.Log2(q)
				}
			}
			d[dLabelEntropy] = float32(h)
			d[dLabelVowels] = float32(vow) / float32(len(l))
		}
		d[dLabelConsonantRun] = float32(consonantRun(l))
		d[dLabelDigits] = float32(min(ldig, 12))
		tok := 0
		for i := 0; i < len(p.host); i++ {
			if isAlnum(p.host[i]) && (i == 0 || !isAlnum(p.host[i-1])) {
				tok++
			}
		}
		d[dHostTokens] = float32(tok)
		d[dSuffixClass] = float32(suffixClass(p.suffix))
	}
	depth := 0
	for i := 0; i < len(p.path); i++ {
		if p.path[i] != '/' && (i == 0 || p.path[i-1] == '/') {
			depth++
		}
	}
	d[dPathDepth] = float32(min(max(depth, 1), 8))
	if p.query != "" {
		d[dQueryParams] = float32(min(strings.Count(p.query, "&")+1, 8))
	}
	d[dExtClass] = float32(extClass(extension(p.path)))
	if p.port != "" && p.port != "80" && p.port != "443" {
		d[dPort] = 1
	}
	if strings.Contains(p.rest, "%") {
		d[dPercent] = 1
	}
	if hasRandomToken(p.rest) {
		d[dRandomToken] = 1
	}
	if strings.Contains(p.rest, "#") {
		d[dFragment] = 1
	}
	if strings.Contains(p.path, "//") {
		d[dDoubleSlash] = 1
	}
}

// suffixClass: 0 none, 1 com/net/org, 2 other legacy generic, 3 country
// code, 4 a country code's second level (co.uk), 5 new generic.
func suffixClass(s string) int {
	switch s {
	case "":
		return 0
	case "com", "net", "org":
		return 1
	case "edu", "gov", "mil", "int", "info", "biz":
		return 2
	}
	top := s[strings.LastIndexByte(s, '.')+1:]
	if len(top) == 2 {
		if strings.IndexByte(s, '.') >= 0 {
			return 4
		}
		return 3
	}
	return 5
}

// extClass groups the extension of the last path segment: 0 none, 1
// server scripts, 2 pages, 3 executables and archives, 4 documents, 5
// images and media, 6 other.
func extClass(ext string) int {
	if ext == "" {
		return 0
	}
	switch strings.ToLower(ext) {
	case "php", "asp", "aspx", "jsp", "cgi", "pl", "do", "action":
		return 1
	case "html", "htm", "shtml", "xhtml":
		return 2
	case "exe", "apk", "zip", "rar", "7z", "msi", "dll", "bin", "sh", "ps1", "vbs", "js", "jar", "scr",
		"iso", "img", "lnk", "hta", "bat", "cmd", "dmg", "pkg", "deb", "rpm", "gz", "tgz", "xz", "elf", "arm", "mips", "x86":
		return 3
	case "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "txt", "rtf", "odt", "csv":
		return 4
	case "png", "jpg", "jpeg", "gif", "svg", "webp", "mp3", "mp4", "avi", "mkv", "torrent":
		return 5
	}
	return 6
}
