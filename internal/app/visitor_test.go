package app

import (
	"net/http"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// The data package web gives the visitors' pages, field for field.
type (
	testLinkPage struct {
		Page
		Link     *tiny.Link
		ShortURL string
		Hidden   bool
	}
	testPasswordPage struct {
		Page
		ShortURL, Action, CSRF, Error string
	}
	testProtectedPage struct {
		Page
		ShortURL          string
		Password, OneTime bool
	}
)

const short = "https://t.example/abc1234"

func visitorLink(status tiny.LinkStatus) *tiny.Link {
	return &tiny.Link{ID: 7, Code: "abc1234", URL: hostileURL, Status: status, CreatedAt: created, Clicks: 0,
		Safety: tiny.Safety{Reason: "model score 0.9; secret signal", Review: tiny.ReviewFlagged}}
}

// hasReportForm asserts the page carries the report form of the link.
func hasReportForm(t *testing.T, body string) {
	t.Helper()
	for _, want := range []string{"<summary>Report this link</summary>", `action="/app/report"`, `name="link" value="` + short + `"`,
		`<option value="phishing">`, `<option value="malware">`, `<option value="spam">`, `<option value="other">`, `name="details"`} {
		if !strings.Contains(body, want) {
			t.Errorf("report form lacks %q", want)
		}
	}
}

func TestPreviewView(t *testing.T) {
	_, body := render(t, "preview.html", &testLinkPage{Page: Page{Title: "Link preview"}, Link: visitorLink(tiny.StatusActive), ShortURL: short}, "")
	hasReportForm(t, body)
	if !strings.Contains(body, "&lt;script&gt;alert(1)") || !strings.Contains(body, "No known problem") || !strings.Contains(body, "Continue to the destination") {
		t.Errorf("preview of an active link:\n%s", body)
	}
	if strings.Contains(body, "<script>alert") || strings.Contains(body, "secret signal") {
		t.Errorf("preview shows raw markup or the moderators' signals")
	}

	_, body = render(t, "preview.html", &testLinkPage{Page: Page{Title: "Link preview"}, Link: visitorLink(tiny.StatusFlagged), ShortURL: short}, "")
	if !strings.Contains(body, "waiting for review") || !strings.Contains(body, `class="button secondary" href="https://evil.example/`) {
		t.Errorf("preview of a flagged link lacks the warning or makes continuing the main button")
	}

	_, body = render(t, "preview.html", &testLinkPage{Page: Page{Title: "Link preview"}, Link: visitorLink(tiny.StatusBlocked), ShortURL: short}, "")
	noHostileMarkup(t, body)
	if strings.Contains(body, "evil.example") || !strings.Contains(body, "Blocked as unsafe") {
		t.Errorf("preview of a blocked link shows its destination or no status")
	}
	hasReportForm(t, body)

	l := visitorLink(tiny.StatusActive)
	l.MaxClicks = 1
	_, body = render(t, "preview.html", &testLinkPage{Page: Page{Title: "Link preview"}, Link: l, ShortURL: short, Hidden: true}, "")
	if strings.Contains(body, "evil.example") || !strings.Contains(body, "one-time link") || !strings.Contains(body, "this uses one of its clicks") {
		t.Errorf("preview of a one-time link shows its destination:\n%s", body)
	}
}

func TestInterstitialView(t *testing.T) {
	_, body := render(t, "interstitial.html", &testLinkPage{Page: Page{Title: "Check this link"}, Link: visitorLink(tiny.StatusFlagged), ShortURL: short}, "")
	hasReportForm(t, body)
	for _, want := range []string{"Check before you continue", "safety check found signs", "&lt;script&gt;alert(1)", "Don't go there", "Continue anyway", `rel="noopener noreferrer nofollow"`} {
		if !strings.Contains(body, want) {
			t.Errorf("interstitial lacks %q", want)
		}
	}
	if strings.Contains(body, "secret signal") || strings.Contains(body, "<script>alert") {
		t.Errorf("interstitial shows the signals or raw markup")
	}
	l := visitorLink(tiny.StatusFlagged)
	l.Safety.Review, l.MaxClicks = tiny.ReviewReported, 1
	_, body = render(t, "interstitial.html", &testLinkPage{Page: Page{Title: "Check this link"}, Link: l, ShortURL: short, Hidden: true}, "")
	if strings.Contains(body, "evil.example") || !strings.Contains(body, "Someone reported it") || !strings.Contains(body, `href="/abc1234?confirm=1"`) {
		t.Errorf("interstitial of a reported one-time link:\n%s", body)
	}
}

func TestBlockedView(t *testing.T) {
	_, body := render(t, "blocked.html", &testLinkPage{Page: Page{Title: "Link blocked"}, Link: visitorLink(tiny.StatusBlocked), ShortURL: short}, "")
	hasReportForm(t, body)
	if strings.Contains(body, "evil.example") || !strings.Contains(body, "will not send you there") || !strings.Contains(body, "appeal") {
		t.Errorf("blocked page shows the destination or does not explain:\n%s", body)
	}
	if strings.Contains(body, "Google") {
		t.Errorf("a block not from Google's lists carries Google's attribution:\n%s", body)
	}
	l := visitorLink(tiny.StatusBlocked)
	l.Safety.Reason = "rescan: Google Safe Browsing: SOCIAL_ENGINEERING"
	_, body = render(t, "blocked.html", &testLinkPage{Page: Page{Title: "Link blocked"}, Link: l, ShortURL: short}, "")
	if !strings.Contains(body, "Advisory provided by") || !strings.Contains(body, "cannot guarantee") {
		t.Errorf("a block from Google Safe Browsing lacks the attribution and notice its terms ask for:\n%s", body)
	}
}

func TestPasswordView(t *testing.T) {
	_, body := render(t, "password.html", &testPasswordPage{Page: Page{Title: "Password required"}, ShortURL: short, Action: "/abc1234", CSRF: "tok", Error: "That password is not right."}, "")
	hasReportForm(t, body)
	for _, want := range []string{`<label for="link-password">`, `aria-describedby="password-error"`, `role="alert">That password is not right.`, `action="/abc1234"`, `value="tok"`} {
		if !strings.Contains(body, want) {
			t.Errorf("password page lacks %q", want)
		}
	}
	_, body = render(t, "password.html", &testPasswordPage{Page: Page{Title: "Password required"}, ShortURL: short, Action: "/abc1234", CSRF: "tok"}, "")
	if strings.Contains(body, "aria-invalid") {
		t.Errorf("password page without an error marks the field invalid")
	}
}

func TestProtectedView(t *testing.T) {
	for _, p := range []testProtectedPage{
		{Page: Page{Title: "Password-protected link"}, ShortURL: short, Password: true},
		{Page: Page{Title: "One-time link"}, ShortURL: short, OneTime: true},
		{Page: Page{Title: "Limited-use link"}, ShortURL: short},
	} {
		_, body := render(t, "protected.html", &p, "")
		hasReportForm(t, body)
		if !strings.Contains(body, "<h1>"+p.Title+"</h1>") {
			t.Errorf("protected page lacks its title %q", p.Title)
		}
	}
}

func TestErrorView(t *testing.T) {
	for status, want := range map[int]string{404: "There is nothing here", 410: "This link no longer works", 429: "Wait a little", 500: "Something went wrong", 451: "Unavailable For Legal Reasons"} {
		_, body := render(t, "error.html", &ErrorView{Page: Page{Title: http.StatusText(status)}, Status: status, Message: "the <detail>"}, "")
		if !strings.Contains(body, want) || !strings.Contains(body, "the &lt;detail&gt;") {
			t.Errorf("error page %d lacks %q:\n%s", status, want, body)
		}
	}
}

func TestReportView(t *testing.T) {
	form := ReportForm{Link: "<nope>", Reason: "other", Details: "<b>bad</b>", Standalone: true,
		Errors: map[string]string{"link": "There is no link with that name here.", "details": "Say in a few words what is wrong with the link."}}
	_, body := render(t, "report.html", &ReportView{Page: Page{Title: "Report a link"}, Form: form}, "")
	for _, want := range []string{`id="report-link" name="link" required value="&lt;nope&gt;"`, `aria-describedby="report-link-error"`,
		`<option value="other" selected>`, `>&lt;b&gt;bad&lt;/b&gt;</textarea>`, `aria-describedby="report-details-error"`} {
		if !strings.Contains(body, want) {
			t.Errorf("report page lacks %q", want)
		}
	}
	if strings.Contains(body, "<details") {
		t.Errorf("the report page folds its form away")
	}
	_, body = render(t, "report.html", &ReportView{Page: Page{Title: "Thank you"}, Sent: true}, "")
	if !strings.Contains(body, "<h1>Thank you</h1>") || strings.Contains(body, "<form method=\"post\" action=\"/app/report\"") {
		t.Errorf("thanks page:\n%s", body)
	}
}
