package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"
)

// browserEnv is a tiny for the browser tests: a fresh database whose
// setup URL is unspent, the initial admin key, and a local destination
// site that the allowlist lets links lead to.
type browserEnv struct {
	p        *process
	base     string
	db       string
	dest     *httptest.Server
	setupURL string
	key      string // the admin key the first start printed
}

var printedKey = regexp.MustCompile(`tiny_[A-Za-z0-9_-]{20,}`)

// destinationPage is where the local destination site's links land.
const destinationPage = "<!doctype html><html lang=en><title>Destination</title><h1>You have arrived</h1>"

func startBrowserEnv(t *testing.T, flags ...string) *browserEnv {
	t.Helper()
	dest := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, destinationPage)
	}))
	t.Cleanup(dest.Close)
	dir := t.TempDir()
	allow := filepath.Join(dir, "allowlist.txt")
	if err := os.WriteFile(allow, []byte(dest.URL+"/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "tiny.db")
	addr := freeAddr(t)
	args := append([]string{"--database", db, "--allow-private-destinations", "--allowlist", allow}, flags...)
	p := startTinyWith(t, addr, args)
	env := &browserEnv{p: p, base: "http://" + addr, db: db, dest: dest}
	deadline := time.Now().Add(2 * time.Second)
	for env.setupURL == "" || env.key == "" {
		if time.Now().After(deadline) {
			t.Fatalf("the first start printed no setup URL or admin key; stdout:\n%s", p.stdout)
		}
		env.setupURL = setupURL.FindString(p.stdout.String())
		env.key = printedKey.FindString(p.stdout.String())
		time.Sleep(10 * time.Millisecond)
	}
	return env
}

// enrolTOTP turns two-factor sign-in on for email through the API.
func (env *browserEnv) enrolTOTP(t *testing.T, email string) {
	t.Helper()
	b := browser{t, env.p.addr}
	session := b.signIn(email, e2ePassword)
	status, body, _ := b.call("POST", "/api/v1/account/totp", session, nil)
	secret, _ := body["secret"].(string)
	if status != 200 || secret == "" {
		t.Fatalf("enrolling %s = %d %v", email, status, body)
	}
	code, _ := totp.GenerateCode(secret, time.Now())
	if status, body, _ := b.call("POST", "/api/v1/account/totp/confirm", session, map[string]string{"code": code}); status != 200 {
		t.Fatalf("confirming %s's authenticator = %d %v", email, status, body)
	}
}

// openSetup opens the setup URL the first start printed in tb.
func (env *browserEnv) openSetup(tb *tab) {
	tb.t.Helper()
	if status := tb.open(env.setupURL); status != 200 {
		tb.t.Fatalf("the setup URL = %d, want 200", status)
	}
}

// addUser creates a user with `tiny admin create-user`.
func (env *browserEnv) addUser(t *testing.T, email, role string) {
	t.Helper()
	runAdmin(t, e2ePassword+"\n", "create-user", "--database", env.db, "--email", email, "--role", role, "--password-stdin")
}

// api calls the API with the admin key and returns the status and the
// decoded answer.
func (env *browserEnv) api(t *testing.T, method, path string, body any) (int, map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, env.base+path, bytes.NewReader(raw))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+env.key)
	resp, err := noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// sessionOf signs email in through the API and returns the session.
func (env *browserEnv) sessionOf(t *testing.T, email string) string {
	t.Helper()
	return browser{t, env.p.addr}.signIn(email, e2ePassword)
}

// linkOf creates a link with the session of its owner and returns it.
func (env *browserEnv) linkOf(t *testing.T, session string, body map[string]any) map[string]any {
	t.Helper()
	status, l, _ := browser{t, env.p.addr}.call("POST", "/api/v1/links", session, body)
	if status != http.StatusCreated {
		t.Fatalf("creating %v = %d %v", body, status, l)
	}
	return l
}

// userID returns the id of the user of email, as text.
func (env *browserEnv) userID(t *testing.T, email string) string {
	t.Helper()
	status, body := env.api(t, "GET", "/api/v1/users", nil)
	users, _ := body["users"].([]any)
	for _, u := range users {
		if u, _ := u.(map[string]any); u["email"] == email {
			return fmt.Sprint(u["id"])
		}
	}
	t.Fatalf("GET /api/v1/users = %d without %s: %v", status, email, body)
	return ""
}

// link creates a link with the admin key and returns it.
func (env *browserEnv) link(t *testing.T, body map[string]any) map[string]any {
	t.Helper()
	status, l := env.api(t, "POST", "/api/v1/links", body)
	if status != http.StatusCreated {
		t.Fatalf("creating %v = %d %v", body, status, l)
	}
	return l
}

