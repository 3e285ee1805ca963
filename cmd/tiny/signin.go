package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"os"
	"slices"
	"strings"

	"github.com/redis/go-redis/v9"

	"tiny/internal/accounts"
	"tiny/internal/ratelimit"
	"tiny/internal/tiny"
)

// startSignIn builds the ways of signing in to svc: the throttle (in
// Redis with --redis, so every node shares it), the keys of recovery codes
// and known devices, single sign-on with --oidc-issuer, and the audit of
// every outcome in the log. On a start that still needs a first admin it
// prints the setup URL.
func (m *Main) startSignIn(ctx context.Context, base *url.URL, svc *accounts.Service) (*accounts.SignIns, error) {
	cfg := m.Config
	secret, err := m.serverSecret(ctx)
	if err != nil {
		return nil, err
	}
	th, err := m.throttle(accounts.DeriveKey(secret, "known devices"))
	if err != nil {
		return nil, err
	}
	rh, err := accounts.NewRecoveryHasher(accounts.DeriveKey(secret, "recovery codes"))
	if err != nil {
		return nil, err
	}
	sc := accounts.SignInConfig{Throttle: th, Recovery: rh, RequireSecondFactor: cfg.Require2FA,
		Issuer: "tiny (" + strings.ReplaceAll(base.Hostname(), ":", ".") + ")", Audit: m.audit} // a colon would split the otpauth label
	if cfg.OIDCIssuer != "" {
		oc, err := cfg.oidcConfig(base)
		if err != nil {
			return nil, err
		}
		if sc.OIDC, err = accounts.NewOIDCProvider(ctx, oc); err != nil {
			return nil, fmt.Errorf("--oidc-issuer: %w", err)
		}
	}
	g, err := accounts.NewSignIns(svc, sc)
	if err != nil {
		return nil, err
	}
	return g, m.printSetupURL(ctx, base, svc)
}

// serverSecret reads --secret-key-file, or else the secret kept in the
// database's settings.
func (m *Main) serverSecret(ctx context.Context) ([]byte, error) {
	if m.Config.SecretKeyFile == "" {
		return accounts.StoredSecret(ctx, m.store)
	}
	b, err := os.ReadFile(m.Config.SecretKeyFile)
	if err != nil {
		return nil, fmt.Errorf("--secret-key-file: %w", err)
	}
	b = bytes.TrimSpace(b)
	if len(b) < accounts.SecretKeySize {
		return nil, fmt.Errorf("--secret-key-file: the secret has %d bytes, want at least %d (e.g. openssl rand -base64 48)", len(b), accounts.SecretKeySize)
	}
	return b, nil
}

// throttle returns the sign-in throttle: in Redis with --redis, else in
// this node's memory. Its resources end with the background work.
func (m *Main) throttle(deviceKey []byte) (*accounts.Throttle, error) {
	tc := accounts.ThrottleDefaults()
	tc.DeviceKey = deviceKey
	var store accounts.ThrottleStore
	if m.Config.Redis != "" {
		opts, err := ratelimit.RedisOptions(m.Config.Redis)
		if err != nil {
			return nil, fmt.Errorf("--redis: %w", err)
		}
		client := redis.NewClient(opts)
		m.goBackground(func(ctx context.Context) { <-ctx.Done(); _ = client.Close() })
		store = accounts.NewThrottleRedis(client)
	} else {
		mem := accounts.NewThrottleMemory(100_000)
		m.goBackground(func(ctx context.Context) { <-ctx.Done(); mem.Close() })
		store = mem
	}
	return accounts.NewThrottle(store, tc)
}

