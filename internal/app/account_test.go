package app

import (
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// renderOf renders view name with data as a signed-in page and returns
// the HTML; the view must render with status 200.
func renderOf(t *testing.T, name string, data View) string {
	t.Helper()
	v, err := NewViews("https://tiny.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	v.Render(w, httptest.NewRequest("GET", "/app/x", nil), http.StatusOK, name, data)
	if w.Code != http.StatusOK {
		t.Fatalf("rendering %s = %d: %s", name, w.Code, w.Body)
	}
	return w.Body.String()
}

// wantIn fails for each piece that html lacks, and each of not that it has.
func wantIn(t *testing.T, what, html string, want []string, not ...string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(html, s) {
			t.Errorf("%s lacks %q", what, s)
		}
	}
	for _, s := range not {
		if strings.Contains(html, s) {
			t.Errorf("%s has %q", what, s)
		}
	}
}

var (
	testNow  = time.Date(2026, 12, 6, 9, 30, 0, 0, time.UTC)
	testUser = &tiny.User{ID: 7, Name: "ann", Email: "ann@example.com", Role: tiny.RoleMember, PasswordHash: "x", CreatedAt: testNow.AddDate(-1, 0, 0)}
)

func TestAccountViewRenders(t *testing.T) {
	longLabel := "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 " + strings.Repeat("x", 200)
	for _, c := range []struct {
		name      string
		view      *accountView
		want, not []string
	}{
		{"must set up two factors, one session", &accountView{
			Page: Page{Title: "Account", Section: "account", User: testUser}, MustTwoFactor: true, TwoFactorOffered: true, HasPassword: true,
			Sessions: []sessionRow{{ID: 1, Label: longLabel, Current: true, CreatedAt: testNow, LastSeenAt: testNow}},
		}, []string{"asks everyone to sign in with two factors", "Set up two-factor sign-in", "ann@example.com", `name="current_password"`, "this session", longLabel[:40], "Sign out"},
			[]string{"End all other sessions", "aria-invalid"}},
		{"two factors on, many sessions, errors", &accountView{
			Page: Page{Title: "Account", User: testUser}, TwoFactor: true, TwoFactorOffered: true, HasPassword: true, DisplayName: "Ann",
			Sessions: []sessionRow{{ID: 2, Label: "", CreatedAt: testNow, LastSeenAt: testNow}, {ID: 3, Label: "Firefox", Current: true, CreatedAt: testNow, LastSeenAt: testNow}},
			Errors:   map[string]string{"current_password": "The current password is wrong", "totp_password": "The password is wrong"},
		}, []string{"Turn two-factor sign-in off", "unknown browser", "End all other sessions", `/app/account/sessions/2/end`, `value="Ann"`,
			`aria-describedby="current_password-error"`, `id="current_password-error">The current password is wrong`, `id="totp_password-error"`},
			[]string{"asks everyone", "Set up two-factor sign-in"}},
		{"single sign-on user without email or password, no two factors offered", &accountView{
			Page:     Page{Title: "Account", User: &tiny.User{ID: 8, Name: "robot", Role: tiny.RoleViewer}},
			Sessions: nil,
		}, []string{"Set a password", "does not offer two-factor", "<dd><span class=\"muted\">none</span></dd>"},
			[]string{`name="current_password"`, "this session"}},
	} {
		html := renderOf(t, "account.html", c.view)
		wantIn(t, c.name, html, c.want, c.not...)
	}
}

func TestAccountTOTPViewRenders(t *testing.T) {
	html := renderOf(t, "account_totp.html", &totpView{
		Page: Page{Title: "Set up", User: testUser}, Secret: "JBSWY3DPEHPK3PXP", QR: template.URL("data:image/svg+xml;base64,PHN2Zz48L3N2Zz4="),
		OTPAuth: "otpauth://totp/tiny:ann@example.com?secret=JBSWY3DPEHPK3PXP&issuer=tiny", Errors: map[string]string{"code": "The code is not valid"},
	})
	wantIn(t, "the set-up", html, []string{"<code>JBSWY3DPEHPK3PXP</code>", `src="data:image/svg`, `id="code-error">The code is not valid`,
		`value="otpauth://totp/tiny:ann@example.com?secret=JBSWY3DPEHPK3PXP&amp;issuer=tiny"`, `autocomplete="one-time-code"`}, "recovery")
	html = renderOf(t, "account_totp.html", &totpView{Page: Page{Title: "On", User: testUser}, RecoveryCodes: []string{"aaaa-bbbb", "cccc-dddd"}})
	wantIn(t, "the recovery codes", html, []string{"<li><code>aaaa-bbbb</code></li>", "only time they are shown", `data-copy="aaaa-bbbb`}, "otpauth")
}

func TestKeysViewRenders(t *testing.T) {
	scopes := []scopeChoice{{tiny.ScopeLinksRead, "read"}, {tiny.ScopeLinksWrite, "write"}, {tiny.ScopeStatsRead, "stats"}}
	html := renderOf(t, "keys.html", &keysView{Page: Page{Title: "API keys", User: testUser}, Scopes: scopes, Form: keyForm{Expiry: "90", Scopes: []tiny.Scope{tiny.ScopeLinksRead}}, Now: testNow})
	wantIn(t, "no keys", html, []string{"You have no API keys yet", `value="links:read" checked`, `value="90" checked`}, "<table", `value="links:write" checked`, `value="admin"`)

	past, future, used := testNow.AddDate(0, 0, -1), testNow.AddDate(0, 3, 0), testNow.Add(-time.Hour)
	var keys []*tiny.APIKey
	for i := range 30 {
		keys = append(keys, &tiny.APIKey{ID: int64(i + 1), Name: strings.Repeat("a very long key name ", 4) + string(rune('A'+i%26)), Prefix: "tiny_abc",
			Scopes: tiny.Scopes(), CreatedAt: testNow.AddDate(0, -1, 0)})
	}
	keys[0].ExpiresAt, keys[1].ExpiresAt, keys[2].LastUsedAt = &past, &future, &used
	html = renderOf(t, "keys.html", &keysView{Page: Page{Title: "API keys", User: testUser}, Keys: keys, Scopes: scopes, Now: testNow,
		Form: keyForm{Name: "x", Expiry: "date", Date: "2001-01-01"}, Errors: map[string]string{"expiry": "The date must be in the future", "name": "Name is bad"}})
	wantIn(t, "many keys with errors", html, []string{"expired 5 Dec 2026", "6 Mar 2027", "never", `/app/account/keys/30/revoke`, "<code>tiny_abc…</code>",
		`id="expiry-error">The date must be in the future`, `value="date" checked`, `value="2001-01-01"`, `id="key-name-error"`, `data-confirm="Revoke the key`})
	if n := strings.Count(html, `<td class="key-name">`); n != 30 {
		t.Errorf("the list has %d rows, want 30", n)
	}

	created := &tiny.APIKey{ID: 31, Name: "deploy", Prefix: "tiny_xyz", Scopes: []tiny.Scope{tiny.ScopeLinksRead}, CreatedAt: testNow}
	html = renderOf(t, "keys.html", &keysView{Page: Page{Title: "Your new API key", User: testUser}, Scopes: scopes, Now: testNow, Created: created, Secret: "tiny_xyzSECRETSECRET", Keys: []*tiny.APIKey{created}})
	wantIn(t, "a new key", html, []string{`value="tiny_xyzSECRETSECRET" readonly`, `data-copy="tiny_xyzSECRETSECRET"`, "only time it is shown", "does not expire", "<h1>Your new API key</h1>"})
	if strings.Count(html, "<h1") != 1 {
		t.Errorf("the new key's page has %d h1, want 1", strings.Count(html, "<h1"))
	}
}
