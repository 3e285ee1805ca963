package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/storetest"
	"tiny/internal/tiny"
)

// pageOfLink is the path of a link's page.
func pageOfLink(code string) string { return "/app/links/" + code }

func TestAppLinkPageShowsTheSettings(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("lena", tiny.RoleMember)
	expires := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Minute)
	l := e.create(rd.person.key, map[string]any{
		"url": "https://example.com/spring?utm=a&b=c", "title": "Spring sale", "tags": []string{"promo", "2026"},
		"redirect": 308, "cache_seconds": 600, "expires_at": expires.Format(time.RFC3339), "max_clicks": 50,
		"password": "open sesame", "forward_query": true,
	})
	code := l["code"].(string)
	p := rd.get(pageOfLink(code))
	if p.status != http.StatusOK {
		t.Fatalf("GET %s = %d, want 200", pageOfLink(code), p.status)
	}
	for _, want := range []string{
		"<h1>Spring sale</h1>",
		`data-copy="` + l["short_url"].(string) + `"`,
		"<code>https://example.com/spring?utm=a&amp;b=c</code>",
		`href="/app/links?tag=promo">promo</a>`,
		"308 Permanent Redirect",
		"600 seconds",
		expires.Format("2 Jan 2006 15:04 UTC"),
		"0 of 50 clicks used",
		"Yes: visitors must enter it",
		"Forwarded: a visitor",
		"Active: visitors go straight to the destination.",
		`<svg xmlns="http://www.w3.org/2000/svg" width="256"`,
		`action="/api/v1/links/` + code + `/qr"`,
		"No clicks yet in this range",
		`/api/v1/links/` + code + `/clicks.csv?from=`,
	} {
		if !strings.Contains(p.text(), want) {
			t.Errorf("the link page lacks %q", want)
		}
	}
	if strings.Contains(p.text(), "open sesame") {
		t.Errorf("the link page shows the link's password")
	}
}

func TestAppLinkPageEditChangesTheLink(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("eli", tiny.RoleMember)
	expires := time.Now().Add(72 * time.Hour).UTC().Truncate(time.Minute)
	code := e.create(rd.person.key, map[string]any{
		"url": "https://example.com/old", "max_clicks": 9, "password": "secret", "expires_at": expires.Format(time.RFC3339),
	})["code"].(string)
	form := url.Values{
		"url": {"https://example.com/new"}, "title": {"New title"}, "tags": {"a, b c"},
		"expires": {""}, "max_clicks": {""}, "redirect": {"301"}, "cache_seconds": {"120"},
		"remove_password": {"1"}, "forward_query": {"1"},
	}
	p := rd.post(pageOfLink(code), form)
	if p.status != http.StatusSeeOther || p.location() != pageOfLink(code) {
		t.Fatalf("POST %s = %d to %q, want 303 back to the page: %.300s", pageOfLink(code), p.status, p.location(), p.text())
	}
	got := e.do("GET", "/api/v1/links/"+code, rd.person.key, nil).json(t)
	want := map[string]any{
		"url": "https://example.com/new", "title": "New title", "redirect": float64(301), "cache_seconds": float64(120),
		"expires_at": nil, "max_clicks": nil, "has_password": false, "forward_query": true,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("after the edit, %s = %v, want %v", k, got[k], v)
		}
	}
	if tags := fmt.Sprint(got["tags"]); tags != "[a b c]" {
		t.Errorf("after the edit, tags = %s, want [a b c]", tags)
	}
	// The form sent back as shown (nothing touched) changes nothing, and
	// a new expiry typed at +02:00 is read there.
	form = url.Values{"url": {"https://example.com/new"}, "title": {"New title"}, "tags": {"a b c"}, "redirect": {"301"},
		"cache_seconds": {"120"}, "forward_query": {"1"}, "password": {"fresh"},
		"expires": {expires.Add(2 * time.Hour).Format("2006-01-02T15:04")}, "tz_offset": {"120"}}
	if p := rd.post(pageOfLink(code), form); p.status != http.StatusSeeOther {
		t.Fatalf("POST %s with a new password and expiry = %d: %.300s", pageOfLink(code), p.status, p.text())
	}
	got = e.do("GET", "/api/v1/links/"+code, rd.person.key, nil).json(t)
	if got["has_password"] != true || got["expires_at"] != expires.Format(time.RFC3339) {
		t.Errorf("after the second edit, has_password %v and expires_at %v, want true and %s", got["has_password"], got["expires_at"], expires.Format(time.RFC3339))
	}
}

