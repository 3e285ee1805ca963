package shortener

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// hasHeaderBreakingByte reports the first byte of s that may not stand in
// a Location header unencoded: a control byte, a space or DEL.
func hasHeaderBreakingByte(s string) (byte, bool) {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return s[i], true
		}
	}
	return 0, false
}

func TestTargetLocation(t *testing.T) {
	tests := []struct {
		name    string
		dest    string
		forward bool
		query   string
		want    string
	}{
		{"forwarding off drops the query", "https://example.com/p", false, "a=1", "https://example.com/p"},
		{"forwarding off keeps the destination's query", "https://example.com/p?x=1#f", false, "a=1&b=2", "https://example.com/p?x=1#f"},
		{"forwarding on, no visitor query", "https://example.com/p?x=1", true, "", "https://example.com/p?x=1"},
		{"destination without ?", "https://example.com/p", true, "a=1", "https://example.com/p?a=1"},
		{"destination with a query", "https://example.com/p?x=1", true, "a=1&b=2", "https://example.com/p?x=1&a=1&b=2"},
		{"destination with trailing ?", "https://example.com/p?", true, "a=1", "https://example.com/p?a=1"},
		{"destination with trailing &", "https://example.com/p?x=1&", true, "a=1", "https://example.com/p?x=1&a=1"},
		{"fragment stays last", "https://example.com/p#top", true, "a=1", "https://example.com/p?a=1#top"},
		{"query and fragment", "https://example.com/p?x=1#top", true, "a=1", "https://example.com/p?x=1&a=1#top"},
		{"? inside the fragment only", "https://example.com/p#f?g=1", true, "a=1", "https://example.com/p?a=1#f?g=1"},
		{"trailing ? before a fragment", "https://example.com/p?#s", true, "a=1", "https://example.com/p?a=1#s"},
		{"existing escapes kept", "https://example.com/", true, "q=a%20b&r=%23", "https://example.com/?q=a%20b&r=%23"},
		{"space", "https://example.com/", true, "q=a b", "https://example.com/?q=a%20b"},
		{"plus kept", "https://example.com/", true, "q=a+b", "https://example.com/?q=a+b"},
		{"hash cannot start a fragment", "https://example.com/p#top", true, "q=1#evil", "https://example.com/p?q=1%23evil#top"},
		{"double quote", "https://example.com/", true, `q="x"`, "https://example.com/?q=%22x%22"},
		{"angle brackets", "https://example.com/", true, "q=<script>", "https://example.com/?q=%3Cscript%3E"},
		{"backslash and backtick", "https://example.com/", true, "q=\\`", "https://example.com/?q=%5C%60"},
		{"raw UTF-8", "https://example.com/", true, "q=é", "https://example.com/?q=%C3%A9"},
		{"raw bytes >= 0x80", "https://example.com/", true, "q=\x80\xff", "https://example.com/?q=%80%FF"},
		{"CR LF header injection", "https://example.com/", true, "q=1\r\nSet-Cookie: a=b", "https://example.com/?q=1%0D%0ASet-Cookie:%20a=b"},
		{"NUL, tab, DEL", "https://example.com/", true, "q=\x00\t\x7f", "https://example.com/?q=%00%09%7F"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			target := newTarget(&tiny.Link{URL: tt.dest, ForwardQuery: tt.forward, Redirect: 302, Status: tiny.StatusActive})
			got := target.Location(tt.query)
			if got != tt.want {
				t.Errorf("Location(%q) on %q = %q, want %q", tt.query, tt.dest, got, tt.want)
			}
			if b, bad := hasHeaderBreakingByte(got); bad {
				t.Errorf("Location(%q) on %q = %q, which holds byte %#x", tt.query, tt.dest, got, b)
			}
		})
	}
}

// TestTargetLocationEncodesEveryByte runs every single byte through the
// visitor query: the ones a URL may hold pass, all others are escaped.
func TestTargetLocationEncodesEveryByte(t *testing.T) {
	target := newTarget(&tiny.Link{URL: "https://example.com/p", ForwardQuery: true})
	for c := 0; c < 256; c++ {
		q := "a" + string([]byte{byte(c)})
		got := target.Location(q)
		if b, bad := hasHeaderBreakingByte(got); bad {
			t.Errorf("Location(%q) = %q, which holds byte %#x", q, got, b)
		}
		if strings.Count(got, "#") != 0 {
			t.Errorf("Location(%q) = %q, want no fragment", q, got)
		}
		want := "https://example.com/p?" + q
		if c <= ' ' || c >= 0x7f || strings.IndexByte("#\"<>\\`", byte(c)) >= 0 {
			want = fmt.Sprintf("https://example.com/p?a%%%02X", c)
		}
		if got != want {
			t.Errorf("Location(%q) = %q, want %q", q, got, want)
		}
	}
}

