package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

func TestAppAdminRefusesOthers(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	for _, role := range []tiny.Role{tiny.RoleModerator, tiny.RoleMember, tiny.RoleViewer} {
		rd := e.newReader("not-admin-"+string(role), role)
		for _, path := range []string{"/app/admin", fmt.Sprintf("/app/admin/users/%d", rd.person.user.ID)} {
			if p := rd.get(path); p.status != http.StatusForbidden || strings.Contains(p.text(), "Add a user") {
				t.Errorf("a %s opening %s = %d, want 403 and no admin page", role, path, p.status)
			}
		}
		if p := rd.post("/app/admin/users", url.Values{"email": {"x-" + string(role) + "@example.com"}, "role": {"admin"}}); p.status != http.StatusForbidden {
			t.Errorf("a %s adding a user = %d, want 403", role, p.status)
		}
		if p := rd.post(fmt.Sprintf("/app/admin/users/%d/role", rd.person.user.ID), url.Values{"role": {"admin"}}); p.status != http.StatusForbidden {
			t.Errorf("a %s making themself admin = %d, want 403", role, p.status)
		}
		if p := rd.get("/"); strings.Contains(p.text(), `href="/app/admin"`) {
			t.Errorf("a %s sees the Admin link", role)
		}
	}
	if _, err := e.store.UserByEmail(context.Background(), "x-member@example.com"); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("a refused post made a user anyway: %v", err)
	}
}

