package follow

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"tiny/internal/abuse/urlscore"
)

// Hop is one URL of a redirect chain.
type Hop struct {
	URL string
	// Status is the HTTP status the hop answered; 0 when it was not asked
	// (an open redirect whose target is in its own URL, or a refused hop).
	Status int
	// Via says how the hop was reached: "" for the destination itself,
	// "redirect", "meta refresh" or "open redirect".
	Via string
}

// Chain is where a destination leads.
type Chain struct {
	// Hops are the URLs met, the destination first and the landing page
	// last.
	Hops []Hop
	// Page is what the landing page shows, when a page was asked for and
	// the landing page is HTML.
	Page *Page
	// Err is why the chain could not be followed to its end (a refused
	// address, too many hops, a loop, a timeout, a network error); nil
	// when it was. The hop that failed is the last of Hops.
	Err error
}

// ChainError is a chain that cannot be followed because of what it is (a
// loop, too many hops, a hop that is no web URL), not because of the
// network at the moment.
type ChainError struct{ msg string }

func (e *ChainError) Error() string { return e.msg }

func chainErr(msg string) error { return &ChainError{msg} }

// Transient reports whether the chain failed for a reason that may pass
// (a timeout, a refused connection, a DNS failure), rather than because
// of what it is (a ChainError) or where it leads (a RefusedError).
func (c *Chain) Transient() bool {
	var ce *ChainError
	_, isRefused := refused(c.Err)
	return c.Err != nil && !isRefused && !errors.As(c.Err, &ce)
}

// Final returns the last URL of the chain.
func (c *Chain) Final() string { return c.Hops[len(c.Hops)-1].URL }

// Redirected reports whether the chain went anywhere beyond the
// destination itself.
func (c *Chain) Redirected() bool { return len(c.Hops) > 1 }

// urlInfo is a parsed hop URL.
type urlInfo struct {
	u        *url.URL
	host     string // lower case, without brackets or port
	hostPort string // host:port, the port defaulted from the scheme; the key of ClientConfig.Resolve
}

func parseHop(raw string) (*urlInfo, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, chainErr("not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, chainErr(fmt.Sprintf("leads to a %q URL, not a web page", u.Scheme))
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "" {
		return nil, chainErr("has no host")
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return &urlInfo{u: u, host: host, hostPort: net.JoinHostPort(host, port)}, nil
}

// Follow follows url hop by hop, within the client's time and hop budget:
// a HEAD first, a GET when the HEAD is refused or a body is needed (a
// redirector may send a meta refresh; page asks for the landing page's
// signals). Open redirects whose target is in their URL are followed
// without a request. A hop to a private address is never requested: the
// chain ends there with a RefusedError.
func (c *Client) Follow(ctx context.Context, dest string, page bool, redirectors *Redirectors) *Chain {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	ch := &Chain{}
	seen := map[string]bool{}
	for cur, via := dest, ""; ; {
		hop := Hop{URL: cur, Via: via}
		next, nextVia, err := c.hop(ctx, &hop, ch, page, redirectors)
		ch.Hops = append(ch.Hops, hop)
		switch {
		case err != nil:
			ch.Err = err
			return ch
		case next == "":
			return ch
		case len(ch.Hops) > c.cfg.MaxHops:
			ch.Err = chainErr(fmt.Sprintf("more than %d redirects", c.cfg.MaxHops))
			return ch
		}
		seen[cur] = true
		if seen[next] {
			ch.Hops = append(ch.Hops, Hop{URL: next, Via: nextVia})
			ch.Err = chainErr("the redirects loop")
			return ch
		}
		cur, via = next, nextVia
	}
}

// hop requests one hop and returns the next URL and how it was reached,
// or "" when hop is the landing page (whose page, when asked for, it sets
// on ch).
func (c *Client) hop(ctx context.Context, hop *Hop, ch *Chain, page bool, redirectors *Redirectors) (next, via string, err error) {
	u, err := parseHop(hop.URL)
	if err != nil {
		return "", "", err
	}
	if err := c.checkHost(u); err != nil {
		return "", "", err
	}
	if target, ok := openRedirect(u.u); ok {
		return target, "open redirect", nil
	}
	needBody := page || redirectors.Has(hop.URL)
	r, err := c.do(ctx, http.MethodHead, hop.URL)
	if _, ok := refused(err); ok {
		return "", "", err
	}
	if err != nil || !isRedirect(r.status) && (needBody || r.status == http.StatusMethodNotAllowed || r.status == http.StatusNotImplemented) {
		if r, err = c.do(ctx, http.MethodGet, hop.URL); err != nil {
			return "", "", fetchErr(ctx, err)
		}
	}
	hop.Status = r.status
	if isRedirect(r.status) {
		if r.location == "" {
			return "", "", nil // a redirect to nowhere lands here
		}
		next, err := resolveRef(u.u, r.location)
		return next, "redirect", err
	}
	if r.body == nil || !isHTML(r.header) {
		return "", "", nil
	}
	p := ParsePage(r.body, hop.URL)
	if p.Refresh != "" {
		if next, err := resolveRef(u.u, p.Refresh); err != nil || next != hop.URL {
			return next, "meta refresh", err
		}
	}
	if page {
		ch.Page = p
	}
	return "", "", nil
}

// fetchErr names a timeout as the budget running out rather than by the
// client's words.
func fetchErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return errors.New("the chain took longer than its time budget")
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err // without the URL, which the hop names already
	}
	return err
}

