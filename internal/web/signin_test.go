package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// signInsOf gives the server the sign-ins of its accounts service,
// throttled in memory; opts change their configuration.
func signInsOf(t testing.TB, opts ...func(*accounts.SignInConfig)) func(*Config) {
	return func(c *Config) {
		secret := []byte("0123456789abcdef0123456789abcdef")
		tc := accounts.ThrottleDefaults()
		tc.DeviceKey = accounts.DeriveKey(secret, "known devices")
		mem := accounts.NewThrottleMemory(1000)
		t.Cleanup(mem.Close)
		th, err := accounts.NewThrottle(mem, tc)
		if err != nil {
			t.Fatal(err)
		}
		rh, err := accounts.NewRecoveryHasher(accounts.DeriveKey(secret, "recovery codes"))
		if err != nil {
			t.Fatal(err)
		}
		sc := accounts.SignInConfig{Throttle: th, Recovery: rh}
		for _, o := range opts {
			o(&sc)
		}
		if c.SignIns, err = accounts.NewSignIns(c.Accounts, sc); err != nil {
			t.Fatal(err)
		}
	}
}

const testPassphrase = "a long enough passphrase"

// sessionCookieOf returns the session cookie r sets, nil for none.
func sessionCookieOf(r response) *http.Cookie {
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookiePlain && c.MaxAge >= 0 {
			return c
		}
	}
	return nil
}

// newSignInUser makes a member who signs in with testPassphrase.
func newSignInUser(t *testing.T, e *env, email string) {
	t.Helper()
	if _, err := e.accounts.OperatorCreateUser(context.Background(), accounts.NewUser{Email: email, Password: testPassphrase}); err != nil {
		t.Fatal(err)
	}
}

// signInCookie signs email in through the API and returns the Cookie
// header of the session.
func signInCookie(t *testing.T, e *env, email string) string {
	t.Helper()
	r := e.do("POST", "/api/v1/auth/signin", "", map[string]string{"email": email, "password": testPassphrase})
	c := sessionCookieOf(r)
	if r.status != 200 || c == nil {
		t.Fatalf("sign-in of %s = %d %s, want 200 with a session cookie", email, r.status, r.body)
	}
	return c.Name + "=" + c.Value
}

// testSignIn signs in, uses the cookie, is refused from another site,
// signs out, and is throttled after repeated wrong passwords.
func testSignIn(t *testing.T, e *env) {
	newSignInUser(t, e, "anna.signin@example.com")
	creds := map[string]string{"email": "anna.signin@example.com", "password": testPassphrase}
	if r := e.do("POST", "/api/v1/auth/signin", "", creds, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden || sessionCookieOf(r) != nil {
		t.Errorf("sign-in from another site = %d, want 403 without a cookie", r.status)
	}
	r := e.do("POST", "/api/v1/auth/signin", "", creds)
	c := sessionCookieOf(r)
	if r.status != 200 || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Fatalf("sign-in = %d %s, cookie %+v; want 200 with an HttpOnly, Lax session cookie", r.status, r.body, c)
	}
	if u, _ := r.json(t)["user"].(map[string]any); u["email"] != "anna.signin@example.com" {
		t.Errorf("sign-in user = %v, want ann", u)
	}
	cookie := c.Name + "=" + c.Value
	if r := e.do("GET", "/api/v1/links", "", nil, "Cookie", cookie); r.status != 200 {
		t.Errorf("GET /api/v1/links with the cookie = %d, want 200", r.status)
	}
	if r := e.do("POST", "/api/v1/auth/signout", "", nil, "Cookie", cookie); r.status != http.StatusNoContent {
		t.Errorf("sign-out = %d, want 204", r.status)
	}
	if r := e.do("GET", "/api/v1/links", "", nil, "Cookie", cookie); r.status != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/links after sign-out = %d, want 401", r.status)
	}

	wrong := map[string]string{"email": "anna.signin@example.com", "password": "not the passphrase"}
	for i := range accounts.ThrottleDefaults().Account.Free {
		if r := e.do("POST", "/api/v1/auth/signin", "", wrong); r.status != http.StatusUnauthorized {
			t.Fatalf("wrong password #%d = %d, want 401", i, r.status)
		}
	}
	r = e.do("POST", "/api/v1/auth/signin", "", creds)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || r.errorCode() != "rate_limited" || sessionCookieOf(r) != nil {
		t.Errorf("right password past the limit = %d %s, Retry-After %q; want 429 rate_limited with Retry-After", r.status, r.body, r.header.Get("Retry-After"))
	}
}

