package tiny

import (
	"strconv"
	"time"
)

// LinkStatus is the safety state of a link.
type LinkStatus string

// The link statuses. Only active links redirect without an interstitial.
const (
	StatusActive  LinkStatus = "active"
	StatusFlagged LinkStatus = "flagged"
	StatusBlocked LinkStatus = "blocked"
)

// DefaultRedirect is the status a link redirects with when its owner does
// not choose one. A temporary redirect keeps every click visible to
// analytics and lets the owner change the destination later; a permanent
// one is cached by browsers and hides later clicks.
const DefaultRedirect = 302

// DefaultPermanentCacheSeconds is the max-age sent with a permanent redirect
// whose link has no cache_seconds: long enough for browsers and CDNs to
// absorb repeat visits, short enough that an edit or a block reaches every
// visitor within a day.
const DefaultPermanentCacheSeconds = 86400

// MaxCacheSeconds bounds cache_seconds to one year, as RFC 9111 suggests.
const MaxCacheSeconds = 365 * 86400

// Link is a short link: a code (and optionally an alias) that redirects to
// a destination URL.
type Link struct {
	ID      int64
	Code    string // generated from ID by the Codec; never changes
	Alias   string // optional custom alias; immutable once set
	OwnerID int64

	URL          string
	Title        string
	Tags         []string
	Redirect     int        // 301, 302, 307 or 308
	CacheSeconds *int       // nil: the default for Redirect
	ExpiresAt    *time.Time // nil: never
	MaxClicks    int64      // 0: unlimited
	PasswordHash string     // bcrypt hash; "" when the link has no password
	ForwardQuery bool       // append the visitor's query string to URL

	Status LinkStatus
	Safety Safety // the safety check's view; Status is what visitors get
	Clicks int64  // redirects counted so far
	// ImportedClicks is the click total another shortener had counted
	// when the link was imported; kept apart from Clicks, which only tiny
	// counts, so neither figure is mistaken for the other.
	ImportedClicks int64
	CreatedAt      time.Time
	UpdatedAt      time.Time
	DeletedAt      *time.Time // set when the owner deleted the link; it then answers 410
}

// IsPermanent reports whether the link's redirect status is permanent.
func (l *Link) IsPermanent() bool { return l.Redirect == 301 || l.Redirect == 308 }

// ShortName is the name the link is shared under: its alias if it has one,
// its code otherwise.
func (l *Link) ShortName() string {
	if l.Alias != "" {
		return l.Alias
	}
	return l.Code
}

// CacheControl returns the Cache-Control header for the link's redirect.
// Links that must see every visit (password, click limit, expiry soon) are
// never stored by caches. Otherwise cache_seconds wins; without it a
// permanent redirect is public for DefaultPermanentCacheSeconds and a
// temporary one must be revalidated each time, so every click is counted.
func (l *Link) CacheControl(now time.Time) string {
	if l.PasswordHash != "" || l.MaxClicks > 0 {
		return "no-store"
	}
	maxAge := -1
	switch {
	case l.CacheSeconds != nil:
		maxAge = *l.CacheSeconds
	case l.IsPermanent():
		maxAge = DefaultPermanentCacheSeconds
	}
	if l.ExpiresAt != nil && maxAge != 0 {
		// An expiry only cuts a max-age short: a temporary redirect without
		// cache_seconds stays no-cache however far off the expiry is, so
		// every click is still seen. Once less than a second is left,
		// nothing may store the redirect.
		left := int(l.ExpiresAt.Sub(now) / time.Second)
		if left <= 0 || maxAge > 0 && left < maxAge {
			maxAge = max(left, 0)
		}
	}
	switch {
	case maxAge < 0:
		return "private, no-cache"
	case maxAge == 0:
		return "no-store"
	case l.IsPermanent():
		return "public, max-age=" + strconv.Itoa(maxAge)
	default:
		return "private, max-age=" + strconv.Itoa(maxAge)
	}
}

// IsValidRedirect reports whether status is a redirect status a link may use.
func IsValidRedirect(status int) bool {
	return status == 301 || status == 302 || status == 307 || status == 308
}

// LinkSort is the order ListLinks returns links in.
type LinkSort string

// The orders of ListLinks.
const (
	SortNewest LinkSort = ""       // highest id first
	SortClicks LinkSort = "clicks" // most clicks first, then newest
)

// LinkFilter selects links for ListLinks.
type LinkFilter struct {
	OwnerID int64  // 0: every owner (admin)
	Tag     string // exact tag match
	Query   string // case-insensitive substring of URL or title
	Sort    LinkSort
	// AfterID is the cursor: the id of the last link of the previous page
	// (0 starts at the first). With SortNewest, only links with ID <
	// AfterID; with SortClicks, links after (AfterClicks, AfterID) in
	// that order.
	AfterID     int64
	AfterClicks int64
	Limit       int
}

// LinkTarget is what a redirect reads of a link (Store.LinkTargetByID).
// Only a Plain link is redirected from it; any other is read whole.
type LinkTarget struct {
	Code         string
	URL          string
	Redirect     int
	CacheSeconds *int
	ForwardQuery bool
	// Plain is true when the redirect needs nothing more: the link is
	// active, not deleted, and has no password, click limit or expiry.
	Plain bool
}

// PlainLinkSQL is the SQL condition on a links row of LinkTarget.Plain,
// for both stores.
const PlainLinkSQL = `status = 'active' AND deleted_at IS NULL AND password_hash = '' AND max_clicks = 0 AND expires_at IS NULL`