func TestLinkCacheControl(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	secs := func(n int) *int { return &n }
	in := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		name      string
		redirect  int
		cache     *int
		password  bool
		maxClicks int64
		expires   *time.Time
		want      string
	}{
		{"301 default", 301, nil, false, 0, nil, "public, max-age=86400"},
		{"308 default", 308, nil, false, 0, nil, "public, max-age=86400"},
		{"302 default", 302, nil, false, 0, nil, "private, no-cache"},
		{"307 default", 307, nil, false, 0, nil, "private, no-cache"},
		{"301 cache 0", 301, secs(0), false, 0, nil, "no-store"},
		{"308 cache 0", 308, secs(0), false, 0, nil, "no-store"},
		{"302 cache 0", 302, secs(0), false, 0, nil, "no-store"},
		{"307 cache 0", 307, secs(0), false, 0, nil, "no-store"},
		{"301 cache 600", 301, secs(600), false, 0, nil, "public, max-age=600"},
		{"308 cache 600", 308, secs(600), false, 0, nil, "public, max-age=600"},
		{"302 cache 600", 302, secs(600), false, 0, nil, "private, max-age=600"},
		{"307 cache 600", 307, secs(600), false, 0, nil, "private, max-age=600"},
		{"301 cache a year", 301, secs(tiny.MaxCacheSeconds), false, 0, nil, "public, max-age=31536000"},

		{"301 password", 301, nil, true, 0, nil, "no-store"},
		{"308 password with cache", 308, secs(600), true, 0, nil, "no-store"},
		{"302 password", 302, nil, true, 0, nil, "no-store"},
		{"307 password with cache", 307, secs(600), true, 0, nil, "no-store"},
		{"301 max_clicks", 301, nil, false, 1, nil, "no-store"},
		{"308 max_clicks with cache", 308, secs(600), false, 5, nil, "no-store"},
		{"302 max_clicks", 302, nil, false, 1, nil, "no-store"},
		{"307 max_clicks with cache", 307, secs(600), false, 5, nil, "no-store"},
		{"password and max_clicks far expiry", 301, secs(600), true, 3, in(time.Hour), "no-store"},

		{"301 default capped by expiry", 301, nil, false, 0, in(90 * time.Second), "public, max-age=90"},
		{"308 default far expiry", 308, nil, false, 0, in(48 * time.Hour), "public, max-age=86400"},
		{"301 cache capped by expiry", 301, secs(600), false, 0, in(100 * time.Second), "public, max-age=100"},
		{"301 cache below expiry", 301, secs(60), false, 0, in(100 * time.Second), "public, max-age=60"},
		{"307 cache capped by expiry", 307, secs(600), false, 0, in(100 * time.Second), "private, max-age=100"},
		{"302 cache below expiry", 302, secs(60), false, 0, in(100 * time.Second), "private, max-age=60"},
		{"expiry rounds down", 301, nil, false, 0, in(90*time.Second + 999*time.Millisecond), "public, max-age=90"},
		{"302 default with far expiry stays no-cache", 302, nil, false, 0, in(30 * 24 * time.Hour), "private, no-cache"},
		{"307 default with near expiry stays no-cache", 307, nil, false, 0, in(10 * time.Second), "private, no-cache"},
		{"cache 0 with expiry", 301, secs(0), false, 0, in(time.Hour), "no-store"},
		{"301 under a second left", 301, nil, false, 0, in(500 * time.Millisecond), "no-store"},
		{"301 expires now", 301, nil, false, 0, in(0), "no-store"},
		{"301 expired", 301, nil, false, 0, in(-time.Hour), "no-store"},
		{"308 cache expired", 308, secs(600), false, 0, in(-time.Second), "no-store"},
		{"302 expired", 302, nil, false, 0, in(-time.Hour), "no-store"},
		{"307 cache expired", 307, secs(60), false, 0, in(-time.Minute), "no-store"},
	}
	for _, tt := range tests {
		l := &tiny.Link{URL: "https://example.com/", Redirect: tt.redirect, CacheSeconds: tt.cache,
			MaxClicks: tt.maxClicks, ExpiresAt: tt.expires, Status: tiny.StatusActive}
		if tt.password {
			l.PasswordHash = "$2a$04$hash"
		}
		if got := l.CacheControl(now); got != tt.want {
			t.Errorf("%s: Link.CacheControl(%v) = %q, want %q", tt.name, now, got, tt.want)
		}
		if got := newTarget(l).CacheControl(now); got != tt.want {
			t.Errorf("%s: Target.CacheControl(%v) = %q, want %q", tt.name, now, got, tt.want)
		}
	}
}

