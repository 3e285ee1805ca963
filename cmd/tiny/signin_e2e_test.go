package main

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/pquerna/otp/totp"
)

// The sign-in flows against the real binary: the setup URL, password
// sign-in with its throttle, sign-out, idle expiry, TOTP with recovery
// codes, single sign-on, the offline admin commands, and a revocation that
// reaches another node of a cluster.

const e2ePassword = "a long enough passphrase"

// browser is a client without a cookie jar: each test says which cookie it
// sends.
type browser struct {
	t    *testing.T
	addr string
}

// call makes a JSON request with the session cookie (when not empty) and
// returns the status, the decoded body and the response.
func (b browser) call(method, path, session string, body any) (int, map[string]any, *http.Response) {
	b.t.Helper()
	var r io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		r = strings.NewReader(string(raw))
	}
	req, _ := http.NewRequest(method, "http://"+b.addr+path, r)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if session != "" {
		req.AddCookie(&http.Cookie{Name: "tiny_session", Value: session})
	}
	resp, err := noRedirect.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out, resp
}

// sessionOf returns the session cookie resp sets, "" for none.
func sessionOf(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if c.Name == "tiny_session" && c.MaxAge >= 0 {
			return c.Value
		}
	}
	return ""
}

// signIn signs in with a password and returns the session, failing the
// test unless one was set.
func (b browser) signIn(email, password string) string {
	b.t.Helper()
	status, body, resp := b.call("POST", "/api/v1/auth/signin", "", map[string]string{"email": email, "password": password})
	session := sessionOf(resp)
	if status != 200 || session == "" {
		b.t.Fatalf("sign-in of %s = %d %v, want 200 and a session cookie", email, status, body)
	}
	c := resp.Cookies()[0]
	if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
		b.t.Errorf("session cookie %+v, want HttpOnly and SameSite=Lax", c)
	}
	return session
}

// signedIn reports the status of an API call made with session.
func (b browser) signedIn(session string) int {
	b.t.Helper()
	status, _, _ := b.call("GET", "/api/v1/links", session, nil)
	return status
}

// runAdmin runs `tiny admin` with stdin and returns its output.
func runAdmin(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command(tinyBinary(t), append([]string{"admin"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("tiny admin %v = %v\n%s", args, err, out)
	}
	return string(out)
}

var setupURL = regexp.MustCompile(`http://\S+/setup\?token=\S+`)

// TestSetupURLCreatesTheAdmin starts tiny afresh: it prints a setup URL
// besides the admin key; its form creates the admin and signs them in; the
// token then works no more.
func TestSetupURLCreatesTheAdmin(t *testing.T) {
	addr := freeAddr(t)
	p := startTiny(t, filepath.Join(t.TempDir(), "tiny.db"), addr)
	time.Sleep(50 * time.Millisecond)
	link := setupURL.FindString(p.stdout.String())
	if link == "" {
		t.Fatalf("the first start printed no setup URL; stdout:\n%s", p.stdout)
	}
	resp, err := noRedirect.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(page), `action="/setup"`) {
		t.Fatalf("GET the setup URL = %d, want the form:\n%s", resp.StatusCode, page)
	}
	token := strings.SplitN(link, "token=", 2)[1]
	token, _ = url.QueryUnescape(token)
	form := url.Values{"token": {token}, "email": {"Admin@Example.com"}, "password": {e2ePassword}}
	resp, err = noRedirect.PostForm("http://"+addr+"/setup", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	session := sessionOf(resp)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" || session == "" {
		t.Fatalf("POST /setup = %d, Location %q, session %t; want 303 to / with a session", resp.StatusCode, resp.Header.Get("Location"), session != "")
	}
	b := browser{t, addr}
	if got := b.signedIn(session); got != 200 {
		t.Errorf("API call with the setup's session = %d, want 200", got)
	}
	resp, err = noRedirect.PostForm("http://"+addr+"/setup", form)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode < 400 || sessionOf(resp) != "" {
		t.Errorf("POST /setup with the spent token = %d, want refused without a session", resp.StatusCode)
	}
	if resp := get(t, addr, "/setup?token="+url.QueryEscape(token)); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET the spent setup URL = %d, want 401", resp.StatusCode)
	}
	b.signIn("admin@example.com", e2ePassword)
}

