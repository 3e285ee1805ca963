package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"tiny/internal/app"
)

// renderView renders one of web's own views with data, as a visitor.
func renderView(t *testing.T, name string, data app.View) string {
	t.Helper()
	v, err := app.NewViews("https://tiny.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	v.Render(w, httptest.NewRequest("GET", "/", nil), http.StatusOK, name, data)
	if w.Code != http.StatusOK {
		t.Fatalf("rendering %s = %d", name, w.Code)
	}
	return w.Body.String()
}

func TestSignInViews(t *testing.T) {
	for _, tc := range []struct {
		name      string
		page      signInPage
		want, not []string
	}{
		{"first step", signInPage{Page: app.Page{Title: "Sign in"}, Next: "/app/links?q=a&b"},
			[]string{`name="email"`, `name="password"`, `name="next" value="/app/links?q=a&amp;b"`}, []string{`name="code"`, "single sign-on", `role="alert"`}},
		{"refused, with single sign-on", signInPage{Page: app.Page{Title: "Sign in"}, Email: `eve"<x>@example.com`, Error: "The email or password is wrong.", OIDC: true},
			[]string{`value="eve&#34;&lt;x&gt;@example.com"`, `role="alert">The email or password is wrong.`, `href="/auth/oidc/start"`}, []string{`<x>`}},
		{"second factor", signInPage{Page: app.Page{Title: "Sign in"}, Pending: "pending-token"},
			[]string{`name="code"`, `name="recovery_code"`, `name="pending" value="pending-token"`}, []string{`name="password"`}},
	} {
		page := renderView(t, "signin.html", &tc.page)
		for _, w := range tc.want {
			if !strings.Contains(page, w) {
				t.Errorf("%s: the page lacks %s", tc.name, w)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(page, n) {
				t.Errorf("%s: the page has %s", tc.name, n)
			}
		}
	}
}

func TestSetupView(t *testing.T) {
	page := renderView(t, "setup.html", &setupPage{Page: app.Page{Title: "Set up tiny"}, Token: "tok", Email: "a@example.com",
		Error: "The password must be at least 12 characters.", Field: "password"})
	for _, w := range []string{`name="token" value="tok"`, `value="a@example.com"`, `class="field-error" role="alert" id="setup-error"`,
		`minlength="12" required autofocus aria-invalid="true" aria-describedby="setup-error"`} {
		if !strings.Contains(page, w) {
			t.Errorf("the setup page with a password error lacks %s", w)
		}
	}
	if strings.Count(page, `aria-invalid="true"`) != 1 {
		t.Error("the setup page marks more than the password as invalid")
	}
}
