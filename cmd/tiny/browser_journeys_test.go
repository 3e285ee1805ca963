package main

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"tiny/internal/qr/qrtest"
)

// A person's journeys through tiny in chromium, with the keyboard where a
// person would type.

// TestBrowserFirstStart follows the operator's first start: the printed
// setup URL creates the admin, who signs out and back in, then shortens a
// link with options, copies it, follows it, sees the click on the link's
// page, downloads its QR code, edits and deletes it.
func TestBrowserFirstStart(t *testing.T) {
	t.Parallel()
	env := startBrowserEnv(t)
	c := newChrome(t, env.base)
	tb := c.newTab("the admin")

	env.openSetup(tb)
	tb.typeInto(`input[name=email]`, "admin@example.com")
	tb.typeInto(`input[name=password]`, e2ePassword)
	tb.enterIn(`input[name=password]`)
	if tb.path() != "/" || !tb.exists(`form[action="/app/links"] input[name=url]`) {
		t.Fatalf("after setup the admin is on %s, want the shorten form on /: %s", tb.path(), tb.text("main"))
	}

	tb.clickAndWait(`form[action="/app/signout"] button`)
	if !strings.HasPrefix(tb.path(), "/signin") {
		t.Fatalf("after signing out the admin is on %s (flash %q), want the sign-in page saying so", tb.path(), tb.text(".flash"))
	}
	tb.signIn("admin@example.com", e2ePassword)
	if tb.path() != "/" || !tb.exists(`form[action="/app/links"] input[name=url]`) {
		t.Fatalf("after signing in the admin is on %s, want the shorten form on /", tb.path())
	}

	// Shorten with options behind "More options"; Enter in a field sends.
	dest := env.dest.URL + "/landing?from=journey"
	tb.typeInto(`#url`, dest)
	tb.click(`details.more summary`)
	tb.typeInto(`#alias`, "journey")
	tb.typeInto(`#tags`, "docs, launch")
	tb.fill(`#redirect`, "302")
	tb.enterIn(`#alias`)
	short := env.base + "/journey"
	created := tb.path()
	if !strings.HasPrefix(created, "/app/links/") || !strings.HasSuffix(created, "/created") {
		t.Fatalf("shortening went to %s, want the created page: %s", created, tb.text("main"))
	}
	linkPage := strings.TrimSuffix(created, "/created")
	if got := tb.text(".created-url"); got != short {
		t.Errorf("the created page shows %q, want %q", got, short)
	}
	for _, want := range []string{"docs", "launch", "302 temporary"} {
		if !strings.Contains(tb.text("main"), want) {
			t.Errorf("the created page does not show %q: %s", want, tb.text("main"))
		}
	}

	// Copy: the button says so, and the clipboard holds the short link.
	// The button says "Copied" for 1.5 s: an observer sees it even when
	// the machine is slow.
	_ = eval[bool](tb, `(function () {
  var b = document.querySelector("button[data-copy]");
  new MutationObserver(function () { if (b.textContent === "Copied") window.__tinyCopied = true; }).observe(b, {childList: true, characterData: true, subtree: true});
  return true;
})()`)
	tb.click(`button[data-copy]`)
	tb.waitFor(`the copy button to say "Copied"`, `window.__tinyCopied === true`)
	if got := eval[string](tb, `navigator.clipboard.readText()`); got != short {
		t.Errorf("the clipboard holds %q after copying, want %q", got, short)
	}

	// Follow the short link in the browser: it lands on the destination.
	tb.clickAndWait(`.created-url a`)
	if got := eval[string](tb, `location.href`); got != dest || tb.text("h1") != "You have arrived" {
		t.Fatalf("following the short link landed on %s (%q), want %s", got, tb.text("h1"), dest)
	}

	// The link's page shows the click, in the figures and the table,
	// within a few seconds (clicks are written in batches).
	deadline := time.Now().Add(20 * time.Second)
	for {
		tb.open(linkPage)
		if tb.text(".figure strong") == "1" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the link's page shows %q human clicks 20 s after the visit, want 1", tb.text(".figure strong"))
		}
		time.Sleep(250 * time.Millisecond)
	}
	tb.waitFor("the chart", `document.querySelector("#lp-chart canvas") !== null`)
	if got := eval[int](tb, `Array.prototype.reduce.call(document.querySelectorAll("#lp-table tbody tr td:nth-of-type(1)"), function (n, td) { return n + (+td.textContent); }, 0)`); got != 1 {
		t.Errorf("the table of clicks adds up to %d human clicks, want 1", got)
	}

	// Download the QR code as PNG: it reads back as the short link.
	tb.fill(`#qr-size`, "256")
	tb.click(`button[name=format][value=png]`)
	img, err := png.Decode(bytes.NewReader(tb.download(".png")))
	if err != nil {
		t.Fatalf("the downloaded QR code is not a PNG: %v", err)
	}
	if got := decodeQR(t, img); got != short {
		t.Errorf("the downloaded QR code reads %q, want %q", got, short)
	}

	// Edit the title, then delete the link.
	tb.click(`details#edit summary`)
	tb.fill(`#edit-title`, "")
	tb.typeInto(`#edit-title`, "The journey's page")
	tb.enterIn(`#edit-title`)
	if tb.path() != linkPage || tb.text("h1") != "The journey's page" {
		t.Errorf("after editing the title the page is %s with heading %q, want %s with the new title", tb.path(), tb.text("h1"), linkPage)
	}
	tb.clickAndWait(`form.lp-delete button`)
	if tb.path() != "/app/links" {
		t.Errorf("after deleting the link the page is %s, want the list of links", tb.path())
	}
	if status := tb.open("/journey"); status != http.StatusGone {
		t.Errorf("the deleted short link answers %d, want 410", status)
	}
}

