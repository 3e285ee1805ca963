package web

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

func TestAppAccountChangePassword(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("ann", tiny.RoleMember)
	if p := rd.get("/app/account"); p.status != 200 || !strings.Contains(p.text(), "ann@example.com") || !strings.Contains(p.text(), "Change your password") {
		t.Fatalf("GET /app/account = %d, want 200 with the email and the password form", p.status)
	}
	const next = "Quiet-Meadow-Copper-7305"
	for _, c := range []struct {
		name        string
		form        url.Values
		field, want string
	}{
		{"wrong current", url.Values{"current_password": {"not it at all"}, "new_password": {next}, "repeat_password": {next}}, "current_password", "The current password is wrong"},
		{"repeat differs", url.Values{"current_password": {usersPassword}, "new_password": {next}, "repeat_password": {next + "x"}}, "repeat_password", "The two new passwords differ"},
		{"too easy", url.Values{"current_password": {usersPassword}, "new_password": {"password1234"}, "repeat_password": {"password1234"}}, "new_password", "too easy to guess"},
		{"too short", url.Values{"current_password": {usersPassword}, "new_password": {"short"}, "repeat_password": {"short"}}, "new_password", "at least 12 characters"},
	} {
		p := rd.post("/app/account/password", c.form)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), c.want) ||
			!strings.Contains(p.text(), `aria-describedby="`+c.field+`-error"`) && !strings.Contains(p.text(), c.field+`-error"`) {
			t.Errorf("%s: POST /app/account/password = %d, want 422 with %q next to %s:\n%s", c.name, p.status, c.want, c.field, p.text())
		}
	}
	other, _ := e.signIn(rd.person)
	p := rd.post("/app/account/password", url.Values{"current_password": {usersPassword}, "new_password": {next}, "repeat_password": {next}})
	if p.status != http.StatusSeeOther || p.location() != "/app/account" {
		t.Fatalf("POST /app/account/password = %d to %q, want 303 to the account", p.status, p.location())
	}
	ctx := context.Background()
	if _, err := e.accounts.SignInPassword(ctx, accounts.SignIn{Email: "ann@example.com", Password: next}); err != nil {
		t.Errorf("sign in with the new password = %v, want a session", err)
	}
	if _, err := e.accounts.SignInPassword(ctx, accounts.SignIn{Email: "ann@example.com", Password: usersPassword}); !tiny.IsCode(err, tiny.Unauthorized) {
		t.Errorf("sign in with the old password = %v, want unauthorized", err)
	}
	if got := flashOf(p); !strings.Contains(got, "Your password is changed") {
		t.Errorf("the notice of the change = %q, want it to say so", got)
	}
	if p := rd.get("/app/account"); p.status != 200 {
		t.Errorf("the account after the change = %d, want 200: this session stays", p.status)
	}
	if r := e.asSession(other, "GET", "/api/v1/account", nil); r.status != 401 {
		t.Errorf("another session after the change = %d, want 401", r.status)
	}
}

func TestAppAccountDisplayName(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("abe", tiny.RoleViewer)
	if p := rd.post("/app/account/name", url.Values{"display_name": {"Abe Lincoln"}}); p.status != http.StatusSeeOther {
		t.Fatalf("POST /app/account/name = %d, want 303", p.status)
	}
	if p := rd.get("/app/account"); !strings.Contains(p.text(), `value="Abe Lincoln"`) {
		t.Errorf("the account page does not show the new name")
	}
	p := rd.post("/app/account/name", url.Values{"display_name": {strings.Repeat("long ", 100)}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="display_name-error"`) {
		t.Errorf("POST a 500-character name = %d, want 422 with the error next to the field", p.status)
	}
}

var (
	totpSecretRe = regexp.MustCompile(`class="totp-secret"><code>([A-Z2-7]+)</code>`)
	otpauthRe    = regexp.MustCompile(`name="otpauth" value="([^"]+)"`)
)