// TestPasswordSignInSignOutAndExpiry signs a user made by `tiny admin
// create-user` in and out, throttles wrong passwords, and lets an idle
// session expire.
func TestPasswordSignInSignOutAndExpiry(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tiny.db")
	addr := freeAddr(t)
	startTinyWith(t, addr, []string{"--database", db, "--session-idle", "2s"}, "TINY_INITIAL_API_KEY="+testKey)
	runAdmin(t, e2ePassword+"\n", "create-user", "--database", db, "--email", "bob@example.com", "--password-stdin")
	b := browser{t, addr}

	if got := b.signedIn(""); got != http.StatusUnauthorized {
		t.Errorf("API call without a session = %d, want 401", got)
	}
	session := b.signIn("bob@example.com", e2ePassword)
	if got := b.signedIn(session); got != 200 {
		t.Errorf("API call with the session = %d, want 200", got)
	}
	if status, _, resp := b.call("POST", "/api/v1/auth/signout", session, nil); status != http.StatusNoContent || resp.Cookies() == nil {
		t.Errorf("sign-out = %d, want 204 clearing the cookie", status)
	}
	if got := b.signedIn(session); got != http.StatusUnauthorized {
		t.Errorf("API call after sign-out = %d, want 401", got)
	}

	session = b.signIn("bob@example.com", e2ePassword)
	time.Sleep(2500 * time.Millisecond)
	if got := b.signedIn(session); got != http.StatusUnauthorized {
		t.Errorf("API call after 2.5 s idle with --session-idle 2s = %d, want 401", got)
	}

	var status int
	var resp *http.Response
	for i := 0; i < 10 && status != http.StatusTooManyRequests; i++ {
		status, _, resp = b.call("POST", "/api/v1/auth/signin", "", map[string]string{"email": "bob@example.com", "password": "wrong password " + string(rune('a'+i))})
	}
	if status != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("repeated wrong passwords = %d, Retry-After %q; want 429 with Retry-After", status, resp.Header.Get("Retry-After"))
	}
	if status, _, _ := b.call("POST", "/api/v1/auth/signin", "", map[string]string{"email": "bob@example.com", "password": e2ePassword}); status != http.StatusTooManyRequests {
		t.Errorf("the right password while throttled = %d, want 429", status)
	}

	// Every sign-in, failure and lockout is in the audit log moderators
	// read, and so is the password the operator set when creating bob.
	status, body := apiCall(t, "GET", addr, "/api/v1/moderation/audit?limit=200", "")
	if status != http.StatusOK {
		t.Fatalf("GET /api/v1/moderation/audit = %d %s", status, body)
	}
	for _, action := range []string{`"action":"sign_in"`, `"action":"sign_in_failed"`, `"action":"lockout"`, `"action":"user_created"`} {
		if !strings.Contains(body, action) {
			t.Errorf("the audit log has no %s entry:\n%s", action, body)
		}
	}
	if strings.Contains(body, "wrong password") || strings.Contains(body, e2ePassword) {
		t.Errorf("the audit log holds a password:\n%s", body)
	}
}

