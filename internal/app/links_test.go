package app

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// renderPage renders a view whose data sets its own user, with the checks
// every page passes (moderation_test.go's render), and returns the page.
func renderPage(t *testing.T, name string, data View) string {
	t.Helper()
	_, body := render(t, name, data, "")
	return body
}

var member = &tiny.User{ID: 7, Name: "mo", Email: "mo@example.com", Role: tiny.RoleMember}

func TestShortenFormRenders(t *testing.T) {
	blank := renderPage(t, "home.html", &homeView{Page: Page{User: member, CSRF: "tok"}, DefaultRedirect: 302})
	for _, want := range []string{`name="csrf" value="tok"`, `<details class="more">`, "Default (302, temporary)", "hides their later clicks", `src="/static/links.js"`, " autofocus"} {
		if !strings.Contains(blank, want) {
			t.Errorf("the blank form lacks %q", want)
		}
	}
	if strings.Contains(blank, "aria-invalid") || strings.Contains(blank, "field-error") {
		t.Errorf("the blank form shows errors")
	}
	long := "https://example.com/" + strings.Repeat("very-long-path/", 200) + "?q=<script>"
	v := &homeView{
		Page: Page{User: member}, DefaultRedirect: 302, MoreOpen: true,
		Form:   shortenForm{URL: long, Alias: "a\"b", Tags: strings.Repeat("tag ", 30), Redirect: "308", ForwardQuery: true, PasswordWasSet: true},
		Errors: map[string]string{"alias": "The alias \"a\"b\" may contain only letters.", "url": "The URL is too long."},
	}
	got := renderPage(t, "home.html", v)
	for _, want := range []string{
		`<details class="more" open>`, `id="alias-error">The alias &#34;a&#34;b&#34; may contain only letters.</span>`,
		`aria-describedby="url-error"`, `aria-describedby="alias-hint alias-error" aria-invalid="true"`,
		`value="308" selected`, `name="forward_query" value="1" aria-describedby="forward_query-hint" checked`,
		"the password was not kept", "?q=&lt;script&gt;",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the refilled form lacks %q", want)
		}
	}
	if strings.Contains(got, " autofocus") {
		t.Errorf("a form with errors takes the focus to the URL field")
	}
	// A message about the whole form, such as the create limit.
	got = renderPage(t, "home.html", &homeView{Page: Page{User: member}, Errors: map[string]string{"": "Wait a minute."}})
	if !strings.Contains(got, `<p class="error" role="alert">Wait a minute.</p>`) {
		t.Errorf("a form-wide error is not shown")
	}
	// Signed out: the welcome, no form.
	if got := renderPage(t, "home.html", &homeView{}); strings.Contains(got, `action="/app/links"`) {
		t.Errorf("the front page signed out has the shorten form")
	}
}

func testLink(id int64, mod func(*tiny.Link)) *tiny.Link {
	created := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	l := &tiny.Link{ID: id, Code: fmt.Sprintf("c%06d", id), URL: fmt.Sprintf("https://example.com/%d", id), Redirect: 302,
		Status: tiny.StatusActive, OwnerID: 7, CreatedAt: created, UpdatedAt: created}
	if mod != nil {
		mod(l)
	}
	return l
}

func testApp(t *testing.T) *App {
	base, _ := url.Parse("https://s.example")
	return &App{cfg: Config{BaseURL: base, Now: func() time.Time { return time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC) }}}
}

