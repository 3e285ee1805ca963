package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/ratelimit"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// makeLink creates a link owned by p through the service.
func (e *env) makeLink(p person, in shortener.CreateInput) *tiny.Link {
	e.t.Helper()
	l, err := e.links.Create(context.Background(), accounts.As(p.user), in)
	if err != nil {
		e.t.Fatalf("Create(%+v) = %v", in, err)
	}
	return l
}

// linkOf reads a link back by its short name; deleted links too.
func (e *env) linkOf(name string) *tiny.Link {
	e.t.Helper()
	l, err := e.links.Get(context.Background(), e.rootPrincipal(), name)
	if tiny.IsCode(err, tiny.NotFound) || tiny.IsCode(err, tiny.Gone) {
		if id, ok := e.links.Codec().Decode(name); ok {
			l, err = e.store.LinkByID(context.Background(), id)
		}
	}
	if err != nil {
		e.t.Fatalf("Get(%s) = %v", name, err)
	}
	return l
}

func TestAppLinksShortenWithOptions(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("sam", tiny.RoleMember)
	home := rd.get("/")
	for _, want := range []string{`action="/app/links"`, `name="url"`, "<summary>More options</summary>", `name="alias"`, `name="tz_offset"`, `value="308"`, `name="forward_query"`} {
		if !strings.Contains(home.text(), want) {
			t.Errorf("the front page signed in lacks %s", want)
		}
	}
	p := rd.post("/app/links", url.Values{
		"url": {"https://example.com/a/long/path"}, "alias": {"spring-sale"}, "title": {"Spring sale"},
		"tags": {"shop, 2026  promo"}, "expires": {"2040-03-01T12:30"}, "tz_offset": {"120"},
		"max_clicks": {"50"}, "password": {"open sesame"}, "redirect": {"308"}, "cache_seconds": {"600"},
		"forward_query": {"1"},
	})
	if p.status != http.StatusSeeOther || p.location() != "/app/links/"+e.linkOf("spring-sale").Code+"/created" {
		t.Fatalf("POST /app/links = %d to %q, want 303 to the created page; %s", p.status, p.location(), p.text())
	}
	l := e.linkOf("spring-sale")
	wantExpiry := time.Date(2040, 3, 1, 10, 30, 0, 0, time.UTC)
	if l.URL != "https://example.com/a/long/path" || l.Title != "Spring sale" || !slices.Equal(l.Tags, []string{"shop", "2026", "promo"}) ||
		l.ExpiresAt == nil || !l.ExpiresAt.Equal(wantExpiry) || l.MaxClicks != 50 || l.PasswordHash == "" || l.Redirect != 308 ||
		l.CacheSeconds == nil || *l.CacheSeconds != 600 || !l.ForwardQuery || l.OwnerID != rd.person.user.ID {
		t.Errorf("the link made by the form = %+v; want every option as sent, expiry %v (12:30 at UTC+2)", l, wantExpiry)
	}
	created := rd.get(p.location())
	short := e.base + "/spring-sale"
	for _, want := range []string{
		`data-copy="` + short + `"`, `href="` + short + `"`,
		`src="/api/v1/links/` + l.Code + `/qr?format=svg&amp;size=200"`, `alt="QR code of ` + short + `"`,
		`href="/app/links/` + l.Code + `"`, `href="/">Shorten another`,
	} {
		if !strings.Contains(created.text(), want) {
			t.Errorf("the created page lacks %s", want)
		}
	}
	if strings.Contains(created.text(), "flagged") {
		t.Errorf("the created page of a clean link speaks of a flag")
	}

	// Without JavaScript no offset is sent: the expiry is read as UTC.
	rd.post("/app/links", url.Values{"url": {"https://example.com/utc"}, "alias": {"utc-expiry"}, "expires": {"2040-03-01T12:30"}})
	if got := e.linkOf("utc-expiry").ExpiresAt; got == nil || !got.Equal(time.Date(2040, 3, 1, 12, 30, 0, 0, time.UTC)) {
		t.Errorf("expiry without an offset = %v, want 12:30 UTC", got)
	}
	// Another person cannot open the created page of sam's link.
	other := e.newReader("oona", tiny.RoleMember)
	if got := other.get(p.location()); got.status != http.StatusNotFound && got.status != http.StatusForbidden {
		t.Errorf("another member's GET %s = %d, want 404 or 403", p.location(), got.status)
	}
}