// TestTargetCacheControlFollowsTheClock checks that a cached target of a
// link with an expiry computes its header at each request rather than
// keeping the one of the moment it was cached.
func TestTargetCacheControlFollowsTheClock(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := now.Add(10 * time.Minute)
	target := newTarget(&tiny.Link{URL: "https://example.com/", Redirect: 301, ExpiresAt: &exp})
	for _, tt := range []struct {
		at   time.Time
		want string
	}{
		{now, "public, max-age=600"},
		{now.Add(9 * time.Minute), "public, max-age=60"},
		{now.Add(10 * time.Minute), "no-store"},
		{now.Add(time.Hour), "no-store"},
	} {
		if got := target.CacheControl(tt.at); got != tt.want {
			t.Errorf("CacheControl(%v) = %q, want %q", tt.at, got, tt.want)
		}
	}
}

func TestTargetExpired(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(d); return &t }
	tests := []struct {
		name    string
		expires *time.Time
		want    bool
	}{
		{"no expiry", nil, false},
		{"an hour left", at(time.Hour), false},
		{"a nanosecond left", at(time.Nanosecond), false},
		{"expires now", at(0), true},
		{"expired a nanosecond ago", at(-time.Nanosecond), true},
		{"expired a year ago", at(-365 * 24 * time.Hour), true},
	}
	for _, tt := range tests {
		target := newTarget(&tiny.Link{URL: "https://example.com/", ExpiresAt: tt.expires})
		if got := target.Expired(now); got != tt.want {
			t.Errorf("%s: Expired(%v) = %v, want %v", tt.name, now, got, tt.want)
		}
	}
}

// TestNewTargetFast covers every combination of what takes a link off the
// fast path: only an active, live link without a password or a click
// limit is fast.
func TestNewTargetFast(t *testing.T) {
	deletedAt := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, status := range []tiny.LinkStatus{tiny.StatusActive, tiny.StatusFlagged, tiny.StatusBlocked} {
		for _, password := range []bool{false, true} {
			for _, maxClicks := range []int64{0, 1} {
				for _, deleted := range []bool{false, true} {
					l := &tiny.Link{URL: "https://example.com/", Redirect: 302, Status: status, MaxClicks: maxClicks}
					if password {
						l.PasswordHash = "$2a$04$hash"
					}
					if deleted {
						l.DeletedAt = &deletedAt
					}
					want := status == tiny.StatusActive && !password && maxClicks == 0 && !deleted
					if got := newTarget(l).Fast; got != want {
						t.Errorf("newTarget(status=%s password=%v max_clicks=%d deleted=%v).Fast = %v, want %v",
							status, password, maxClicks, deleted, got, want)
					}
				}
			}
		}
	}
}

// TestNewTargetFastIgnoresExpiry checks that an expiry alone keeps a link
// on the fast path: it is checked per request instead.
func TestNewTargetFastIgnoresExpiry(t *testing.T) {
	exp := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	l := &tiny.Link{URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive, ExpiresAt: &exp}
	if got := newTarget(l).Fast; !got {
		t.Errorf("newTarget(expired active link).Fast = %v, want true", got)
	}
}

// fuzzDestinations are normalised destinations, as NormalizeURL returns
// them, that FuzzLocation appends visitor queries to.
var fuzzDestinations = []string{
	"https://example.com",
	"https://example.com/",
	"https://example.com/p?x=1",
	"https://example.com/p?",
	"https://example.com/p?x=1&",
	"https://example.com/p#frag",
	"https://example.com/p?x=1#frag",
	"https://example.com/p#f?g=1&h",
	"http://[2001:db8::1]:8080/a/b?c=%20d#",
}