func TestAppAccountTwoFactor(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("tess", tiny.RoleMember)
	if p := rd.get("/app/account"); !strings.Contains(p.text(), "Set up two-factor sign-in") {
		t.Fatalf("the account page offers no two-factor set-up")
	}
	p := rd.post("/app/account/two-factor", nil)
	m := totpSecretRe.FindStringSubmatch(p.text())
	if p.status != 200 || m == nil || !strings.Contains(p.text(), `src="data:image/svg`) {
		t.Fatalf("POST /app/account/two-factor = %d, want 200 with the secret as text and a QR code:\n%s", p.status, p.text())
	}
	secret := m[1]
	uri := html.UnescapeString(otpauthRe.FindStringSubmatch(p.text())[1])
	if !strings.Contains(uri, "secret="+secret) {
		t.Errorf("the otpauth URI %q does not hold the secret shown", uri)
	}
	p = rd.post("/app/account/two-factor/confirm", url.Values{"code": {"000000"}, "otpauth": {uri}})
	if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="code-error"`) || !strings.Contains(p.text(), secret) {
		t.Errorf("a wrong code = %d, want 422 with the error and the same secret again", p.status)
	}
	// A forged set-up is not shown back as if it were pending.
	if p := rd.post("/app/account/two-factor/confirm", url.Values{"code": {"000000"}, "otpauth": {"otpauth://totp/x:y?secret=AAAAAAAAAAAAAAAA&issuer=x"}}); p.status != http.StatusConflict {
		t.Errorf("a wrong code with another set-up = %d, want 409", p.status)
	}
	code, err := totp.GenerateCode(secret, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	p = rd.post("/app/account/two-factor/confirm", url.Values{"code": {code}, "otpauth": {uri}})
	if p.status != 200 || !strings.Contains(p.text(), "only time they are shown") || strings.Count(p.text(), "<li><code>") < 5 {
		t.Fatalf("POST the right code = %d, want 200 with the recovery codes:\n%s", p.status, p.text())
	}
	r, err := e.accounts.SignInPassword(context.Background(), accounts.SignIn{Email: "tess@example.com", Password: usersPassword})
	if err != nil || !r.NeedsSecondFactor() {
		t.Errorf("signing in after the set-up = %+v, %v, want a second step", r, err)
	}
	if p := rd.get("/app/account"); !strings.Contains(p.text(), "Turn two-factor sign-in off") {
		t.Errorf("the account page does not say two-factor is on")
	}
	if p := rd.post("/app/account/two-factor/disable", url.Values{"password": {"wrong password!"}}); p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="totp_password-error"`) {
		t.Errorf("turning it off with a wrong password = %d, want 422 next to the field", p.status)
	}
	if p := rd.post("/app/account/two-factor/disable", url.Values{"password": {usersPassword}}); p.status != http.StatusSeeOther {
		t.Errorf("turning it off = %d, want 303", p.status)
	}
	if r, err := e.accounts.SignInPassword(context.Background(), accounts.SignIn{Email: "tess@example.com", Password: usersPassword}); err != nil || r.NeedsSecondFactor() {
		t.Errorf("signing in once it is off = %+v, %v, want a session at once", r, err)
	}
}

func TestAppAccountMustSetUpTwoFactor(t *testing.T) {
	e := newEnv(t, signInsOf(t, func(c *accounts.SignInConfig) { c.RequireSecondFactor = true }))
	mo := e.newPerson("mona", tiny.RoleModerator)
	cookie, _ := e.signIn(mo)
	rd := &reader{e: e, person: mo, cookie: cookie, client: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	p := rd.get("/app/links")
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/app/account?must=two-factor") {
		t.Fatalf("GET /app/links without the required second factor = %d to %q, want the account page", p.status, p.location())
	}
	p = rd.get(p.location())
	if p.status != 200 || !strings.Contains(p.text(), "asks everyone to sign in with two factors") {
		t.Fatalf("the account page asked to set up two factors = %d, without the notice", p.status)
	}
	rd.csrf = csrfField.FindStringSubmatch(p.text())[1]
	// The set-up itself is open to them, and once done so is the rest.
	p = rd.post("/app/account/two-factor", nil)
	m := totpSecretRe.FindStringSubmatch(p.text())
	if p.status != 200 || m == nil {
		t.Fatalf("POST /app/account/two-factor when it is required = %d to %q, want the set-up", p.status, p.location())
	}
	code, _ := totp.GenerateCode(m[1], time.Now())
	uri := html.UnescapeString(otpauthRe.FindStringSubmatch(p.text())[1])
	if p := rd.post("/app/account/two-factor/confirm", url.Values{"code": {code}, "otpauth": {uri}}); p.status != 200 {
		t.Fatalf("confirming the set-up when it is required = %d to %q, want 200", p.status, p.location())
	}
	if p := rd.get("/app/account/keys"); p.status != 200 {
		t.Errorf("GET /app/account/keys once set up = %d, want 200", p.status)
	}
}

