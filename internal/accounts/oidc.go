package accounts

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"tiny/internal/tiny"
)

// OIDCCallbackPath is where providers send users back to: the redirect URL
// to register is "https://<base>" + OIDCCallbackPath.
const OIDCCallbackPath = "/auth/oidc/callback"

// Single sign-on errors, each its own value so the service can audit why a
// sign-in failed. The messages are safe to show; the wrapped detail is for
// the log only.
var (
	// ErrOIDCExchange: the provider refused the authorization code (unknown,
	// used or expired code, wrong PKCE verifier, wrong client secret) or
	// answered without an ID token.
	ErrOIDCExchange = &tiny.Error{Code: tiny.Unauthorized, Message: "the identity provider did not confirm the sign-in"}
	// ErrOIDCUnavailable: the provider could not be reached, or failed (5xx).
	ErrOIDCUnavailable = &tiny.Error{Code: tiny.Unavailable, Message: "the identity provider cannot be reached"}
	// ErrOIDCSignature: the ID token is malformed, or its signature does not
	// verify against the provider's published keys.
	ErrOIDCSignature = &tiny.Error{Code: tiny.Unauthorized, Message: "the identity provider's answer is not validly signed"}
	// ErrOIDCIssuer: the ID token was issued by another provider.
	ErrOIDCIssuer = &tiny.Error{Code: tiny.Unauthorized, Message: "the sign-in was issued by another provider"}
	// ErrOIDCAudience: the ID token was issued to another application.
	ErrOIDCAudience = &tiny.Error{Code: tiny.Unauthorized, Message: "the sign-in was issued for another application"}
	// ErrOIDCExpired: the ID token has expired, or is not valid yet.
	ErrOIDCExpired = &tiny.Error{Code: tiny.Unauthorized, Message: "the sign-in has expired; please sign in again"}
	// ErrOIDCNonce: the ID token answers another sign-in request.
	ErrOIDCNonce = &tiny.Error{Code: tiny.Unauthorized, Message: "the sign-in does not match this request; please sign in again"}
	// ErrOIDCEmail: the ID token has no subject or no usable e-mail address.
	ErrOIDCEmail = &tiny.Error{Code: tiny.Forbidden, Message: "the identity provider gave no e-mail address"}
	// ErrOIDCEmailUnverified: the provider does not vouch for the address.
	ErrOIDCEmailUnverified = &tiny.Error{Code: tiny.Forbidden, Message: "the identity provider has not verified this e-mail address"}
	// ErrOIDCDomain: the address is outside the allowed domains.
	ErrOIDCDomain = &tiny.Error{Code: tiny.Forbidden, Message: "this e-mail domain may not sign in here"}
	// ErrOIDCSignUpClosed is for the service to return when an identity
	// has no account yet and OIDCConfig.AllowSignUp is off.
	ErrOIDCSignUpClosed = &tiny.Error{Code: tiny.Forbidden, Message: "there is no account for this identity, and sign-up is closed"}
)

// OIDCConfig configures single sign-on with one OpenID Connect provider.
type OIDCConfig struct {
	// Issuer is the provider's issuer URL; discovery reads
	// Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecret are the credentials the provider gave tiny.
	ClientID     string
	ClientSecret string
	// RedirectURL is "https://<base>/auth/oidc/callback" (OIDCCallbackPath),
	// exactly as registered with the provider.
	RedirectURL string
	// Scopes to ask for; "openid" is always added. Empty means openid,
	// email and profile.
	Scopes []string
	// AllowedDomains lists the e-mail domains that may sign in, matched
	// exactly (a subdomain is another domain) and without regard to case.
	// Empty allows every domain: only for a provider whose users are all
	// yours, never with a public one such as Google and AllowSignUp.
	AllowedDomains []string
	// RoleClaim names the ID token claim that carries roles or groups, a
	// string or an array of strings. A dotted name reaches into objects
	// ("realm_access.roles") unless a top-level claim has the whole name.
	// Empty: every user gets DefaultRole.
	RoleClaim string
	// RoleMap maps a claim value to a tiny role.
	RoleMap map[string]string
	// DefaultRole is the role when no claim value is in RoleMap.
	DefaultRole string
	// RolePrecedence orders roles from most to least privileged: when the
	// claim maps to several, the first of them here wins. Required when
	// RoleMap maps to more than one role, and must then list all of them.
	RolePrecedence []string
	// AllowSignUp lets an identity without an account create one.
	AllowSignUp bool
	// AssumeEmailVerified accepts an e-mail address when the provider omits
	// the email_verified claim (Entra ID does). Set it only for an issuer
	// whose addresses its own administrators assign (a single-tenant Entra
	// ID issuer), never for a multi-tenant or public one: an unverified
	// address there can name someone else's account. An explicit
	// email_verified false is refused whatever this says.
	AssumeEmailVerified bool
	// HTTPClient makes the requests to the provider; nil means one with a
	// 10 s timeout.
	HTTPClient *http.Client
	// Now is the clock for token expiry; nil means time.Now.
	Now func() time.Time
}

