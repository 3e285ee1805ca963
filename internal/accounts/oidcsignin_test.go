package accounts

import (
	"context"
	"errors"
	"testing"

	"tiny/internal/tiny"
)

// TestOIDCSignIn signs in through mockoidc: the first sign-in creates the
// user with the mapped role, the next one follows the claim, a closed
// sign-up refuses a stranger, and a disabled user is refused.
func TestOIDCSignIn(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m := oidcTestServer(t)
	var events []AuthEvent
	g := newSignIns(t, e, &events)
	g.cfg.OIDC = oidcTestProvider(t, oidcTestConfig(m))

	signIn := func(g *SignIns, user *oidcTestUser) (*Outcome, error) {
		t.Helper()
		state, nonce, verifier := OIDCNewState(), OIDCNewNonce(), OIDCNewVerifier()
		code := oidcAuthorize(t, m, g.cfg.OIDC, user, state, nonce, verifier)
		return g.OIDCSignIn(ctx, code, verifier, nonce, Client{Label: "test"})
	}
	out, err := signIn(g, oidcAliceWith(map[string]any{"groups": []any{"tiny-mods"}}))
	if err != nil || out.Token == "" || out.User.Email != "alice@example.com" || out.User.Role != tiny.RoleModerator || out.User.DisplayName != "Alice Example" {
		t.Fatalf("OIDCSignIn(new alice in tiny-mods) = %+v, %v; want a session of a new moderator", out, err)
	}
	if _, err := e.svc.AuthenticateSession(ctx, out.Token); err != nil {
		t.Errorf("AuthenticateSession(the OIDC session) = %v, want nil", err)
	}
	out, err = signIn(g, oidcAliceWith(map[string]any{"groups": []any{"staff"}}))
	if err != nil || out.User.Role != tiny.RoleMember {
		t.Errorf("OIDCSignIn(alice now in staff) = %+v, %v; want her, now a member", out, err)
	}
	if users, _ := e.store.ListUsers(ctx, tiny.UserFilter{}); len(users) != 1 {
		t.Errorf("users after two sign-ins of alice = %d, want 1", len(users))
	}

	closed := oidcTestConfig(m)
	closed.AllowSignUp = false
	g2 := newSignIns(t, e, &events)
	g2.cfg.OIDC = oidcTestProvider(t, closed)
	if _, err := signIn(g2, oidcAliceWith(map[string]any{"email": "bob@example.com"})); !errors.Is(err, ErrOIDCSignUpClosed) {
		t.Errorf("OIDCSignIn(stranger, sign-up closed) = %v, want ErrOIDCSignUpClosed", err)
	}
	if _, err := signIn(g2, oidcAlice()); err != nil {
		t.Errorf("OIDCSignIn(alice, sign-up closed) = %v, want nil: she has an account", err)
	}

	u, _ := e.store.UserByEmail(ctx, "alice@example.com")
	u.Disabled = true
	if err := e.store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if _, err := signIn(g, oidcAlice()); !tiny.IsCode(err, tiny.Unauthorized) {
		t.Errorf("OIDCSignIn(disabled alice) = %v, want unauthorized", err)
	}
	if n := kinds(events); n[EventUserCreated] != 1 || n[EventSignIn] != 3 || n[EventSignInFailed] != 2 {
		t.Errorf("audit events = %v, want 1 user created, 3 sign-ins, 2 failures", n)
	}
}