func TestCreatedRenders(t *testing.T) {
	a := testApp(t)
	long := "https://example.com/" + strings.Repeat("x", 3000)
	expires := time.Date(2030, 1, 2, 3, 4, 0, 0, time.UTC)
	l := testLink(1, func(l *tiny.Link) {
		l.Alias, l.URL, l.Title, l.Tags, l.ExpiresAt, l.MaxClicks, l.PasswordHash, l.Redirect = "sale", long, "A <title>", []string{"a", "b/c", "d:e"}, &expires, 10, "x", 308
	})
	got := renderPage(t, "created.html", &createdView{Link: a.row(l, a.cfg.Now())})
	for _, want := range []string{
		`data-copy="https://s.example/sale"`, `<a href="https://s.example/sale" class="short">`,
		`src="/api/v1/links/c000001/qr?format=svg&amp;size=200"`, `alt="QR code of https://s.example/sale"`,
		`href="/app/links/c000001"`, `href="/app/links?tag=b%2fc"`, "308 permanent", `datetime="2030-01-02T03:04:00Z"`,
		"A &lt;title&gt;", "Visitors must enter it", `href="` + long + `"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the created page lacks %.120q", want)
		}
	}
	if strings.Contains(got, "flagged") {
		t.Errorf("a clean link's page speaks of a flag")
	}
	// A flagged link with nothing optional set.
	bare := testLink(2, func(l *tiny.Link) { l.Status = tiny.StatusFlagged })
	got = renderPage(t, "created.html", &createdView{Link: a.row(bare, a.cfg.Now())})
	if !strings.Contains(got, "safety check flagged") || strings.Contains(got, `href="https://example.com/2"`) {
		t.Errorf("a flagged link's page does not say so, or links its destination")
	}
	for _, absent := range []string{"Title</dt>", "Tags</dt>", "Expires</dt>", "Click limit</dt>", "Password</dt>"} {
		if strings.Contains(got, absent) {
			t.Errorf("a link without %s shows it", absent)
		}
	}
}

func TestLinksListRenders(t *testing.T) {
	a := testApp(t)
	now := a.cfg.Now()
	// No links at all, then none matching.
	got := renderPage(t, "links.html", &linksView{Page: Page{User: member, Title: "Your links"}, First: true})
	if !strings.Contains(got, "You have no links yet") || strings.Contains(got, "<table") {
		t.Errorf("the empty list is not an empty state")
	}
	got = renderPage(t, "links.html", &linksView{Page: Page{User: member, Title: "Your links"}, First: true, Q: "zz", Tag: "t"})
	if !strings.Contains(got, "No links match “zz” with the tag “t”") {
		t.Errorf("the empty search result does not say what matched nothing")
	}

	past := now.Add(-time.Hour)
	many := make([]string, 25)
	for i := range many {
		many[i] = fmt.Sprintf("tag-%d", i)
	}
	links := []*tiny.Link{
		testLink(1, func(l *tiny.Link) { l.URL = "https://example.com/" + strings.Repeat("long/", 500); l.Tags = many }),
		testLink(2, func(l *tiny.Link) { l.Status = tiny.StatusFlagged; l.Clicks = 12345 }),
		testLink(3, func(l *tiny.Link) { l.Status = tiny.StatusBlocked; l.Alias = "blocked-one" }),
		testLink(4, func(l *tiny.Link) { l.ExpiresAt = &past }),
		testLink(5, func(l *tiny.Link) { l.MaxClicks, l.Clicks = 3, 3; l.Title = "=cmd|' /C calc'!A0" }),
	}
	v := &linksView{Page: Page{User: member, Title: "Everyone's links"}, First: true, Q: "a b", Sort: "clicks", All: true, CanSeeAll: true, Self: "/app/links?all=1"}
	for _, l := range links {
		r := a.row(l, now)
		r.Owner = "owner@example.com"
		v.Links = append(v.Links, r)
	}
	v.Next = v.query("3.9")
	got = renderPage(t, "links.html", v)
	for _, want := range []string{
		`class="dest" title="https://example.com/long/long/`, `href="/app/links?all=1&amp;q=a&#43;b&amp;sort=clicks&amp;tag=tag-24"`,
		`state-flagged">flagged`, `state-blocked">blocked`, `state-expired">expired`, `state-used-up">used up`,
		`<td class="number" data-label="Clicks">12345</td>`, `<td class="number" data-label="Clicks">0</td>`, `scope="col">Owner`, "owner@example.com",
		`>blocked-one</a>`, `data-copy="https://s.example/blocked-one"`, `id="pick-c000003"`, `<label for="pick-c000003" class="offscreen">Select blocked-one</label>`,
		`data-check-all="code"`, `name="back" value="/app/links?all=1"`, `value="delete" class="danger"`,
		`href="/app/links?after=3.9&amp;all=1&amp;q=a&#43;b&amp;sort=clicks" rel="next"`, `name="all" value="1" checked`,
		`<option value="clicks" selected>`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("the list lacks %.150q", want)
		}
	}
	if n := strings.Count(got, `name="code"`); n != len(links) {
		t.Errorf("the list has %d checkboxes, want %d", n, len(links))
	}
	// The first page has no link back to itself.
	if strings.Contains(got, "← Most clicked") {
		t.Errorf("the first page links to the first page")
	}
	// A member's own list has no owner column and no everyone control.
	own := &linksView{Page: Page{User: member, Title: "Your links"}, First: false, Links: []linkRow{a.row(links[1], now)}}
	got = renderPage(t, "links.html", own)
	if strings.Contains(got, "Owner") || strings.Contains(got, `name="all"`) || !strings.Contains(got, `← Newest links`) {
		t.Errorf("a member's second page shows the owner column or the everyone control, or has no way to the first page")
	}
}

