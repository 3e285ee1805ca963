package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/ratelimit"
	"tiny/internal/tiny"
)

// usersPassword is the password of the people these tests sign in.
const usersPassword = "Velvet-Harbor-Lantern-4821"

// person is a user made for a test, with a key of every scope their role
// allows.
type person struct {
	user *tiny.User
	key  string
}

// newPerson makes a user who signs in with usersPassword, and a key.
func (e *env) newPerson(name string, role tiny.Role) person {
	e.t.Helper()
	ctx := context.Background()
	root := e.rootPrincipal()
	u, err := e.accounts.CreateUser(ctx, root, accounts.NewUser{Email: name + "@example.com", Name: name, Role: role, Password: usersPassword})
	if err != nil {
		e.t.Fatalf("CreateUser(%s) = %v", name, err)
	}
	_, secret, err := e.accounts.CreateKey(ctx, accounts.As(u), accounts.NewKey{Name: "test"})
	if err != nil {
		e.t.Fatalf("CreateKey(%s) = %v", name, err)
	}
	return person{user: u, key: secret}
}

// rootPrincipal is the harness's admin acting through a trusted channel.
func (e *env) rootPrincipal() *accounts.Principal {
	e.t.Helper()
	root, err := e.store.UserByName(context.Background(), "admin")
	if err != nil {
		e.t.Fatal(err)
	}
	return accounts.As(root)
}

// signIn starts a session of p and returns the Cookie header's value and
// the session's id.
func (e *env) signIn(p person) (string, int64) {
	e.t.Helper()
	r, err := e.accounts.SignInPassword(context.Background(), accounts.SignIn{Email: p.user.Email, Password: usersPassword, Label: "test browser"})
	if err != nil || r.Token == "" {
		e.t.Fatalf("SignInPassword(%s) = %+v, %v", p.user.Email, r, err)
	}
	return e.server.sessionCookieName() + "=" + r.Token, r.Session.ID
}

// asSession sends a request signed in by the session cookie.
func (e *env) asSession(cookie, method, path string, body any, header ...string) response {
	e.t.Helper()
	return e.do(method, path, "", body, append([]string{"Cookie", cookie}, header...)...)
}

func id(v any) string { return fmt.Sprint(int64(v.(float64))) }

func testUsers(t *testing.T, e *env) {
	r := e.do("POST", "/api/v1/users", e.adminKey, map[string]any{"email": "Carol@Example.org", "display_name": "Carol", "role": "moderator"})
	carol := r.json(t)
	if r.status != http.StatusCreated || carol["email"] != "carol@example.org" || carol["role"] != "moderator" ||
		r.header.Get("Location") != "/api/v1/users/"+id(carol["id"]) || carol["has_password"] != false {
		t.Fatalf("POST /api/v1/users = %d %s Location %q, want 201 carol, a moderator, lower-case email", r.status, r.body, r.header.Get("Location"))
	}
	member := e.newPerson("mel", tiny.RoleMember)
	memberID := fmt.Sprint(member.user.ID)

	tests := []struct {
		name         string
		method, path string
		key          string
		body         any
		status       int
		code, field  string
	}{
		{"same email in another case", "POST", "/api/v1/users", e.adminKey, map[string]any{"email": "CAROL@example.org"}, 409, "conflict", "email"},
		{"unknown role", "POST", "/api/v1/users", e.adminKey, map[string]any{"email": "x@example.org", "role": "owner"}, 400, "invalid", "role"},
		{"member creates a user", "POST", "/api/v1/users", member.key, map[string]any{"email": "y@example.org"}, 403, "forbidden", ""},
		{"member lists users", "GET", "/api/v1/users", member.key, nil, 403, "forbidden", ""},
		{"member reads another user", "GET", "/api/v1/users/" + id(carol["id"]), member.key, nil, 404, "not_found", ""},
		{"member reads an unknown user", "GET", "/api/v1/users/999999", member.key, nil, 404, "not_found", ""},
		{"member reads themselves", "GET", "/api/v1/users/" + memberID, member.key, nil, 200, "", ""},
		{"member changes a role", "PATCH", "/api/v1/users/" + memberID, member.key, map[string]any{"role": "admin"}, 403, "forbidden", ""},
		{"unknown role in a change", "PATCH", "/api/v1/users/" + memberID, e.adminKey, map[string]any{"role": "root"}, 400, "invalid", "role"},
		{"admin disables themselves", "PATCH", "/api/v1/users/1", e.adminKey, map[string]any{"disabled": true}, 409, "conflict", ""},
		{"delete without saying where links go", "DELETE", "/api/v1/users/" + memberID, e.adminKey, nil, 400, "invalid", "transfer_to"},
		{"delete with both", "DELETE", "/api/v1/users/" + memberID + "?transfer_to=1&delete_links=true", e.adminKey, nil, 400, "invalid", "transfer_to"},
		{"delete an unknown user", "DELETE", "/api/v1/users/999999?delete_links=true", e.adminKey, nil, 404, "not_found", ""},
		{"delete oneself", "DELETE", "/api/v1/users/1?delete_links=true", e.adminKey, nil, 409, "conflict", ""},
	}
	for _, tt := range tests {
		r := e.doRaw(tt.method, tt.path, tt.key, tt.body) // some break the spec on purpose
		if r.status != tt.status || r.errorCode() != tt.code || r.errorField() != tt.field {
			t.Errorf("%s: %s %s = %d %s, want %d %q field %q", tt.name, tt.method, tt.path, r.status, r.body, tt.status, tt.code, tt.field)
		}
	}

	r = e.do("GET", "/api/v1/users?role=moderator", e.adminKey, nil)
	var names []string
	for _, u := range r.json(t)["users"].([]any) {
		names = append(names, u.(map[string]any)["name"].(string))
	}
	if r.status != 200 || !slices.Equal(names, []string{"carol@example.org"}) {
		t.Errorf("GET /api/v1/users?role=moderator = %d %v, want carol alone", r.status, names)
	}
	r = e.do("PATCH", "/api/v1/users/"+id(carol["id"]), e.adminKey, map[string]any{"role": "viewer", "display_name": "Carol V."})
	if got := r.json(t); r.status != 200 || got["role"] != "viewer" || got["display_name"] != "Carol V." {
		t.Errorf("PATCH carol to viewer = %d %s, want 200 with the role and name", r.status, r.body)
	}
}