func TestAppLinkPageFieldErrors(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("fay", tiny.RoleMember)
	code := e.create(rd.person.key, map[string]any{"url": "https://example.com/keep"})["code"].(string)
	base := url.Values{"url": {"https://example.com/keep"}, "redirect": {"302"}}
	tests := []struct {
		field, value, errorID, input, words string
	}{
		{"url", "not a url", "e-url", "edit-url", "URL"},
		{"max_clicks", "0", "e-max-clicks", "edit-max-clicks", "click limit"},
		{"max_clicks", "many", "e-max-clicks", "edit-max-clicks", "whole number"},
		{"cache_seconds", "-5", "e-cache", "edit-cache", "cache time"},
		{"expires", "2001-01-01T00:00", "e-expires", "edit-expires", "future"},
		{"tags", "bad tag!", "e-tags", "edit-tags", "tag"},
	}
	for _, tt := range tests {
		form := url.Values{}
		for k, v := range base {
			form[k] = v
		}
		form.Set(tt.field, tt.value)
		p := rd.post(pageOfLink(code), form)
		if p.status != http.StatusUnprocessableEntity {
			t.Errorf("POST %s=%q = %d, want 422", tt.field, tt.value, p.status)
			continue
		}
		// The message is next to the field, which points at it, and the
		// form keeps what was sent.
		input := regexp.MustCompile(`<input id="` + tt.input + `"[^>]*>`).FindString(p.text())
		if !strings.Contains(input, `aria-invalid="true"`) || !strings.Contains(input, tt.errorID) {
			t.Errorf("POST %s=%q: the field is %s, want it marked invalid and described by %s", tt.field, tt.value, input, tt.errorID)
		}
		msg := regexp.MustCompile(`<span class="field-error" id="` + tt.errorID + `" role="alert">([^<]*)</span>`).FindStringSubmatch(p.text())
		if msg == nil || !strings.Contains(msg[1], tt.words) {
			t.Errorf("POST %s=%q: error %v, want a sentence about %q", tt.field, tt.value, msg, tt.words)
		}
		if !strings.Contains(p.text(), `<details id="edit" open>`) {
			t.Errorf("POST %s=%q: the edit form is closed", tt.field, tt.value)
		}
	}
	if got := e.do("GET", "/api/v1/links/"+code, rd.person.key, nil).json(t); got["url"] != "https://example.com/keep" || got["max_clicks"] != nil {
		t.Errorf("after refused edits the link is %v", got)
	}
}

func TestAppLinkPageDelete(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("dan", tiny.RoleMember)
	code := e.create(rd.person.key, map[string]any{"url": "https://example.com/bye"})["code"].(string)
	if p := rd.get(pageOfLink(code)); !strings.Contains(p.text(), `action="/app/links/`+code+`/delete" data-confirm="Delete`) {
		t.Fatalf("the link page has no confirmed delete form")
	}
	p := rd.post(pageOfLink(code)+"/delete", nil)
	if p.status != http.StatusSeeOther || p.location() != "/app/links" || !strings.Contains(p.header.Get("Set-Cookie"), "tiny_flash=") {
		t.Fatalf("POST delete = %d to %q (cookie %q), want 303 to /app/links with a notice", p.status, p.location(), p.header.Get("Set-Cookie"))
	}
	if r := e.do("GET", "/api/v1/links/"+code, rd.person.key, nil); r.status != http.StatusNotFound {
		t.Errorf("GET the deleted link = %d, want 404", r.status)
	}
	if p := rd.get(pageOfLink(code)); p.status != http.StatusNotFound {
		t.Errorf("GET the deleted link's page = %d, want 404", p.status)
	}
}

