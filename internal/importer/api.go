package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync/atomic"
	"time"

	"tiny/internal/tiny"
)

// APIConfig is what the API readers share.
type APIConfig struct {
	// BaseURL is the root of the other shortener ("https://sho.rt").
	BaseURL string
	// Token is the API key or token; it is sent only to BaseURL's host.
	Token string
	// Client makes the requests (a client with a 30s timeout).
	Client *http.Client
	// Retries is how many times a request that failed with a 5xx status or
	// a network error is tried again (3); 429 answers are retried after
	// their Retry-After up to the same count.
	Retries int
	// Wait sleeps between tries; tests replace it (a sleep that ends with ctx).
	Wait func(ctx context.Context, d time.Duration) error
}

// maxResponse bounds one API response, so a hostile server cannot make
// the reader hold an endless body.
const maxResponse = 32 << 20

// maxRetryAfter bounds how long a Retry-After makes the reader wait.
const maxRetryAfter = 5 * time.Minute

// api makes the JSON requests of an API reader.
type api struct {
	cfg  APIConfig
	base *url.URL
	auth func(h http.Header)
}

func newAPI(cfg APIConfig, auth func(h http.Header, token string)) (*api, error) {
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("the API address must be an http or https URL")
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 30 * time.Second}
	}
	// The token goes only to the base's host: a redirect elsewhere would
	// carry it along (http.Client forwards headers such as X-Api-Key).
	client := *cfg.Client
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != base.Scheme || req.URL.Host != base.Host {
			return fmt.Errorf("the API redirected to another host (%s); not following it with the token", req.URL.Host)
		}
		if len(via) >= 5 {
			return errors.New("the API redirected 5 times")
		}
		return nil
	}
	cfg.Client = &client
	if cfg.Retries <= 0 {
		cfg.Retries = 3
	}
	if cfg.Wait == nil {
		cfg.Wait = sleep
	}
	return &api{cfg: cfg, base: base, auth: func(h http.Header) { auth(h, cfg.Token) }}, nil
}

// OutboundClient is the client of a server's API readers: it connects
// only where rule lets links lead, checking each address it dials (after
// DNS, so a name rebound to a private address is refused too), and never
// through the environment's proxy, which would dial where it likes.
func OutboundClient(rule tiny.DestinationRule) *http.Client {
	dialer := &net.Dialer{Timeout: 10 * time.Second, Control: rule.DialControl}
	return &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   10 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		MaxIdleConns:          4,
		IdleConnTimeout:       30 * time.Second,
	}}
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// endpoint returns the URL of path under the base, with query.
func (a *api) endpoint(path string, query url.Values) *url.URL {
	u := *a.base
	u.Path = trimSlash(u.Path) + path
	u.RawQuery = query.Encode()
	return &u
}

func trimSlash(s string) string {
	for len(s) > 0 && s[len(s)-1] == '/' {
		s = s[:len(s)-1]
	}
	return s
}

// sameOrigin reports whether u may receive the token: the base's scheme
// and host. A next-page link elsewhere is refused, not followed.
func (a *api) sameOrigin(u *url.URL) bool {
	return u.Scheme == a.base.Scheme && u.Host == a.base.Host
}

// get fetches u and decodes its JSON body into v, retrying 5xx answers,
// network errors and 429s. Errors name the path only: a query may carry
// a signature, and no error ever carries the token.
func (a *api) get(ctx context.Context, u *url.URL, v any) error {
	if !a.sameOrigin(u) {
		return fmt.Errorf("the API sent a next page on another host (%s); not following it with the token", u.Host)
	}
	where := u.Path
	var lastErr error
	for try := 0; ; try++ {
		wait, err := a.try(ctx, u, v)
		if err == nil {
			return nil
		}
		var fatal *fatalError
		if errors.As(err, &fatal) || ctx.Err() != nil || try >= a.cfg.Retries {
			if lastErr != nil && !errors.As(err, &fatal) {
				err = fmt.Errorf("%w (after %d tries)", err, try+1)
			}
			return fmt.Errorf("GET %s: %w", where, err)
		}
		lastErr = err
		if wait <= 0 {
			wait = time.Duration(1<<try) * time.Second
		}
		if err := a.cfg.Wait(ctx, wait); err != nil {
			return err
		}
	}
}