// TestTOTPSignIn enrols an authenticator, signs in with a code from it,
// then with a recovery code, which works once; `tiny admin disable-2fa`
// turns the second factor off.
func TestTOTPSignIn(t *testing.T) {
	db := filepath.Join(t.TempDir(), "tiny.db")
	addr := freeAddr(t)
	startTinyWith(t, addr, []string{"--database", db}, "TINY_INITIAL_API_KEY="+testKey)
	runAdmin(t, e2ePassword+"\n", "create-user", "--database", db, "--email", "carol@example.com", "--role", "moderator", "--password-stdin")
	b := browser{t, addr}
	session := b.signIn("carol@example.com", e2ePassword)

	status, body, _ := b.call("POST", "/api/v1/account/totp", session, nil)
	secret, _ := body["secret"].(string)
	if status != 200 || secret == "" || !strings.HasPrefix(body["otpauth_url"].(string), "otpauth://totp/") {
		t.Fatalf("enrol = %d %v, want a secret and an otpauth URL", status, body)
	}
	now := time.Now()
	code, _ := totp.GenerateCode(secret, now)
	status, body, _ = b.call("POST", "/api/v1/account/totp/confirm", session, map[string]string{"code": code})
	codes, _ := body["recovery_codes"].([]any)
	if status != 200 || len(codes) != 10 {
		t.Fatalf("confirm = %d %v, want 10 recovery codes", status, body)
	}
	b.call("POST", "/api/v1/auth/signout", session, nil)

	pending := func() string {
		t.Helper()
		status, body, resp := b.call("POST", "/api/v1/auth/signin", "", map[string]string{"email": "carol@example.com", "password": e2ePassword})
		if status != 200 || body["second_factor_required"] != true || sessionOf(resp) != "" {
			t.Fatalf("sign-in with TOTP on = %d %v, want a pending sign-in without a session", status, body)
		}
		return body["pending"].(string)
	}
	// The confirmation spent this step's code: the next step's is accepted
	// (one step of skew), and works once.
	next, _ := totp.GenerateCode(secret, now.Add(30*time.Second))
	p := pending()
	status, body, resp := b.call("POST", "/api/v1/auth/second-factor", "", map[string]string{"pending": p, "code": next})
	if status != 200 || sessionOf(resp) == "" {
		t.Fatalf("second factor with a code = %d %v, want a session", status, body)
	}
	if got := b.signedIn(sessionOf(resp)); got != 200 {
		t.Errorf("API call after the TOTP sign-in = %d, want 200", got)
	}
	if status, _, _ := b.call("POST", "/api/v1/auth/second-factor", "", map[string]string{"pending": p, "code": next}); status != http.StatusUnauthorized {
		t.Errorf("the same code again = %d, want 401", status)
	}
	recovery := codes[0].(string)
	status, _, resp = b.call("POST", "/api/v1/auth/second-factor", "", map[string]string{"pending": pending(), "recovery_code": recovery})
	if status != 200 || sessionOf(resp) == "" {
		t.Errorf("second factor with a recovery code = %d, want 200 with a session", status)
	}
	if status, _, _ := b.call("POST", "/api/v1/auth/second-factor", "", map[string]string{"pending": pending(), "recovery_code": recovery}); status != http.StatusUnauthorized {
		t.Errorf("the same recovery code again = %d, want 401", status)
	}

	runAdmin(t, "", "disable-2fa", "--database", db, "--email", "carol@example.com")
	b.signIn("carol@example.com", e2ePassword)
}

// TestOIDCSignIn follows single sign-on through mockoidc with a cookie
// jar, and ends signed in as the mock user, created on the first sign-in.
func TestOIDCSignIn(t *testing.T) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	addr := freeAddr(t)
	startTinyWith(t, addr, []string{"--database", filepath.Join(t.TempDir(), "tiny.db"),
		"--oidc-issuer", m.Issuer(), "--oidc-client-id", m.ClientID, "--oidc-client-secret", m.ClientSecret,
		"--oidc-allowed-domains", "example.com", "--oidc-allow-signup"}, "TINY_INITIAL_API_KEY="+testKey)

	jar, _ := cookiejar.New(nil)
	var last *http.Response
	client := &http.Client{Jar: jar, Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		last = req.Response
		return nil
	}}
	resp, err := client.Get("http://" + addr + "/auth/oidc/start")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Request.URL.Path != "/" || last == nil || last.Request.URL.Path != "/auth/oidc/callback" {
		t.Fatalf("single sign-on ended at %s %d, want the home page after the callback", resp.Request.URL, resp.StatusCode)
	}
	u, _ := url.Parse("http://" + addr + "/")
	session := ""
	for _, c := range jar.Cookies(u) {
		if c.Name == "tiny_session" {
			session = c.Value
		}
	}
	b := browser{t, addr}
	if got := b.signedIn(session); session == "" || got != 200 {
		t.Errorf("API call after single sign-on = %d (session %t), want 200", got, session != "")
	}
	if resp := get(t, addr, "/auth/oidc/callback?state=forged&code=x"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("callback without the start's cookie = %d, want 401", resp.StatusCode)
	}
}

// TestClusterSessionRevocation signs in on one node and uses the session
// on another; signing out on the first stops it on the second within a
// second.
func TestClusterSessionRevocation(t *testing.T) {
	dsn := clusterDatabase(t)
	nodes := startCluster(t, 2, dsn)
	runAdmin(t, e2ePassword+"\n", "create-user", "--database", dsn, "--email", "dave@example.com", "--password-stdin")
	a, b := browser{t, nodes[0].addr}, browser{t, nodes[1].addr}
	session := a.signIn("dave@example.com", e2ePassword)
	if got := b.signedIn(session); got != 200 {
		t.Fatalf("the session on the other node = %d, want 200", got)
	}
	if status, _, _ := a.call("POST", "/api/v1/auth/signout", session, nil); status != http.StatusNoContent {
		t.Fatalf("sign-out = %d, want 204", status)
	}
	deadline := time.Now().Add(time.Second)
	for b.signedIn(session) != http.StatusUnauthorized {
		if time.Now().After(deadline) {
			t.Fatal("the other node still took the session 1 s after sign-out")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
