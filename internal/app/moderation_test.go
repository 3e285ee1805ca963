package app

import (
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"tiny/internal/abuse"
	"tiny/internal/tiny"
)

// render renders view name with data for a signed-in user of role (none
// for a visitor) and returns the status and page. With TINY_VIEWS_DIR
// set, it also writes the page there to be looked at in a browser, with
// the assets read from the source tree.
func render(t *testing.T, name string, data View, role tiny.Role) (int, string) {
	t.Helper()
	v, err := NewViews("https://t.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	if role != "" {
		data.base().User = &tiny.User{ID: 1, Email: "moe@example.com", Role: role}
		data.base().CSRF = "token"
	}
	w := httptest.NewRecorder()
	v.Render(w, httptest.NewRequest("GET", "/", nil), http.StatusOK, name, data)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("render %s = %d %s", name, w.Code, body)
	}
	if dir := os.Getenv("TINY_VIEWS_DIR"); dir != "" {
		assets, _ := filepath.Abs("assets")
		out := strings.ReplaceAll(body, `"/static/`, `"file://`+assets+`/`)
		written[t.Name()]++
		file := filepath.Join(dir, fmt.Sprintf("%s-%d.html", strings.NewReplacer("/", "_", " ", "_").Replace(t.Name()), written[t.Name()]))
		if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	checkPage(t, body)
	return w.Code, body
}

// written counts the pages each test wrote to TINY_VIEWS_DIR.
var written = map[string]int{}

// checkPage asserts what every page must be: one h1, and a label for
// every field.
func checkPage(t *testing.T, body string) {
	t.Helper()
	if n := strings.Count(body, "<h1"); n != 1 {
		t.Errorf("page has %d h1, want 1", n)
	}
	ids := regexp.MustCompile(`<(?:input|select|textarea) id="([^"]+)"`).FindAllStringSubmatch(body, -1)
	for _, m := range ids {
		if !strings.Contains(body, `for="`+m[1]+`"`) {
			t.Errorf("field %s has no label", m[1])
		}
	}
	if strings.Contains(body, "style=") {
		t.Errorf("page has an inline style, which the CSP refuses")
	}
}

// hostileURL is a destination made to break out of the page.
const hostileURL = `https://evil.example/<script>alert(1)</script>"onmouseover="x'/` +
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?q=1&r=2"

var created = time.Date(2026, 11, 30, 8, 15, 0, 0, time.UTC)

// noHostileMarkup asserts that the hostile URL appears only escaped and
// never as an address the browser would follow or fetch.
func noHostileMarkup(t *testing.T, body string) {
	t.Helper()
	if strings.Contains(body, "<script>alert") || strings.Contains(body, `"onmouseover=`) {
		t.Errorf("the hostile URL is not escaped")
	}
	if regexp.MustCompile(`(?:href|src|action)="https://evil\.example`).MatchString(body) {
		t.Errorf("the hostile URL is a link")
	}
}

func TestQueueViewEmpty(t *testing.T) {
	_, body := render(t, "moderation.html", &QueueView{Page: Page{Title: "Review queue", Section: "moderation"}, Prev: -1, Next: -1}, tiny.RoleModerator)
	if !strings.Contains(body, "Nothing waits for review") || strings.Contains(body, `class="pager"`) {
		t.Errorf("empty queue page lacks its message or has a pager:\n%s", body)
	}
	if !strings.Contains(body, `href="/app/moderation" aria-current="page"`) {
		t.Errorf("the queue is not marked current in the moderation navigation")
	}
}

