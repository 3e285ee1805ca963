package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"tiny/internal/abuse"
	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/ratelimit"
	"tiny/internal/tiny"
)

// testModeration walks a link through the people in the loop: reports
// queue it, a moderator blocks it (visitors get the warning page at once),
// the owner appeals, a moderator lifts the block; every step is audited and
// counted in the quality figures.
func testModeration(t *testing.T, e *env) {
	owner := e.newKey("mod-owner", tiny.RoleUser)
	other := e.newKey("mod-other", tiny.RoleUser)
	l := e.create(owner, map[string]any{"url": "https://example.net/moderated"})
	code, short := l["code"].(string), l["short_url"].(string)
	if r := e.visit("GET", "/"+code); r.status != http.StatusFound {
		t.Fatalf("visit before moderation = %d, want 302", r.status)
	}

	for _, link := range []string{short, code} {
		if r := e.do("POST", "/api/v1/reports", "", map[string]any{"link": link, "reason": "phishing for bank logins"}); r.status != http.StatusAccepted {
			t.Fatalf("report %s = %d %s, want 202", link, r.status, r.body)
		}
	}
	queue := e.do("GET", "/api/v1/moderation/queue", e.adminKey, nil)
	items := queue.json(t)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("queue = %s, want the reported link", queue.body)
	}
	item := items[0].(map[string]any)
	if item["link"].(map[string]any)["code"] != code || item["safety"].(map[string]any)["review"] != "reported" ||
		item["safety"].(map[string]any)["reports"] != float64(2) {
		t.Errorf("queue item = %v, want %s reported twice", item, code)
	}
	if r := e.do("GET", "/api/v1/moderation/queue", owner, nil); r.status != http.StatusForbidden {
		t.Errorf("queue for a user = %d, want 403", r.status)
	}

	r := e.do("POST", "/api/v1/moderation/links/"+code, e.adminKey, map[string]any{"decision": "block", "note": "confirmed phishing"})
	if r.status != http.StatusOK || r.json(t)["link"].(map[string]any)["status"] != "blocked" {
		t.Fatalf("block = %d %s, want 200 and status blocked", r.status, r.body)
	}
	if r := e.visit("GET", "/"+code); r.status != http.StatusUnavailableForLegalReasons || r.header.Get("Location") != "" {
		t.Errorf("visit of a blocked link = %d Location %q, want 451 without a redirect", r.status, r.header.Get("Location"))
	}
	if r := e.do("POST", "/api/v1/reports", "", map[string]any{"link": code, "reason": "still bad"}); r.status != http.StatusAccepted {
		t.Errorf("report of a blocked link = %d, want 202", r.status)
	}
	if items := e.do("GET", "/api/v1/moderation/queue", e.adminKey, nil).json(t)["items"].([]any); len(items) != 0 {
		t.Errorf("queue after the block = %v, want empty (a blocked link is not queued by reports)", items)
	}

	appeal := map[string]any{"message": "this is my bank's real login page"}
	if r := e.do("POST", "/api/v1/links/"+code+"/appeal", other, appeal); r.status != http.StatusNotFound {
		t.Errorf("appeal by another user = %d, want 404", r.status)
	}
	if r := e.do("POST", "/api/v1/links/"+code+"/appeal", owner, appeal); r.status != http.StatusAccepted {
		t.Fatalf("appeal = %d %s, want 202", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/links/"+code+"/appeal", owner, appeal); r.status != http.StatusConflict {
		t.Errorf("second appeal = %d, want 409", r.status)
	}
	items = e.do("GET", "/api/v1/moderation/queue", e.adminKey, nil).json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["safety"].(map[string]any)["review"] != "appeal" {
		t.Fatalf("queue after the appeal = %v, want the link as an appeal", items)
	}
	if r := e.do("POST", "/api/v1/moderation/links/"+code, e.adminKey, map[string]any{"decision": "approve", "note": "verified with the bank"}); r.status != http.StatusOK {
		t.Fatalf("approve = %d %s", r.status, r.body)
	}
	if r := e.visit("GET", "/"+code); r.status != http.StatusFound {
		t.Errorf("visit after the appeal was granted = %d, want 302", r.status)
	}
	active := e.create(owner, map[string]any{"url": "https://example.net/fine"})
	if r := e.do("POST", "/api/v1/links/"+active["code"].(string)+"/appeal", owner, appeal); r.status != http.StatusConflict {
		t.Errorf("appeal of an active link = %d, want 409", r.status)
	}

	// The audit log, newest first, in pages of two.
	var actions []string
	before := ""
	for range 5 {
		page := e.do("GET", "/api/v1/moderation/audit?limit=2&link="+code+before, e.adminKey, nil).json(t)
		for _, en := range page["entries"].([]any) {
			actions = append(actions, en.(map[string]any)["action"].(string))
		}
		if page["next_before"] == nil {
			break
		}
		before = fmt.Sprintf("&before=%d", int64(page["next_before"].(float64)))
	}
	if got, want := strings.Join(actions, " "), "approved appealed reported blocked reported reported"; got != want {
		t.Errorf("audit log of the link = %s, want %s", got, want)
	}

	q := e.do("GET", "/api/v1/moderation/quality", e.adminKey, nil).json(t)
	for k, want := range map[string]any{"missed": float64(1), "appeals_decided": float64(1), "appeals_granted": float64(1),
		"appeal_overturn_rate": float64(1), "recall": float64(0), "precision": nil, "reviewed": float64(0)} {
		if q[k] != want {
			t.Errorf("quality %s = %v, want %v", k, q[k], want)
		}
	}
	if r := e.do("GET", "/api/v1/moderation/quality", owner, nil); r.status != http.StatusForbidden {
		t.Errorf("quality for a user = %d, want 403", r.status)
	}

	for _, tt := range []struct {
		name, method, path, key string
		body                    any
		status                  int
		field                   string
	}{
		{"unknown decision", "POST", "/api/v1/moderation/links/" + code, e.adminKey, map[string]any{"decision": "maybe"}, 400, "decision"},
		{"decision by a user", "POST", "/api/v1/moderation/links/" + code, owner, map[string]any{"decision": "approve"}, 403, ""},
		{"decision on no link", "POST", "/api/v1/moderation/links/nolink1", e.adminKey, map[string]any{"decision": "block"}, 404, ""},
		{"report without reason", "POST", "/api/v1/reports", "", map[string]any{"link": code, "reason": " "}, 400, "reason"},
		{"report of no link", "POST", "/api/v1/reports", "", map[string]any{"link": "nolink1", "reason": "spam"}, 404, "link"},
		{"report with a huge reason", "POST", "/api/v1/reports", "", map[string]any{"link": code, "reason": strings.Repeat("x", 2001)}, 400, "reason"},
		{"queue limit 0", "GET", "/api/v1/moderation/queue?limit=0", e.adminKey, nil, 400, "limit"},
		{"audit of no link", "GET", "/api/v1/moderation/audit?link=nolink1", e.adminKey, nil, 404, ""},
	} {
		r := e.doRaw(tt.method, tt.path, tt.key, tt.body)
		if r.status != tt.status || r.errorField() != tt.field {
			t.Errorf("%s: %d field %q, want %d field %q (%s)", tt.name, r.status, r.errorField(), tt.status, tt.field, r.body)
		}
	}
	if r := e.doRaw("POST", "/api/v1/reports", "", `{"link":"`+code+`","reason":"x","extra":1}`); r.status != 400 {
		t.Errorf("report with an unknown field = %d, want 400", r.status)
	}
}

