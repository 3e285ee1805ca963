package follow

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"syscall"
	"time"

	"tiny/internal/tiny"
)

// UserAgent is the fixed user agent of every request: it names the
// software, so a site's operator can tell what fetched the page, and
// nothing about the link, the instance or who made the link.
const UserAgent = "tiny-link-check/1 (the link-safety check of a tiny URL shortener)"

// ClientConfig configures a Client. Zero values take the defaults noted.
type ClientConfig struct {
	// Resolve maps "host:port" to the "address:port" to connect to
	// instead of resolving host, like curl's --resolve. The operator wrote
	// these, so their addresses are trusted even when private (tests map
	// names to local servers this way); nothing else is.
	Resolve map[string]string
	// Timeout bounds a whole chain or page fetch (3s).
	Timeout time.Duration
	// MaxHops bounds the hops after the destination itself (5).
	MaxHops int
	// MaxBody bounds the bytes of a page read (512 KiB).
	MaxBody int64
}

// Client makes the outgoing requests of the follower. It is safe for
// concurrent use.
type Client struct {
	cfg ClientConfig
	hc  *http.Client
}

// NewClient returns a Client.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 3 * time.Second
	}
	if cfg.MaxHops <= 0 {
		cfg.MaxHops = 5
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = 512 << 10
	}
	for from, to := range cfg.Resolve {
		if _, _, err := net.SplitHostPort(from); err != nil {
			return nil, fmt.Errorf("resolve %q: want host:port=address:port", from)
		}
		if _, err := netip.ParseAddrPort(to); err != nil {
			return nil, fmt.Errorf("resolve %s=%s: want an address:port like 127.0.0.1:8081", from, to)
		}
	}
	guarded := &net.Dialer{Timeout: cfg.Timeout, Control: refusePrivate}
	trusted := &net.Dialer{Timeout: cfg.Timeout}
	tr := &http.Transport{
		Proxy: nil, // never the environment's: a proxy would see what tiny checks, and dial where it likes
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if to, ok := cfg.Resolve[strings.ToLower(addr)]; ok {
				return trusted.DialContext(ctx, network, to)
			}
			return guarded.DialContext(ctx, network, addr)
		},
		TLSHandshakeTimeout:    cfg.Timeout,
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           16,
		IdleConnTimeout:        30 * time.Second,
		DisableCompression:     false,
	}
	return &Client{cfg: cfg, hc: &http.Client{
		Transport: tr,
		Jar:       nil, // no cookies: each request stands alone
		// Every hop is followed (and scored) by Follow itself.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       cfg.Timeout,
	}}, nil
}

// RefusedError is a hop that leads where the client never connects.
type RefusedError struct {
	Host string // the host or address as found
	Kind string // what it is, e.g. "loopback address"
}

func (e *RefusedError) Error() string {
	article := "a"
	if e.Kind != "" && strings.ContainsRune("aeiou", rune(e.Kind[0])) {
		article = "an"
	}
	return fmt.Sprintf("leads to %s %s (%s), which is never followed", article, e.Kind, e.Host)
}

// refusePrivate is the dialer's Control: it runs on the address about to
// be connected to, after any DNS lookup, so a name that resolves (or is
// rebound) to a private address is refused as a literal one is.
func refusePrivate(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &RefusedError{Host: address, Kind: "unparsable address"}
	}
	if d := tiny.ClassifyAddr(ap.Addr()); d.Class != tiny.PublicDestination {
		return &RefusedError{Host: ap.Addr().String(), Kind: d.Kind}
	}
	return nil
}

// checkHost refuses a hop whose host is a private address or name before
// any request, unless the operator mapped it (ClientConfig.Resolve).
func (c *Client) checkHost(u *urlInfo) error {
	if _, ok := c.cfg.Resolve[u.hostPort]; ok {
		return nil
	}
	if d := tiny.ClassifyHost(u.host); d.Class != tiny.PublicDestination {
		return &RefusedError{Host: u.host, Kind: d.Kind}
	}
	return nil
}

// response is what the client kept of one request.
type response struct {
	status   int
	location string
	header   http.Header
	body     []byte // GET only, up to MaxBody
}

// do makes one request with no cookies, the fixed user agent, and no
// referrer, and reads at most MaxBody bytes of a GET's body.
func (c *Client) do(ctx context.Context, method, url string) (*response, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.5")
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := &response{status: resp.StatusCode, location: resp.Header.Get("Location"), header: resp.Header}
	if method == http.MethodGet {
		r.body, err = io.ReadAll(io.LimitReader(resp.Body, c.cfg.MaxBody))
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// refused returns the RefusedError inside err, if any.
func refused(err error) (*RefusedError, bool) {
	var r *RefusedError
	ok := errors.As(err, &r)
	return r, ok
}