func TestQueueViewEntry(t *testing.T) {
	l := &tiny.Link{ID: 7, Code: "abc1234", URL: hostileURL, OwnerID: 3, Status: tiny.StatusFlagged, CreatedAt: created,
		Safety: tiny.Safety{Score: 0.876, Auto: tiny.StatusFlagged, Reason: "model score 0.81; creator has 3 blocked links; account is less than a day old; brand in subdomain", Review: tiny.ReviewAppeal, Reports: 14}}
	e := &QueueEntry{Link: l, ShortURL: "https://t.example/abc1234", Owner: "eve@example.com", Signals: signalsOf(l.Safety.Reason),
		Form: DecisionForm{Note: "<b>keep</b>", BlockDestination: "domain", Error: "only a block can block the destination too"}}
	for i := range 14 {
		e.Reports = append(e.Reports, &tiny.AuditEntry{Action: tiny.ActionReported, Reason: "phishing: report <i>" + string(rune('a'+i)) + "</i>", CreatedAt: created})
	}
	e.Appeals = []*tiny.AuditEntry{{Action: tiny.ActionAppealed, Reason: "It's my shop, really", CreatedAt: created}}
	v := &QueueView{Page: Page{Title: "Review queue", Section: "moderation"}, Entries: []*QueueEntry{e}, Offset: 25, Prev: 0, Next: 50, DestinationBlocks: true}
	_, body := render(t, "moderation.html", v, tiny.RoleModerator)
	noHostileMarkup(t, body)
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt;", // the destination, as text
		"88 %", "model score 0.81", "<li>brand in subdomain</li>", "eve@example.com",
		"appealed by the owner", "It&#39;s my shop, really", "phishing: report &lt;i&gt;n&lt;/i&gt;",
		`action="/app/moderation/links/abc1234"`, `name="offset" value="25"`,
		`>&lt;b&gt;keep&lt;/b&gt;</textarea>`, `<option value="domain" selected>`,
		`aria-describedby="err-abc1234"`, `id="err-abc1234" role="alert">only a block can block the destination too`,
		`value="approve"`, `value="block"`, `href="/app/moderation?offset=0"`, `href="/app/moderation?offset=50"`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("queue entry lacks %q", want)
		}
	}
}

func TestQueueViewWithoutDestinationBlocks(t *testing.T) {
	l := &tiny.Link{ID: 8, Code: "abc9", URL: "https://example.com/", Status: tiny.StatusActive, CreatedAt: created, Safety: tiny.Safety{Review: tiny.ReviewReported, Reports: 1}}
	v := &QueueView{Page: Page{Title: "Review queue"}, Entries: []*QueueEntry{{Link: l, Signals: signalsOf("")}}, Prev: -1, Next: -1}
	_, body := render(t, "moderation.html", v, tiny.RoleAdmin)
	if strings.Contains(body, "block_destination") || !strings.Contains(body, `<span class="muted">nobody</span>`) || !strings.Contains(body, `<span class="muted">none</span>`) {
		t.Errorf("queue without destination blocks, owner or signals:\n%s", body)
	}
}

// auditView is an audit page with its filter's choices.
func auditView(form AuditForm, entries ...*AuditRow) *AuditView {
	v := &AuditView{Page: Page{Title: "Audit log", Section: "moderation"}, Form: form, Entries: entries, Zone: "UTC",
		Actors: []AuditOption{{"system", "tiny (automatic decisions, visitors' reports)"}, {"7", "moe@example.com (moderator)"},
			{"8", strings.Repeat("a-very-long-name.", 6) + "@example.com (admin)"}}}
	v.Actions, v.AccountEvents = auditKinds()
	if form.TZ != "" {
		v.Zone = form.TZ
	}
	return v
}

func TestAuditView(t *testing.T) {
	v := auditView(AuditForm{Link: "abc1234"},
		&AuditRow{AuditEntry: &tiny.AuditEntry{ID: 42, LinkID: 7, URL: hostileURL, Action: tiny.ActionBlocked, Reason: "confirmed <phishing>", Score: 0.9, CreatedAt: created}, Code: "abc1234", Actor: "moe@example.com"},
		&AuditRow{AuditEntry: &tiny.AuditEntry{ID: 41, LinkID: 7, URL: hostileURL, Action: tiny.ActionReported, Reason: "spam", CreatedAt: created}, Code: "abc1234"},
		&AuditRow{AuditEntry: &tiny.AuditEntry{ID: 40, URL: hostileURL, Action: tiny.ActionRefused, Reason: "blocklist", Score: 1, CreatedAt: created}},
		&AuditRow{AuditEntry: &tiny.AuditEntry{ID: 39, ActorID: 7, Action: "sign_in_failed", Reason: "password: wrong password", CreatedAt: created}, Actor: "moe@example.com"},
	)
	v.Next, v.Filtered = 39, true
	_, body := render(t, "moderation_audit.html", v, tiny.RoleModerator)
	noHostileMarkup(t, body)
	for _, want := range []string{"confirmed &lt;phishing&gt;", "moe@example.com", "a visitor", "create refused", "sign in failed", "0.90",
		`href="/app/moderation/audit?before=39&amp;link=abc1234"`, `href="/app/moderation/audit?link=abc1234">← Newest entries`, `<th scope="col">Action</th>`,
		`<script src="/static/moderation.js" defer>`, `<input type="hidden" name="tz" value="" data-tz>`, "Days run midnight to midnight in <span data-tz-name>UTC</span>"} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	_, body = render(t, "moderation_audit.html", auditView(AuditForm{Link: "nope", Errors: map[string]string{"link": "There is no link with that code or alias."}}), tiny.RoleModerator)
	if !strings.Contains(body, `aria-describedby="link-error"`) || strings.Contains(body, "No entries") || strings.Contains(body, "Older entries") {
		t.Errorf("audit page with an unknown link:\n%s", body)
	}
	_, body = render(t, "moderation_audit.html", auditView(AuditForm{}), tiny.RoleModerator)
	if !strings.Contains(body, "No entries.") || strings.Contains(body, `class="pager"`) || strings.Contains(body, "Show the newest entries") {
		t.Errorf("empty audit page:\n%s", body)
	}
}

