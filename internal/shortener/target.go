package shortener

import (
	"strings"
	"time"

	"tiny/internal/tiny"
)

// Target is a resolved link as the redirect path needs it. It is shared by
// every request that hits the cache, so it is never modified after creation.
type Target struct {
	Link *tiny.Link
	// Fast is true when a GET needs nothing but the redirect itself: the link
	// is active, live, and has no password or click limit. Expiry is still
	// checked per request.
	Fast bool
	// cacheControl is precomputed for links without an expiry, whose header
	// does not change with time.
	cacheControl string
}

func newTarget(l *tiny.Link) *Target {
	t := &Target{
		Link: l,
		Fast: l.Status == tiny.StatusActive && l.DeletedAt == nil && l.PasswordHash == "" && l.MaxClicks == 0,
	}
	if l.ExpiresAt == nil {
		t.cacheControl = l.CacheControl(time.Time{})
	}
	return t
}

// Expired reports whether the link's expiry has passed at now.
func (t *Target) Expired(now time.Time) bool {
	return t.Link.ExpiresAt != nil && !now.Before(*t.Link.ExpiresAt)
}

// CacheControl returns the Cache-Control header of the redirect at now.
func (t *Target) CacheControl(now time.Time) string {
	if t.Link.ExpiresAt == nil {
		return t.cacheControl
	}
	return t.Link.CacheControl(now)
}

// Location returns the redirect destination for a visit with the given raw
// query string. With forward_query the visitor's query is appended to the
// destination's, before any fragment; bytes that may not stand in a URL are
// percent-encoded, so nothing the visitor sends can break the header.
func (t *Target) Location(rawQuery string) string {
	dest := t.Link.URL
	if !t.Link.ForwardQuery || rawQuery == "" {
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
