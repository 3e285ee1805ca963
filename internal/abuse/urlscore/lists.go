package urlscore

import "strings"

// The lists behind the heuristics, for checks that look past the URL's
// text (package follow): they then agree with the model on what a
// shortener is and which domains a brand owns.

// Shortener returns the link shortener host (lower case, no port, no
// trailing dot) is on: a listed domain or one of its subdomains; "" when
// it is on none.
func Shortener(host string) string {
	return hostIn(host, "", shorteners)
}

// HostIn returns the entry of set that host is, or is a subdomain of; ""
// when there is none.
func HostIn(host string, set map[string]bool) string {
	return hostIn(host, "", set)
}

// ForeignBrand returns the first brand that text names (by the rules of
// the brand-in-URL signal, case and spaces ignored) and that does not own
// the domain of rawURL; "" when text names none but the URL's own.
func ForeignBrand(text, rawURL string) string {
	s := strings.ToLower(text)
	squashed := strings.Join(strings.Fields(s), "")
	p := parseURL(rawURL)
	for i := range brands {
		b := &brands[i]
		if (b.inText(s) || b.inText(squashed)) && !b.owns(&p) {
			return b.name
		}
	}
	return ""
}
