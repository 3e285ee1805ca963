package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"tiny/internal/abuse"
	"tiny/internal/ratelimit"
	"tiny/internal/tiny"
)

// visitor is someone who is not signed in, in a browser on this site.
func (e *env) visitor() *reader {
	return &reader{e: e, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// report sends the "Report this link" form as a visitor would.
func (rd *reader) report(link, reason, details string) page {
	rd.e.t.Helper()
	return rd.send("POST", "/app/report", url.Values{"link": {link}, "reason": {reason}, "details": {details}})
}

func TestAppModerationRefusesMembers(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("mia", tiny.RoleMember)
	owner := e.newPerson("mo-owner", tiny.RoleMember)
	code := e.create(owner.key, map[string]any{"url": "https://example.net/x"})["code"].(string)
	for _, path := range []string{"/app/moderation", "/app/moderation/audit", "/app/moderation/quality", "/app/moderation/destinations"} {
		if p := rd.get(path); p.status != http.StatusForbidden {
			t.Errorf("GET %s as a member = %d, want 403", path, p.status)
		}
	}
	if p := rd.post("/app/moderation/links/"+code, url.Values{"decision": {"block"}}); p.status != http.StatusForbidden {
		t.Errorf("a member's block = %d, want 403", p.status)
	}
	if p := rd.post("/app/moderation/destinations", url.Values{"kind": {"domain"}, "value": {"example.net"}}); p.status != http.StatusForbidden {
		t.Errorf("a member's destination block = %d, want 403", p.status)
	}
	if r := e.visit("GET", "/"+code); r.status != http.StatusFound {
		t.Errorf("the link after a member's refused block = %d, want 302", r.status)
	}
	if p := rd.get("/"); strings.Contains(p.text(), `href="/app/moderation"`) {
		t.Errorf("a member's navigation links to moderation")
	}
}

// A visitor reports a link from its preview page; a moderator sees the
// report in the queue, blocks the link with a note (its visitors then get
// the warning page), reads the decision in the audit log, and approves it
// after the owner's appeal.
func TestAppModerationBlockAndApprove(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	owner := e.newPerson("bo-owner", tiny.RoleMember)
	l := e.create(owner.key, map[string]any{"url": "https://example.net/login?next=<b>"})
	code, short := l["code"].(string), l["short_url"].(string)

	preview := e.visit("GET", "/"+code+"+")
	if preview.status != http.StatusOK || !strings.Contains(string(preview.body), `action="/app/report"`) ||
		!strings.Contains(string(preview.body), `name="link" value="`+short+`"`) {
		t.Fatalf("preview = %d without the report form of %s:\n%s", preview.status, short, preview.body)
	}
	visitor := e.visitor()
	p := visitor.report(short, "phishing", "asks for my bank password")
	if p.status != http.StatusSeeOther || p.location() != "/app/report/sent" {
		t.Fatalf("report = %d to %q, want 303 to the thanks", p.status, p.location())
	}
	if p := visitor.get("/app/report/sent"); p.status != http.StatusOK || !strings.Contains(p.text(), "Thank you") {
		t.Errorf("thanks page = %d %s", p.status, p.text())
	}

	mod := e.newReader("moe", tiny.RoleModerator)
	q := mod.get("/app/moderation")
	for _, want := range []string{code, "phishing: asks for my bank password", "bo-owner@example.com", "https://example.net/login?next=&lt;b&gt;"} {
		if !strings.Contains(q.text(), want) {
			t.Errorf("queue lacks %q:\n%s", want, q.text())
		}
	}
	if strings.Contains(q.text(), `href="https://example.net`) {
		t.Errorf("queue links to the destination")
	}

	p = mod.post("/app/moderation/links/"+code, url.Values{"decision": {"block"}, "note": {"confirmed phishing"}})
	if p.status != http.StatusSeeOther || p.location() != "/app/moderation" {
		t.Fatalf("block = %d to %q, want 303 to the queue", p.status, p.location())
	}
	if r := e.visit("GET", "/"+code); r.status != http.StatusUnavailableForLegalReasons || !strings.Contains(string(r.body), "Report this link") {
		t.Errorf("visit of the blocked link = %d, want the 451 warning page with the report form", r.status)
	}
	if q := mod.get("/app/moderation"); !strings.Contains(q.text(), "Nothing waits for review") {
		t.Errorf("queue after the block still has entries")
	}
	audit := mod.get("/app/moderation/audit?link=" + code)
	for _, want := range []string{"confirmed phishing", "moe@example.com", "blocked", "reported"} {
		if !strings.Contains(audit.text(), want) {
			t.Errorf("audit log of %s lacks %q", code, want)
		}
	}
	if p := mod.get("/app/moderation/audit?link=nosuchlink"); p.status != http.StatusNotFound || !strings.Contains(p.text(), "There is no link") {
		t.Errorf("audit of an unknown link = %d, want 404 with the error by the field", p.status)
	}

	if r := e.do("POST", "/api/v1/links/"+code+"/appeal", owner.key, map[string]any{"message": "it is my bank's real page"}); r.status != http.StatusAccepted {
		t.Fatalf("appeal = %d %s", r.status, r.body)
	}
	if q := mod.get("/app/moderation"); !strings.Contains(q.text(), "it is my bank&#39;s real page") || !strings.Contains(q.text(), "appealed by the owner") {
		t.Errorf("queue lacks the appeal:\n%s", q.text())
	}
	if p := mod.post("/app/moderation/links/"+code, url.Values{"decision": {"approve"}, "note": {"verified"}}); p.status != http.StatusSeeOther {
		t.Fatalf("approve = %d", p.status)
	}
	if r := e.visit("GET", "/"+code); r.status != http.StatusFound {
		t.Errorf("visit after the approval = %d, want 302", r.status)
	}
	quality := mod.get("/app/moderation/quality")
	if quality.status != http.StatusOK || !strings.Contains(quality.text(), "Overturned appeals") || !strings.Contains(quality.text(), "100.0 %") {
		t.Errorf("quality = %d, want the figures with the granted appeal at 100 %%:\n%s", quality.status, quality.text())
	}
}

func TestAppModerationBlockDestination(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	owner := e.newPerson("do-owner", tiny.RoleMember)
	code := e.create(owner.key, map[string]any{"url": "https://sub.bad-domain.example/pay"})["code"].(string)
	if p := e.visitor().report(code, "spam", ""); p.status != http.StatusSeeOther {
		t.Fatalf("report = %d", p.status)
	}
	mod := e.newReader("dora", tiny.RoleModerator)
	// Approve and block the destination: the service refuses, and the queue
	// shows why by the link's form, with the note kept.
	p := mod.post("/app/moderation/links/"+code, url.Values{"decision": {"approve"}, "note": {"keep me"}, "block_destination": {"domain"}})
	if p.status != http.StatusBadRequest || !strings.Contains(p.text(), "only a block can block the destination too") || !strings.Contains(p.text(), ">keep me</textarea>") {
		t.Errorf("approve with a destination block = %d, want 400 with the error and the note:\n%s", p.status, p.text())
	}
	p = mod.post("/app/moderation/links/"+code, url.Values{"decision": {"block"}, "block_destination": {"domain"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("block with the domain = %d %s", p.status, p.text())
	}
	list := mod.get("/app/moderation/destinations")
	if !strings.Contains(list.text(), "bad-domain.example") || !strings.Contains(list.text(), "with link "+code) {
		t.Errorf("destination blocks lack the domain:\n%s", list.text())
	}
	if r := e.do("POST", "/api/v1/links", owner.key, map[string]any{"url": "https://bad-domain.example/other"}); r.status == http.StatusCreated {
		t.Errorf("a new link to the blocked domain was made")
	}

	// Blocking a host by hand, with a mistake first.
	if p := mod.post("/app/moderation/destinations", url.Values{"kind": {"host"}, "value": {"not a host"}}); p.status != http.StatusBadRequest || !strings.Contains(p.text(), `aria-invalid="true"`) {
		t.Errorf("a bad host = %d, want 400 with the error by the field", p.status)
	}
	if p := mod.post("/app/moderation/destinations", url.Values{"kind": {"host"}, "value": {"evil.example"}, "note": {"phishing kit"}}); p.status != http.StatusSeeOther {
		t.Fatalf("block a host = %d %s", p.status, p.text())
	}
	blocks, err := e.dests.List(t.Context())
	if err != nil || len(blocks) != 2 {
		t.Fatalf("blocks = %v, %v; want 2", blocks, err)
	}
	for _, b := range blocks {
		if p := mod.post("/app/moderation/destinations/"+strconv.FormatInt(b.ID, 10)+"/remove", nil); p.status != http.StatusSeeOther {
			t.Errorf("remove block %d = %d", b.ID, p.status)
		}
	}
	if list := mod.get("/app/moderation/destinations"); strings.Contains(list.text(), "<code>evil.example</code>") || !strings.Contains(list.text(), "No destination is blocked") {
		t.Errorf("blocks after removing them:\n%s", list.text())
	}
}

// The report form uses the limit of POST /api/v1/reports, refuses forms
// sent from other sites, and says what is missing.
func TestAppModerationReportForm(t *testing.T) {
	e := newEnv(t, signInsOf(t), func(c *Config) {
		c.RateLimiter = ratelimit.NewLocal(100)
		c.Limits = Limits{Report: ratelimit.Limit{Rate: 2, Period: time.Hour, Burst: 2}}
	})
	owner := e.newPerson("ro-owner", tiny.RoleMember)
	code := e.create(owner.key, map[string]any{"url": "https://example.net/report-me"})["code"].(string)
	v := e.visitor()

	for i := range 2 {
		if p := v.report(code, "malware", "report "+strconv.Itoa(i)); p.status != http.StatusSeeOther {
			t.Fatalf("report %d = %d, want 303", i, p.status)
		}
	}
	p := v.report(code, "malware", "one too many")
	if p.status != http.StatusTooManyRequests || !strings.Contains(p.text(), "Too many requests") || p.header.Get("Retry-After") == "" {
		t.Errorf("third report = %d (Retry-After %q), want the 429 page", p.status, p.header.Get("Retry-After"))
	}
	mod := e.newReader("rex", tiny.RoleModerator)
	if q := mod.get("/app/moderation"); !strings.Contains(q.text(), "malware: report 1") || strings.Contains(q.text(), "one too many") {
		t.Errorf("queue = %s, want the two reports and not the refused one", q.text())
	}

	e2 := newEnv(t, signInsOf(t))
	owner2 := e2.newPerson("ro-owner2", tiny.RoleMember)
	code2 := e2.create(owner2.key, map[string]any{"url": "https://example.net/report-me"})["code"].(string)
	v2 := e2.visitor()
	if p := v2.report(code2, "", ""); p.status != http.StatusBadRequest || !strings.Contains(p.text(), "Choose what is wrong") {
		t.Errorf("report without a reason = %d, want 400 with the error", p.status)
	}
	if p := v2.report(code2, "other", ""); p.status != http.StatusBadRequest || !strings.Contains(p.text(), "Say in a few words") {
		t.Errorf("report of something else without details = %d, want 400 with the error", p.status)
	}
	if p := v2.report("nosuch", "spam", ""); p.status != http.StatusNotFound || !strings.Contains(p.text(), "There is no link with that name") {
		t.Errorf("report of an unknown link = %d, want 404 with the error", p.status)
	}
	req, _ := http.NewRequest("POST", e2.base+"/app/report", strings.NewReader(url.Values{"link": {code2}, "reason": {"spam"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := v2.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("report from another site = %d, want 403", resp.StatusCode)
	}
	l, err := e2.store.LinkByID(t.Context(), mustDecode(t, e2, code2))
	if err != nil || l.Safety.Reports != 0 {
		t.Errorf("reports after refused forms = %v, %v; want 0", l, err)
	}
}

// A moderator filters the audit log by who acted, the kind of entry and
// the days, in their time zone; filters that cannot be read are refused
// by their field.
func TestAppModerationAuditFilters(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	owner := e.newPerson("af-owner", tiny.RoleMember)
	other := e.newPerson("af-max", tiny.RoleModerator)
	mod := e.newReader("af-moe", tiny.RoleModerator)
	var codes []string
	for i := range 3 {
		code := e.create(owner.key, map[string]any{"url": "https://example.net/af/" + strconv.Itoa(i)})["code"].(string)
		codes = append(codes, code)
		if p := e.visitor().report(code, "spam", ""); p.status != http.StatusSeeOther {
			t.Fatalf("report = %d", p.status)
		}
		if p := mod.post("/app/moderation/links/"+code, url.Values{"decision": {"block"}}); p.status != http.StatusSeeOther {
			t.Fatalf("block = %d", p.status)
		}
	}
	if r := e.do("POST", "/api/v1/links/"+codes[1]+"/appeal", owner.key, map[string]any{"message": "mine"}); r.status != http.StatusAccepted {
		t.Fatalf("appeal = %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/moderation/links/"+codes[1], other.key, map[string]any{"decision": "approve"}); r.status != http.StatusOK {
		t.Fatalf("approve = %d %s", r.status, r.body)
	}
	rows := func(p page) int { return strings.Count(p.text(), `<td data-label="Action">`) }
	maxID := strconv.FormatInt(other.user.ID, 10)

	all := mod.get("/app/moderation/audit")
	if all.status != http.StatusOK || rows(all) < 8 {
		t.Fatalf("audit log = %d with %d rows, want 200 and at least the 8 entries made here", all.status, rows(all))
	}
	for _, want := range []string{`<option value="` + maxID + `">af-max@example.com (moderator)</option>`, `<option value="system">`,
		`<option value="sign_in">sign in</option>`, `<option value="appealed">appealed</option>`} {
		if !strings.Contains(all.text(), want) {
			t.Errorf("audit filter lacks the choice %q", want)
		}
	}
	if strings.Contains(all.text(), "af-owner@example.com (") {
		t.Errorf("the actor choices list a member")
	}

	today := time.Now().UTC().Format("2006-01-02")
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	kiri, _ := time.LoadLocation("Pacific/Kiritimati")
	for _, tt := range []struct {
		query string
		want  int    // rows
		has   string // in every case with rows
	}{
		{"actor=" + maxID, 1, "approved"},
		{"actor=system&action=reported", 3, "a visitor"},
		{"action=blocked&link=" + codes[2], 1, "blocked"},
		{"action=appealed", 1, "mine"},
		{"action=blocked&from=" + today + "&to=" + today, 3, "blocked"},
		{"action=blocked&from=" + tomorrow, 0, "match the filter"},
		{"action=blocked&to=" + time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02"), 0, "match the filter"},
		// The day as the moderator's zone names it.
		{"action=blocked&tz=Pacific%2FKiritimati&from=" + time.Now().In(kiri).Format("2006-01-02"), 3, "Pacific/Kiritimati"},
		{"actor=" + maxID + "&action=reported", 0, "match the filter"},
	} {
		p := mod.get("/app/moderation/audit?" + tt.query)
		if p.status != http.StatusOK || rows(p) != tt.want || !strings.Contains(p.text(), tt.has) {
			t.Errorf("audit ?%s = %d with %d rows (want 200 with %d, and %q)", tt.query, p.status, rows(p), tt.want, tt.has)
		}
	}
	if p := mod.get("/app/moderation/audit?actor=" + maxID); !strings.Contains(p.text(), `<option value="`+maxID+`" selected>`) {
		t.Errorf("the chosen actor is not selected")
	}

	for _, tt := range []struct{ query, field, msg string }{
		{"actor=robot", "actor", "Choose someone"},
		{"action=dance", "action", "Choose a kind"},
		{"from=2026-13-01", "from", "Give a date like"},
		{"from=2026-02-01&to=2026-01-01", "to", "The last day comes before the first"},
	} {
		p := mod.get("/app/moderation/audit?" + tt.query)
		if p.status != http.StatusBadRequest || !strings.Contains(p.text(), `id="`+tt.field+`-error" role="alert">`+tt.msg) || rows(p) != 0 {
			t.Errorf("audit ?%s = %d, want 400 with the error by %s", tt.query, p.status, tt.field)
		}
	}
	// A zone the server does not know reads the days in UTC.
	if p := mod.get("/app/moderation/audit?action=blocked&tz=Mars%2FOlympus&from=" + today); p.status != http.StatusOK || rows(p) != 3 ||
		!strings.Contains(p.text(), "<span data-tz-name>UTC</span>") {
		t.Errorf("audit with an unknown zone = %d with %d rows, want 200, 3 rows, in UTC", p.status, rows(p))
	}

	// This week's decisions, in the last week of the chart: 3 misses
	// (reported, then blocked) and an appeal granted.
	q := mod.get("/app/moderation/quality")
	week := abuse.Week(time.Now())
	for _, want := range []string{`<time datetime="` + week.Format(time.RFC3339) + `">` + week.Format("2 Jan 2006") + `</time>`,
		`<td data-label="Missed" class="number">3</td>`, `<td data-label="Appeals granted" class="number">1 of 1</td>`,
		`,1]}</script>`, `"weeks":[` + strconv.FormatInt(week.AddDate(0, 0, -7*25).Unix(), 10) + `,`} {
		if !strings.Contains(q.text(), want) {
			t.Errorf("quality page lacks %q", want)
		}
	}
}