// TestAuditViewFilters renders the filter as chosen, keeps it across
// pages, and shows each refused field's error by it.
func TestAuditViewFilters(t *testing.T) {
	form := AuditForm{Actor: "7", Action: "sign_in", From: "2026-11-01", To: "2026-11-30", TZ: "Europe/Berlin"}
	v := auditView(form, &AuditRow{AuditEntry: &tiny.AuditEntry{ID: 90, ActorID: 7, Action: "sign_in", Reason: "password", CreatedAt: created}, Actor: "moe@example.com"})
	v.Next, v.Filtered = 90, true
	_, body := render(t, "moderation_audit.html", v, tiny.RoleModerator)
	for _, want := range []string{
		`<option value="7" selected>moe@example.com (moderator)</option>`,
		`<option value="system">tiny (automatic decisions, visitors&#39; reports)</option>`,
		`<option value="">anyone</option>`,
		`<optgroup label="Moderation"><option value="refused">create refused</option>`,
		`<option value="destination_unblocked">destination unblocked</option>`,
		`<option value="sign_in" selected>sign in</option>`,
		`value="2026-11-01"`, `value="2026-11-30"`, `name="tz" value="Europe/Berlin"`, "<span data-tz-name>Europe/Berlin</span>",
		// Paging keeps every filter.
		`href="/app/moderation/audit?action=sign_in&amp;actor=7&amp;before=90&amp;from=2026-11-01&amp;to=2026-11-30&amp;tz=Europe%2FBerlin">Older entries`,
		`href="/app/moderation/audit?action=sign_in&amp;actor=7&amp;from=2026-11-01&amp;to=2026-11-30&amp;tz=Europe%2FBerlin">← Newest entries`,
		"Show the newest entries of everything",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("filtered audit page lacks %q", want)
		}
	}
	if n := strings.Count(body, " selected"); n != 2 {
		t.Errorf("filtered audit page has %d selected options, want 2", n)
	}

	errs := AuditForm{Actor: "robot", Action: "dance", From: "someday", To: "2026-01-01",
		Errors: map[string]string{"actor": "Choose someone from the list.", "action": "Choose a kind from the list.",
			"from": "Give a date like 2026-01-31.", "to": "The last day comes before the first."}}
	_, body = render(t, "moderation_audit.html", auditView(errs), tiny.RoleModerator)
	for _, f := range []string{"actor", "action", "from", "to"} {
		if !regexp.MustCompile(`id="` + f + `"[^>]*aria-describedby="[^"]*` + f + `-error"[^>]*aria-invalid="true"|id="` + f + `"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*` + f + `-error"`).MatchString(body) {
			t.Errorf("field %s is not marked invalid and tied to its error", f)
		}
		if !strings.Contains(body, `<span class="field-error" id="`+f+`-error" role="alert">`+errs.Errors[f]) {
			t.Errorf("field %s lacks its error %q", f, errs.Errors[f])
		}
	}
	if strings.Contains(body, "No entries") {
		t.Errorf("audit page with refused filters says there are no entries")
	}
}