// decodeQR reads the QR code in img, as a phone would.
func decodeQR(t *testing.T, img image.Image) string {
	t.Helper()
	text, err := qrtest.Decode(img)
	if err != nil {
		t.Fatal(err)
	}
	return text
}

// TestBrowserSessionExpiry lets a session go idle: the next action, a
// form or a link, asks to sign in again, and signing in comes back to the
// page.
func TestBrowserSessionExpiry(t *testing.T) {
	t.Parallel()
	const idle = 2 * time.Second
	env := startBrowserEnv(t, "--session-idle", idle.String())
	env.addUser(t, "mia@example.com", "member")
	c := newChrome(t, env.base)
	tb := c.newTab("a member")
	tb.signIn("mia@example.com", e2ePassword)
	if tb.path() != "/" {
		t.Fatalf("after signing in the member is on %s, want /", tb.path())
	}

	time.Sleep(idle + 300*time.Millisecond)
	tb.fill(`input[name=url]`, env.dest.URL+"/landing")
	tb.enterIn(`input[name=url]`)
	if got := tb.path(); got != "/signin?next=%2F" {
		t.Fatalf("shortening after %v idle went to %s, want the sign-in page, back to /", idle, got)
	}
	tb.signIn("mia@example.com", e2ePassword)
	if tb.path() != "/" {
		t.Errorf("signing in again went to %s, want / where the form was", tb.path())
	}

	time.Sleep(idle + 300*time.Millisecond)
	tb.clickAndWait(`nav a[href="/app/links"]`)
	if got := tb.path(); got != "/signin?next=%2Fapp%2Flinks" {
		t.Fatalf("opening Links after %v idle went to %s, want the sign-in page, back to /app/links", idle, got)
	}
	tb.signIn("mia@example.com", e2ePassword)
	if tb.path() != "/app/links" {
		t.Errorf("signing in again went to %s, want /app/links", tb.path())
	}
}