// Validate reports what is missing or inconsistent in c; cmd calls it at
// start (NewOIDCProvider does too).
func (c OIDCConfig) Validate() error {
	var errs []error
	for name, v := range map[string]string{"issuer": c.Issuer, "client id": c.ClientID,
		"client secret": c.ClientSecret, "redirect URL": c.RedirectURL, "default role": c.DefaultRole} {
		if strings.TrimSpace(v) == "" {
			errs = append(errs, fmt.Errorf("OIDC %s is empty", name))
		}
	}
	for _, d := range c.AllowedDomains {
		if d == "" || strings.Contains(d, "@") {
			errs = append(errs, fmt.Errorf("OIDC allowed domain %q is not a domain", d))
		}
	}
	roles := map[string]bool{}
	for _, r := range c.RoleMap {
		roles[r] = true
	}
	if len(roles) > 1 {
		for r := range roles {
			if !slices.Contains(c.RolePrecedence, r) {
				errs = append(errs, fmt.Errorf("OIDC role %q is mapped but not in the role precedence", r))
			}
		}
	}
	return errors.Join(errs...)
}

// OIDCIdentity is a verified sign-in. The service finds the user by
// (Issuer, Subject), which the provider never reassigns; the e-mail address
// links a first sign-in to an existing account and names a new one.
type OIDCIdentity struct {
	Issuer  string
	Subject string
	// Email as the provider gave it; its domain was checked.
	Email string
	// Name is the display name (name, else preferred_username); may be "".
	Name string
	// Role is the role from RoleClaim and RoleMap, or DefaultRole.
	Role string
}

// OIDCProvider signs users in with one provider. It is safe for concurrent use.
type OIDCProvider struct {
	cfg      OIDCConfig
	issuer   string
	oauth    oauth2.Config
	verifier *oidc.IDTokenVerifier
	client   *http.Client
}

// NewOIDCProvider validates cfg and reads the provider's discovery document;
// the signing keys are fetched when first needed and again when the
// provider rotates them.
func NewOIDCProvider(ctx context.Context, cfg OIDCConfig) (*OIDCProvider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, client), cfg.Issuer)
	if err != nil {
		return nil, fmt.Errorf("accounts: OIDC discovery at %s: %w", cfg.Issuer, err)
	}
	scopes := cfg.Scopes
	if len(scopes) == 0 {
		scopes = []string{"email", "profile"}
	}
	if !slices.Contains(scopes, oidc.ScopeOpenID) {
		scopes = append([]string{oidc.ScopeOpenID}, scopes...)
	}
	p := &OIDCProvider{cfg: cfg, issuer: cfg.Issuer, client: client}
	p.oauth = oauth2.Config{
		ClientID:     cfg.ClientID,
		ClientSecret: cfg.ClientSecret,
		Endpoint:     provider.Endpoint(),
		RedirectURL:  cfg.RedirectURL,
		Scopes:       scopes,
	}
	// go-oidc checks the signature first and then, unless told to skip them,
	// issuer, audience and expiry, with errors told apart only by their
	// text; checkClaims does those three itself so each has its own error.
	p.verifier = provider.Verifier(&oidc.Config{
		ClientID:          cfg.ClientID,
		SkipClientIDCheck: true,
		SkipExpiryCheck:   true,
		SkipIssuerCheck:   true,
	})
	return p, nil
}