// testDisableStopsAtOnce: a disabled user's key and session are refused
// from the next request, and work again once the user is enabled.
func testDisableStopsAtOnce(t *testing.T, e *env) {
	dora := e.newPerson("dora", tiny.RoleMember)
	cookie, _ := e.signIn(dora)
	// Both credentials are cached now.
	if r := e.do("GET", "/api/v1/links", dora.key, nil); r.status != 200 {
		t.Fatalf("dora's key before = %d %s, want 200", r.status, r.body)
	}
	if r := e.asSession(cookie, "GET", "/api/v1/account", nil); r.status != 200 {
		t.Fatalf("dora's session before = %d %s, want 200", r.status, r.body)
	}
	path := "/api/v1/users/" + fmt.Sprint(dora.user.ID)
	if r := e.do("PATCH", path, e.adminKey, map[string]any{"disabled": true}); r.status != 200 || r.json(t)["disabled"] != true {
		t.Fatalf("PATCH disabled = %d %s, want 200", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/links", dora.key, nil); r.status != 401 || r.errorCode() != "unauthorized" {
		t.Errorf("a disabled user's key = %d %s, want 401 unauthorized", r.status, r.body)
	}
	if r := e.asSession(cookie, "GET", "/api/v1/account", nil); r.status != 401 {
		t.Errorf("a disabled user's session = %d %s, want 401", r.status, r.body)
	}
	e.do("PATCH", path, e.adminKey, map[string]any{"disabled": false})
	if r := e.do("GET", "/api/v1/links", dora.key, nil); r.status != 200 {
		t.Errorf("the key once dora is enabled again = %d %s, want 200", r.status, r.body)
	}
	if r := e.asSession(cookie, "GET", "/api/v1/account", nil); r.status != 401 {
		t.Errorf("the session once dora is enabled again = %d, want 401: disabling ended it", r.status)
	}
}

// testDeleteUserLinks: a deleted user's links go to the chosen user, or
// are deleted with them.
func testDeleteUserLinks(t *testing.T, e *env) {
	heir := e.newPerson("heir", tiny.RoleMember)
	for _, tt := range []struct {
		name  string
		query string
		// owner is who has the link after; 0: nobody, it was deleted.
		owner int64
	}{
		{"transfer", "?transfer_to=" + fmt.Sprint(heir.user.ID), heir.user.ID},
		{"delete", "?delete_links=true", 0},
	} {
		gone := e.newPerson("gone-"+tt.name, tiny.RoleMember)
		code := e.create(gone.key, map[string]any{"url": "https://example.com/" + tt.name})["code"].(string)
		if r := e.do("DELETE", "/api/v1/users/"+fmt.Sprint(gone.user.ID)+tt.query, e.adminKey, nil); r.status != 204 {
			t.Fatalf("%s: DELETE the user = %d %s, want 204", tt.name, r.status, r.body)
		}
		if r := e.do("GET", "/api/v1/links", gone.key, nil); r.status != 401 {
			t.Errorf("%s: the deleted user's key = %d, want 401", tt.name, r.status)
		}
		r := e.do("GET", "/api/v1/links/"+code, heir.key, nil)
		switch {
		case tt.owner != 0 && (r.status != 200 || r.json(t)["owner_id"] != float64(tt.owner)):
			t.Errorf("%s: the heir reads the link = %d %s, want 200 owned by the heir", tt.name, r.status, r.body)
		case tt.owner == 0 && r.status != 404:
			t.Errorf("%s: the link = %d %s, want 404: deleted with its owner", tt.name, r.status, r.body)
		}
		if tt.owner == 0 {
			if r := e.visit("GET", "/"+code); r.status != http.StatusGone {
				t.Errorf("%s: visiting the link = %d, want 410", tt.name, r.status)
			}
		}
	}
}

// testKeyScopes: keys carry scopes and an expiry, never more than the role
// allows, and a key without a scope cannot use it.
func testKeyScopes(t *testing.T, e *env) {
	kim := e.newPerson("kim", tiny.RoleMember)
	expires := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	r := e.do("POST", "/api/v1/keys", kim.key, map[string]any{"name": "reader", "scopes": []string{"links:read"}, "expires_at": expires.Format(time.RFC3339)})
	reader := r.json(t)
	if r.status != 201 || fmt.Sprint(reader["scopes"]) != "[links:read]" || reader["expires_at"] != expires.Format("2006-01-02T15:04:05Z") || reader["last_used_at"] != nil {
		t.Fatalf("POST /api/v1/keys with scopes = %d %s, want 201 links:read until %s, never used", r.status, r.body, expires)
	}
	readKey := reader["key"].(string)
	tests := []struct {
		name        string
		key         string
		body        map[string]any
		status      int
		code, field string
	}{
		{"a scope the role never uses", kim.key, map[string]any{"name": "x", "scopes": []string{"admin"}}, 400, "invalid", "scopes"},
		{"a key gives a scope it lacks", readKey, map[string]any{"name": "x", "scopes": []string{"links:write"}}, 403, "forbidden", "scopes"},
		{"an unknown scope", kim.key, map[string]any{"name": "x", "scopes": []string{"links:delete"}}, 400, "invalid", "scopes"},
		{"an expiry in the past", kim.key, map[string]any{"name": "x", "expires_at": "2020-01-01T00:00:00Z"}, 400, "invalid", "expires_at"},
		{"a member names another user", kim.key, map[string]any{"name": "x", "user_id": 1}, 403, "forbidden", ""},
		{"an admin names an unknown user", e.adminKey, map[string]any{"name": "x", "user_id": 999999}, 404, "not_found", "user_id"},
	}
	for _, tt := range tests {
		r := e.doRaw("POST", "/api/v1/keys", tt.key, tt.body) // some break the spec on purpose
		if r.status != tt.status || r.errorCode() != tt.code || r.errorField() != tt.field {
			t.Errorf("%s: POST /api/v1/keys = %d %s, want %d %q field %q", tt.name, r.status, r.body, tt.status, tt.code, tt.field)
		}
	}
	if r := e.do("POST", "/api/v1/links", readKey, map[string]any{"url": "https://example.com/scoped"}); r.status != 403 || r.errorCode() != "forbidden" {
		t.Errorf("a links:read key creates a link = %d %s, want 403", r.status, r.body)
	}
	if r := e.do("GET", "/api/v1/links", readKey, nil); r.status != 200 {
		t.Errorf("a links:read key lists links = %d %s, want 200", r.status, r.body)
	}
	r = e.do("POST", "/api/v1/keys", e.adminKey, map[string]any{"name": "for kim", "user_id": kim.user.ID})
	if got := r.json(t); r.status != 201 || got["user"] != "kim" || fmt.Sprint(got["scopes"]) != "[links:read links:write stats:read]" {
		t.Errorf("an admin makes kim a key = %d %s, want 201 kim's with a member's scopes", r.status, r.body)
	}
	r = e.do("GET", "/api/v1/keys?user_id="+fmt.Sprint(kim.user.ID), e.adminKey, nil)
	keys := r.json(t)["keys"].([]any)
	var used bool
	for _, k := range keys {
		k := k.(map[string]any)
		if k["user"] != "kim" {
			t.Errorf("GET /api/v1/keys?user_id=kim lists %v's key", k["user"])
		}
		used = used || k["last_used_at"] != nil
	}
	if len(keys) != 3 || !used {
		t.Errorf("kim's keys = %d, last use shown %v; want 3, one used", len(keys), used)
	}
	if r := e.do("GET", "/api/v1/keys?user_id=1", kim.key, nil); r.status != 403 {
		t.Errorf("a member lists the admin's keys = %d, want 403", r.status)
	}
}

// testAccount: a person's own profile, password and sessions.
func testAccount(t *testing.T, e *env) {
	ann := e.newPerson("ann", tiny.RoleViewer)
	cookie, current := e.signIn(ann)
	other, otherID := e.signIn(ann)

	if r := e.do("GET", "/api/v1/account", ann.key, nil); r.status != 200 || r.json(t)["name"] != "ann" {
		t.Errorf("GET /api/v1/account by key = %d %s, want ann", r.status, r.body)
	}
	if r := e.do("PATCH", "/api/v1/account", ann.key, map[string]any{"display_name": "Key"}); r.status != 403 {
		t.Errorf("PATCH /api/v1/account by key = %d %s, want 403: a key may not change its account", r.status, r.body)
	}
	if r := e.asSession(cookie, "PATCH", "/api/v1/account", map[string]any{"display_name": "Ann B."}); r.status != 200 || r.json(t)["display_name"] != "Ann B." {
		t.Errorf("PATCH /api/v1/account = %d %s, want the new name", r.status, r.body)
	}
	if r := e.asSession(cookie, "PATCH", "/api/v1/account", map[string]any{"display_name": " padded "}); r.status != 400 || r.errorField() != "display_name" {
		t.Errorf("PATCH /api/v1/account with a padded name = %d %s, want 400 display_name", r.status, r.body)
	}

	// Cross-origin protection: only for the cookie, only for changes.
	for _, tt := range []struct {
		name   string
		header []string
		status int
	}{
		{"another site", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"another origin", []string{"Origin", "https://evil.example"}, 403},
		{"this site", []string{"Sec-Fetch-Site", "same-origin"}, 200},
		{"no browser headers", nil, 200},
	} {
		r := e.asSession(cookie, "PATCH", "/api/v1/account", map[string]any{"display_name": "Ann"}, tt.header...)
		if r.status != tt.status {
			t.Errorf("%s: PATCH by cookie = %d %s, want %d", tt.name, r.status, r.body, tt.status)
		}
	}
	if r := e.asSession(cookie, "GET", "/api/v1/account", nil, "Sec-Fetch-Site", "cross-site"); r.status != 200 {
		t.Errorf("a cross-site GET by cookie = %d, want 200: reads change nothing", r.status)
	}
	if r := e.do("POST", "/api/v1/keys", ann.key, map[string]any{"name": "cross"}, "Origin", "https://evil.example"); r.status != 201 {
		t.Errorf("a cross-origin POST by key = %d %s, want 201: a key is no ambient credential", r.status, r.body)
	}

	r := e.asSession(cookie, "GET", "/api/v1/account/sessions", nil)
	var ids []int64
	for _, s := range r.json(t)["sessions"].([]any) {
		s := s.(map[string]any)
		sid := int64(s["id"].(float64))
		ids = append(ids, sid)
		if s["current"] != (sid == current) {
			t.Errorf("session %d current = %v, want %v", sid, s["current"], sid == current)
		}
	}
	if slices.Sort(ids); !slices.Equal(ids, []int64{current, otherID}) {
		t.Errorf("GET /api/v1/account/sessions = %v, want %v", ids, []int64{current, otherID})
	}
	if r := e.do("GET", "/api/v1/account/sessions", ann.key, nil); r.status != 403 {
		t.Errorf("sessions by key = %d, want 403", r.status)
	}
	stranger := e.newPerson("stranger", tiny.RoleMember)
	strangerCookie, strangerSession := e.signIn(stranger)
	if r := e.asSession(cookie, "DELETE", "/api/v1/account/sessions/"+fmt.Sprint(strangerSession), nil); r.status != 404 {
		t.Errorf("ending another user's session = %d, want 404", r.status)
	}
	if r := e.asSession(strangerCookie, "GET", "/api/v1/account", nil); r.status != 200 {
		t.Errorf("the stranger's session after ann's try = %d, want 200", r.status)
	}
	if r := e.asSession(cookie, "DELETE", "/api/v1/account/sessions/"+fmt.Sprint(otherID), nil); r.status != 204 {
		t.Errorf("ending the other session = %d %s, want 204", r.status, r.body)
	}
	if r := e.asSession(other, "GET", "/api/v1/account", nil); r.status != 401 {
		t.Errorf("the ended session = %d, want 401", r.status)
	}

	// A new password ends every other session, and keeps this one.
	third, _ := e.signIn(ann)
	for _, tt := range []struct {
		name        string
		body        map[string]any
		status      int
		field       string
		thirdStatus int
	}{
		{"wrong current", map[string]any{"current_password": "nope", "password": "Granite-Meadow-Falcon-5530"}, 400, "current_password", 200},
		{"too easy", map[string]any{"current_password": usersPassword, "password": "password"}, 400, "password", 200},
		{"right", map[string]any{"current_password": usersPassword, "password": "Granite-Meadow-Falcon-5530"}, 204, "", 401},
	} {
		r := e.asSession(cookie, "POST", "/api/v1/account/password", tt.body)
		if r.status != tt.status || r.errorField() != tt.field {
			t.Errorf("%s: POST /api/v1/account/password = %d %s, want %d field %q", tt.name, r.status, r.body, tt.status, tt.field)
		}
		if r := e.asSession(third, "GET", "/api/v1/account", nil); r.status != tt.thirdStatus {
			t.Errorf("%s: another session after = %d, want %d", tt.name, r.status, tt.thirdStatus)
		}
	}
	if r := e.asSession(cookie, "GET", "/api/v1/account", nil); r.status != 200 {
		t.Errorf("the session that changed the password = %d, want 200", r.status)
	}
	if r := e.asSession(cookie, "DELETE", "/api/v1/account/sessions/"+fmt.Sprint(current), nil); r.status != 204 || len(r.header.Values("Set-Cookie")) == 0 {
		t.Errorf("ending the current session = %d Set-Cookie %q, want 204 clearing the cookie", r.status, r.header.Values("Set-Cookie"))
	}
	if r := e.asSession(cookie, "GET", "/api/v1/account", nil); r.status != 401 {
		t.Errorf("the current session once ended = %d, want 401", r.status)
	}
}

// TestRateLimitPerSession: a browser's API calls are limited per session,
// apart from the user's keys and other sessions.
func TestRateLimitPerSession(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.RateLimiter = ratelimit.NewLocal(1000)
		c.Limits = Limits{PerKey: ratelimit.Limit{Rate: 1, Burst: 2, Period: time.Hour}}
	})
	sam := e.newPerson("sam", tiny.RoleMember)
	first, _ := e.signIn(sam)
	second, _ := e.signIn(sam)
	for i, want := range []int{200, 200, 429} {
		if r := e.asSession(first, "GET", "/api/v1/links", nil); r.status != want {
			t.Errorf("call %d of the first session = %d, want %d", i+1, r.status, want)
		}
	}
	if r := e.asSession(second, "GET", "/api/v1/links", nil); r.status != 200 {
		t.Errorf("the second session's first call = %d, want 200 (limits are per session)", r.status)
	}
	if r := e.do("GET", "/api/v1/links", sam.key, nil); r.status != 200 {
		t.Errorf("sam's key's first call = %d, want 200 (a key is limited on its own)", r.status)
	}
}

