package app

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"tiny/internal/analytics"
	"tiny/internal/tiny"
)

// linkPageNow is the clock of the link page's template tests.
var linkPageNow = time.Date(2026, 11, 20, 15, 30, 0, 0, time.UTC)

// pageLink is a link as a member's page shows it; change returns it
// changed.
func pageLink(change func(l *tiny.Link)) *tiny.Link {
	return testLink(7, func(l *tiny.Link) {
		l.Code, l.OwnerID, l.URL = "Ab3dE9x", 1, "https://example.com/a/page"
		l.CreatedAt, l.UpdatedAt = linkPageNow.AddDate(0, -2, 0), linkPageNow.AddDate(0, -1, 0)
		if change != nil {
			change(l)
		}
	})
}

// yearOfClicks is a report of a year of hourly clicks, some of every
// kind, grouped by day.
func yearOfClicks(loc *time.Location) *analytics.Report {
	from := linkPageNow.AddDate(-1, 0, 0)
	var hours []tiny.HourKinds
	rep := &analytics.Report{ReportRequest: analytics.ReportRequest{From: from, To: linkPageNow, Interval: analytics.Day, Loc: loc}}
	for h := from.Truncate(time.Hour); h.Before(linkPageNow); h = h.Add(time.Hour) {
		k := tiny.HourKinds{Hour: h, Humans: int64(h.Hour() % 4), Bots: int64(h.Hour() % 2), Previews: int64(h.Hour() / 23)}
		hours = append(hours, k)
		rep.Clicks, rep.BotClicks, rep.Previews = rep.Clicks+k.Humans, rep.BotClicks+k.Bots, rep.Previews+k.Previews
	}
	rep.UniqueVisitors = 4321
	rep.Kinds = analytics.KindSeries(hours, from, linkPageNow, analytics.Day, loc)
	rep.Referrers = []tiny.Count{{Value: "news.ycombinator.com", Clicks: rep.Clicks / 2}, {Value: "unknown", Clicks: rep.Clicks / 4}, {Value: "direct", Clicks: rep.Clicks / 4}}
	rep.Countries = []tiny.Count{{Value: "NL", Clicks: rep.Clicks}}
	rep.Browsers = []tiny.Count{{Value: "Firefox", Clicks: rep.Clicks * 3 / 4}, {Value: "Safari", Clicks: rep.Clicks / 4}}
	return rep
}

