package accounts

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"

	"tiny/internal/tiny"
)

// The tests run a real OpenID Connect server in the test process
// (mockoidc: discovery, JWKS, authorize and token endpoints, RS256 tokens)
// and go through the whole flow over HTTP. Middleware in front of its
// endpoints forges what a hostile network or provider could send.

// oidcTestUser is a mockoidc user whose ID token carries exactly the claims
// a test sets, and whose registered claims a test may change (audience,
// issuer) before the server signs them with its real key.
type oidcTestUser struct {
	sub    string
	claims map[string]any
	edit   func(*mockoidc.IDTokenClaims)
}

func (u *oidcTestUser) ID() string { return u.sub }

func (u *oidcTestUser) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": u.sub})
}

func (u *oidcTestUser) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if u.edit != nil {
		u.edit(base)
	}
	raw, err := json.Marshal(base)
	if err != nil {
		return nil, err
	}
	out := jwt.MapClaims{}
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, err
	}
	for k, v := range u.claims {
		out[k] = v
	}
	return out, nil
}

// oidcAlice is the usual user: verified address in the allowed domain.
func oidcAlice() *oidcTestUser { return oidcAliceWith(nil) }

// oidcAliceWith is oidcAlice with claims set over hers; a nil value removes
// the claim.
func oidcAliceWith(claims map[string]any) *oidcTestUser {
	u := &oidcTestUser{sub: "alice-123", claims: map[string]any{
		"email": "alice@example.com", "email_verified": true, "name": "Alice Example",
	}}
	for k, v := range claims {
		if v == nil {
			delete(u.claims, k)
		} else {
			u.claims[k] = v
		}
	}
	return u
}

// oidcTestServer starts mockoidc on a loopback port with the given
// middleware and stops it at the end of the test.
func oidcTestServer(t *testing.T, mw ...func(http.Handler) http.Handler) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range mw {
		if err := m.AddMiddleware(f); err != nil {
			t.Fatal(err)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return m
}

func oidcTestConfig(m *mockoidc.MockOIDC) OIDCConfig {
	return OIDCConfig{
		Issuer:         m.Issuer(),
		ClientID:       m.ClientID,
		ClientSecret:   m.ClientSecret,
		RedirectURL:    "https://tiny.example" + OIDCCallbackPath,
		Scopes:         []string{"email", "profile", "groups"},
		AllowedDomains: []string{"example.com", "Example.ORG"},
		RoleClaim:      "groups",
		RoleMap:        map[string]string{"tiny-admins": "admin", "tiny-mods": "moderator", "staff": "member"},
		RolePrecedence: []string{"admin", "moderator", "member"},
		DefaultRole:    "member",
		AllowSignUp:    true,
	}
}

func oidcTestProvider(t *testing.T, cfg OIDCConfig) *OIDCProvider {
	t.Helper()
	p, err := NewOIDCProvider(context.Background(), cfg)
	if err != nil {
		t.Fatalf("NewOIDCProvider error: %v", err)
	}
	return p
}

// oidcAuthorize sends the browser's request to the provider's authorize
// URL for user and returns the code from the redirect back to tiny.
func oidcAuthorize(t *testing.T, m *mockoidc.MockOIDC, p *OIDCProvider, user mockoidc.User, state, nonce, verifier string) string {
	t.Helper()
	if user != nil {
		m.QueueUser(user)
	}
	browser := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := browser.Get(p.AuthCodeURL(state, nonce, verifier))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize = %s, Location %q, want a redirect", resp.Status, resp.Header.Get("Location"))
	}
	if !strings.HasPrefix(loc.String(), "https://tiny.example"+OIDCCallbackPath+"?") {
		t.Errorf("redirect to %q, want the callback", loc)
	}
	if got := loc.Query().Get("state"); !OIDCStateMatches(state, got) {
		t.Errorf("callback state = %q, want %q", got, state)
	}
	return loc.Query().Get("code")
}