// testTwoFactor enrols TOTP through the API, signs in with a code and with
// a recovery code, and turns it off; an API key may do none of it.
func testTwoFactor(t *testing.T, e *env) {
	newSignInUser(t, e, "tess.totp@example.com")
	cookie := signInCookie(t, e, "tess.totp@example.com")
	if r := e.do("POST", "/api/v1/account/totp", e.adminKey, nil); r.status != http.StatusForbidden {
		t.Errorf("enrol with an API key = %d, want 403", r.status)
	}
	r := e.do("POST", "/api/v1/account/totp", "", nil, "Cookie", cookie)
	secret, _ := r.json(t)["secret"].(string)
	if r.status != 200 || secret == "" {
		t.Fatalf("enrol = %d %s, want a secret", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/account/totp/confirm", "", map[string]string{"code": "000000"}, "Cookie", cookie); r.status != http.StatusBadRequest || r.errorField() != "code" {
		t.Errorf("confirm with a wrong code = %d %s, want 400 on code", r.status, r.body)
	}
	now := time.Now()
	code, _ := totp.GenerateCode(secret, now)
	r = e.do("POST", "/api/v1/account/totp/confirm", "", map[string]string{"code": code}, "Cookie", cookie)
	codes, _ := r.json(t)["recovery_codes"].([]any)
	if r.status != 200 || len(codes) != accounts.RecoveryCount {
		t.Fatalf("confirm = %d %s, want %d recovery codes", r.status, r.body, accounts.RecoveryCount)
	}
	pending := func() string {
		t.Helper()
		r := e.do("POST", "/api/v1/auth/signin", "", map[string]string{"email": "tess.totp@example.com", "password": testPassphrase})
		m := r.json(t)
		if r.status != 200 || m["second_factor_required"] != true || sessionCookieOf(r) != nil {
			t.Fatalf("sign-in with TOTP on = %d %s, want a pending sign-in without a cookie", r.status, r.body)
		}
		return m["pending"].(string)
	}
	next, _ := totp.GenerateCode(secret, now.Add(accounts.TOTPPeriod))
	p := pending()
	if r := e.do("POST", "/api/v1/auth/second-factor", "", map[string]string{"pending": p, "code": next}); r.status != 200 || sessionCookieOf(r) == nil {
		t.Errorf("second factor = %d %s, want 200 with a session", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/auth/second-factor", "", map[string]string{"pending": p, "code": next}); r.status != http.StatusUnauthorized {
		t.Errorf("the same code again = %d, want 401", r.status)
	}
	if r := e.do("POST", "/api/v1/auth/second-factor", "", map[string]string{"pending": p}); r.status != http.StatusBadRequest {
		t.Errorf("second factor without a code = %d, want 400", r.status)
	}
	if r := e.do("POST", "/api/v1/auth/second-factor", "", map[string]string{"pending": pending(), "recovery_code": codes[0].(string)}); r.status != 200 || sessionCookieOf(r) == nil {
		t.Errorf("second factor with a recovery code = %d %s, want 200 with a session", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/account/totp", "", map[string]string{"password": "not the passphrase"}, "Cookie", cookie); r.status != http.StatusBadRequest || r.errorField() != "password" {
		t.Errorf("turn off with a wrong password = %d %s, want 400 on password", r.status, r.body)
	}
	if r := e.do("DELETE", "/api/v1/account/totp", "", map[string]string{"password": testPassphrase}, "Cookie", cookie); r.status != http.StatusNoContent {
		t.Errorf("turn off = %d %s, want 204", r.status, r.body)
	}
	signInCookie(t, e, "tess.totp@example.com") // no second factor any more
}

// postForm posts a form as a browser does, through the contract checker.
func postForm(t *testing.T, e *env, path string, form url.Values, header ...string) response {
	t.Helper()
	req, _ := http.NewRequest("POST", e.base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "text/html")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := e.api.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	_, _ = io.Copy(&b, resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: []byte(b.String())}
}

// testSignInForm signs in with the plain form, which shows mistakes on the
// form again.
func testSignInForm(t *testing.T, e *env) {
	newSignInUser(t, e, "fred.form@example.com")
	if r := e.visit("GET", "/signin", "Accept", "text/html"); r.status != 200 || !strings.Contains(string(r.body), `action="/signin"`) {
		t.Errorf("GET /signin = %d, want the form", r.status)
	}
	r := postForm(t, e, "/signin", url.Values{"email": {"fred.form@example.com"}, "password": {"not the passphrase"}})
	if r.status != http.StatusUnauthorized || !strings.Contains(string(r.body), "wrong email or password") || sessionCookieOf(r) != nil {
		t.Errorf("form with a wrong password = %d, want 401 with the form and its message", r.status)
	}
	r = postForm(t, e, "/signin", url.Values{"email": {"fred.form@example.com"}, "password": {testPassphrase}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" || sessionCookieOf(r) == nil {
		t.Errorf("form = %d, Location %q; want 303 to / with a session", r.status, r.header.Get("Location"))
	}
	if r := postForm(t, e, "/signin", url.Values{"email": {"fred.form@example.com"}, "password": {testPassphrase}}, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
		t.Errorf("form from another site = %d, want 403", r.status)
	}
}

// testSetup spends the setup token on the first admin: a bad token is
// refused, a weak password shows the form again, the right form signs the
// admin in, and the token works once.
func testSetup(t *testing.T, e *env) {
	token, err := e.accounts.NewSetupToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := e.visit("GET", "/setup?token=wrong", "Accept", "text/html"); r.status != http.StatusUnauthorized {
		t.Errorf("GET /setup with a wrong token = %d, want 401", r.status)
	}
	if r := e.visit("GET", "/setup?token="+url.QueryEscape(token), "Accept", "text/html"); r.status != 200 || !strings.Contains(string(r.body), `name="token"`) || r.header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("GET /setup = %d, Referrer-Policy %q; want the form, sending no referrer", r.status, r.header.Get("Referrer-Policy"))
	}
	send := func(password string, header ...string) response {
		return postForm(t, e, "/setup", url.Values{"token": {token}, "email": {"root@example.com"}, "password": {password}}, header...)
	}
	if r := send(testPassphrase, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden {
		t.Errorf("POST /setup from another site = %d, want 403", r.status)
	}
	if r := send("password"); r.status != http.StatusBadRequest || sessionCookieOf(r) != nil {
		t.Errorf("POST /setup with a weak password = %d, want 400 without a session", r.status)
	}
	r := send(testPassphrase)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" || sessionCookieOf(r) == nil {
		t.Fatalf("POST /setup = %d, Location %q; want 303 to / with a session", r.status, r.header.Get("Location"))
	}
	u, err := e.store.UserByEmail(context.Background(), "root@example.com")
	if err != nil || u.Role != tiny.RoleAdmin {
		t.Errorf("the setup's user = %+v, %v; want an admin", u, err)
	}
	if r := send(testPassphrase); r.status < 400 || sessionCookieOf(r) != nil {
		t.Errorf("POST /setup again = %d, want refused", r.status)
	}
}

// testSingleSignOnOff checks that single sign-on answers 404 where it is
// not configured (cmd/tiny's end-to-end test runs it against a provider).
func testSingleSignOnOff(t *testing.T, e *env) {
	for _, path := range []string{"/auth/oidc/start", accounts.OIDCCallbackPath + "?state=x&code=y"} {
		if r := e.visit("GET", path); r.status != http.StatusNotFound {
			t.Errorf("GET %s without single sign-on = %d, want 404", path, r.status)
		}
	}
}