// TestSecondFactorGate: with two-factor sign-in required, an admin's
// session without it may only set it up (or sign out); their key, and a
// member's session, are not held.
func TestSecondFactorGate(t *testing.T) {
	e := newEnv(t, signInsOf(t, func(c *accounts.SignInConfig) { c.RequireSecondFactor = true }))
	boss := e.newPerson("boss", tiny.RoleAdmin)
	bossSession, _ := e.signIn(boss)
	memberSession, _ := e.signIn(e.newPerson("plain", tiny.RoleMember))
	tests := []struct {
		name         string
		cookie, key  string
		method, path string
		status       int
	}{
		{"admin session, links", bossSession, "", "GET", "/api/v1/links", 403},
		{"admin session, account", bossSession, "", "GET", "/api/v1/account", 403},
		{"admin session, TOTP set-up", bossSession, "", "POST", "/api/v1/account/totp", 200},
		{"admin key, links", "", boss.key, "GET", "/api/v1/links", 200},
		{"member session, links", memberSession, "", "GET", "/api/v1/links", 200},
	}
	for _, tt := range tests {
		var r response
		if tt.cookie != "" {
			r = e.asSession(tt.cookie, tt.method, tt.path, nil)
		} else {
			r = e.do(tt.method, tt.path, tt.key, nil)
		}
		if r.status != tt.status || tt.status == 403 && !strings.Contains(string(r.body), "two-factor") {
			t.Errorf("%s: %s %s = %d %s, want %d", tt.name, tt.method, tt.path, r.status, r.body, tt.status)
		}
	}
}