func TestAppAdminUsers(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	ad := e.newReader("ada", tiny.RoleAdmin)
	p := ad.get("/app/admin")
	if p.status != 200 || !strings.Contains(p.text(), "ada@example.com") || !strings.Contains(p.text(), "No blocklist feed is configured") {
		t.Fatalf("GET /app/admin = %d, want 200 with the users and the feeds:\n%s", p.status, p.text())
	}
	// Errors come back next to their field, the form refilled.
	p = ad.post("/app/admin/users", url.Values{"email": {"bob@example.com"}, "display_name": {"Bob"}, "role": {"member"}, "password": {"password1234"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="nu-password-error"`) || !strings.Contains(p.text(), `value="bob@example.com"`) {
		t.Errorf("adding a user with a weak password = %d, want 422 next to the password, the email kept", p.status)
	}
	p = ad.post("/app/admin/users", url.Values{"email": {"ada@example.com"}, "role": {"member"}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="nu-email-error"`) {
		t.Errorf("adding a user with a taken email = %d, want 422 next to the email", p.status)
	}
	p = ad.post("/app/admin/users", url.Values{"email": {"bob@example.com"}, "display_name": {"Bob"}, "role": {"member"}, "password": {usersPassword}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/app/admin/users/") {
		t.Fatalf("adding bob = %d to %q, want 303 to his page", p.status, p.location())
	}
	userPath := p.location()
	bob, err := e.store.UserByEmail(context.Background(), "bob@example.com")
	if err != nil || bob.Role != tiny.RoleMember || bob.DisplayName != "Bob" {
		t.Fatalf("bob = %+v, %v, want a member named Bob", bob, err)
	}
	// The figures count the link just made and the click on it once the
	// recorder has written it.
	l0, err := e.links.Create(context.Background(), accounts.As(ad.person.user), shortener.CreateInput{URL: "https://example.com/ada"})
	if err != nil {
		t.Fatal(err)
	}
	if r := e.do("GET", "/"+l0.Code, "", nil, "User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"); r.status != http.StatusFound {
		t.Fatalf("following the link = %d, want 302", r.status)
	}
	e.flushClicks()
	if p := ad.get("/app/admin"); !strings.Contains(p.text(), "<strong>1</strong> links") || !strings.Contains(p.text(), "<strong>1</strong> clicks, last 30 days") || !strings.Contains(p.text(), "<strong>1</strong> clicks in all") {
		t.Errorf("the figures do not count the link and its click:\n%s", p.text())
	}
	if p := ad.get(userPath); p.status != 200 || !strings.Contains(p.text(), "bob@example.com") || !strings.Contains(p.text(), "Delete the user") {
		t.Errorf("GET %s = %d, want bob's page", userPath, p.status)
	}

	if p := ad.post(userPath+"/role", url.Values{"role": {"moderator"}}); p.status != http.StatusSeeOther {
		t.Errorf("making bob a moderator = %d, want 303", p.status)
	}
	if u, _ := e.store.UserByID(context.Background(), bob.ID); u.Role != tiny.RoleModerator {
		t.Errorf("bob's role = %s, want moderator", u.Role)
	}

	// Disabling ends bob's session at once.
	bobP := person{user: bob}
	cookie, _ := e.signIn(bobP)
	if r := e.asSession(cookie, "GET", "/api/v1/account", nil); r.status != 200 {
		t.Fatalf("bob's session = %d, want 200", r.status)
	}
	if p := ad.post(userPath+"/disabled", url.Values{"disabled": {"true"}}); p.status != http.StatusSeeOther {
		t.Errorf("disabling bob = %d, want 303", p.status)
	}
	if r := e.asSession(cookie, "GET", "/api/v1/account", nil); r.status != 401 {
		t.Errorf("bob's session once disabled = %d, want 401", r.status)
	}
	if p := ad.get("/app/admin"); !strings.Contains(p.text(), "disabled</span>") {
		t.Errorf("the users list does not show bob disabled")
	}
	if p := ad.post(userPath+"/disabled", url.Values{"disabled": {"false"}}); p.status != http.StatusSeeOther {
		t.Errorf("enabling bob = %d, want 303", p.status)
	}

	// Deleting gives bob's links to ada.
	l, err := e.links.Create(context.Background(), accounts.As(bob), shortener.CreateInput{URL: "https://example.com/bobs"})
	if err != nil {
		t.Fatal(err)
	}
	if p := ad.post(userPath+"/delete", url.Values{"links": {"transfer"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="transfer-error"`) {
		t.Errorf("deleting without saying who gets the links = %d, want 422 next to the field", p.status)
	}
	if p := ad.post(userPath+"/delete", url.Values{}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="links-error"`) {
		t.Errorf("deleting without saying what happens to the links = %d, want 422", p.status)
	}
	p = ad.post(userPath+"/delete", url.Values{"links": {"transfer"}, "transfer_to": {fmt.Sprint(ad.person.user.ID)}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/app/admin") {
		t.Fatalf("deleting bob = %d to %q, want 303 to the admin page", p.status, p.location())
	}
	if _, err := e.store.UserByID(context.Background(), bob.ID); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("bob after the delete: %v, want not found", err)
	}
	if got, err := e.store.LinkByID(context.Background(), l.ID); err != nil || got.OwnerID != ad.person.user.ID {
		t.Errorf("bob's link after the delete = %+v, %v, want it ada's", got, err)
	}
}

func TestAppAdminKeepsAnAdmin(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	ad := e.newReader("ada", tiny.RoleAdmin)
	// The harness's "admin" user is the other admin; once it is a member,
	// ada is the last.
	other := e.rootPrincipal().User
	if p := ad.post(fmt.Sprintf("/app/admin/users/%d/role", other.ID), url.Values{"role": {"member"}}); p.status != http.StatusSeeOther {
		t.Fatalf("demoting the other admin = %d, want 303", p.status)
	}
	self := fmt.Sprintf("/app/admin/users/%d", ad.person.user.ID)
	p := ad.post(self+"/role", url.Values{"role": {"member"}})
	if p.status != http.StatusConflict || !strings.Contains(p.text(), "tiny needs at least one enabled admin") {
		t.Errorf("demoting the last admin = %d, want 409 with the service's message:\n%s", p.status, p.text())
	}
	if p := ad.post(self+"/delete", url.Values{"links": {"delete"}}); p.status != http.StatusConflict || !strings.Contains(p.text(), "cannot delete your own account") {
		t.Errorf("deleting oneself = %d, want 409 saying why", p.status)
	}
	if p := ad.get(self); strings.Contains(p.text(), "Disable the user") {
		t.Errorf("an admin's own page offers to disable them")
	}
}