func TestAppLinkPageOfAnotherMemberIsNotFound(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	alice, bob := e.newReader("alice", tiny.RoleMember), e.newReader("bob", tiny.RoleMember)
	code := e.create(alice.person.key, map[string]any{"url": "https://example.com/alice-only"})["code"].(string)
	unknown := bob.get(pageOfLink("nosuchcode"))
	if unknown.status != http.StatusNotFound {
		t.Fatalf("GET an unknown link's page = %d, want 404", unknown.status)
	}
	if p := bob.get(pageOfLink(code)); p.status != http.StatusNotFound || p.text() != unknown.text() {
		t.Errorf("GET another member's link page = %d, want the same 404 page as an unknown code", p.status)
	}
	for _, path := range []string{pageOfLink(code), pageOfLink(code) + "/delete", pageOfLink(code) + "/appeal"} {
		if p := bob.post(path, url.Values{"url": {"https://evil.example/"}, "redirect": {"302"}, "message": {"x"}}); p.status != http.StatusNotFound {
			t.Errorf("POST %s as another member = %d, want 404", path, p.status)
		}
	}
	if got := e.do("GET", "/api/v1/links/"+code, alice.person.key, nil).json(t); got["url"] != "https://example.com/alice-only" {
		t.Errorf("another member changed the link: %v", got)
	}
}

// TestAppLinkPageStatsMatchTheClicks follows the short link as people, as
// a bot and as a chat app's preview, and finds each count on the page, in
// the figures, the chart's data and the table.
func TestAppLinkPageStatsMatchTheClicks(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("stan", tiny.RoleMember)
	code := e.create(rd.person.key, map[string]any{"url": "https://example.com/counted"})["code"].(string)
	const humans, bots, previews = 5, 3, 2
	for i := range humans {
		ua := firefox
		if i%2 == 1 {
			ua = iphone
		}
		e.visit("GET", "/"+code, "User-Agent", ua, "Referer", "https://news.ycombinator.com/item?id=1")
	}
	for range bots {
		e.visit("GET", "/"+code, "User-Agent", curl)
	}
	for range previews {
		e.visit("GET", "/"+code, "User-Agent", slack)
	}
	e.flushClicks()
	for _, query := range []string{"", "?range=7d&interval=hour&tz=Europe/Amsterdam"} {
		p := rd.get(pageOfLink(code) + query)
		if p.status != http.StatusOK {
			t.Fatalf("GET the page%s = %d", query, p.status)
		}
		figures := regexp.MustCompile(`<span class="muted">([^<]+)</span><strong>(\d+)</strong>`).FindAllStringSubmatch(p.text(), -1)
		got := map[string]string{}
		for _, f := range figures {
			got[f[1]] = f[2]
		}
		want := map[string]string{"Human clicks": fmt.Sprint(humans), "Bot clicks": fmt.Sprint(bots), "Link previews": fmt.Sprint(previews), "Unique visitors": "2"}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("the page%s's figures = %v, want %v", query, got, want)
		}
		m := regexp.MustCompile(`(?s)<script type="application/json" id="lp-chart-data">(.*?)</script>`).FindStringSubmatch(p.text())
		if m == nil {
			t.Fatalf("the page%s has no chart data", query)
		}
		var chart struct {
			T                      []int64
			Humans, Bots, Previews []int64
			TZ, Interval           string
		}
		if err := json.Unmarshal([]byte(m[1]), &chart); err != nil {
			t.Fatal(err)
		}
		if sum(chart.Humans) != humans || sum(chart.Bots) != bots || sum(chart.Previews) != previews {
			t.Errorf("the page%s's chart adds up to %d, %d, %d; want %d, %d, %d", query, sum(chart.Humans), sum(chart.Bots), sum(chart.Previews), humans, bots, previews)
		}
		if query != "" && (chart.TZ != "Europe/Amsterdam" || chart.Interval != "hour" || len(chart.T) < 7*24) {
			t.Errorf("the page%s's chart is per %s in %s with %d points", query, chart.Interval, chart.TZ, len(chart.T))
		}
		// The table's row of today holds the same counts.
		row := fmt.Sprintf(`<td class="number">%d</td><td class="number">%d</td><td class="number">%d</td></tr>`, humans, bots, previews)
		if !strings.Contains(p.text(), row) {
			t.Errorf("the page%s's table has no row with %d, %d, %d", query, humans, bots, previews)
		}
		if !strings.Contains(p.text(), `<th scope="row">news.ycombinator.com</th><td class="number">5</td>`) {
			t.Errorf("the page%s's referrers lack news.ycombinator.com with 5", query)
		}
	}
	// An interval too fine for the range is said next to it, and the page
	// falls back to days.
	p := rd.get(pageOfLink(code) + "?range=365d&interval=hour")
	if p.status != http.StatusOK || !strings.Contains(p.text(), `id="e-interval" role="alert">By hour, this range has too many points`) ||
		!strings.Contains(p.text(), `<option value="day" selected>`) {
		t.Errorf("GET the page by hour over a year = %d, want days and the reason", p.status)
	}
}

