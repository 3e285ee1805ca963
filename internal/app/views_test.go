package app

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// renderWithCookies renders a visitor's view of name with the request's
// cookies, and returns the page.
func renderWithCookies(t *testing.T, name string, data View, cookies ...*http.Cookie) string {
	t.Helper()
	v, err := NewViews("https://tiny.example", nil)
	if err != nil {
		t.Fatal(err)
	}
	r := httptest.NewRequest("GET", "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	w := httptest.NewRecorder()
	v.Render(w, r, http.StatusOK, name, data)
	return w.Body.String()
}

func TestEveryTemplateIsAView(t *testing.T) {
	files, err := fs.Glob(templateFiles, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimPrefix(f, "templates/")
		if name != "layout.html" && !slices.Contains(viewNames, name) {
			t.Errorf("%s is not in viewNames, so a broken view would not fail at start", name)
		}
	}
}

func TestLayoutShowsWhatTheRoleMayOpen(t *testing.T) {
	for _, tc := range []struct {
		role                      tiny.Role
		moderation, admin, signin bool
	}{
		{"", false, false, true},
		{tiny.RoleViewer, false, false, false},
		{tiny.RoleMember, false, false, false},
		{tiny.RoleModerator, true, false, false},
		{tiny.RoleAdmin, true, true, false},
	} {
		_, page := render(t, "home.html", &homeView{Page: Page{Title: "Short links", Section: "home"}}, tc.role)
		for what, want := range map[string]bool{
			`href="/app/moderation"`:    tc.moderation,
			`href="/app/admin"`:         tc.admin,
			`href="/signin"`:            tc.signin,
			`action="/app/signout"`:     !tc.signin,
			`name="csrf" value="token"`: !tc.signin,
		} {
			if got := strings.Contains(page, what); got != want {
				t.Errorf("home as %q: has %s = %v, want %v", tc.role, what, got, want)
			}
		}
	}
}

func TestThemeCookieSetsTheTheme(t *testing.T) {
	for cookie, want := range map[string]string{"dark": `<html lang="en" data-theme="dark">`, "light": `<html lang="en" data-theme="light">`, "purple": `<html lang="en">`} {
		page := renderWithCookies(t, "error.html", &ErrorView{Page: Page{Title: "Not Found"}, Status: 404, Message: "no such link"},
			&http.Cookie{Name: themeCookie, Value: cookie})
		if !strings.Contains(page, want) {
			t.Errorf("theme cookie %q: page starts %.80q, want %s", cookie, page[strings.Index(page, "<html"):], want)
		}
	}
}

func TestExtrasView(t *testing.T) {
	_, page := render(t, "extras.html", &extrasView{Page: Page{Title: "Bookmarklet and ShareX"}, Bookmarklet: bookmarklet("https://tiny.example/"), CanCreate: true}, tiny.RoleMember)
	if !strings.Contains(page, `href="javascript:`) || !strings.Contains(page, `action="/app/extras/sharex"`) {
		t.Errorf("the extras page lacks the bookmarklet or the ShareX form")
	}
	_, page = render(t, "extras.html", &extrasView{Page: Page{Title: "Bookmarklet and ShareX"}, Bookmarklet: bookmarklet("https://tiny.example"), CanCreate: false}, tiny.RoleViewer)
	if strings.Contains(page, `action="/app/extras/sharex"`) {
		t.Errorf("a viewer is offered a ShareX config, whose key could not create links")
	}
}
