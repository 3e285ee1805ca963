package web

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// A reader is a person using the web app in a browser without JavaScript:
// signed in by the session cookie, sending forms with the page's CSRF
// token, following no redirect (tests look at each answer).
type reader struct {
	e      *env
	person person
	cookie string
	csrf   string
	client *http.Client
}

// csrfField finds a page's CSRF token.
var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// newReader makes a person of role, signs them in, and reads the CSRF
// token off the front page. The env needs sign-ins (signInsOf).
func (e *env) newReader(name string, role tiny.Role) *reader {
	e.t.Helper()
	p := e.newPerson(name, role)
	cookie, _ := e.signIn(p)
	rd := &reader{e: e, person: p, cookie: cookie, client: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
	home := rd.get("/")
	m := csrfField.FindStringSubmatch(home.text())
	if home.status != http.StatusOK || m == nil {
		e.t.Fatalf("GET / signed in as %s = %d, with no CSRF token", name, home.status)
	}
	rd.csrf = m[1]
	return rd
}

// page is an answer to a reader.
type page struct {
	status int
	header http.Header
	body   string
}

func (p page) text() string { return p.body }

// location is where a redirect sends the reader.
func (p page) location() string { return p.header.Get("Location") }

// flashOf is the notice a redirect leaves for the next page.
func flashOf(p page) string {
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "tiny_flash" {
			v, _ := url.QueryUnescape(c.Value)
			return v
		}
	}
	return ""
}

// get opens path.
func (rd *reader) get(path string) page {
	rd.e.t.Helper()
	return rd.send("GET", path, nil)
}

// post sends a form to path with the reader's CSRF token added.
func (rd *reader) post(path string, form url.Values) page {
	rd.e.t.Helper()
	if form == nil {
		form = url.Values{}
	}
	if !form.Has("csrf") {
		form.Set("csrf", rd.csrf)
	}
	return rd.send("POST", path, form)
}

func (rd *reader) send(method, path string, form url.Values) page {
	rd.e.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, rd.e.base+path, body)
	if err != nil {
		rd.e.t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if rd.cookie != "" {
		req.Header.Set("Cookie", rd.cookie)
	}
	resp, err := rd.client.Do(req)
	if err != nil {
		rd.e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

func TestPagesNeedASignIn(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	anon := &reader{e: e, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if p := anon.get("/app/links?tag=x"); p.status != http.StatusSeeOther || p.location() != "/signin?next=%2Fapp%2Flinks%3Ftag%3Dx" {
		t.Errorf("GET /app/links signed out = %d to %q, want 303 to sign in and back", p.status, p.location())
	}
	rd := e.newReader("pam", tiny.RoleMember)
	if p := rd.get("/"); !strings.Contains(p.text(), `action="/app/signout"`) {
		t.Errorf("the front page signed in has no sign-out form")
	}
	// A form without the session's token is refused, with nothing done.
	if p := rd.post("/app/signout", url.Values{"csrf": {"forged"}}); p.status != http.StatusForbidden {
		t.Errorf("POST /app/signout with a wrong token = %d, want 403", p.status)
	}
	if p := rd.get("/app/no-such-page"); p.status != http.StatusNotFound {
		t.Errorf("GET /app/no-such-page = %d, want 404", p.status)
	}
	p := rd.post("/app/signout", nil)
	if p.status != http.StatusSeeOther || p.location() != "/signin" {
		t.Fatalf("POST /app/signout = %d to %q, want 303 to /signin", p.status, p.location())
	}
	// The sign-in page says so, and clears the notice so that the next
	// page does not say it again.
	var flash *http.Cookie
	for _, c := range (&http.Response{Header: p.header}).Cookies() {
		if c.Name == "tiny_flash" {
			flash = c
		}
	}
	if flash == nil {
		t.Fatal("signing out left no notice for the sign-in page")
	}
	next := &reader{e: e, cookie: flash.Name + "=" + flash.Value, client: rd.client}
	signin := next.get("/signin")
	cleared := false
	for _, c := range (&http.Response{Header: signin.header}).Cookies() {
		cleared = cleared || c.Name == "tiny_flash" && c.MaxAge < 0
	}
	if !strings.Contains(signin.text(), "You are signed out.") || !cleared {
		t.Errorf("the sign-in page after signing out: says so %v, clears the notice %v; want both",
			strings.Contains(signin.text(), "You are signed out."), cleared)
	}
	// The session has ended: the old cookie is anybody's.
	if p := rd.get("/app/account"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/signin?next=") {
		t.Errorf("GET /app/account after signing out = %d to %q, want 303 to sign in", p.status, p.location())
	}
}

func TestSignInGoesBackToThePageAsked(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	p := e.newPerson("sid", tiny.RoleMember)
	rd := &reader{e: e, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	for next, want := range map[string]string{
		"/app/links?q=a":       "/app/links?q=a",
		"//evil.example/x":     "/",
		"https://evil.example": "/",
		"/\\evil.example":      "/",
	} {
		r := rd.send("POST", "/signin", url.Values{"email": {p.user.Email}, "password": {usersPassword}, "next": {next}})
		if r.status != http.StatusSeeOther || r.location() != want {
			t.Errorf("sign in with next=%q = %d to %q, want 303 to %q", next, r.status, r.location(), want)
		}
	}
}