func sum(xs []int64) int64 {
	var n int64
	for _, x := range xs {
		n += x
	}
	return n
}

func TestAppLinkPageAppeal(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("abe", tiny.RoleMember)
	code := e.create(rd.person.key, map[string]any{"url": "https://example.com/fine"})["code"].(string)
	if _, err := e.links.Decide(context.Background(), nil, code, tiny.StatusBlocked, "test block"); err != nil {
		t.Fatal(err)
	}
	p := rd.get(pageOfLink(code))
	if !strings.Contains(p.text(), "Blocked: visitors see a warning page") || !strings.Contains(p.text(), `action="/app/links/`+code+`/appeal"`) {
		t.Fatalf("the page of a blocked link has no state sentence or appeal form")
	}
	if p := rd.post(pageOfLink(code)+"/appeal", url.Values{"message": {"  "}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="e-appeal"`) {
		t.Errorf("POST an empty appeal = %d, want 422 with the error next to the field", p.status)
	}
	if p := rd.post(pageOfLink(code)+"/appeal", url.Values{"message": {"It is my shop's page."}}); p.status != http.StatusSeeOther || p.location() != pageOfLink(code) {
		t.Errorf("POST an appeal = %d to %q, want 303 back to the page", p.status, p.location())
	}
	// One appeal at a time: the second is refused in words.
	if p := rd.post(pageOfLink(code)+"/appeal", url.Values{"message": {"Again."}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="e-appeal"`) {
		t.Errorf("POST a second appeal = %d, want 422 with the reason", p.status)
	}
}

// BenchmarkLinkPage renders the page of a link with a year of hourly
// statistics (8,760 hours of rollups): a year by day, and 30 days by hour.
func BenchmarkLinkPage(b *testing.B) {
	e := newEnv(b, signInsOf(b))
	rd := e.newReader("bella", tiny.RoleMember)
	l := e.create(rd.person.key, map[string]any{"url": "https://example.com/busy", "tags": []string{"a", "b"}})
	code := l["code"].(string)
	link, err := e.links.Get(context.Background(), accounts.As(rd.person.user), code)
	if err != nil {
		b.Fatal(err)
	}
	seedYearOfClicks(b, e, link.ID)
	for _, query := range []string{"?range=365d&interval=day&tz=Europe/Amsterdam", "?range=30d&interval=hour&tz=Europe/Amsterdam"} {
		b.Run(strings.TrimPrefix(query, "?"), func(b *testing.B) {
			if p := rd.get(pageOfLink(code) + query); p.status != http.StatusOK || !strings.Contains(p.text(), "lp-chart-data") {
				b.Fatalf("GET the page%s = %d, or without a chart", query, p.status)
			}
			b.ResetTimer()
			for range b.N {
				rd.get(pageOfLink(code) + query)
			}
		})
	}
}

// seedYearOfClicks records a few clicks of each kind in every hour of the
// past year, through the store, so the rollups hold 8,760 hours.
func seedYearOfClicks(b testing.TB, e *env, linkID int64) {
	b.Helper()
	for batch := range slices.Chunk(storetest.YearOfClicks(linkID, time.Now()), 4000) {
		if err := e.store.RecordClicks(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}
