package shortener

import (
	"strings"
	"time"

	"tiny/internal/tiny"
)

// Target is a resolved link as the redirect path needs it. It is shared by
// every request that hits the cache, so it is never modified after creation.
type Target struct {
	// What a cached redirect reads is copied out of Link into the first
	// fields, so a hit touches one or two cache lines instead of the spread
	// of a whole link: under load those misses were most of the handler's
	// own time.
	id           int64
	expiresAt    time.Time // zero: never
	url          string
	cacheControl string // precomputed when the link has no expiry
	redirect     int
	forwardQuery bool
	// Fast is true when a GET needs nothing but the redirect itself: the link
	// is active, live, and has no password or click limit. Expiry is still
	// checked per request.
	Fast bool

	// Link is the whole link; nil in a target loaded from the redirect
	// read alone (a plain link), which a redirect needs nothing more of.
	// ResolveLive always returns it.
	Link *tiny.Link
}

// newPlainTarget is the target of a plain link from its redirect read.
func newPlainTarget(id int64, lt tiny.LinkTarget) *Target {
	return &Target{
		id:           id,
		url:          lt.URL,
		redirect:     lt.Redirect,
		forwardQuery: lt.ForwardQuery,
		cacheControl: (&tiny.Link{Redirect: lt.Redirect, CacheSeconds: lt.CacheSeconds}).CacheControl(time.Time{}),
		Fast:         true,
	}
}

func newTarget(l *tiny.Link) *Target {
	t := &Target{
		id:           l.ID,
		url:          l.URL,
		redirect:     l.Redirect,
		forwardQuery: l.ForwardQuery,
		Fast:         l.Status == tiny.StatusActive && l.DeletedAt == nil && l.PasswordHash == "" && l.MaxClicks == 0,
		Link:         l,
	}
	if l.ExpiresAt == nil {
		t.cacheControl = l.CacheControl(time.Time{})
	} else {
		t.expiresAt = *l.ExpiresAt
	}
	return t
}

// ID returns the link's id.
func (t *Target) ID() int64 { return t.id }

// Redirect returns the link's redirect status.
func (t *Target) Redirect() int { return t.redirect }

// ForwardsQuery reports whether the visitor's query string is appended to
// the destination.
func (t *Target) ForwardsQuery() bool { return t.forwardQuery }

// Expired reports whether the link's expiry has passed at now.
func (t *Target) Expired(now time.Time) bool {
	return !t.expiresAt.IsZero() && !now.Before(t.expiresAt)
}

// CacheControl returns the Cache-Control header of the redirect at now.
func (t *Target) CacheControl(now time.Time) string {
	if t.expiresAt.IsZero() {
		return t.cacheControl
	}
	return t.Link.CacheControl(now)
}

// Location returns the redirect destination for a visit with the given raw
// query string. With forward_query the visitor's query is appended to the
// destination's, before any fragment; bytes that may not stand in a URL are
// percent-encoded, so nothing the visitor sends can break the header.
func (t *Target) Location(rawQuery string) string {
	dest := t.url
	if !t.forwardQuery || rawQuery == "" {
		return dest
	}
	fragment := ""
	if i := strings.IndexByte(dest, '#'); i >= 0 {
		dest, fragment = dest[:i], dest[i:]
	}
	var b strings.Builder
	b.Grow(len(dest) + len(rawQuery) + len(fragment) + 1)
	b.WriteString(dest)
	switch {
	case !strings.Contains(dest, "?"):
		b.WriteByte('?')
	case !strings.HasSuffix(dest, "?") && !strings.HasSuffix(dest, "&"):
		b.WriteByte('&')
	}
	const hex = "0123456789ABCDEF"
	for i := 0; i < len(rawQuery); i++ {
		c := rawQuery[i]
		if c <= ' ' || c >= 0x7f || c == '#' || c == '"' || c == '<' || c == '>' || c == '\\' || c == '`' {
			b.WriteByte('%')
			b.WriteByte(hex[c>>4])
			b.WriteByte(hex[c&15])
			continue
		}
		b.WriteByte(c)
	}
	b.WriteString(fragment)
	return b.String()
}

// HidesDestination reports whether l shows its destination only to a
// visitor who spends a click or gives its password: a click-limited
// (one-time) or password link. Previewers and the preview page (name+) get
// a page without it.
func HidesDestination(l *tiny.Link) bool { return l.MaxClicks > 0 || l.PasswordHash != "" }