// oidcSignIn runs the whole flow for user and returns what Exchange says.
// The nonce passed to Exchange is the one sent unless exchangeNonce is set.
func oidcSignIn(t *testing.T, m *mockoidc.MockOIDC, p *OIDCProvider, user mockoidc.User, exchangeNonce string) (OIDCIdentity, error) {
	t.Helper()
	state, nonce, verifier := OIDCNewState(), OIDCNewNonce(), OIDCNewVerifier()
	code := oidcAuthorize(t, m, p, user, state, nonce, verifier)
	if exchangeNonce == "" {
		exchangeNonce = nonce
	}
	return p.Exchange(context.Background(), code, verifier, exchangeNonce)
}

func TestOIDCHappyPath(t *testing.T) {
	m := oidcTestServer(t)
	p := oidcTestProvider(t, oidcTestConfig(m))
	got, err := oidcSignIn(t, m, p, oidcAliceWith(map[string]any{"groups": []string{"staff", "tiny-mods"}}), "")
	if err != nil {
		t.Fatalf("Exchange error: %v", err)
	}
	want := OIDCIdentity{Issuer: m.Issuer(), Subject: "alice-123", Email: "alice@example.com", Name: "Alice Example", Role: "moderator"}
	if got != want {
		t.Errorf("Exchange = %+v, want %+v", got, want)
	}
	if !p.SignUpAllowed() {
		t.Errorf("SignUpAllowed() = false, want true as configured")
	}
}

// TestOIDCAuthCodeURL: the request carries state, nonce and a S256 PKCE
// challenge, never the verifier itself.
func TestOIDCAuthCodeURL(t *testing.T) {
	m := oidcTestServer(t)
	p := oidcTestProvider(t, oidcTestConfig(m))
	state, nonce, verifier := OIDCNewState(), OIDCNewNonce(), OIDCNewVerifier()
	u, err := url.Parse(p.AuthCodeURL(state, nonce, verifier))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	want := map[string]string{
		"state": state, "nonce": nonce, "client_id": m.ClientID, "response_type": "code",
		"redirect_uri": "https://tiny.example/auth/oidc/callback", "scope": "openid email profile groups",
		"code_challenge_method": "S256", "code_challenge": oauth2.S256ChallengeFromVerifier(verifier),
	}
	for k, v := range want {
		if q.Get(k) != v {
			t.Errorf("AuthCodeURL %s = %q, want %q", k, q.Get(k), v)
		}
	}
	if strings.Contains(u.String(), verifier) {
		t.Errorf("AuthCodeURL %q carries the PKCE verifier", u)
	}
	if u.Scheme+"://"+u.Host+u.Path != m.AuthorizationEndpoint() {
		t.Errorf("AuthCodeURL goes to %s, want the discovered %s", u.Path, m.AuthorizationEndpoint())
	}
}

// oidcRewriteIDToken is middleware on the token endpoint that hands the
// client rewrite(id_token) instead of the token the server signed.
func oidcRewriteIDToken(rewrite func(t string) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != mockoidc.TokenEndpoint {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			var body map[string]any
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err == nil {
				if tok, ok := body["id_token"].(string); ok {
					body["id_token"] = rewrite(tok)
				}
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(rec.Code)
			json.NewEncoder(w).Encode(body)
		})
	}
}

// oidcServeKeys is middleware that publishes key under the real key's id in
// place of the real key: tokens the server signs then fail to verify.
func oidcServeKeys(t *testing.T, key *rsa.PrivateKey) func(http.Handler) http.Handler {
	real, err := mockoidc.DefaultKeypair()
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := real.KeyID()
	other := &mockoidc.Keypair{PrivateKey: key, PublicKey: &key.PublicKey, Kid: kid}
	jwks, err := other.JWKS()
	if err != nil {
		t.Fatal(err)
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != mockoidc.JWKSEndpoint {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			w.Write(jwks)
		})
	}
}

// oidcTamperPayload rewrites the token's claims and keeps its signature.
func oidcTamperPayload(edit func(map[string]any)) func(string) string {
	return func(tok string) string {
		parts := strings.Split(tok, ".")
		raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
		var claims map[string]any
		json.Unmarshal(raw, &claims)
		edit(claims)
		raw, _ = json.Marshal(claims)
		parts[1] = base64.RawURLEncoding.EncodeToString(raw)
		return strings.Join(parts, ".")
	}
}

