package feed

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// Defaults for Options fields left zero.
const (
	DefaultConnectTimeout = 10 * time.Second
	DefaultTimeout        = 2 * time.Minute // whole request, body included
	DefaultMaxBytes       = 256 << 20
)

// ErrTooLarge is returned when a feed exceeds Options.MaxBytes.
var ErrTooLarge = errors.New("feed exceeds size limit")

// Options tune how Sources fetch. The zero value uses the defaults.
type Options struct {
	ConnectTimeout time.Duration // dial timeout for URL feeds
	Timeout        time.Duration // overall request timeout for URL feeds
	MaxBytes       int64         // size limit for file and URL feeds
	Client         *http.Client  // if set, used as is instead of the timeouts
}

func (o Options) withDefaults() Options {
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.Client == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		t.DialContext = (&net.Dialer{Timeout: o.ConnectTimeout, KeepAlive: 30 * time.Second}).DialContext
		t.TLSHandshakeTimeout = o.ConnectTimeout
		t.ResponseHeaderTimeout = o.Timeout
		o.Client = &http.Client{Transport: t, Timeout: o.Timeout}
	}
	return o
}

// Source is one feed: a file path or an http(s) URL. Load is not safe for
// concurrent use; the other methods may be called from any goroutine only
// when no Load is running (the Watcher serialises them).
type Source struct {
	loc   string
	isURL bool
	opts  Options

	list  *List
	stats Stats
	sum   [sha256.Size]byte

	// Change detection that avoids reading the feed at all.
	etag, lastModified string    // URL feeds
	size               int64     // file feeds
	mtime              time.Time // file feeds
}

// NewSource returns a Source for loc, a file path or an http(s) URL.
func NewSource(loc string, opts Options) (*Source, error) {
	s := &Source{loc: loc, opts: opts.withDefaults()}
	if strings.Contains(loc, "://") {
		u, err := url.Parse(loc)
		if err != nil {
			return nil, fmt.Errorf("feed %q: %w", loc, err)
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("feed %q: want a file path or an http(s) URL", loc)
		}
		s.isURL = true
	} else if loc == "" {
		return nil, errors.New("feed: empty location")
	}
	return s, nil
}

// Name returns the path or URL the Source was created with.
func (s *Source) Name() string { return s.loc }

// List returns the last successfully loaded list, or nil.
func (s *Source) List() *List { return s.list }

// Stats returns the parse statistics of the current list.
func (s *Source) Stats() Stats { return s.stats }

// Sum returns the SHA-256 of the current list's content.
func (s *Source) Sum() [sha256.Size]byte { return s.sum }

// Load fetches and parses the feed. changed is false when the content is
// the same as the current list's (by HTTP validators, file size and mtime,
// or content hash). On error the current list is kept.
func (s *Source) Load(ctx context.Context) (changed bool, err error) {
	if s.isURL {
		changed, err = s.loadURL(ctx)
	} else {
		changed, err = s.loadFile()
	}
	if err != nil {
		return false, fmt.Errorf("feed %s: %w", s.loc, err)
	}
	return changed, nil
}

func (s *Source) loadFile() (bool, error) {
	f, err := os.Open(s.loc)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if s.list != nil && fi.Size() == s.size && fi.ModTime().Equal(s.mtime) {
		return false, nil
	}
	if fi.Size() > s.opts.MaxBytes {
		return false, fmt.Errorf("%w (%d > %d bytes)", ErrTooLarge, fi.Size(), s.opts.MaxBytes)
	}
	changed, err := s.consume(f)
	if err != nil {
		return false, err
	}
	s.size, s.mtime = fi.Size(), fi.ModTime()
	return changed, nil
}

func (s *Source) loadURL(ctx context.Context) (bool, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.loc, nil)
	if err != nil {
		return false, err
	}
	req.Header.Set("User-Agent", "tiny-blocklist/1")
	if s.list != nil {
		if s.etag != "" {
			req.Header.Set("If-None-Match", s.etag)
		}
		if s.lastModified != "" {
			req.Header.Set("If-Modified-Since", s.lastModified)
		}
	}
	resp, err := s.opts.Client.Do(req)
	if err != nil {
		return false, err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotModified && s.list != nil:
		return false, nil
	case resp.StatusCode != http.StatusOK:
		return false, fmt.Errorf("HTTP status %s", resp.Status)
	case resp.ContentLength > s.opts.MaxBytes:
		return false, fmt.Errorf("%w (Content-Length %d > %d bytes)", ErrTooLarge, resp.ContentLength, s.opts.MaxBytes)
	}
	changed, err := s.consume(resp.Body)
	if err != nil {
		return false, err
	}
	s.etag, s.lastModified = resp.Header.Get("ETag"), resp.Header.Get("Last-Modified")
	return changed, nil
}

// consume parses r, hashing it on the way, and installs the result unless
// it hashes the same as the current list.
func (s *Source) consume(r io.Reader) (bool, error) {
	h := sha256.New()
	lr := &limitReader{r: r, h: h, left: s.opts.MaxBytes}
	list, st, err := Parse(lr, s.loc)
	if err != nil {
		return false, err
	}
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if s.list != nil && bytes.Equal(sum[:], s.sum[:]) {
		return false, nil
	}
	s.list, s.stats, s.sum = list, st, sum
	return true, nil
}

// limitReader fails with ErrTooLarge past the limit (io.LimitReader would
// silently truncate, installing half a feed) and hashes what it reads.
type limitReader struct {
	r    io.Reader
	h    hash.Hash
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, ErrTooLarge
	}
	l.h.Write(p[:n])
	return n, err
}