// renderLinkPage renders v as the page of a member and returns the HTML.
func renderLinkPage(t *testing.T, v *linkPageView) string {
	t.Helper()
	views, err := NewViews("https://s.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	v.User = &tiny.User{ID: 1, Name: "mia", Role: tiny.RoleMember}
	v.CSRF = "token-123"
	if v.ShortURL == "" {
		v.ShortURL = "https://s.example/" + v.Link.ShortName()
	}
	v.LinkPath = linksPath + "/" + url.PathEscape(v.Link.Code)
	v.Title = linkTitle(v.Link)
	v.State, v.StateText = linkState(v.Link, linkPageNow)
	v.StateClass = "status-" + v.State
	v.RedirectText, v.CacheText, v.CacheHeader = redirectText(v.Link.Redirect), cacheText(v.Link), v.Link.CacheControl(linkPageNow)
	v.QRSizes, v.RedirectChoices = qrSizes, redirectChoices
	if v.Form.URL == "" {
		v.Form = formOf(v.Link)
	}
	v.QR = `<svg role="img" aria-label="QR code"></svg>`
	rec := httptest.NewRecorder()
	views.Render(rec, httptest.NewRequest("GET", v.LinkPath, nil), http.StatusOK, "linkpage.html", v)
	if rec.Code != http.StatusOK {
		t.Fatalf("rendering the link page = %d: %s", rec.Code, rec.Body)
	}
	out := rec.Body.String()
	// The CSP allows no inline style or script: nothing may need one.
	if strings.Contains(out, " style=") || regexp.MustCompile(`<script>|<script type="(text/)?javascript"`).MatchString(out) {
		t.Errorf("the link page has an inline style or script")
	}
	if n := strings.Count(out, "<h1"); n != 1 {
		t.Errorf("the link page has %d h1 elements, want 1", n)
	}
	return out
}

// statsOf is the statistics part for rep as the page draws it.
func statsOf(l *tiny.Link, rep *analytics.Report, rangeValue string) *statsView {
	s := &statsView{Report: rep, Range: rangeValue, Interval: string(rep.Interval), TZ: rep.Loc.String()}
	s.fill(l)
	return s
}

func TestLinkPageNoClicksYet(t *testing.T) {
	l := pageLink(nil)
	rep := &analytics.Report{ReportRequest: analytics.ReportRequest{From: linkPageNow.AddDate(0, 0, -30), To: linkPageNow, Interval: analytics.Day, Loc: time.UTC}}
	rep.Kinds = analytics.KindSeries(nil, rep.From, rep.To, rep.Interval, rep.Loc)
	out := renderLinkPage(t, &linkPageView{Link: l, CanEdit: true, CanStats: true, Stats: statsOf(l, rep, "30d")})
	for _, want := range []string{
		"No clicks yet in this range",
		`data-copy="https://s.example/Ab3dE9x"`,
		"<h1>Link Ab3dE9x</h1>",
		"Active: visitors go straight to the destination.",
		`<option value="30d" selected>Last 30 days</option>`,
		`action="/app/links/Ab3dE9x/delete" data-confirm=`,
		`name="csrf" value="token-123"`,
		"/api/v1/links/Ab3dE9x/clicks.csv?from=2026-10-21T15%3A30%3A00Z&amp;to=2026-11-20T15%3A30%3A00Z",
		`action="/api/v1/links/Ab3dE9x/qr"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page of a link with no clicks lacks %q", want)
		}
	}
	for _, absent := range []string{"lp-chart-data", "uPlot.iife.min.js", "Ask for a review", "Remove the password", "Imported clicks"} {
		if strings.Contains(out, absent) {
			t.Errorf("the page of a new active link without a password has %q", absent)
		}
	}
}

// TestLinkPageImportedClicks shows the clicks a link had on another
// shortener apart from tiny's own.
func TestLinkPageImportedClicks(t *testing.T) {
	l := pageLink(func(l *tiny.Link) { l.ImportedClicks = 4321; l.Clicks = 5 })
	rep := &analytics.Report{ReportRequest: analytics.ReportRequest{From: linkPageNow.AddDate(0, 0, -30), To: linkPageNow, Interval: analytics.Day, Loc: time.UTC}}
	rep.Kinds = analytics.KindSeries(nil, rep.From, rep.To, rep.Interval, rep.Loc)
	out := renderLinkPage(t, &linkPageView{Link: l, CanEdit: true, CanStats: true, Stats: statsOf(l, rep, "30d")})
	if !strings.Contains(out, "<dt>Imported clicks</dt><dd>4321 ") || !strings.Contains(out, "None · 5 clicks so far") {
		t.Error("the page does not show the imported clicks apart from tiny's own")
	}
}

func TestLinkPageAYearOfClicks(t *testing.T) {
	amsterdam, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		t.Skipf("no time zone database: %v", err)
	}
	l := pageLink(func(l *tiny.Link) { l.Clicks = 12345; l.MaxClicks = 20000; l.Title = "Autumn sale" })
	rep := yearOfClicks(amsterdam)
	out := renderLinkPage(t, &linkPageView{Link: l, CanEdit: true, CanStats: true, Stats: statsOf(l, rep, "365d")})
	// The chart's data is JSON that linkpage.js reads: one point a day.
	m := regexp.MustCompile(`(?s)<script type="application/json" id="lp-chart-data">(.*?)</script>`).FindStringSubmatch(out)
	if m == nil {
		t.Fatal("the page has no chart data")
	}
	var chart chartData
	if err := json.Unmarshal([]byte(m[1]), &chart); err != nil {
		t.Fatalf("the chart data is not JSON: %v: %.200s", err, m[1])
	}
	if n := len(chart.T); n < 365 || n > 367 || len(chart.Humans) != n || len(chart.Bots) != n || len(chart.Previews) != n {
		t.Errorf("the chart has %d days (%d, %d, %d), want a year", n, len(chart.Humans), len(chart.Bots), len(chart.Previews))
	}
	if chart.TZ != "Europe/Amsterdam" || chart.Interval != "day" {
		t.Errorf("the chart is per %q in %q, want per day in Europe/Amsterdam", chart.Interval, chart.TZ)
	}
	var sum int64
	for _, n := range chart.Humans {
		sum += n
	}
	if sum != rep.Clicks {
		t.Errorf("the chart's human clicks add up to %d, want %d", sum, rep.Clicks)
	}
	// The table has the same days, and the totals are shown.
	if rows := strings.Count(out, `<tr><th scope="row">`); rows < 365+4 {
		t.Errorf("the page has %d table rows, want a year of days and the breakdowns", rows)
	}
	for _, want := range []string{
		"<h1>Autumn sale</h1>",
		"<strong>" + groupDigits(rep.Clicks) + "</strong>",
		"<strong>4,321</strong>",
		"<strong>" + groupDigits(rep.BotClicks) + "</strong>",
		"12345 of 20000 clicks used",
		"Show as table",
		`<th scope="row">news.ycombinator.com</th>`,
		`<span class="lp-bar lp-w50" aria-hidden="true"></span> 50%`,
		`<th scope="row" class="muted">Unknown</th>`,
		`<th scope="row" class="muted">Direct, or not said</th>`,
		`<span class="lp-bar lp-w100" aria-hidden="true"></span> 100%`,
		"No human clicks in this range.", // no devices in the report
		"Per day, Europe/Amsterdam time.",
		`<option value="365d" selected>Last year</option>`,
		"/static/vendor/uplot/uPlot.iife.min.js",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page of a year of clicks lacks %q", want)
		}
	}
}

func TestLinkPageLongURLAndManyTags(t *testing.T) {
	long := "https://example.com/" + strings.Repeat("very-long-path-segment/", 80) + "?q=a&b=<c>"
	var tags []string
	for i := range 20 {
		tags = append(tags, fmt.Sprintf("campaign:2026/tag-%02d", i))
	}
	l := pageLink(func(l *tiny.Link) { l.URL = long; l.Tags = tags; l.Alias = "my-long-alias" })
	out := renderLinkPage(t, &linkPageView{Link: l, CanEdit: true})
	if !strings.Contains(out, `<dd class="url"><code>`+html.EscapeString(long)+`</code></dd>`) {
		t.Errorf("the destination is not shown whole, as text that wraps")
	}
	if strings.Contains(out, `href="`+html.EscapeString(long)) {
		t.Errorf("the destination is a link; it must be shown as text")
	}
	for _, tag := range tags {
		// html/template escapes the query with lower-case hex.
		if !strings.Contains(strings.ToLower(out), strings.ToLower(`href="/app/links?tag=`+url.QueryEscape(tag)+`">`+tag+`</a>`)) {
			t.Errorf("tag %q is not a link to the links with it", tag)
		}
	}
	if !strings.Contains(out, `value="`+html.EscapeString(strings.Join(tags, ", "))+`"`) {
		t.Errorf("the edit form's tags are not the link's")
	}
	if !strings.Contains(out, `data-copy="https://s.example/my-long-alias"`) || !strings.Contains(out, "(code Ab3dE9x)") {
		t.Errorf("the short link of an aliased link is not its alias")
	}
	if strings.Contains(out, "id=\"stats\"") {
		t.Errorf("the statistics are shown to someone who may not read them")
	}
}

func TestLinkPageBlockedLink(t *testing.T) {
	l := pageLink(func(l *tiny.Link) { l.Status = tiny.StatusBlocked })
	out := renderLinkPage(t, &linkPageView{Link: l, CanEdit: true, Appeal: "  ", AppealError: "Say why the link should not be blocked."})
	for _, want := range []string{
		`<span class="badge">blocked</span> Blocked: visitors see a warning page`,
		`<form method="post" action="/app/links/Ab3dE9x/appeal">`,
		`aria-invalid="true" aria-describedby="e-appeal"`,
		`<span class="field-error" id="e-appeal" role="alert">Say why the link should not be blocked.</span>`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page of a blocked link lacks %q", want)
		}
	}
	// Someone who may not write the link (a moderator) cannot appeal.
	if out := renderLinkPage(t, &linkPageView{Link: l}); strings.Contains(out, "/appeal") || strings.Contains(out, "Edit this link") {
		t.Errorf("the page of a blocked link offers an appeal or an edit to a reader")
	}
}