// audit records an account event in the audit log of the store, where
// moderators read it beside their decisions, and in the process log;
// neither holds a secret or an address. A store that cannot take the entry
// does not fail the sign-in: the log line still holds it.
func (m *Main) audit(ctx context.Context, e accounts.AuthEvent) {
	attrs := []any{"event", string(e.Kind), "user_id", e.UserID, "method", e.Method}
	if e.Reason != "" {
		attrs = append(attrs, "reason", e.Reason)
	}
	if e.RetryAfter > 0 {
		attrs = append(attrs, "retry_after", e.RetryAfter.String())
	}
	m.logger.InfoContext(ctx, "audit", attrs...)
	if err := m.store.AddAudit(context.WithoutCancel(ctx), accountAudit(e)); err != nil {
		m.logger.WarnContext(ctx, "an account event could not be written to the audit log", "event", string(e.Kind), "err", err)
	}
}

// accountAudit is the audit entry of an account event: no link, the user
// as the actor, the method (and a failure's reason) as the reason.
func accountAudit(e accounts.AuthEvent) *tiny.AuditEntry {
	reason := e.Method
	if e.Reason != "" {
		reason += ": " + e.Reason
	}
	if e.RetryAfter > 0 {
		reason += " (retry after " + e.RetryAfter.String() + ")"
	}
	return &tiny.AuditEntry{ActorID: e.UserID, Action: tiny.AuditAction(e.Kind), Reason: reason}
}

// printSetupURL prints a one-time setup URL when no admin can sign in with
// a password yet, unless TINY_INITIAL_API_KEY says an automation sets tiny
// up. Each start prints a new one, which replaces the last.
func (m *Main) printSetupURL(ctx context.Context, base *url.URL, svc *accounts.Service) error {
	if m.Config.InitialAPIKey != "" {
		return nil
	}
	needs, err := svc.NeedsSetup(ctx)
	if err != nil || !needs {
		return err
	}
	token, err := svc.NewSetupToken(ctx)
	if tiny.IsCode(err, tiny.Conflict) {
		m.logger.Info("another node printed the setup URL")
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.stdout, "No admin can sign in yet. Open this URL to create the first one (it works once):\n\n    %s/setup?token=%s\n\n", base, url.QueryEscape(token))
	return nil
}

// oidcConfig returns the single sign-on settings of the --oidc-* flags.
func (c *Config) oidcConfig(base *url.URL) (accounts.OIDCConfig, error) {
	secret := c.OIDCClientSecret
	if c.OIDCSecretFile != "" {
		b, err := os.ReadFile(c.OIDCSecretFile)
		if err != nil {
			return accounts.OIDCConfig{}, fmt.Errorf("--oidc-client-secret-file: %w", err)
		}
		secret = strings.TrimSpace(string(b))
	}
	roles := map[string]string{}
	var precedence []string
	for _, pair := range c.OIDCRoleMap {
		value, role, ok := strings.Cut(pair, "=")
		if !ok || !tiny.Role(strings.TrimSpace(role)).Valid() {
			return accounts.OIDCConfig{}, fmt.Errorf("--oidc-role-map %q: want claim-value=role, role one of admin, moderator, member, viewer", pair)
		}
		roles[strings.TrimSpace(value)] = strings.TrimSpace(role)
	}
	for _, r := range tiny.Roles() {
		if slices.Contains(slices.Collect(maps.Values(roles)), string(r)) {
			precedence = append(precedence, string(r))
		}
	}
	if !tiny.Role(c.OIDCDefaultRole).Valid() {
		return accounts.OIDCConfig{}, errors.New("--oidc-default-role must be admin, moderator, member or viewer")
	}
	oc := accounts.OIDCConfig{
		Issuer: c.OIDCIssuer, ClientID: c.OIDCClientID, ClientSecret: secret,
		RedirectURL:    base.String() + accounts.OIDCCallbackPath,
		AllowedDomains: c.OIDCDomains, RoleClaim: c.OIDCRoleClaim, RoleMap: roles,
		DefaultRole: c.OIDCDefaultRole, RolePrecedence: precedence,
		AllowSignUp: c.OIDCAllowSignUp, AssumeEmailVerified: c.OIDCAssumeEmail,
	}
	return oc, oc.Validate()
}