// SignUpAllowed reports whether an identity without an account may create
// one; when not, the service returns ErrOIDCSignUpClosed.
func (p *OIDCProvider) SignUpAllowed() bool { return p.cfg.AllowSignUp }

// AuthCodeURL returns the provider URL to send the user to. state, nonce and
// verifier come from OIDCNewState, OIDCNewNonce and OIDCNewVerifier; the
// service keeps all three (in a short-lived, HttpOnly cookie) for the
// callback. The verifier is sent only as its S256 challenge (PKCE).
func (p *OIDCProvider) AuthCodeURL(state, nonce, verifier string) string {
	return p.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
}

// Exchange trades the code from the callback (after the caller has checked
// its state with OIDCStateMatches) for the user's identity. It verifies the
// ID token's signature with the provider's keys, its issuer, audience,
// expiry and nonce, requires a verified e-mail address in an allowed
// domain, and maps the role claim.
//
// Its errors are ErrOIDCExchange, ErrOIDCUnavailable, ErrOIDCSignature,
// ErrOIDCIssuer, ErrOIDCAudience, ErrOIDCExpired, ErrOIDCNonce,
// ErrOIDCEmail, ErrOIDCEmailUnverified and ErrOIDCDomain, wrapped with
// detail for the log (never a token).
func (p *OIDCProvider) Exchange(ctx context.Context, code, verifier, nonce string) (OIDCIdentity, error) {
	if code == "" || verifier == "" || nonce == "" {
		return OIDCIdentity{}, fmt.Errorf("%w: code, verifier or nonce missing", ErrOIDCExchange)
	}
	ctx = oidc.ClientContext(ctx, p.client)
	tok, err := p.oauth.Exchange(ctx, code, oauth2.VerifierOption(verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.Response != nil && re.Response.StatusCode >= 500 {
			return OIDCIdentity{}, fmt.Errorf("%w: token endpoint: %s", ErrOIDCUnavailable, re.Response.Status)
		}
		if errors.As(err, &re) {
			// Not the description: some providers quote the code in it.
			return OIDCIdentity{}, fmt.Errorf("%w: token endpoint refused: %q", ErrOIDCExchange, re.ErrorCode)
		}
		return OIDCIdentity{}, fmt.Errorf("%w: %w", ErrOIDCUnavailable, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return OIDCIdentity{}, fmt.Errorf("%w: no id_token in the token response", ErrOIDCExchange)
	}
	idt, err := p.verifier.Verify(ctx, raw)
	if err != nil {
		return OIDCIdentity{}, fmt.Errorf("%w: %w", ErrOIDCSignature, err)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return OIDCIdentity{}, fmt.Errorf("%w: claims: %w", ErrOIDCSignature, err)
	}
	if err := p.checkClaims(idt, claims, nonce); err != nil {
		return OIDCIdentity{}, err
	}
	return p.identity(idt, claims)
}

// oidcGoogleIssuer is the one issuer known to put its URL in tokens without
// the scheme; go-oidc accepts that for Google only, and so do we.
const oidcGoogleIssuer = "https://accounts.google.com"

// oidcNotBeforeLeeway is the clock skew allowed on "not before", as in go-oidc.
const oidcNotBeforeLeeway = 5 * time.Minute

// checkClaims checks what the verifier was told to skip, and the nonce.
func (p *OIDCProvider) checkClaims(idt *oidc.IDToken, claims map[string]any, nonce string) error {
	if idt.Issuer != p.issuer && (p.issuer != oidcGoogleIssuer || idt.Issuer != "accounts.google.com") {
		return fmt.Errorf("%w: iss %q", ErrOIDCIssuer, idt.Issuer)
	}
	if !slices.Contains(idt.Audience, p.cfg.ClientID) {
		return fmt.Errorf("%w: aud %q", ErrOIDCAudience, idt.Audience)
	}
	// OpenID Connect Core 3.1.3.7: an azp, when present, must be us.
	if azp, ok := claims["azp"].(string); ok && azp != p.cfg.ClientID {
		return fmt.Errorf("%w: azp %q", ErrOIDCAudience, azp)
	}
	now := p.cfg.Now()
	if idt.Expiry.IsZero() || !now.Before(idt.Expiry) {
		return fmt.Errorf("%w: exp %s, now %s", ErrOIDCExpired, idt.Expiry.UTC().Format(time.RFC3339), now.UTC().Format(time.RFC3339))
	}
	if nbf, ok := claims["nbf"].(float64); ok && now.Add(oidcNotBeforeLeeway).Before(time.Unix(int64(nbf), 0)) {
		return fmt.Errorf("%w: nbf in the future", ErrOIDCExpired)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(nonce)) != 1 {
		return ErrOIDCNonce
	}
	return nil
}

// identity reads the user from verified claims.
func (p *OIDCProvider) identity(idt *oidc.IDToken, claims map[string]any) (OIDCIdentity, error) {
	email, _ := claims["email"].(string)
	email = strings.TrimSpace(email)
	local, domain, _ := strings.Cut(email, "@")
	if idt.Subject == "" || local == "" || domain == "" || strings.Contains(domain, "@") {
		return OIDCIdentity{}, fmt.Errorf("%w: sub or email missing or malformed", ErrOIDCEmail)
	}
	if !p.emailVerified(claims["email_verified"]) {
		return OIDCIdentity{}, ErrOIDCEmailUnverified
	}
	if len(p.cfg.AllowedDomains) > 0 &&
		!slices.ContainsFunc(p.cfg.AllowedDomains, func(d string) bool { return strings.EqualFold(d, domain) }) {
		return OIDCIdentity{}, fmt.Errorf("%w: %s", ErrOIDCDomain, domain)
	}
	name, _ := claims["name"].(string)
	if name == "" {
		name, _ = claims["preferred_username"].(string)
	}
	return OIDCIdentity{
		Issuer:  p.issuer,
		Subject: idt.Subject,
		Email:   email,
		Name:    name,
		Role:    p.role(claims),
	}, nil
}

// emailVerified reads email_verified, which some providers send as a
// string; absent counts as AssumeEmailVerified says.
func (p *OIDCProvider) emailVerified(v any) bool {
	switch v := v.(type) {
	case nil:
		return p.cfg.AssumeEmailVerified
	case bool:
		return v
	case string:
		return strings.EqualFold(v, "true")
	}
	return false
}

// role maps the role claim through RoleMap; several matches resolve by
// RolePrecedence, no match is DefaultRole.
func (p *OIDCProvider) role(claims map[string]any) string {
	best, bestRank := "", len(p.cfg.RolePrecedence)+1
	for _, v := range oidcClaimStrings(oidcClaim(claims, p.cfg.RoleClaim)) {
		r, ok := p.cfg.RoleMap[v]
		if !ok {
			continue
		}
		rank := slices.Index(p.cfg.RolePrecedence, r)
		if rank < 0 {
			rank = len(p.cfg.RolePrecedence) // only when RoleMap has one role
		}
		if rank < bestRank {
			best, bestRank = r, rank
		}
	}
	if best == "" {
		return p.cfg.DefaultRole
	}
	return best
}

// oidcClaim returns the claim called name, or following a dotted path
// through nested objects; nil if there is none.
func oidcClaim(claims map[string]any, name string) any {
	if name == "" {
		return nil
	}
	if v, ok := claims[name]; ok {
		return v
	}
	var cur any = claims
	for part := range strings.SplitSeq(name, ".") {
		obj, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = obj[part]
	}
	return cur
}

// oidcClaimStrings returns a string claim as one value, an array's strings
// as values, and nothing for anything else.
func oidcClaimStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}

// OIDCNewState returns a random state value (128 bits) that ties the
// callback to the browser that started the sign-in.
func OIDCNewState() string { return rand.Text() }

// OIDCNewNonce returns a random nonce (128 bits) that ties the ID token to
// this sign-in request.
func OIDCNewNonce() string { return rand.Text() }

// OIDCNewVerifier returns a random PKCE code verifier (256 bits).
func OIDCNewVerifier() string { return oauth2.GenerateVerifier() }

// OIDCStateMatches reports, in constant time, whether the state returned to
// the callback is the one the browser's cookie holds; an empty state never
// matches.
func OIDCStateMatches(want, got string) bool {
	return want != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