func TestLinkPagePasswordLinkAndFieldErrors(t *testing.T) {
	exp := linkPageNow.Add(48 * time.Hour)
	cs := 600
	l := pageLink(func(l *tiny.Link) {
		l.PasswordHash, l.ExpiresAt, l.CacheSeconds, l.Redirect, l.ForwardQuery = "$2a$10$secret-hash", &exp, &cs, 308, true
	})
	f := formOf(l)
	f.MaxClicks = "lots"
	out := renderLinkPage(t, &linkPageView{Link: l, CanEdit: true, EditOpen: true, Form: f,
		Errors: map[string]string{"max_clicks": "Enter the click limit as a whole number, such as 100, or leave it empty for no limit."}})
	for _, want := range []string{
		"Yes: visitors must enter it",
		`<input type="checkbox" name="remove_password" value="1"> Remove the password`,
		`<details id="edit" open>`,
		`value="lots" aria-describedby="h-max-clicks e-max-clicks" aria-invalid="true"`,
		`<span class="field-error" id="e-max-clicks" role="alert">Enter the click limit`,
		`value="2026-11-22T15:30" data-utc="2026-11-22T15:30:00Z"`,
		`<option value="308" selected>308 Permanent Redirect`,
		`name="forward_query" value="1" checked`,
		"600 seconds",
		"Cache-Control: no-store", // a password link is never cached
		"Forwarded: a visitor",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the page of a password link with an error lacks %q", want)
		}
	}
	if strings.Contains(out, "secret-hash") {
		t.Errorf("the page shows the password's hash")
	}
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 28468: "28,468", 1234567: "1,234,567", -4321: "-4,321"} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestEditFormUpdate(t *testing.T) {
	exp := linkPageNow.Add(time.Hour).Add(17 * time.Second)
	l := pageLink(func(l *tiny.Link) { l.ExpiresAt = &exp; l.MaxClicks = 5; l.PasswordHash = "x" })
	// The form as it was shown sends the expiry back unchanged: not sent.
	f := formOf(l)
	f.MaxClicks, f.CacheSeconds, f.Tags, f.RemovePassword = "", "120", "a, b c", true
	in, errs := f.update(l, "")
	if len(errs) != 0 {
		t.Fatalf("update() errors %v", errs)
	}
	if in.ExpiresAt.Set {
		t.Errorf("update() of an unchanged expiry sets it: %+v", in.ExpiresAt)
	}
	if !in.MaxClicks.Set || !in.MaxClicks.Null {
		t.Errorf("update() of an emptied click limit = %+v, want null", in.MaxClicks)
	}
	if !in.CacheSeconds.Set || in.CacheSeconds.Value != 120 || !in.Password.Null || strings.Join(in.Tags.Value, "|") != "a|b|c" {
		t.Errorf("update() = cache %+v, password %+v, tags %v", in.CacheSeconds, in.Password, in.Tags.Value)
	}
	// Emptied, the expiry is removed; typed in another zone, it is read there.
	f.Expires = ""
	if in, _ := f.update(l, ""); !in.ExpiresAt.Set || !in.ExpiresAt.Null {
		t.Errorf("update() of an emptied expiry = %+v, want null", in.ExpiresAt)
	}
	f.Expires, f.TZOffset = "2027-01-02T10:00", "60"
	if in, _ := f.update(l, "new-pw"); !in.ExpiresAt.Value.Equal(time.Date(2027, 1, 2, 9, 0, 0, 0, time.UTC)) || in.Password.Value != "" {
		t.Errorf("update() of 10:00 at +01:00 = %v (password %+v), want 09:00 UTC and the password removed", in.ExpiresAt.Value, in.Password)
	}
	f.RemovePassword = false
	if in, _ := f.update(l, "new-pw"); in.Password.Value != "new-pw" {
		t.Errorf("update() with a new password = %+v", in.Password)
	}
	f.Expires, f.Redirect = "soon", "x"
	if _, errs := f.update(l, ""); errs["expires_at"] == "" || errs["redirect"] == "" {
		t.Errorf("update() of an unreadable expiry and redirect = %v, want both refused", errs)
	}
}