// TestBrowserModeratorBlocksReportedLink has a visitor report a link from
// its preview page; a moderator blocks it from the review queue with a
// note; the next visitor who follows it gets the warning page.
func TestBrowserModeratorBlocksReportedLink(t *testing.T) {
	t.Parallel()
	env := startBrowserEnv(t)
	env.addUser(t, "mo@example.com", "moderator")
	code := env.link(t, map[string]any{"url": env.dest.URL + "/prize"})["code"].(string)
	c := newChrome(t, env.base)

	visitor := c.newTab("a visitor")
	if status := visitor.open("/" + code + "+"); status != 200 {
		t.Fatalf("the preview page = %d, want 200", status)
	}
	visitor.click(`details.report summary`)
	visitor.fill(`#report-reason`, "phishing")
	visitor.typeInto(`#report-details`, "It asks for my bank password.")
	visitor.clickAndWait(`.report-form button[type=submit]`)
	if visitor.path() != "/app/report/sent" || visitor.text("h1") != "Thank you" {
		t.Fatalf("reporting went to %s (%q), want the thanks", visitor.path(), visitor.text("h1"))
	}

	mod := c.newTab("the moderator")
	mod.signIn("mo@example.com", e2ePassword)
	mod.clickAndWait(`nav a[href="/app/moderation"]`)
	entry := `article.queue-entry[aria-labelledby="e-` + code + `"]`
	if !mod.exists(entry) {
		t.Fatalf("the review queue has no entry for %s: %s", code, mod.text("main"))
	}
	if got := mod.text(entry + " .history"); !strings.Contains(got, "phishing") {
		t.Errorf("the queue entry shows the reports %q, want the visitor's phishing report", got)
	}
	mod.typeInto(entry+" textarea[name=note]", "Phishing for bank passwords.")
	mod.clickAndWait(entry + ` button[value=block]`)
	if mod.exists(entry) {
		t.Errorf("the blocked link is still in the queue")
	}

	next := c.newTab("the next visitor")
	if status := next.open("/" + code); status != http.StatusUnavailableForLegalReasons {
		t.Errorf("following the blocked link = %d, want 451", status)
	}
	if h1 := next.text("h1"); h1 != "This link has been blocked" {
		t.Errorf("following the blocked link shows %q, want the warning page", h1)
	}
	if strings.Contains(next.text("main"), env.dest.URL) {
		t.Errorf("the warning page shows the destination: %s", next.text("main"))
	}
}

// TestBrowserMemberIsolation: a member opens their own link's page, but
// another member's is not found, and the admin pages are refused; the
// menu offers them no admin page either.
func TestBrowserMemberIsolation(t *testing.T) {
	t.Parallel()
	env := startBrowserEnv(t)
	env.addUser(t, "mia@example.com", "member")
	env.addUser(t, "max@example.com", "member")
	secret := env.dest.URL + "/mias-private-page"
	code := env.linkOf(t, env.sessionOf(t, "mia@example.com"), map[string]any{"url": secret})["code"].(string)
	c := newChrome(t, env.base)

	mia := c.newTab("mia")
	mia.signIn("mia@example.com", e2ePassword)
	if status := mia.open("/app/links/" + code); status != 200 || !strings.Contains(mia.text("main"), secret) {
		t.Fatalf("mia opening her own link's page = %d, want 200 with its destination", status)
	}

	max := c.newTab("max")
	max.signIn("max@example.com", e2ePassword)
	if status := max.open("/app/links/" + code); status != http.StatusNotFound {
		t.Errorf("max opening mia's link page = %d, want 404", status)
	}
	if strings.Contains(max.text("main"), secret) {
		t.Errorf("max sees the destination of mia's link: %s", max.text("main"))
	}
	if max.exists(`nav a[href="/app/admin"]`) {
		t.Errorf("the menu offers a member the admin page")
	}
	for _, path := range []string{"/app/admin", "/app/admin/users/1"} {
		if status := max.open(path); status != http.StatusForbidden && status != http.StatusNotFound {
			t.Errorf("max opening %s = %d, want it refused (403 or 404)", path, status)
		}
		if max.exists(`form[action^="/app/admin"]`) || !strings.Contains(max.text("main"), "Error 40") {
			t.Errorf("max opening %s sees %q, want the error page", path, max.text("main"))
		}
	}
}

