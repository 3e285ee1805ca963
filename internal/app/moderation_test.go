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

func TestAuditView(t *testing.T) {
	v := &AuditView{Page: Page{Title: "Audit log"}, Link: "abc1234", Next: 41, Filtered: true, Entries: []*AuditRow{
		{AuditEntry: &tiny.AuditEntry{ID: 42, LinkID: 7, URL: hostileURL, Action: tiny.ActionBlocked, Reason: "confirmed <phishing>", Score: 0.9, CreatedAt: created}, Code: "abc1234", Actor: "moe@example.com"},
		{AuditEntry: &tiny.AuditEntry{ID: 41, LinkID: 7, URL: hostileURL, Action: tiny.ActionReported, Reason: "spam", CreatedAt: created}, Code: "abc1234"},
		{AuditEntry: &tiny.AuditEntry{ID: 40, URL: hostileURL, Action: tiny.ActionRefused, Reason: "blocklist", Score: 1, CreatedAt: created}},
	}}
	_, body := render(t, "moderation_audit.html", v, tiny.RoleModerator)
	noHostileMarkup(t, body)
	for _, want := range []string{"confirmed &lt;phishing&gt;", "moe@example.com", "a visitor", "create refused", "0.90",
		`href="/app/moderation/audit?before=41&amp;link=abc1234"`, "← Newest entries", `<th scope="col">Action</th>`} {
		if !strings.Contains(body, want) {
			t.Errorf("audit page lacks %q", want)
		}
	}
	_, body = render(t, "moderation_audit.html", &AuditView{Page: Page{Title: "Audit log"}, Link: "nope", LinkError: "There is no link with that code or alias."}, tiny.RoleModerator)
	if !strings.Contains(body, `aria-describedby="link-error"`) || strings.Contains(body, "No entries") || strings.Contains(body, "Older entries") {
		t.Errorf("audit page with an unknown link:\n%s", body)
	}
	_, body = render(t, "moderation_audit.html", &AuditView{Page: Page{Title: "Audit log"}}, tiny.RoleModerator)
	if !strings.Contains(body, "No entries.") || strings.Contains(body, `class="pager"`) {
		t.Errorf("empty audit page:\n%s", body)
	}
}

func TestQualityView(t *testing.T) {
	nan := abuse.Rate(math.NaN())
	_, body := render(t, "moderation_quality.html", qualityViewOf(abuse.Quality{Precision: nan, Recall: nan, OverturnRate: nan, FlagPrecision: nan, BlockPrecision: nan}), tiny.RoleModerator)
	if strings.Count(body, "—") < 5 || !strings.Contains(body, `<meter min="0" max="1" value="0"`) {
		t.Errorf("quality with nothing decided:\n%s", body)
	}
	counts := []tiny.DecisionCount{
		{AutoBefore: tiny.StatusFlagged, Action: tiny.ActionBlocked, Count: 30},
		{AutoBefore: tiny.StatusFlagged, Action: tiny.ActionApproved, Count: 10},
		{AutoBefore: tiny.StatusActive, ReviewBefore: tiny.ReviewReported, Action: tiny.ActionBlocked, Count: 10},
		{AutoBefore: tiny.StatusBlocked, ReviewBefore: tiny.ReviewAppeal, Action: tiny.ActionApproved, Count: 1},
	}
	_, body = render(t, "moderation_quality.html", qualityViewOf(abuse.QualityOf(counts)), tiny.RoleModerator)
	for _, want := range []string{"73.2 %", "75.0 %", "100.0 %", `<meter min="0" max="30" value="30"`, `<th scope="row">Missed</th>`} {
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