// yearOfStats is a StatsReader with a click in every hour of the year
// before linkPageNow.
type yearOfStats struct{ st *tiny.ClickStats }

func (y yearOfStats) ClickStats(context.Context, tiny.StatsQuery) (*tiny.ClickStats, error) {
	return y.st, nil
}

// BenchmarkLinkPageRender measures the page's own work for a year of
// hourly statistics, without the store's query: the series in a time
// zone, the table, the chart's JSON and the template.
func BenchmarkLinkPageRender(b *testing.B) {
	amsterdam, err := time.LoadLocation("Europe/Amsterdam")
	if err != nil {
		b.Skip(err)
	}
	st := &tiny.ClickStats{Referrers: []tiny.Count{{Value: "t.co", Clicks: 9}}, Countries: []tiny.Count{{Value: "NL", Clicks: 9}}}
	for h := linkPageNow.AddDate(-1, 0, 0).Truncate(time.Hour); h.Before(linkPageNow); h = h.Add(time.Hour) {
		st.Hours = append(st.Hours, tiny.HourCount{Hour: h, Clicks: 2})
		st.Kinds = append(st.Kinds, tiny.HourKinds{Hour: h, Humans: 2, Bots: 1, Previews: 1})
	}
	views, err := NewViews("https://s.example", nil)
	if err != nil {
		b.Fatal(err)
	}
	l := pageLink(nil)
	for _, c := range []struct {
		name     string
		days     int
		interval analytics.Interval
	}{{"year by day", 365, analytics.Day}, {"30 days by hour", 30, analytics.Hour}} {
		b.Run(c.name, func(b *testing.B) {
			req := analytics.ReportRequest{From: linkPageNow.AddDate(0, 0, -c.days), To: linkPageNow, Interval: c.interval, Loc: amsterdam}
			r := httptest.NewRequest("GET", "/app/links/Ab3dE9x", nil)
			for range b.N {
				rep, err := analytics.BuildReport(context.Background(), yearOfStats{st}, l.ID, req)
				if err != nil {
					b.Fatal(err)
				}
				v := &linkPageView{Link: l, Form: formOf(l), CanEdit: true, CanStats: true, Stats: statsOf(l, rep, "365d")}
				views.Render(httptest.NewRecorder(), r, http.StatusOK, "linkpage.html", v)
			}
		})
	}
}