// waitForClicks waits until the link code has a stored click of any kind.
func (env *browserEnv) waitForClicks(t *testing.T, code string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		status, body := env.api(t, "GET", "/api/v1/links/"+code+"/stats", nil)
		totals, _ := body["totals"].(map[string]any)
		if status == http.StatusOK {
			if n, _ := totals["clicks"].(float64); n > 0 {
				return
			}
			if n, _ := totals["bot_clicks"].(float64); n > 0 {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("GET /api/v1/links/%s/stats = %d %v 20 s after the click, want a click", code, status, body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// block blocks the link code with the admin key.
func (env *browserEnv) block(t *testing.T, code string) {
	t.Helper()
	if status, body := env.api(t, "POST", "/api/v1/moderation/links/"+code, map[string]string{"decision": "block", "note": "test"}); status != http.StatusOK {
		t.Fatalf("blocking %s = %d %v", code, status, body)
	}
}

// previewBot is the user agent of a chat app's link preview.
const previewBot = "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"

// pageCase is a page to check: whose tab opens which path (placeholders
// in braces name the fixture's links) with which status, and optionally
// what to do there first (send a form wrong, to check the error state).
type pageCase struct {
	name   string
	as     string
	path   string
	status int
	then   func(tb *tab)
	// shows is an element the page must then have (CSS).
	shows string
}

// pages is every page of tiny, reached as its users reach it. The setup
// page is checked before, as it is spent to create the admin.
var pages = []pageCase{
	{name: "home-visitor", as: "visitor", path: "/", status: 200},
	{name: "signin", as: "visitor", path: "/signin", status: 200},
	{name: "signin-refused", as: "visitor", path: "/signin", status: 200, then: func(tb *tab) {
		tb.fill(`input[name=email]`, "nobody@example.com")
		tb.fill(`input[name=password]`, "not the password at all")
		tb.enterIn(`input[name=password]`)
	}, shows: `.error[role=alert]`},
	{name: "signin-second-factor", as: "visitor", path: "/signin", status: 200, then: func(tb *tab) {
		tb.fill(`input[name=email]`, "tess@example.com")
		tb.fill(`input[name=password]`, e2ePassword)
		tb.enterIn(`input[name=password]`)
	}, shows: `input[name=code]`},
	{name: "preview", as: "visitor", path: "/{active}+", status: 200},
	{name: "preview-hidden", as: "visitor", path: "/{password}+", status: 200},
	{name: "interstitial", as: "visitor", path: "/{flagged}", status: 200},
	{name: "blocked", as: "visitor", path: "/{blocked}", status: http.StatusUnavailableForLegalReasons},
	{name: "password", as: "visitor", path: "/{password}", status: 200},
	{name: "password-refused", as: "visitor", path: "/{password}", status: 200, then: func(tb *tab) {
		tb.fill(`input[name=password]`, "the wrong password")
		tb.enterIn(`input[name=password]`)
	}, shows: `#link-password[aria-invalid=true]`},
	{name: "protected", as: "bot", path: "/{password}", status: 200},
	{name: "error-404", as: "visitor", path: "/no-such-link", status: 404},
	{name: "home", as: "member", path: "/", status: 200},
	{name: "error-404-signed-in", as: "member", path: "/app/no-such-page", status: 404},
	{name: "home-more-options", as: "member", path: "/", status: 200, then: func(tb *tab) {
		tb.click(`details.more summary`)
	}, shows: `details.more[open]`},
	{name: "home-refused", as: "member", path: "/", status: 200, then: func(tb *tab) {
		tb.fill(`#url`, "not a web address")
		tb.click(`details.more summary`)
		tb.fill(`#alias`, "no spaces allowed")
		tb.enterIn(`#url`)
	}, shows: `#url[aria-invalid=true]`},
	{name: "created", as: "member", path: "/app/links/{mia}/created", status: 200},
	{name: "links", as: "member", path: "/app/links", status: 200},
	{name: "links-empty", as: "member2", path: "/app/links", status: 200},
	{name: "links-everyone", as: "admin", path: "/app/links?all=1", status: 200},
	{name: "links-delete-question", as: "member", path: "/app/links", status: 200, then: func(tb *tab) {
		// The question a browser without JavaScript gets: the form is
		// sent past links.js, which asks with a dialog instead.
		tb.navigatesBy(chromedp.Evaluate[chromedp.Void](`(function () {
  var f = document.querySelector("form.links-bulk");
  f.querySelector("input[name=code]").checked = true;
  var a = document.createElement("input");
  a.type = "hidden"; a.name = "action"; a.value = "delete";
  f.appendChild(a);
  HTMLFormElement.prototype.submit.call(f);
})()`))
	}, shows: `form input[name=action][value=delete]`},
	{name: "link-page", as: "member", path: "/app/links/{mia}", status: 200, then: func(tb *tab) {
		tb.waitFor("the chart", `document.querySelector("#lp-chart canvas") !== null`)
	}, shows: `#lp-table:not([open])`},
	// The table of clicks scrolls within the page: a keyboard must reach it.
	{name: "link-page-table", as: "member", path: "/app/links/{mia}", status: 200, then: func(tb *tab) {
		tb.waitFor("the chart", `document.querySelector("#lp-chart canvas") !== null`)
		tb.click(`#lp-table summary`)
	}, shows: `#lp-table[open]`},
	{name: "link-page-no-clicks", as: "member", path: "/app/links/{mia2}", status: 200},
	{name: "link-page-edit-refused", as: "member", path: "/app/links/{mia2}", status: 200, then: func(tb *tab) {
		tb.click(`details#edit summary`)
		tb.fill(`#edit-url`, "ftp://example.com/file")
		tb.enterIn(`#edit-title`)
	}, shows: `#edit-url[aria-invalid=true]`},
	{name: "link-page-blocked", as: "admin", path: "/app/links/{blocked}", status: 200},
	{name: "link-page-moderator", as: "moderator", path: "/app/links/{flagged}", status: 200},
	{name: "extras", as: "member", path: "/app/extras", status: 200},
	{name: "import", as: "member", path: "/app/links/import", status: 200},
	{name: "import-refused", as: "member", path: "/app/links/import", status: 200, then: func(tb *tab) {
		tb.clickAndWait(`form.import-form button[type=submit]`) // no file chosen
	}, shows: `[aria-invalid=true]`},
	{name: "import-job", as: "member", path: "/app/links/import", status: 200, then: func(tb *tab) {
		file, _ := filepath.Abs("../../internal/importer/testdata/shlink.csv")
		tb.fill(`#import-format`, "shlink-csv")
		tb.do(chromedp.SetUploadFiles(chromedp.CSS(`#import-file`), []string{file}))
		tb.clickAndWait(`form.import-form button[type=submit]`)
		// The page changes when the job ends; it is checked as it stays.
		tb.waitFor("the import to end", `!document.querySelector(".import-job[data-refresh]")`)
	}, shows: `#import-progress`},
	{name: "report", as: "visitor", path: "/app/report", status: 200},
	{name: "report-refused", as: "visitor", path: "/app/report", status: 200, then: func(tb *tab) {
		tb.fill(`#report-link`, "no-such-link")
		tb.fill(`#report-reason`, "spam")
		tb.clickAndWait(`.report-form button[type=submit]`)
	}, shows: `#report-link[aria-invalid=true]`},
	{name: "report-sent", as: "visitor", path: "/app/report/sent", status: 200},
	{name: "moderation-queue", as: "moderator", path: "/app/moderation", status: 200},
	{name: "moderation-destinations", as: "moderator", path: "/app/moderation/destinations", status: 200},
	{name: "moderation-audit", as: "moderator", path: "/app/moderation/audit", status: 200},
	{name: "moderation-quality", as: "moderator", path: "/app/moderation/quality", status: 200},
	{name: "account", as: "member", path: "/app/account", status: 200},
	{name: "account-refused", as: "member", path: "/app/account", status: 200, then: func(tb *tab) {
		tb.fill(`#current_password`, "not my password at all")
		tb.fill(`#new_password`, "a new long passphrase")
		tb.fill(`#repeat_password`, "a new long passphrase")
		tb.enterIn(`#repeat_password`)
	}, shows: `#current_password[aria-invalid=true]`},
	{name: "account-two-factor", as: "member2", path: "/app/account", status: 200, then: func(tb *tab) {
		tb.clickAndWait(`form[action="/app/account/two-factor"] button`)
	}, shows: `img, svg`},
	{name: "keys", as: "member", path: "/app/account/keys", status: 200},
	{name: "keys-created", as: "member", path: "/app/account/keys", status: 200, then: func(tb *tab) {
		tb.fill(`#key-name`, "Deploy script")
		tb.enterIn(`#key-name`)
	}, shows: `#key-secret`},
	{name: "admin", as: "admin", path: "/app/admin", status: 200},
	{name: "admin-user", as: "admin", path: "/app/admin/users/{mia-id}", status: 200},
}

// TestBrowserPages opens every page in chromium as its users see it and
// gives each the checks of checkPage: axe-core in both themes, the
// keyboard, screenshots at 1280 and 390 px, light and dark.
func TestBrowserPages(t *testing.T) {
	t.Parallel()
	env := startBrowserEnv(t)
	c := newChrome(t, env.base)

	admin := c.newTab("the admin")
	env.openSetup(admin)
	admin.checkPage("setup")
	admin.open(env.setupURL)
	admin.fill(`input[name=email]`, "admin@example.com")
	admin.fill(`input[name=password]`, "short")
	admin.enterIn(`input[name=password]`)
	if !admin.exists(`[aria-invalid=true]`) {
		t.Errorf("setup with a short password shows no field in error: %s", admin.text("main"))
	}
	admin.checkPage("setup-refused")
	admin.open(env.setupURL)
	admin.fill(`input[name=email]`, "admin@example.com")
	admin.fill(`input[name=password]`, e2ePassword)
	admin.enterIn(`input[name=password]`)
	if admin.path() != "/" || !admin.exists(`form[action="/app/links"]`) {
		t.Fatalf("after setup the admin is on %s, want the shorten form on /", admin.path())
	}

	env.addUser(t, "mia@example.com", "member")
	env.addUser(t, "max@example.com", "member")
	env.addUser(t, "mo@example.com", "moderator")
	env.addUser(t, "tess@example.com", "member")
	env.enrolTOTP(t, "tess@example.com")
	tabs := map[string]*tab{"admin": admin, "visitor": c.newTab("a visitor"), "bot": c.newTab("a link preview bot")}
	tabs["bot"].call(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: previewBot})
		return err
	})
	for as, email := range map[string]string{"member": "mia@example.com", "member2": "max@example.com", "moderator": "mo@example.com"} {
		tabs[as] = c.newTab(as)
		tabs[as].signIn(email, e2ePassword)
	}

	dest := env.dest.URL + "/landing"
	codes := map[string]string{
		"active":   env.link(t, map[string]any{"url": dest, "title": "A page that is fine"})["code"].(string),
		"password": env.link(t, map[string]any{"url": dest, "password": "open sesame please"})["code"].(string),
		"blocked":  env.link(t, map[string]any{"url": dest + "?blocked"})["code"].(string),
	}
	env.block(t, codes["blocked"])
	// The model flags this URL (see docs/safety.md); the admin's links
	// are scored on the URL alone.
	flagged := env.link(t, map[string]any{"url": "http://example.net/account/verify"})
	if flagged["status"] != "flagged" {
		t.Fatalf("http://example.net/account/verify was not flagged (%v); the interstitial needs a flagged link", flagged["status"])
	}
	codes["flagged"] = flagged["code"].(string)
	// The queue shows reports, the blocks page a block.
	for _, reason := range []string{"phishing: asks for my bank login", "spam"} {
		if status, body := env.api(t, "POST", "/api/v1/reports", map[string]string{"link": codes["flagged"], "reason": reason}); status >= 300 {
			t.Fatalf("reporting %s = %d %v", codes["flagged"], status, body)
		}
	}
	if status, body := env.api(t, "POST", "/api/v1/moderation/destinations", map[string]string{"kind": "domain", "value": "bad.example", "note": "phishing kit"}); status >= 300 {
		t.Fatalf("blocking a destination = %d %v", status, body)
	}
	codes["mia-id"] = env.userID(t, "mia@example.com")
	mia := env.sessionOf(t, "mia@example.com")
	codes["mia"] = env.linkOf(t, mia, map[string]any{
		"url":   dest + "/" + strings.Repeat("a-rather-long-path-segment/", 12) + "?utm_source=newsletter&utm_medium=email",
		"title": "The spring newsletter, with a title long enough to wrap on a phone",
		"tags":  []string{"newsletter", "spring", "email", "campaign-2026", "team-marketing", "long-tag-name-here"},
	})["code"].(string)
	codes["mia2"] = env.linkOf(t, mia, map[string]any{"url": dest + "?no-clicks"})["code"].(string)
	// A person's click on mia's link, for the link page's chart and its
	// table. Clicks are written in batches, so wait until it is stored:
	// the link page is checked with its chart, never by luck without.
	tabs["visitor"].open(env.base + "/" + codes["mia"])
	env.waitForClicks(t, codes["mia"])

	// Each person's pages run in a subtest of their own, in parallel with
	// the others': they wait on the browser more than on the processor.
	byPerson := map[string][]pageCase{}
	for _, pc := range pages {
		if tabs[pc.as] == nil {
			t.Fatalf("page %s: no tab for %q", pc.name, pc.as)
		}
		byPerson[pc.as] = append(byPerson[pc.as], pc)
	}
	for as, cases := range byPerson {
		t.Run(as, func(t *testing.T) {
			t.Parallel()
			tb := tabs[as].in(t)
			for _, pc := range cases {
				path := pc.path
				for k, v := range codes {
					path = strings.ReplaceAll(path, "{"+k+"}", v)
				}
				if status := tb.open(path); status != pc.status {
					t.Errorf("page %s: %s opening %s = %d, want %d", pc.name, tb.name, path, status, pc.status)
					continue
				}
				if pc.then != nil {
					pc.then(tb)
				}
				if pc.shows != "" && !tb.exists(pc.shows) {
					t.Errorf("page %s: %s on %s has no %s: %s", pc.name, tb.name, tb.path(), pc.shows, tb.text("main"))
				}
				tb.checkPage(pc.name)
			}
		})
	}
}