// fieldErrorOf finds the message shown next to field id.
func fieldErrorOf(body, id string) string {
	m := regexp.MustCompile(`<span class="field-error" id="` + regexp.QuoteMeta(id) + `-error">([^<]*)</span>`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestAppLinksShortenFieldErrors(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("fay", tiny.RoleMember)
	owner := e.newPerson("owen", tiny.RoleMember)
	e.makeLink(owner, shortener.CreateInput{URL: "https://example.com/taken", Alias: "taken"})
	tests := []struct {
		name  string
		form  url.Values
		field string // the id of the input
		want  string // part of the message
		more  bool   // "More options" is open
	}{
		{"bad URL", url.Values{"url": {"not a url"}}, "url", "The URL", false},
		{"private destination", url.Values{"url": {"http://127.0.0.1/admin"}}, "url", "public", false},
		{"alias taken", url.Values{"url": {"https://example.com/x"}, "alias": {"taken"}}, "alias", "is taken", true},
		{"reserved alias", url.Values{"url": {"https://example.com/x"}, "alias": {"api"}}, "alias", "reserved", true},
		{"click limit not a number", url.Values{"url": {"https://example.com/x"}, "max_clicks": {"many"}}, "max_clicks", "whole number", true},
		{"click limit zero", url.Values{"url": {"https://example.com/x"}, "max_clicks": {"0"}}, "max_clicks", "The click limit must be at least 1", true},
		{"expiry in the past", url.Values{"url": {"https://example.com/x"}, "expires": {"2001-01-01T00:00"}}, "expires", "The expiry must be in the future", true},
		{"expiry unreadable", url.Values{"url": {"https://example.com/x"}, "expires": {"soon"}}, "expires", "date and a time", true},
		{"bad tag", url.Values{"url": {"https://example.com/x"}, "tags": {"ok, <b>"}}, "tags", "may contain only", true},
		{"cache time too long", url.Values{"url": {"https://example.com/x"}, "cache_seconds": {"999999999"}}, "cache_seconds", "The cache time must be between", true},
		{"password too long", url.Values{"url": {"https://example.com/x"}, "password": {strings.Repeat("p", 100)}}, "password", "The password must be", true},
	}
	before := e.linkCount()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.more {
				tt.form.Set("title", "Kept title")
			}
			p := rd.post("/app/links", tt.form)
			body := p.text()
			if p.status != http.StatusUnprocessableEntity {
				t.Fatalf("POST = %d, want 422 with the form", p.status)
			}
			msg := fieldErrorOf(body, tt.field)
			if !strings.Contains(msg, tt.want) {
				t.Errorf("the message next to %s = %q, want it to say %q", tt.field, msg, tt.want)
			}
			if strings.Contains(msg, "max_clicks") || strings.Contains(msg, "expires_at") || strings.Contains(msg, "cache_seconds") || strings.Contains(msg, "url must") {
				t.Errorf("the message %q names an API field, not the label", msg)
			}
			if !regexp.MustCompile(`id="` + tt.field + `"[^>]*aria-invalid="true"`).MatchString(body) {
				t.Errorf("the input %s is not marked invalid", tt.field)
			}
			if tt.more && !strings.Contains(body, `value="Kept title"`) || !strings.Contains(body, `value="`+htmlEscape(tt.form.Get("url"))+`"`) {
				t.Errorf("the form is not filled again with what was sent")
			}
			if got := strings.Contains(body, `<details class="more" open>`); got != tt.more {
				t.Errorf("More options open = %v, want %v", got, tt.more)
			}
			if strings.Contains(body, strings.Repeat("p", 100)) {
				t.Errorf("the password was sent back to the browser")
			}
		})
	}
	if n := e.linkCount(); n != before {
		t.Errorf("refused forms made %d links", n-before)
	}
}

func htmlEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestAppLinksShortenCreateLimit checks the form counts on the API's
// create limit, a password at its weight.
func TestAppLinksShortenCreateLimit(t *testing.T) {
	e := newEnv(t, signInsOf(t), func(c *Config) {
		c.RateLimiter = ratelimit.NewLocal(100)
		c.Limits = Limits{Create: ratelimit.Limit{Rate: 1, Burst: shortener.PasswordCreateWeight + 1, Period: time.Hour}}
	})
	rd := e.newReader("lim", tiny.RoleMember)
	if p := rd.post("/app/links", url.Values{"url": {"https://example.com/1"}, "password": {"secret pw"}}); p.status != http.StatusSeeOther {
		t.Fatalf("first create with a password = %d, want 303", p.status)
	}
	if p := rd.post("/app/links", url.Values{"url": {"https://example.com/2"}}); p.status != http.StatusSeeOther {
		t.Fatalf("second create = %d, want 303 (the burst holds a password and one more)", p.status)
	}
	p := rd.post("/app/links", url.Values{"url": {"https://example.com/3"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), "many links in a short time") {
		t.Errorf("create over the limit = %d, want the form with a message about the limit", p.status)
	}
	if n := e.linkCount(); n != 2 {
		t.Errorf("links made = %d, want 2", n)
	}
}

func TestAppLinksShortenFlagged(t *testing.T) {
	e := newScreenedEnv(t, flagScreener{}, signInsOf(t))
	rd := e.newReader("fred", tiny.RoleMember)
	p := rd.post("/app/links", url.Values{"url": {"https://example.com/flag-me"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("POST = %d, want 303", p.status)
	}
	if body := rd.get(p.location()).text(); !strings.Contains(body, "safety check flagged") || strings.Contains(body, `href="https://example.com/flag-me"`) {
		t.Errorf("the created page of a flagged link does not say so, or links to its destination")
	}
}

// flagScreener flags destinations with "flag" in them.
type flagScreener struct{}

func (flagScreener) Screen(_ context.Context, _ *tiny.User, u string) (tiny.Screening, error) {
	if strings.Contains(u, "flag") {
		return tiny.Screening{Status: tiny.StatusFlagged, Score: 0.6, Reason: "test"}, nil
	}
	return tiny.Screening{Status: tiny.StatusActive}, nil
}

// codesOn lists the codes of the rows of a links page, in order.
func codesOn(body string) []string {
	var codes []string
	for _, m := range regexp.MustCompile(`name="code" value="([^"]+)"`).FindAllStringSubmatch(body, -1) {
		codes = append(codes, m[1])
	}
	return codes
}

// nextPage is the href of a links page's "next" link, unescaped.
func nextPage(body string) string {
	m := regexp.MustCompile(`<a href="([^"]+)" rel="next"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

func TestAppLinksList(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("lin", tiny.RoleMember)
	if body := rd.get("/app/links").text(); !strings.Contains(body, "You have no links yet") {
		t.Errorf("the empty list does not say there are no links")
	}
	other := e.newPerson("otto", tiny.RoleMember)
	theirs := e.makeLink(other, shortener.CreateInput{URL: "https://example.com/otto", Tags: []string{"go"}})
	var mine []*tiny.Link // newest first
	for i := range 60 {
		in := shortener.CreateInput{URL: fmt.Sprintf("https://example.com/page/%d", i)}
		if i%3 == 0 {
			in.Tags = []string{"go", "n" + fmt.Sprint(i)}
		}
		if i == 7 {
			in.Title = "Needle in a haystack"
		}
		mine = append([]*tiny.Link{e.makeLink(rd.person, in)}, mine...)
	}
	for range 4 {
		if err := e.store.ConsumeClick(context.Background(), mine[41].ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.store.ConsumeClick(context.Background(), mine[10].ID); err != nil {
		t.Fatal(err)
	}

	// Newest first, 50 a page, then the older ones; nobody else's.
	first := rd.get("/app/links")
	got := codesOn(first.text())
	next := nextPage(first.text())
	if len(got) != 50 || got[0] != mine[0].Code || next == "" {
		t.Fatalf("first page = %d links starting %v, next %q; want 50 newest and a next page", len(got), got[:min(len(got), 1)], next)
	}
	second := rd.get(next)
	got = append(got, codesOn(second.text())...)
	if want := codesOf(mine); !slices.Equal(got, want) || nextPage(second.text()) != "" {
		t.Errorf("walking the pages = %v, want every own link once, newest first: %v", got, want)
	}
	if slices.Contains(got, theirs.Code) {
		t.Errorf("a member sees another member's link")
	}
	if !strings.Contains(second.text(), `href="/app/links"`) {
		t.Errorf("the second page has no way back to the first")
	}

	// Search, tag, sort; the filters stay in the next page's link.
	if got := codesOn(rd.get("/app/links?q=needle").text()); !slices.Equal(got, []string{mine[52].Code}) {
		t.Errorf("search needle = %v, want [%s]", got, mine[52].Code)
	}
	tagged := rd.get("/app/links?tag=go&sort=clicks")
	want := []string{mine[41].Code}
	for _, l := range mine {
		if slices.Contains(l.Tags, "go") && l != mine[41] {
			want = append(want, l.Code)
		}
	}
	if got := codesOn(tagged.text()); !slices.Equal(got, want) {
		t.Errorf("tag go by clicks = %v, want %v", got, want)
	}
	byClicks := rd.get("/app/links?sort=clicks")
	if got := codesOn(byClicks.text()); len(got) != 50 || got[0] != mine[41].Code || got[1] != mine[10].Code {
		t.Errorf("by clicks = %v..., want %s (4 clicks) then %s (1 click)", got[:min(2, len(got))], mine[41].Code, mine[10].Code)
	}
	if next := nextPage(byClicks.text()); !strings.Contains(next, "sort=clicks") {
		t.Errorf("next page of the clicks order = %q, want the sort kept", next)
	} else if got := codesOn(rd.get(next).text()); len(got) != 10 {
		t.Errorf("second page by clicks = %d links, want 10", len(got))
	}
	// A tag in a row links to the list filtered by it.
	if !strings.Contains(first.text(), `class="tag" href="/app/links?tag=go"`) {
		t.Errorf("tags of a row do not link to the list filtered by them")
	}
	if body := rd.get("/app/links?q=nothing-like-this").text(); !strings.Contains(body, "No links match") {
		t.Errorf("a search with no result does not say so")
	}
	if p := rd.get("/app/links?after=bogus"); p.status != http.StatusBadRequest {
		t.Errorf("a bad cursor = %d, want 400", p.status)
	}
	// all=1 means nothing to a member.
	if got := codesOn(rd.get("/app/links?all=1&q=otto").text()); len(got) != 0 {
		t.Errorf("a member's all=1 shows %v", got)
	}
	if strings.Contains(first.text(), `name="all"`) {
		t.Errorf("a member is offered everyone's links")
	}
}

func codesOf(links []*tiny.Link) []string {
	codes := make([]string, len(links))
	for i, l := range links {
		codes[i] = l.Code
	}
	return codes
}

func TestAppLinksAdminSeesEveryone(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	mem := e.newPerson("mia", tiny.RoleMember)
	theirs := e.makeLink(mem, shortener.CreateInput{URL: "https://example.com/mia"})
	for _, role := range []tiny.Role{tiny.RoleAdmin, tiny.RoleModerator} {
		rd := e.newReader("boss-"+string(role), role)
		own := rd.get("/app/links")
		if !strings.Contains(own.text(), `name="all"`) || slices.Contains(codesOn(own.text()), theirs.Code) {
			t.Errorf("%s: own list lacks the everyone control or shows another's link", role)
		}
		all := rd.get("/app/links?all=1").text()
		if !slices.Contains(codesOn(all), theirs.Code) || !strings.Contains(all, "mia@example.com") || !strings.Contains(all, `scope="col">Owner`) {
			t.Errorf("%s: everyone's links lack mia's link or its owner column", role)
		}
	}
}

func TestAppLinksBulk(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("bo", tiny.RoleMember)
	other := e.newPerson("ann", tiny.RoleMember)
	a := e.makeLink(rd.person, shortener.CreateInput{URL: "https://example.com/a", Tags: []string{"keep"}})
	b := e.makeLink(rd.person, shortener.CreateInput{URL: "https://example.com/=cmd", Title: "=HYPERLINK(\"x\")"})
	c := e.makeLink(rd.person, shortener.CreateInput{URL: "https://example.com/c"})
	theirs := e.makeLink(other, shortener.CreateInput{URL: "https://example.com/theirs", Tags: []string{"x"}})

	p := rd.post("/app/links/bulk", url.Values{"action": {"tag"}, "tag": {"q3"}, "code": {a.Code, b.Code, theirs.Code}, "back": {"/app/links?sort=clicks"}})
	if p.status != http.StatusSeeOther || p.location() != "/app/links?sort=clicks" {
		t.Fatalf("bulk tag = %d to %q, want 303 back to the list as it was", p.status, p.location())
	}
	if got := flashOf(p); got != "2 tagged “q3”, 1 not allowed." {
		t.Errorf("the flash after a bulk tag = %q, want 2 tagged, 1 not allowed", got)
	}
	if got := e.linkOf(a.Code).Tags; !slices.Equal(got, []string{"keep", "q3"}) {
		t.Errorf("tags of a after adding q3 = %v", got)
	}
	if got := e.linkOf(theirs.Code).Tags; !slices.Equal(got, []string{"x"}) {
		t.Errorf("another's link was tagged: %v", got)
	}
	rd.post("/app/links/bulk", url.Values{"action": {"untag"}, "tag": {"keep"}, "code": {a.Code}})
	if got := e.linkOf(a.Code).Tags; !slices.Equal(got, []string{"q3"}) {
		t.Errorf("tags of a after removing keep = %v", got)
	}

	// Export: the checked links the member may read, spreadsheet-safe.
	p = rd.post("/app/links/bulk", url.Values{"action": {"export"}, "code": {a.Code, b.Code, theirs.Code}})
	if p.status != http.StatusOK || !strings.HasPrefix(p.header.Get("Content-Type"), "text/csv") || !strings.Contains(p.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("export = %d %q %q, want a CSV attachment", p.status, p.header.Get("Content-Type"), p.header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(p.text())).ReadAll()
	if err != nil || len(rows) != 3 {
		t.Fatalf("export = %d rows, %v; want a header and 2 links: %s", len(rows), err, p.text())
	}
	if rows[0][0] != "code" || len(rows[0]) != 17 || rows[1][0] != a.Code || rows[1][5] != "q3" || rows[1][3] != "https://example.com/a" {
		t.Errorf("export rows = %q", rows[:2])
	}
	if rows[2][4] != `'=HYPERLINK("x")` {
		t.Errorf("a title starting with = is exported as %q, want it defused with a quote", rows[2][4])
	}

	// Delete: asked first without JavaScript, then done per link.
	p = rd.post("/app/links/bulk", url.Values{"action": {"delete"}, "code": {b.Code, c.Code, theirs.Code}})
	if p.status != http.StatusOK || !strings.Contains(p.text(), "Delete 2 links?") || !strings.Contains(p.text(), `name="confirmed" value="1"`) {
		t.Fatalf("delete without confirmation = %d, want the question for the 2 own links", p.status)
	}
	if e.linkOf(b.Code).DeletedAt != nil {
		t.Fatalf("asking deleted the link")
	}
	p = rd.post("/app/links/bulk", url.Values{"action": {"delete"}, "confirmed": {"1"}, "code": {b.Code, c.Code, theirs.Code}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("confirmed delete = %d, want 303", p.status)
	}
	if got := flashOf(p); got != "2 deleted, 1 not allowed." {
		t.Errorf("the flash after a bulk delete = %q, want 2 deleted, 1 not allowed", got)
	}
	list := rd.get(p.location()).text()
	if e.linkOf(b.Code).DeletedAt == nil || e.linkOf(c.Code).DeletedAt == nil {
		t.Errorf("own links were not deleted")
	}
	if e.linkOf(theirs.Code).DeletedAt != nil {
		t.Errorf("a member deleted another member's link in bulk")
	}
	if got := codesOn(list); !slices.Equal(got, []string{a.Code}) {
		t.Errorf("the list after deleting = %v, want [%s]", got, a.Code)
	}
	// A back that leaves the list is not followed.
	if p := rd.post("/app/links/bulk", url.Values{"action": {"tag"}, "tag": {"t"}, "code": {a.Code}, "back": {"//evil.example/app/links"}}); p.location() != "/app/links" {
		t.Errorf("bulk with back to another site went to %q", p.location())
	}
}