func TestQualityView(t *testing.T) {
	nan := abuse.Rate(math.NaN())
	from := time.Date(2026, 6, 8, 0, 0, 0, 0, time.UTC)
	empty := abuse.WeeklyQuality(nil, from, 26)
	_, body := render(t, "moderation_quality.html", qualityViewOf(abuse.Quality{Precision: nan, Recall: nan, OverturnRate: nan, FlagPrecision: nan, BlockPrecision: nan}, empty), tiny.RoleModerator)
	if strings.Count(body, "—") < 5+3*26 || !strings.Contains(body, `<meter min="0" max="1" value="0"`) {
		t.Errorf("quality with nothing decided:\n%s", body)
	}
	// Nothing measured is null in the chart's data, not a number.
	if !strings.Contains(body, `"precision":[null,null,`) {
		t.Errorf("quality chart data with nothing decided lacks nulls:\n%s", body)
	}

	counts := []tiny.DecisionCount{
		{AutoBefore: tiny.StatusFlagged, Action: tiny.ActionBlocked, Count: 30},
		{AutoBefore: tiny.StatusFlagged, Action: tiny.ActionApproved, Count: 10},
		{AutoBefore: tiny.StatusActive, ReviewBefore: tiny.ReviewReported, Action: tiny.ActionBlocked, Count: 10},
		{AutoBefore: tiny.StatusBlocked, ReviewBefore: tiny.ReviewAppeal, Action: tiny.ActionApproved, Count: 1},
	}
	var days []tiny.DailyDecisionCount
	for _, c := range counts { // all in the last week, on its Wednesday
		days = append(days, tiny.DailyDecisionCount{Day: from.AddDate(0, 0, 7*25+2), DecisionCount: c})
	}
	days = append(days, tiny.DailyDecisionCount{Day: from.AddDate(0, 0, 1), DecisionCount: tiny.DecisionCount{
		AutoBefore: tiny.StatusFlagged, Action: tiny.ActionApproved, Count: 4}})
	_, body = render(t, "moderation_quality.html", qualityViewOf(abuse.QualityOf(counts), abuse.WeeklyQuality(days, from, 26)), tiny.RoleModerator)
	for _, want := range []string{"73.2 %", "75.0 %", "100.0 %", `<meter min="0" max="30" value="30"`, `<th scope="row">Missed</th>`,
		"Over the last 26 weeks",
		// The first week: 4 overturned, precision 0.
		`<time datetime="2026-06-08T00:00:00Z">8 Jun 2026</time></th>
<td data-label="Precision" class="number">0.0 %</td>`,
		// The last week holds the same figures as the totals.
		`<time datetime="2026-11-30T00:00:00Z">30 Nov 2026</time></th>
<td data-label="Precision" class="number">73.2 %</td>
<td data-label="Recall" class="number">75.0 %</td>
<td data-label="Overturned appeals" class="number">100.0 %</td>`,
		`<td data-label="Appeals granted" class="number">1 of 1</td>`,
		`<script type="application/json" id="quality-data">{"weeks":[1780876800,`,
		`"precision":[0,null,`, `,0.731707],"recall":[null,`, `,0.75],"overturn":[null,`, `,1]}</script>`,
		`<script src="/static/vendor/uplot/uPlot.iife.min.js" defer>`, `<script src="/static/moderation.js" defer>`,
		`<figure class="quality-chart" aria-labelledby="over-time" hidden data-chart="quality">`,
		`<details class="weeks" open data-chart-table>`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("quality page lacks %q:\n%s", want, body)
		}
	}
}

func TestDestinationsView(t *testing.T) {
	v := &DestinationsView{Page: Page{Title: "Blocked destinations"}, Enabled: true,
		Form: DestinationForm{Kind: "host", Value: "<bad>", Errors: map[string]string{"value": "not a host name"}},
		Blocks: []*DestinationBlockRow{
			{DestinationBlock: &tiny.DestinationBlock{ID: 3, Kind: tiny.DestinationURL, Value: hostileURL, Note: "with link abc1234: kit", CreatedAt: created}, Actor: "moe@example.com"},
			{DestinationBlock: &tiny.DestinationBlock{ID: 4, Kind: tiny.DestinationDomain, Value: "bad.example", CreatedAt: created}},
		}}
	_, body := render(t, "moderation_destinations.html", v, tiny.RoleModerator)
	noHostileMarkup(t, body)
	for _, want := range []string{`<option value="host" selected>`, `value="&lt;bad&gt;"`, `aria-describedby="value-error"`, "not a host name",
		`action="/app/moderation/destinations/3/remove"`, `data-confirm="Remove the block of`, `<td data-label="By">tiny</td>`} {
		if !strings.Contains(body, want) {
			t.Errorf("destinations page lacks %q", want)
		}
	}
	_, body = render(t, "moderation_destinations.html", &DestinationsView{Page: Page{Title: "Blocked destinations"}}, tiny.RoleModerator)
	if !strings.Contains(body, "not enabled") || strings.Contains(body, "<form method=\"post\" action=\"/app/moderation/destinations\"") {
		t.Errorf("destinations page when disabled:\n%s", body)
	}
}

func TestSignalsOf(t *testing.T) {
	got := signalsOf(" model score 0.8; ;creator has 2 blocked links ")
	if len(got) != 2 || got[0] != "model score 0.8" || got[1] != "creator has 2 blocked links" {
		t.Errorf("signalsOf = %q", got)
	}
	if signalsOf("") != nil {
		t.Errorf("signalsOf(\"\") is not empty")
	}
}