// TestBrowserImportPageUpdatesInPlace: a member imports from a Kutt
// server that answers slowly. The running job's page takes in the news
// without reloading, so the focus stays on its cancel button; when the job
// ends, the page says so and the focus goes to that news, not to the top.
func TestBrowserImportPageUpdatesInPlace(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	kutt := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
		page := "kutt_page2.json"
		if r.URL.Query().Get("skip") == "0" {
			page = "kutt_page1.json"
		}
		http.ServeFile(w, r, importFixture(page))
	}))
	t.Cleanup(kutt.Close)
	env := startBrowserEnv(t)
	env.addUser(t, "mia@example.com", "member")
	c := newChrome(t, env.base)
	mia := c.newTab("mia")
	mia.signIn("mia@example.com", e2ePassword)

	mia.open("/app/links/import")
	mia.fill(`#import-format`, "kutt-api")
	mia.fill(`#import-url`, kutt.URL)
	mia.fill(`#import-token`, "kutt-key")
	mia.clickAndWait(`form.import-form button[type=submit]`)
	if !mia.exists(`.import-job[data-refresh]`) {
		close(release)
		t.Fatalf("after starting the import %s is on %s, want the running job's page: %s", mia.name, mia.path(), mia.text("main"))
	}
	// The running page passes axe too (the pages test checks it ended).
	for _, p := range mia.axe() {
		t.Errorf("the running job's page: %s", p)
	}
	mia.screenshot("import-job-running")
	_ = eval[bool](mia, `window.__samePage = true; document.querySelector("label[for=import-progress]").dataset.old = "1"; true`)
	mia.do(chromedp.Focus(chromedp.CSS(`.import-job form button`)))
	mia.waitFor("the figures of the running job to be fetched again", `!document.querySelector("label[for=import-progress]").dataset.old`)
	if !eval[bool](mia, `window.__samePage === true`) {
		t.Errorf("the running job's page reloaded")
	}
	if !eval[bool](mia, `document.activeElement.matches(".import-job form button")`) {
		t.Errorf("the focus left the cancel button while the job ran")
	}

	close(release)
	mia.waitFor("the job to end", `!document.querySelector(".import-job[data-refresh]")`)
	mia.checkProblems()
	if !eval[bool](mia, `window.__samePage === true`) {
		t.Errorf("the page reloaded when the job ended")
	}
	if got := mia.text(".import-state .badge"); got != "Done" {
		t.Errorf("the ended job's state = %q, want Done: %s", got, mia.text("main"))
	}
	if got := mia.text(".figures .figure .number"); got != "2" {
		t.Errorf("the ended job shows %q imported, want 2: %s", got, mia.text("main"))
	}
	if !mia.exists(`#skipped`) || !mia.exists(`main a.button[href="/app/links"]`) || mia.exists(`.import-job form`) {
		t.Errorf("the ended job's page lacks its skipped list or its link to the links, or still offers to cancel: %s", mia.text("main"))
	}
	if !eval[bool](mia, `document.activeElement.matches(".import-state")`) {
		t.Errorf("after the cancel button went, the focus is on %s, want the job's state", eval[string](mia, `document.activeElement.outerHTML.slice(0, 80)`))
	}
}

// TestBrowserWithoutJavaScript: with scripts off, a member still signs in,
// switches the theme, shortens with options, finds the link in the list
// and deletes it after the server's own question.
func TestBrowserWithoutJavaScript(t *testing.T) {
	t.Parallel()
	env := startBrowserEnv(t)
	env.addUser(t, "mia@example.com", "member")
	c := newChrome(t, env.base)
	tb := c.newTab("mia without JavaScript")
	tb.call(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return err
	})
	tb.signIn("mia@example.com", e2ePassword)
	if tb.path() != "/" {
		t.Fatalf("after signing in mia is on %s, want /", tb.path())
	}

	tb.clickAndWait(`#theme-switch`)
	if got := eval[string](tb, `document.documentElement.getAttribute("data-theme") || ""`); got != "dark" {
		t.Errorf("the theme switch without JavaScript gave the theme %q, want dark", got)
	}

	tb.fill(`#url`, env.dest.URL+"/no-script")
	tb.click(`details.more summary`)
	tb.fill(`#alias`, "plain")
	tb.fill(`#tags`, "offline")
	tb.enterIn(`#alias`)
	if !strings.HasSuffix(tb.path(), "/created") || tb.text(".created-url") != env.base+"/plain" {
		t.Fatalf("shortening without JavaScript went to %s showing %q, want the created page of /plain", tb.path(), tb.text(".created-url"))
	}

	code := strings.TrimSuffix(strings.TrimPrefix(tb.path(), "/app/links/"), "/created")
	box := `table.links input[name=code][value="` + code + `"]`
	tb.clickAndWait(`nav a[href="/app/links"]`)
	tb.fill(`#filter-tag`, "offline")
	tb.enterIn(`#filter-tag`)
	if !strings.Contains(tb.path(), "tag=offline") || !tb.exists(box) {
		t.Fatalf("the list filtered by the tag (%s) has no %s: %s", tb.path(), code, tb.text("main"))
	}
	tb.click(box)
	tb.clickAndWait(`button[name=action][value=delete]`)
	if h1 := tb.text("h1"); h1 != "Delete 1 link?" {
		t.Fatalf("Delete without JavaScript shows %q, want the server's question", h1)
	}
	tb.clickAndWait(`form.actions button[type=submit]`)
	if !strings.HasPrefix(tb.path(), "/app/links") || tb.exists(box) {
		t.Errorf("after deleting, the page is %s and still lists %s", tb.path(), code)
	}
	if status := tb.open("/plain"); status != http.StatusGone {
		t.Errorf("the deleted /plain answers %d, want 410", status)
	}
}
