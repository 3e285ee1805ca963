package follow

import (
	"bytes"
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/net/publicsuffix"

	"tiny/internal/abuse/urlscore"
)

// Page is what a landing page shows that phishing pages have and most
// others lack. It is read from the HTML alone: no script runs, nothing
// else is fetched.
type Page struct {
	Title string
	// PasswordField: the page asks for a password.
	PasswordField bool
	// ForeignForm is the domain a form posts to when that is not the
	// page's own; "" when none does.
	ForeignForm string
	// Brand is a brand named in the title or in a logo's text while the
	// page is not on the brand's domain; "" when none is.
	Brand string
	// ObfuscatedScript: an inline script decodes and runs hidden code.
	ObfuscatedScript bool
	// Refresh is the target of a meta refresh, as written; "" when none.
	Refresh string
}

// ParsePage reads the signals of body, an HTML page at pageURL.
func ParsePage(body []byte, pageURL string) *Page {
	p := &Page{}
	base, _ := url.Parse(pageURL)
	var title, logos strings.Builder
	z := html.NewTokenizer(bytes.NewReader(body))
	var in atom.Atom // the element whose text is being read: title or script
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			p.Title = strings.Join(strings.Fields(title.String()), " ")
			if b := urlscore.ForeignBrand(p.Title+" \n "+logos.String(), pageURL); b != "" {
				p.Brand = b
			}
			return p
		case html.TextToken:
			switch in {
			case atom.Title:
				title.Write(z.Text())
			case atom.Script:
				if !p.ObfuscatedScript && obfuscated(z.Text()) {
					p.ObfuscatedScript = true
				}
			}
		case html.EndTagToken:
			in = 0
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			switch t.DataAtom {
			case atom.Title, atom.Script:
				in = t.DataAtom
			case atom.Input:
				if strings.EqualFold(attr(t, "type"), "password") {
					p.PasswordField = true
				}
			case atom.Form:
				if p.ForeignForm == "" && base != nil {
					p.ForeignForm = foreignAction(base, attr(t, "action"))
				}
			case atom.Meta:
				if strings.EqualFold(attr(t, "http-equiv"), "refresh") && p.Refresh == "" {
					p.Refresh = refreshTarget(attr(t, "content"))
				}
			case atom.Img:
				if isLogo(t) {
					logos.WriteString(attr(t, "alt") + " \n ")
				}
			}
		}
	}
}

func attr(t html.Token, name string) string {
	for _, a := range t.Attr {
		if a.Key == name {
			return a.Val
		}
	}
	return ""
}

// isLogo reports whether an image is the page's logo by its name, class or
// id: its alt text then names the brand the page claims to be.
func isLogo(t html.Token) bool {
	for _, k := range []string{"src", "class", "id", "alt"} {
		if strings.Contains(strings.ToLower(attr(t, k)), "logo") {
			return true
		}
	}
	return false
}

// foreignAction returns the registrable domain a form's action posts to
// when it is not the page's, else "".
func foreignAction(base *url.URL, action string) string {
	if strings.TrimSpace(action) == "" {
		return "" // posts to the page itself
	}
	a, err := url.Parse(strings.TrimSpace(action))
	if err != nil {
		return ""
	}
	a = base.ResolveReference(a)
	if a.Scheme != "http" && a.Scheme != "https" {
		return ""
	}
	to, from := domainOf(a.Hostname()), domainOf(base.Hostname())
	if to == "" || to == from {
		return ""
	}
	return to
}

func domainOf(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// refreshTarget returns the URL of a meta refresh's content, such as
// "0; url='https://example.com/'", or "" when it only reloads the page.
func refreshTarget(content string) string {
	_, rest, ok := strings.Cut(content, ";")
	if !ok {
		_, rest, ok = strings.Cut(content, ",")
	}
	if !ok {
		return ""
	}
	rest = strings.TrimSpace(rest)
	if len(rest) >= 4 && strings.EqualFold(rest[:3], "url") {
		rest = strings.TrimSpace(rest[3:])
		rest = strings.TrimSpace(strings.TrimPrefix(rest, "="))
	}
	return strings.Trim(rest, `'" `)
}

var (
	// Decoders whose output is run: the shape of packed phishing kits.
	runsDecoded = regexp.MustCompile(`(?i)(eval|Function|document\.write)\s*\(\s*(window\.)?(atob|unescape|decodeURIComponent|String\.fromCharCode)\s*\(`)
	// A string literal of 1,000+ base64 characters: an embedded payload.
	longBase64 = regexp.MustCompile(`["'][A-Za-z0-9+/=]{1000,}["']`)
	hexEscapes = regexp.MustCompile(`\\x[0-9a-fA-F]{2}`)
)

// obfuscated reports whether an inline script hides what it runs.
func obfuscated(script []byte) bool {
	return runsDecoded.Match(script) || longBase64.Match(script) ||
		len(hexEscapes.FindAllIndex(script, 201)) > 200
}
