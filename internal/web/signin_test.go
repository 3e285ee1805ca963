package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// signInsOf gives the server the sign-ins of its accounts service,
// throttled in memory.
func signInsOf(t testing.TB) func(*Config) {
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
		if c.SignIns, err = accounts.NewSignIns(c.Accounts, accounts.SignInConfig{Throttle: th, Recovery: rh}); err != nil {
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

// TestSignInAPI signs in, uses the cookie, is refused from another site,
// signs out, and is throttled after repeated wrong passwords.
func TestSignInAPI(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	if _, err := e.accounts.OperatorCreateUser(context.Background(), accounts.NewUser{Email: "ann@example.com", Password: testPassphrase}); err != nil {
		t.Fatal(err)
	}
	creds := map[string]string{"email": "ann@example.com", "password": testPassphrase}
	if r := e.do("POST", "/api/v1/auth/signin", "", creds, "Sec-Fetch-Site", "cross-site"); r.status != http.StatusForbidden || sessionCookieOf(r) != nil {
		t.Errorf("sign-in from another site = %d, want 403 without a cookie", r.status)
	}
	r := e.do("POST", "/api/v1/auth/signin", "", creds)
	c := sessionCookieOf(r)
	if r.status != 200 || c == nil || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" {
		t.Fatalf("sign-in = %d %s, cookie %+v; want 200 with an HttpOnly, Lax session cookie", r.status, r.body, c)
	}
	if u, _ := r.json(t)["user"].(map[string]any); u["email"] != "ann@example.com" {
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

	wrong := map[string]string{"email": "ann@example.com", "password": "not the passphrase"}
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

// TestSetupForm spends the setup token on the first admin: a bad token is
// refused, a weak password shows the form again, the right form signs the
// admin in, and the token works once.
func TestSetupForm(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	token, err := e.accounts.NewSetupToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if r := e.visit("GET", "/setup?token=wrong", "Accept", "text/html"); r.status != http.StatusUnauthorized {
		t.Errorf("GET /setup with a wrong token = %d, want 401", r.status)
	}
	if r := e.visit("GET", "/setup?token="+url.QueryEscape(token), "Accept", "text/html"); r.status != 200 || !strings.Contains(string(r.body), `name="token"`) {
		t.Errorf("GET /setup = %d, want the form", r.status)
	}
	send := func(password string, header ...string) response {
		form := url.Values{"token": {token}, "email": {"root@example.com"}, "password": {password}}
		h := append([]string{"Content-Type", "application/x-www-form-urlencoded", "Accept", "text/html"}, header...)
		req, _ := http.NewRequest("POST", e.base+"/setup", strings.NewReader(form.Encode()))
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		resp, err := e.api.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return response{status: resp.StatusCode, header: resp.Header}
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