// FuzzLocation checks that no visitor query can put a control byte or a
// space into the Location header, move the fragment, or change the
// destination it is appended to.
func FuzzLocation(f *testing.F) {
	for _, s := range []string{
		"", "a=1", "a=1&b=2", "q=a b", "q=1#x", "\r\nSet-Cookie: x=y", "%0D%0A", "\x00\x7f\x80\xff",
		"q=é", `"<>\` + "`", "&&&", "?", "#", "a=%zz",
	} {
		for i := range fuzzDestinations {
			f.Add(s, uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, rawQuery string, which uint8) {
		dest := fuzzDestinations[int(which)%len(fuzzDestinations)]
		target := newTarget(&tiny.Link{URL: dest, ForwardQuery: true, Redirect: 302, Status: tiny.StatusActive})
		got := target.Location(rawQuery)

		if b, bad := hasHeaderBreakingByte(got); bad {
			t.Fatalf("Location(%q) on %q = %q, which holds byte %#x", rawQuery, dest, got, b)
		}
		base, fragment := dest, ""
		if i := strings.IndexByte(dest, '#'); i >= 0 {
			base, fragment = dest[:i], dest[i:]
		}
		if !strings.HasPrefix(got, base) {
			t.Fatalf("Location(%q) on %q = %q, want it to start with %q", rawQuery, dest, got, base)
		}
		if !strings.HasSuffix(got, fragment) {
			t.Fatalf("Location(%q) on %q = %q, want it to end with %q", rawQuery, dest, got, fragment)
		}
		if n, want := strings.Count(got, "#"), strings.Count(dest, "#"); n != want {
			t.Fatalf("Location(%q) on %q = %q with %d '#', want %d", rawQuery, dest, got, n, want)
		}
		if rawQuery == "" {
			if got != dest {
				t.Fatalf("Location(%q) on %q = %q, want the destination unchanged", rawQuery, dest, got)
			}
			return
		}
		u, err := url.Parse(got)
		if err != nil {
			t.Fatalf("Location(%q) on %q = %q, which url.Parse refuses: %v", rawQuery, dest, got, err)
		}
		if want := strings.TrimPrefix(fragment, "#"); u.EscapedFragment() != want && u.Fragment != want {
			t.Fatalf("Location(%q) on %q = %q with fragment %q, want %q", rawQuery, dest, got, u.Fragment, want)
		}
		// Only the visitor's query is added, and each byte of it either
		// stays or becomes a three-byte escape.
		added := got[len(base) : len(got)-len(fragment)]
		switch {
		case !strings.Contains(base, "?"):
			added = strings.TrimPrefix(added, "?")
		case !strings.HasSuffix(base, "?") && !strings.HasSuffix(base, "&"):
			added = strings.TrimPrefix(added, "&")
		}
		j := 0
		for i := 0; i < len(rawQuery); i++ {
			c := rawQuery[i]
			switch {
			case j < len(added) && added[j] == c && c > ' ' && c != 0x7f && c != '#':
				j++
			case strings.HasPrefix(added[j:], fmt.Sprintf("%%%02X", c)):
				j += 3
			default:
				t.Fatalf("Location(%q) on %q = %q: byte %d (%#x) of the query is neither kept nor escaped in %q", rawQuery, dest, got, i, c, added)
			}
		}
		if j != len(added) {
			t.Fatalf("Location(%q) on %q = %q: appended %q holds more than the query", rawQuery, dest, got, added)
		}
	})
}

// TestTargetCopiesWhatARedirectReads checks the fields a target copies out
// of its link, which the fast path reads instead of the link.
func TestTargetCopiesWhatARedirectReads(t *testing.T) {
	now := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	exp := now.Add(time.Minute)
	target := newTarget(&tiny.Link{ID: 42, URL: "https://example.com/x", Redirect: 307, ForwardQuery: true, ExpiresAt: &exp, Status: tiny.StatusActive})
	if target.ID() != 42 || target.Redirect() != 307 || !target.ForwardsQuery() || target.Location("") != "https://example.com/x" {
		t.Errorf("target = id %d, redirect %d, forwards query %v, location %q; want 42, 307, true, the link's URL",
			target.ID(), target.Redirect(), target.ForwardsQuery(), target.Location(""))
	}
	for _, tt := range []struct {
		at   time.Time
		want bool
	}{
		{now, false},
		{exp.Add(-time.Nanosecond), false},
		{exp, true},
		{exp.Add(time.Hour), true},
	} {
		if got := target.Expired(tt.at); got != tt.want {
			t.Errorf("Expired(%v) with expiry %v = %v, want %v", tt.at, exp, got, tt.want)
		}
	}
	if newTarget(&tiny.Link{URL: "https://example.com/"}).Expired(now.AddDate(100, 0, 0)) {
		t.Error("a link without an expiry expired")
	}
}