func TestAppAccountSessions(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("sam", tiny.RoleMember)
	other, otherID := e.signIn(rd.person)
	third, _ := e.signIn(rd.person)
	p := rd.get("/app/account")
	if strings.Count(p.text(), "/end\"") != 3 || strings.Count(p.text(), `"badge status-active">this session</span>`) != 1 || !strings.Contains(p.text(), "test browser") {
		t.Fatalf("the account page should list 3 sessions, this one marked:\n%s", p.text())
	}
	if p := rd.post("/app/account/sessions/"+fmt.Sprint(otherID)+"/end", nil); p.status != http.StatusSeeOther {
		t.Errorf("ending a session = %d, want 303", p.status)
	}
	if r := e.asSession(other, "GET", "/api/v1/account", nil); r.status != 401 {
		t.Errorf("the ended session = %d, want 401", r.status)
	}
	if r := e.asSession(third, "GET", "/api/v1/account", nil); r.status != 200 {
		t.Errorf("the session not ended = %d, want 200", r.status)
	}
	if p := rd.post("/app/account/sessions/end-others", nil); p.status != http.StatusSeeOther || flashOf(p) != "1 other session has ended." {
		t.Errorf("ending the others = %d with %q, want 303 saying one ended", p.status, flashOf(p))
	}
	if r := e.asSession(third, "GET", "/api/v1/account", nil); r.status != 401 {
		t.Errorf("another session after ending all others = %d, want 401", r.status)
	}
	if p := rd.get("/app/account"); p.status != 200 {
		t.Errorf("this session after ending the others = %d, want 200", p.status)
	}
	ss, _ := e.accounts.Sessions(context.Background(), accounts.As(rd.person.user))
	if len(ss) != 1 {
		t.Fatalf("sessions left = %d, want 1", len(ss))
	}
	p = rd.post("/app/account/sessions/"+fmt.Sprint(ss[0].ID)+"/end", nil)
	if p.status != http.StatusSeeOther || p.location() != "/signin" {
		t.Errorf("ending this session = %d to %q, want 303 to sign in", p.status, p.location())
	}
	if p := rd.get("/app/account"); p.status != http.StatusSeeOther {
		t.Errorf("the account after ending this session = %d, want 303 to sign in", p.status)
	}
}

var keySecretRe = regexp.MustCompile(`id="key-secret" type="text" value="([^"]+)"`)

func TestAppAccountKeys(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("kim", tiny.RoleMember)
	p := rd.get("/app/account/keys")
	if p.status != 200 || !strings.Contains(p.text(), `value="links:write"`) || strings.Contains(p.text(), `value="admin"`) {
		t.Fatalf("GET /app/account/keys = %d, want the scopes a member may give, not admin", p.status)
	}
	for _, c := range []struct {
		form        url.Values
		field, want string
	}{
		{url.Values{"name": {""}, "scopes": {"links:read"}, "expiry": {"never"}}, "key-name-error", "Name must be"},
		{url.Values{"name": {"x"}, "expiry": {"never"}}, "scopes-error", "hoose at least one"},
		{url.Values{"name": {"x"}, "scopes": {"admin"}, "expiry": {"never"}}, "scopes-error", "cannot have a key with the scope admin"},
		{url.Values{"name": {"x"}, "scopes": {"links:read"}, "expiry": {"date"}, "date": {"2001-01-01"}}, "expiry-error", "in the future"},
	} {
		p := rd.post("/app/account/keys", c.form)
		if p.status != http.StatusUnprocessableEntity || !strings.Contains(p.text(), `id="`+c.field+`"`) || !strings.Contains(p.text(), c.want) {
			t.Errorf("POST /app/account/keys %v = %d, want 422 with %q in %s", c.form, p.status, c.want, c.field)
		}
	}
	p = rd.post("/app/account/keys", url.Values{"name": {"deploy script"}, "scopes": {"links:read", "links:write"}, "expiry": {"30"}})
	m := keySecretRe.FindStringSubmatch(p.text())
	if p.status != http.StatusCreated || m == nil || !strings.Contains(p.text(), "only time it is shown") {
		t.Fatalf("POST /app/account/keys = %d, want 201 with the secret:\n%s", p.status, p.text())
	}
	secret := m[1]
	if r := e.do("GET", "/api/v1/links", secret, nil); r.status != 200 {
		t.Errorf("the new key against the API = %d %s, want 200", r.status, r.body)
	}
	p = rd.get("/app/account/keys")
	if strings.Contains(p.text(), secret) || !strings.Contains(p.text(), "deploy script") || !strings.Contains(p.text(), tiny.APIKeyDisplayPrefix(secret)) {
		t.Errorf("the key list should name the key and its prefix, never the secret")
	}
	keys, _ := e.accounts.Keys(context.Background(), accounts.As(rd.person.user), rd.person.user.ID)
	var id int64
	for _, k := range keys {
		if k.Name == "deploy script" {
			id = k.ID
			if k.ExpiresAt == nil || k.ExpiresAt.Sub(time.Now()) < 29*24*time.Hour {
				t.Errorf("the key expires at %v, want in 30 days", k.ExpiresAt)
			}
		}
	}
	// Someone else's key is not this person's to revoke.
	stranger := e.newPerson("stranger", tiny.RoleMember)
	skeys, _ := e.accounts.Keys(context.Background(), accounts.As(stranger.user), stranger.user.ID)
	if p := rd.post("/app/account/keys/"+fmt.Sprint(skeys[0].ID)+"/revoke", nil); p.status != http.StatusNotFound {
		t.Errorf("revoking another's key = %d, want 404", p.status)
	}
	if p := rd.post("/app/account/keys/"+fmt.Sprint(id)+"/revoke", nil); p.status != http.StatusSeeOther {
		t.Fatalf("revoking the key = %d, want 303", p.status)
	}
	if r := e.do("GET", "/api/v1/links", secret, nil); r.status != 401 {
		t.Errorf("the revoked key = %d, want 401", r.status)
	}
}
