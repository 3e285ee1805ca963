package app

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// newTestViews parses the real templates, as the server does at start.
func newTestViews(t testing.TB) *Views {
	t.Helper()
	v, err := NewViews("https://tiny.example", nil)
	if err != nil {
		t.Fatalf("NewViews = %v", err)
	}
	v.csrf = func(*http.Request) string { return "csrf-token-of-the-session" }
	return v
}

// render renders a view for a request from who (nil: a visitor) and
// returns the status and page.
func render(t testing.TB, v *Views, who *tiny.User, name string, data View, cookies ...*http.Cookie) (int, string) {
	t.Helper()
	r := httptest.NewRequest("GET", "/", nil)
	for _, c := range cookies {
		r.AddCookie(c)
	}
	if who != nil {
		r = r.WithContext(accounts.NewContext(r.Context(), &accounts.Principal{User: who, Session: &tiny.Session{ID: 1}}))
	}
	w := httptest.NewRecorder()
	v.Render(w, r, http.StatusOK, name, data)
	return w.Code, w.Body.String()
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
	v := newTestViews(t)
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
		var u *tiny.User
		if tc.role != "" {
			u = &tiny.User{ID: 7, Email: "a@example.com", Role: tc.role}
		}
		code, page := render(t, v, u, "home.html", &homeView{Page: Page{Title: "Short links", Section: "home"}})
		if code != http.StatusOK {
			t.Fatalf("home as %q = %d", tc.role, code)
		}
		for what, want := range map[string]bool{
			`href="/app/moderation"`:            tc.moderation,
			`href="/app/admin"`:                 tc.admin,
			`href="/signin"`:                    tc.signin,
			`action="/app/signout"`:             !tc.signin,
			`value="csrf-token-of-the-session"`: !tc.signin,
		} {
			if got := strings.Contains(page, what); got != want {
				t.Errorf("home as %q: has %s = %v, want %v", tc.role, what, got, want)
			}
		}
	}
}

func TestThemeCookieSetsTheTheme(t *testing.T) {
	v := newTestViews(t)
	for cookie, want := range map[string]string{"dark": `<html lang="en" data-theme="dark">`, "light": `<html lang="en" data-theme="light">`, "purple": `<html lang="en">`} {
		_, page := render(t, v, nil, "error.html", &ErrorView{Page: Page{Title: "Not Found"}, Status: 404, Message: "no such link"},
			&http.Cookie{Name: themeCookie, Value: cookie})
		if !strings.Contains(page, want) {
			t.Errorf("theme cookie %q: page starts %.80q, want %s", cookie, page[strings.Index(page, "<html"):], want)
		}
	}
}

func TestExtrasView(t *testing.T) {
	v := newTestViews(t)
	u := &tiny.User{ID: 1, Email: "m@example.com", Role: tiny.RoleMember, CreatedAt: time.Now()}
	_, page := render(t, v, u, "extras.html", &extrasView{Page: Page{Title: "Bookmarklet and ShareX"}, Bookmarklet: bookmarklet("https://tiny.example/"), CanCreate: true})
	if !strings.Contains(page, `href="javascript:`) || !strings.Contains(page, `action="/app/extras/sharex"`) {
		t.Errorf("the extras page lacks the bookmarklet or the ShareX form")
	}
	_, page = render(t, v, u, "extras.html", &extrasView{Page: Page{Title: "Bookmarklet and ShareX"}, Bookmarklet: bookmarklet("https://tiny.example"), CanCreate: false})
	if strings.Contains(page, `action="/app/extras/sharex"`) {
		t.Errorf("a viewer is offered a ShareX config, whose key could not create links")
	}
}