func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

func isHTML(h http.Header) bool {
	ct := strings.ToLower(h.Get("Content-Type"))
	return ct == "" || strings.Contains(ct, "html")
}

// resolveRef resolves a Location or refresh target against the hop's URL.
func resolveRef(base *url.URL, ref string) (string, error) {
	r, err := url.Parse(strings.TrimSpace(ref))
	if err != nil {
		return "", chainErr("redirects to something that is not a URL")
	}
	return base.ResolveReference(r).String(), nil
}

// openRedirects are well-known open redirects that carry their target in
// a query parameter: host → path → parameter. Following them offline
// saves a request, and their interstitials (Google's "you are leaving")
// would hide the target from a request anyway.
var openRedirects = map[string]struct{ path, param string }{
	"google.com":            {"/url", "q"},
	"www.google.com":        {"/url", "q"},
	"l.facebook.com":        {"/l.php", "u"},
	"lm.facebook.com":       {"/l.php", "u"},
	"l.instagram.com":       {"/", "u"},
	"www.youtube.com":       {"/redirect", "q"},
	"youtube.com":           {"/redirect", "q"},
	"t.umblr.com":           {"/redirect", "z"},
	"away.vk.com":           {"/away.php", "to"},
	"vk.com":                {"/away.php", "to"},
	"slack-redir.net":       {"/link", "url"},
	"duckduckgo.com":        {"/l/", "uddg"},
	"www.linkedin.com":      {"/redir/redirect", "url"},
	"href.li":               {"/", ""}, // the whole query is the target
	"steamcommunity.com":    {"/linkfilter/", "url"},
	"www.google.co.uk":      {"/url", "q"},
	"out.reddit.com":        {"/", "url"},
	"click.linksynergy.com": {"/deeplink", "murl"},
}

// openRedirect returns the target an open redirect's URL carries.
func openRedirect(u *url.URL) (string, bool) {
	r, ok := openRedirects[strings.ToLower(u.Hostname())]
	if !ok || u.Path != r.path && !(r.path == "/" && u.Path == "") {
		return "", false
	}
	target := u.RawQuery
	if r.param != "" {
		target = u.Query().Get(r.param)
	} else if t, err := url.QueryUnescape(target); err == nil {
		target = t
	}
	if !strings.HasPrefix(target, "http://") && !strings.HasPrefix(target, "https://") {
		return "", false
	}
	return target, true
}

// Redirectors says which destinations hide another: the shorteners the
// URL model knows, the open redirects above, and the hosts the operator
// adds. A nil *Redirectors has only the built-in ones.
type Redirectors struct{ extra map[string]bool }

// NewRedirectors returns the built-in redirectors plus hosts (each also
// covering its subdomains).
func NewRedirectors(hosts []string) *Redirectors {
	r := &Redirectors{extra: map[string]bool{}}
	for _, h := range hosts {
		r.extra[strings.ToLower(strings.TrimSuffix(strings.TrimSpace(h), "."))] = true
	}
	return r
}

// Has reports whether rawURL is on a shortener or redirector.
func (r *Redirectors) Has(rawURL string) bool {
	u, err := url.Parse(rawURL)
	if err != nil {
		return false
	}
	if _, ok := openRedirect(u); ok {
		return true
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if urlscore.Shortener(host) != "" {
		return true
	}
	return r != nil && urlscore.HostIn(host, r.extra) != ""
}