func TestReportsAreRateLimited(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.RateLimiter = ratelimit.NewLocal(100)
		c.Limits = Limits{Report: ratelimit.Limit{Rate: 2, Period: time.Hour, Burst: 2}}
	})
	code := e.create(e.adminKey, map[string]any{"url": "https://example.net/reported"})["code"].(string)
	for i := range 3 {
		r := e.do("POST", "/api/v1/reports", "", map[string]any{"link": code, "reason": "spam"})
		want := http.StatusAccepted
		if i == 2 {
			want = http.StatusTooManyRequests
		}
		if r.status != want {
			t.Fatalf("report %d = %d, want %d", i+1, r.status, want)
		}
	}
	l, err := e.store.LinkByID(context.Background(), mustDecode(t, e, code))
	if err != nil {
		t.Fatal(err)
	}
	if l.Safety.Reports != 2 {
		t.Errorf("reports counted = %d, want 2 (the refused one is not)", l.Safety.Reports)
	}
}

// TestSafetyScreening runs creates and edits through the real check (the
// committed URL model and a blocklist): unsafe destinations are refused
// with 422 and audited, ambiguous ones are created flagged behind the
// interstitial and queued, and a moderator's approval is measured.
func TestSafetyScreening(t *testing.T) {
	model := urlscore.Default()
	const ambiguous = "https://secure-update.example-mail.net/account/verify"
	p := model.Score(ambiguous)
	blocklist := feed.SetOf("test-feed", "evil.example")
	checker := abuse.NewChecker(abuse.CheckerConfig{
		Model: model, Feeds: func() *feed.Set { return blocklist },
		ReviewThreshold: p / 2, BlockThreshold: (1 + p) / 2,
	})
	var e *env
	e = newScreenedEnv(t, checker, func(c *Config) {
		c.Collectors = append(c.Collectors, &abuse.Collector{Checker: checker,
			Decisions: func(ctx context.Context) ([]tiny.DecisionCount, error) { return e.store.DecisionCounts(ctx) }})
	})
	user := e.newKey("screened", tiny.RoleUser)

	r := e.do("POST", "/api/v1/links", user, map[string]any{"url": "https://login.evil.example/x"})
	if r.status != http.StatusUnprocessableEntity || r.errorCode() != "unsafe_url" || r.errorField() != "url" {
		t.Fatalf("create of a blocklisted URL = %d %s, want 422 unsafe_url on url", r.status, r.body)
	}
	if strings.Contains(string(r.body), "test-feed") || strings.Contains(string(r.body), "blocklist") {
		t.Errorf("the refusal names the signal to the client: %s", r.body)
	}
	audit := e.do("GET", "/api/v1/moderation/audit", e.adminKey, nil).json(t)["entries"].([]any)
	if len(audit) != 1 || audit[0].(map[string]any)["action"] != "refused" || audit[0].(map[string]any)["actor_id"] == float64(0) ||
		!strings.Contains(audit[0].(map[string]any)["reason"].(string), "evil.example") {
		t.Errorf("audit after a refused create = %v, want one refused entry by the user naming the feed entry", audit)
	}

	flagged := e.create(user, map[string]any{"url": ambiguous})
	code := flagged["code"].(string)
	if flagged["status"] != "flagged" {
		t.Fatalf("create of an ambiguous URL: status %v, want flagged", flagged["status"])
	}
	if r := e.visit("GET", "/"+code, "Accept", "text/html"); r.status != http.StatusOK || !strings.Contains(string(r.body), "secure-update.example-mail.net") {
		t.Errorf("visit of a flagged link = %d, want 200 with an interstitial naming the destination", r.status)
	}
	items := e.do("GET", "/api/v1/moderation/queue", e.adminKey, nil).json(t)["items"].([]any)
	if len(items) != 1 {
		t.Fatalf("queue = %v, want the flagged link", items)
	}
	safety := items[0].(map[string]any)["safety"].(map[string]any)
	if safety["review"] != "flagged" || safety["auto"] != "flagged" || safety["score"].(float64) < p/2 || !strings.Contains(safety["reason"].(string), "url model") {
		t.Errorf("queued safety = %v, want flagged by the check with its score and signals", safety)
	}
	e.do("POST", "/api/v1/moderation/links/"+code, e.adminKey, map[string]any{"decision": "approve"})
	if r := e.visit("GET", "/"+code); r.status != http.StatusFound {
		t.Errorf("visit after approval = %d, want 302", r.status)
	}
	q := e.do("GET", "/api/v1/moderation/quality", e.adminKey, nil).json(t)
	if q["reviewed"] != float64(1) || q["false_positives"] != float64(1) || q["flag_precision"] != float64(0) {
		t.Errorf("quality after approving a flagged link = %v, want 1 reviewed, 1 false positive", q)
	}

	bulk := e.do("POST", "/api/v1/links/bulk", user, map[string]any{"links": []map[string]any{
		{"url": "https://example.net/fine"}, {"url": "https://evil.example/kit"},
	}}).json(t)
	results := bulk["results"].([]any)
	if bulk["created"] != float64(1) || results[1].(map[string]any)["error"].(map[string]any)["code"] != "unsafe_url" {
		t.Errorf("bulk with one blocklisted URL = %v, want it refused with unsafe_url and the other created", bulk)
	}

	fine := e.create(user, map[string]any{"url": "https://example.net/fine-too"})["code"].(string)
	if r := e.do("PATCH", "/api/v1/links/"+fine, user, map[string]any{"url": "https://evil.example/x"}); r.status != http.StatusUnprocessableEntity {
		t.Errorf("PATCH to a blocklisted URL = %d, want 422", r.status)
	}
	r = e.do("PATCH", "/api/v1/links/"+fine, user, map[string]any{"url": ambiguous})
	if r.status != http.StatusOK || r.json(t)["status"] != "flagged" {
		t.Errorf("PATCH to an ambiguous URL = %d %s, want 200 and status flagged", r.status, r.body)
	}
	items = e.do("GET", "/api/v1/moderation/queue", e.adminKey, nil).json(t)["items"].([]any)
	if len(items) != 1 || items[0].(map[string]any)["link"].(map[string]any)["code"] != fine {
		t.Errorf("queue after the edit = %v, want the edited link", items)
	}

	metrics := string(e.visit("GET", "/metrics").body)
	for _, want := range []string{`tiny_safety_checks_total{verdict="blocked"} 3`, `tiny_safety_checks_total{verdict="flagged"} 2`,
		"tiny_safety_reviewed_decisions 1", "tiny_safety_precision 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

// testAuditFilters reads the audit log by actor, action and time, with the
// cursor, and refuses filters it cannot read.
func testAuditFilters(t *testing.T, e *env) {
	mod := e.newKey("audit-mod", tiny.RoleModerator)
	modUser, err := e.store.UserByName(context.Background(), "audit-mod")
	if err != nil {
		t.Fatal(err)
	}
	owner := e.newKey("audit-owner", tiny.RoleUser)
	time.Sleep(5 * time.Millisecond) // after the other tests' entries
	start := time.Now().UTC().Truncate(time.Millisecond)
	var codes []string
	for i := range 3 {
		codes = append(codes, e.create(owner, map[string]any{"url": fmt.Sprintf("https://example.net/audit-%d", i)})["code"].(string))
		if r := e.do("POST", "/api/v1/reports", "", map[string]any{"link": codes[i], "reason": "spam"}); r.status != http.StatusAccepted {
			t.Fatalf("report = %d %s", r.status, r.body)
		}
		if r := e.do("POST", "/api/v1/moderation/links/"+codes[i], mod, map[string]any{"decision": "block"}); r.status != http.StatusOK {
			t.Fatalf("block = %d %s", r.status, r.body)
		}
	}
	type entry struct{ link, action string }
	read := func(query string) (out []entry) {
		t.Helper()
		for before := ""; ; {
			page := e.do("GET", "/api/v1/moderation/audit?limit=2&"+query+before, e.adminKey, nil).json(t)
			for _, en := range page["entries"].([]any) {
				m := en.(map[string]any)
				out = append(out, entry{fmt.Sprint(m["link"]), m["action"].(string)})
			}
			if page["next_before"] == nil || len(out) > 50 {
				return out
			}
			before = fmt.Sprintf("&before=%d", int64(page["next_before"].(float64)))
		}
	}
	from := "from=" + start.Format(time.RFC3339Nano)
	want := func(action string) []entry {
		return []entry{{codes[2], action}, {codes[1], action}, {codes[0], action}}
	}
	for _, tt := range []struct {
		query string
		want  []entry
	}{
		{fmt.Sprintf("actor=%d&%s", modUser.ID, from), want("blocked")},
		{"action=blocked&" + from, want("blocked")},
		{"actor=system&action=reported&" + from, want("reported")},
		{"action=reported,blocked&link=" + codes[1], []entry{{codes[1], "blocked"}, {codes[1], "reported"}}},
		{"action=reported&action=blocked&link=" + codes[1], []entry{{codes[1], "blocked"}, {codes[1], "reported"}}},
		{"actor=system&action=blocked&" + from, nil},
		{"to=" + start.Format(time.RFC3339) + "&" + "from=" + start.Add(-time.Hour).Format(time.RFC3339) + "&action=blocked&actor=" + fmt.Sprint(modUser.ID), nil},
	} {
		if got := read(tt.query); fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("audit log ?%s = %v, want %v", tt.query, got, tt.want)
		}
	}
	for _, tt := range []struct{ query, field string }{
		{"actor=robot", "actor"},
		{"actor=-3", "actor"},
		{"action=blocked,nonsense", "action"},
		{"from=yesterday", "from"},
		{"to=2026-13-01T00:00:00Z", "to"},
		{"from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z", "from"},
	} {
		if r := e.doRaw("GET", "/api/v1/moderation/audit?"+tt.query, e.adminKey, nil); r.status != http.StatusBadRequest || r.errorField() != tt.field {
			t.Errorf("audit log ?%s = %d field %q, want 400 field %q (%s)", tt.query, r.status, r.errorField(), tt.field, r.body)
		}
	}
	if r := e.doRaw("GET", "/api/v1/moderation/audit?action=blocked", owner, nil); r.status != http.StatusForbidden {
		t.Errorf("filtered audit log for a user = %d, want 403", r.status)
	}
}