// fatalError is an answer that trying again will not change.
type fatalError struct{ err error }

func (e *fatalError) Error() string { return e.err.Error() }
func (e *fatalError) Unwrap() error { return e.err }

func fatalf(format string, args ...any) error { return &fatalError{fmt.Errorf(format, args...)} }

// try makes one request. It returns how long to wait before the next try
// when the server said (429 Retry-After).
func (a *api) try(ctx context.Context, u *url.URL, v any) (time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return 0, fatalf("building the request failed")
	}
	req.Header.Set("Accept", "application/json")
	a.auth(req.Header)
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return 0, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the URL, and with it the query
		}
		return 0, fmt.Errorf("request failed: %v", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return 0, fatalf("the API refused the credentials (%s); check the key or token", resp.Status)
	case resp.StatusCode == http.StatusTooManyRequests:
		return retryAfter(resp.Header.Get("Retry-After")), fmt.Errorf("rate limited (%s)", resp.Status)
	case resp.StatusCode >= 500:
		return 0, fmt.Errorf("server error (%s)", resp.Status)
	case resp.StatusCode != http.StatusOK:
		return 0, fatalf("unexpected answer %s", resp.Status)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse+1))
	if err != nil {
		return 0, fmt.Errorf("reading the answer: %v", err)
	}
	if len(body) > maxResponse {
		return 0, fatalf("the answer is larger than %d bytes", maxResponse)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return 0, fatalf("the answer is not the JSON expected: %v", err)
	}
	return 0, nil
}

// retryAfter reads a Retry-After header: seconds or an HTTP date, at most
// maxRetryAfter; 0 when absent or unreadable.
func retryAfter(h string) time.Duration {
	if h == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.Atoi(h); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(h); err == nil {
		d = time.Until(t)
	}
	return min(max(d, 0), maxRetryAfter)
}

// count is a JSON number that some APIs send as a string ("12") or null.
type count int64

func (c *count) UnmarshalJSON(b []byte) error {
	s := string(b)
	if s == "null" || s == `""` {
		*c = 0
		return nil
	}
	if len(s) >= 2 && s[0] == '"' {
		s = s[1 : len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || f < 0 || f > 1<<62 {
			return fmt.Errorf("%q is not a count", truncate(s))
		}
		n = int64(f)
	}
	*c = count(max(n, 0))
	return nil
}

// paged is the Reader side of an API reader: it asks fetch for the next
// page when the records of the last one are used up.
type paged struct {
	buf   []item
	row   int64
	done  bool
	total atomic.Int64 // read by Run's other stage, for progress
	fetch func(ctx context.Context) (items []item, more bool, err error)
}

// item is a record or the RowError of one API item.
type item struct {
	rec *Record
	err *RowError
}

func newPaged(fetch func(ctx context.Context) ([]item, bool, error)) *paged {
	p := &paged{fetch: fetch}
	p.total.Store(-1)
	return p
}

// Next implements Reader.
func (p *paged) Next(ctx context.Context) (*Record, error) {
	for len(p.buf) == 0 {
		if p.done {
			return nil, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		items, more, err := p.fetch(ctx)
		if err != nil {
			return nil, err
		}
		// An empty page ends the list even if the server says there is
		// more: otherwise a broken server could keep the reader forever.
		p.buf, p.done = items, !more || len(items) == 0
	}
	it := p.buf[0]
	p.buf = p.buf[1:]
	if it.err != nil {
		return nil, it.err
	}
	return it.rec, nil
}

// Total implements Sized.
func (p *paged) Total() int64 { return p.total.Load() }

// nextRow numbers the next API item.
func (p *paged) nextRow() int64 { p.row++; return p.row }