// oidcUnsigned turns the token into an alg "none" token with the same claims.
func oidcUnsigned(tok string) string {
	parts := strings.Split(tok, ".")
	header := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`))
	return header + "." + parts[1] + "."
}

// TestOIDCRejectsForgedTokens: whatever a forger changes, the signature
// check catches it; nothing of the forged claims gets through.
func TestOIDCRejectsForgedTokens(t *testing.T) {
	otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		mw   func(http.Handler) http.Handler
	}{
		{"claims edited after signing", oidcRewriteIDToken(oidcTamperPayload(func(c map[string]any) {
			c["email"] = "mallory@example.com"
			c["groups"] = []string{"tiny-admins"}
		}))},
		{"signature bytes flipped", oidcRewriteIDToken(func(tok string) string {
			parts := strings.Split(tok, ".")
			sig, _ := base64.RawURLEncoding.DecodeString(parts[2])
			sig[10] ^= 0xff
			parts[2] = base64.RawURLEncoding.EncodeToString(sig)
			return strings.Join(parts, ".")
		})},
		{"alg none", oidcRewriteIDToken(oidcUnsigned)},
		{"not a JWT", oidcRewriteIDToken(func(string) string { return "garbage" })},
		{"provider publishes another key", oidcServeKeys(t, otherKey)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := oidcTestServer(t, tt.mw)
			p := oidcTestProvider(t, oidcTestConfig(m))
			got, err := oidcSignIn(t, m, p, oidcAlice(), "")
			if !errors.Is(err, ErrOIDCSignature) || got != (OIDCIdentity{}) {
				t.Errorf("Exchange(%s) = %+v, %v, want ErrOIDCSignature", tt.name, got, err)
			}
			if !tiny.IsCode(err, tiny.Unauthorized) {
				t.Errorf("Exchange(%s) code = %s, want unauthorized", tt.name, tiny.ErrorCodeOf(err))
			}
		})
	}
}

// TestOIDCRejectsBadClaims: tokens the provider really signed, but that
// must not sign anyone in here.
func TestOIDCRejectsBadClaims(t *testing.T) {
	tests := []struct {
		name   string
		claims map[string]any // over Alice's; nil removes one
		edit   func(*mockoidc.IDTokenClaims)
		want   error
	}{
		{"wrong audience", nil, func(c *mockoidc.IDTokenClaims) { c.Audience = jwt.ClaimStrings{"another-app"} }, ErrOIDCAudience},
		{"us among audiences, another app authorized", map[string]any{"azp": "another-app"}, nil, ErrOIDCAudience},
		{"wrong issuer", nil, func(c *mockoidc.IDTokenClaims) { c.Issuer = "https://evil.example" }, ErrOIDCIssuer},
		{"not valid yet", nil, func(c *mockoidc.IDTokenClaims) { c.NotBefore = jwt.NewNumericDate(time.Now().Add(time.Hour)) }, ErrOIDCExpired},
		{"disallowed domain", map[string]any{"email": "mallory@evil.com"}, nil, ErrOIDCDomain},
		{"subdomain of an allowed domain", map[string]any{"email": "mallory@evil.example.com"}, nil, ErrOIDCDomain},
		{"allowed domain as a suffix", map[string]any{"email": "mallory@notexample.com"}, nil, ErrOIDCDomain},
		{"email not verified", map[string]any{"email_verified": false}, nil, ErrOIDCEmailUnverified},
		{"email_verified omitted", map[string]any{"email_verified": nil}, nil, ErrOIDCEmailUnverified},
		{`email_verified "false"`, map[string]any{"email_verified": "false"}, nil, ErrOIDCEmailUnverified},
		{"no email", map[string]any{"email": nil}, nil, ErrOIDCEmail},
		{"two @", map[string]any{"email": "mallory@evil.com@example.com"}, nil, ErrOIDCEmail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := oidcTestServer(t)
			p := oidcTestProvider(t, oidcTestConfig(m))
			u := oidcAliceWith(tt.claims)
			u.edit = tt.edit
			got, err := oidcSignIn(t, m, p, u, "")
			if !errors.Is(err, tt.want) || got != (OIDCIdentity{}) {
				t.Errorf("Exchange(%s) = %+v, %v, want %v", tt.name, got, err, tt.want)
			}
		})
	}
}

// TestOIDCExpired moves the provider's clock an hour back (mockoidc's
// FastForward), so the token it signs expired 50 minutes ago; and keeps the
// provider's clock but moves ours past the token's 10 minutes of life.
func TestOIDCExpired(t *testing.T) {
	m := oidcTestServer(t)
	p := oidcTestProvider(t, oidcTestConfig(m))
	m.FastForward(-time.Hour)
	if _, err := oidcSignIn(t, m, p, oidcAlice(), ""); !errors.Is(err, ErrOIDCExpired) {
		t.Errorf("Exchange(token expired 50 min ago) = %v, want ErrOIDCExpired", err)
	}
	m.FastForward(time.Hour)

	cfg := oidcTestConfig(m)
	cfg.Now = func() time.Time { return time.Now().Add(m.AccessTTL + time.Second) }
	p = oidcTestProvider(t, cfg)
	if _, err := oidcSignIn(t, m, p, oidcAlice(), ""); !errors.Is(err, ErrOIDCExpired) {
		t.Errorf("Exchange(at expiry + 1 s by our clock) = %v, want ErrOIDCExpired", err)
	}
	cfg.Now = func() time.Time { return time.Now().Add(m.AccessTTL - time.Minute) }
	p = oidcTestProvider(t, cfg)
	if _, err := oidcSignIn(t, m, p, oidcAlice(), ""); err != nil {
		t.Errorf("Exchange(a minute before expiry) = %v, want nil", err)
	}
}

func TestOIDCNonceMismatch(t *testing.T) {
	m := oidcTestServer(t)
	p := oidcTestProvider(t, oidcTestConfig(m))
	if _, err := oidcSignIn(t, m, p, oidcAlice(), OIDCNewNonce()); !errors.Is(err, ErrOIDCNonce) {
		t.Errorf("Exchange(another request's nonce) = %v, want ErrOIDCNonce", err)
	}
}

// TestOIDCCodeChecks: the token endpoint refuses a wrong PKCE verifier and a
// code used twice; tiny reports both as ErrOIDCExchange.
func TestOIDCCodeChecks(t *testing.T) {
	m := oidcTestServer(t)
	p := oidcTestProvider(t, oidcTestConfig(m))
	ctx := context.Background()
	state, nonce, verifier := OIDCNewState(), OIDCNewNonce(), OIDCNewVerifier()

	code := oidcAuthorize(t, m, p, oidcAlice(), state, nonce, verifier)
	if _, err := p.Exchange(ctx, code, OIDCNewVerifier(), nonce); !errors.Is(err, ErrOIDCExchange) {
		t.Errorf("Exchange(wrong PKCE verifier) = %v, want ErrOIDCExchange", err)
	}

	code = oidcAuthorize(t, m, p, oidcAlice(), state, nonce, verifier)
	if _, err := p.Exchange(ctx, code, verifier, nonce); err != nil {
		t.Fatalf("Exchange(first use) = %v", err)
	}
	_, err := p.Exchange(ctx, code, verifier, nonce)
	if !errors.Is(err, ErrOIDCExchange) {
		t.Errorf("Exchange(code used twice) = %v, want ErrOIDCExchange", err)
	}
	// mockoidc quotes the code in its error description; the log must not.
	if err != nil && strings.Contains(err.Error(), code) {
		t.Errorf("Exchange(code used twice) error %q holds the code", err)
	}
	for _, args := range [][3]string{{"", verifier, nonce}, {code, "", nonce}, {code, verifier, ""}} {
		if _, err := p.Exchange(ctx, args[0], args[1], args[2]); !errors.Is(err, ErrOIDCExchange) {
			t.Errorf("Exchange(%q, %q, %q) = %v, want ErrOIDCExchange", args[0], args[1], args[2], err)
		}
	}
}

func TestOIDCProviderDown(t *testing.T) {
	m := oidcTestServer(t)
	p := oidcTestProvider(t, oidcTestConfig(m))
	state, nonce, verifier := OIDCNewState(), OIDCNewNonce(), OIDCNewVerifier()
	code := oidcAuthorize(t, m, p, oidcAlice(), state, nonce, verifier)
	// Failing: oauth2 tries the token endpoint twice (client secret in a
	// header, then in the form), so two errors are queued.
	for range 2 {
		m.QueueError(&mockoidc.ServerError{Code: http.StatusServiceUnavailable, Error: mockoidc.InternalServerError})
	}
	_, err := p.Exchange(context.Background(), code, verifier, nonce)
	if !errors.Is(err, ErrOIDCUnavailable) || !tiny.IsCode(err, tiny.Unavailable) {
		t.Errorf("Exchange(token endpoint 503) = %v, want ErrOIDCUnavailable", err)
	}
	// Gone.
	code = oidcAuthorize(t, m, p, oidcAlice(), state, nonce, verifier)
	m.Shutdown()
	_, err = p.Exchange(context.Background(), code, verifier, nonce)
	if !errors.Is(err, ErrOIDCUnavailable) || !tiny.IsCode(err, tiny.Unavailable) {
		t.Errorf("Exchange(provider down) = %v, want ErrOIDCUnavailable", err)
	}
}

func TestOIDCRoleMapping(t *testing.T) {
	tests := []struct {
		name  string
		claim string
		value any // nil: no claim
		want  string
	}{
		{"no claim", "groups", nil, "member"},
		{"unmapped group", "groups", []string{"engineering"}, "member"},
		{"one mapped group", "groups", []string{"engineering", "tiny-mods"}, "moderator"},
		{"most privileged wins", "groups", []string{"tiny-mods", "staff", "tiny-admins"}, "admin"},
		{"a string claim", "groups", "tiny-admins", "admin"},
		{"not strings", "groups", []any{1, true}, "member"},
		{"a number", "groups", 7, "member"},
		{"case matters", "groups", []string{"TINY-ADMINS"}, "member"},
		{"nested (Keycloak realm roles)", "realm_access.roles", map[string]any{"roles": []string{"tiny-admins"}}, "admin"},
		{"dotted top-level name (namespaced claim)", "https://tiny.example/roles", []string{"tiny-mods"}, "moderator"},
	}
	m := oidcTestServer(t)
	for _, tt := range tests {
		cfg := oidcTestConfig(m)
		cfg.RoleClaim = tt.claim
		p := oidcTestProvider(t, cfg)
		top, _, _ := strings.Cut(tt.claim, ".")
		if strings.HasPrefix(tt.claim, "https://") {
			top = tt.claim
		}
		got, err := oidcSignIn(t, m, p, oidcAliceWith(map[string]any{top: tt.value}), "")
		if err != nil || got.Role != tt.want {
			t.Errorf("%s: Exchange(%s = %v) role = %q, %v, want %q", tt.name, tt.claim, tt.value, got.Role, err, tt.want)
		}
	}
}

// TestOIDCEmailVerifiedVariants: what counts as a verified address.
func TestOIDCEmailVerifiedVariants(t *testing.T) {
	tests := []struct {
		value  any // nil: claim omitted
		assume bool
		want   error
	}{
		{true, false, nil},
		{"true", false, nil},
		{nil, true, nil},
		{false, true, ErrOIDCEmailUnverified},
		{"yes", false, ErrOIDCEmailUnverified},
		{1, false, ErrOIDCEmailUnverified},
	}
	m := oidcTestServer(t)
	for _, tt := range tests {
		cfg := oidcTestConfig(m)
		cfg.AssumeEmailVerified = tt.assume
		p := oidcTestProvider(t, cfg)
		u := oidcAliceWith(map[string]any{"email_verified": tt.value})
		if _, err := oidcSignIn(t, m, p, u, ""); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("Exchange(email_verified %#v, assume %v) = %v, want %v", tt.value, tt.assume, err, tt.want)
		}
	}
}

// TestOIDCDomainCase: domains compare without regard to case, and an empty
// list allows any.
func TestOIDCDomainCase(t *testing.T) {
	m := oidcTestServer(t)
	for _, tt := range []struct {
		email   string
		domains []string
		want    error
	}{
		{"Alice@EXAMPLE.com", []string{"example.com"}, nil},
		{"bob@example.org", []string{"Example.ORG"}, nil},
		{"bob@anything.test", nil, nil},
		{"bob@example.org.", []string{"example.org"}, ErrOIDCDomain},
	} {
		cfg := oidcTestConfig(m)
		cfg.AllowedDomains = tt.domains
		p := oidcTestProvider(t, cfg)
		got, err := oidcSignIn(t, m, p, oidcAliceWith(map[string]any{"email": tt.email}), "")
		if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
			t.Errorf("Exchange(%s, domains %q) = %v, want %v", tt.email, tt.domains, err, tt.want)
		}
		if err == nil && got.Email != tt.email {
			t.Errorf("Exchange(%s) email = %q, want it as given", tt.email, got.Email)
		}
	}
}

func TestOIDCConfigValidate(t *testing.T) {
	m := oidcTestServer(t)
	good := oidcTestConfig(m)
	tests := []struct {
		name string
		edit func(*OIDCConfig)
		ok   bool
	}{
		{"complete", func(*OIDCConfig) {}, true},
		{"no issuer", func(c *OIDCConfig) { c.Issuer = "" }, false},
		{"no client id", func(c *OIDCConfig) { c.ClientID = "" }, false},
		{"no secret", func(c *OIDCConfig) { c.ClientSecret = " " }, false},
		{"no redirect", func(c *OIDCConfig) { c.RedirectURL = "" }, false},
		{"no default role", func(c *OIDCConfig) { c.DefaultRole = "" }, false},
		{"address as domain", func(c *OIDCConfig) { c.AllowedDomains = []string{"a@example.com"} }, false},
		{"roles without precedence", func(c *OIDCConfig) { c.RolePrecedence = nil }, false},
		{"a role missing from precedence", func(c *OIDCConfig) { c.RolePrecedence = []string{"admin", "member"} }, false},
		{"one role needs no precedence", func(c *OIDCConfig) {
			c.RoleMap, c.RolePrecedence = map[string]string{"tiny-admins": "admin"}, nil
		}, true},
	}
	for _, tt := range tests {
		c := good
		tt.edit(&c)
		if err := c.Validate(); (err == nil) != tt.ok {
			t.Errorf("%s: Validate() = %v, want ok %v", tt.name, err, tt.ok)
		}
		if _, err := NewOIDCProvider(context.Background(), c); (err == nil) != tt.ok {
			t.Errorf("%s: NewOIDCProvider() = %v, want ok %v", tt.name, err, tt.ok)
		}
	}
}

func TestNewOIDCProviderDiscoveryFails(t *testing.T) {
	m := oidcTestServer(t)
	tests := map[string]string{
		"issuer differs from discovery": m.Issuer() + "/",
		"no server":                     "http://127.0.0.1:1/oidc",
		"no discovery document":         m.Addr() + "/nothing",
	}
	for name, issuer := range tests {
		cfg := oidcTestConfig(m)
		cfg.Issuer = issuer
		if _, err := NewOIDCProvider(context.Background(), cfg); err == nil {
			t.Errorf("NewOIDCProvider(%s: %s) = nil error, want one", name, issuer)
		}
	}
}

func TestOIDCRandomValues(t *testing.T) {
	for name, f := range map[string]func() string{"state": OIDCNewState, "nonce": OIDCNewNonce, "verifier": OIDCNewVerifier} {
		a, b := f(), f()
		if a == b || len(a) < 22 {
			t.Errorf("OIDCNew %s twice = %q, %q, want two different values of 128 bits or more", name, a, b)
		}
	}
	tests := []struct {
		want, got string
		ok        bool
	}{
		{"abc", "abc", true},
		{"abc", "abd", false},
		{"abc", "ab", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if OIDCStateMatches(tt.want, tt.got) != tt.ok {
			t.Errorf("OIDCStateMatches(%q, %q) = %v, want %v", tt.want, tt.got, !tt.ok, tt.ok)
		}
	}
}