func TestConfirmDeleteRenders(t *testing.T) {
	a := testApp(t)
	got := renderPage(t, "linksdelete.html", &confirmDeleteView{Back: "/app/links?q=x", Links: []linkRow{a.row(testLink(1, nil), a.cfg.Now())}})
	for _, want := range []string{"Delete 1 link?", `name="code" value="c000001"`, `name="confirmed" value="1"`, `href="/app/links?q=x">Cancel`} {
		if !strings.Contains(got, want) {
			t.Errorf("the confirmation lacks %q", want)
		}
	}
}

func TestPersonMessage(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want string
	}{
		{tiny.FieldErrorf(tiny.Invalid, "max_clicks", "max_clicks must be at least 1"), "The click limit must be at least 1."},
		{tiny.FieldErrorf(tiny.Invalid, "url", "url leads to a private address (10.0.0.1); links must lead to public hosts"), "The URL leads to a private address (10.0.0.1); links must lead to public hosts."},
		{tiny.FieldErrorf(tiny.Conflict, "alias", `alias "x" is taken`), `The alias "x" is taken; pick another one.`},
		{tiny.Errorf(tiny.RateLimited, "rate limit exceeded"), "You have made many links in a short time; wait a minute and try again."},
	} {
		if got := personMessage(tt.err); got != tt.want {
			t.Errorf("personMessage(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestParseLocal(t *testing.T) {
	for _, tt := range []struct {
		value, offset string
		want          time.Time
		ok            bool
	}{
		{"2030-05-06T07:08", "", time.Date(2030, 5, 6, 7, 8, 0, 0, time.UTC), true},
		{"2030-05-06T07:08", "120", time.Date(2030, 5, 6, 5, 8, 0, 0, time.UTC), true},
		{"2030-05-06T07:08", "-330", time.Date(2030, 5, 6, 12, 38, 0, 0, time.UTC), true},
		{"2030-05-06T07:08", "9999", time.Time{}, false},
		{"tomorrow", "", time.Time{}, false},
	} {
		got, ok := parseLocal(tt.value, tt.offset)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseLocal(%q, %q) = %v, %v; want %v, %v", tt.value, tt.offset, got, ok, tt.want, tt.ok)
		}
	}
}

func TestListCursor(t *testing.T) {
	l := &tiny.Link{ID: 42, Clicks: 7}
	for _, sort := range []tiny.LinkSort{tiny.SortNewest, tiny.SortClicks} {
		id, clicks, ok := parseCursor(cursorOf(l, sort), sort)
		if !ok || id != 42 || (sort == tiny.SortClicks && clicks != 7) {
			t.Errorf("cursor round trip by %q = %d, %d, %v", sort, id, clicks, ok)
		}
	}
	for _, bad := range []string{"x", "0", "-1", "7", "a.1", "-1.5"} {
		if _, _, ok := parseCursor(bad, tiny.SortClicks); ok && bad != "7" {
			t.Errorf("parseCursor(%q, clicks) accepted", bad)
		}
	}
	if _, _, ok := parseCursor("7", tiny.SortClicks); ok {
		t.Errorf("a newest cursor is accepted by the clicks order")
	}
}
