package accounts

import (
	"context"

	"tiny/internal/tiny"
)

// OIDCSignIn finishes a single sign-on: it trades the callback's code for
// the provider's identity (see OIDCProvider.Exchange), finds the user by
// the verified email, or creates them when sign-up is allowed, gives them
// the role the claim maps to when a role claim is configured, and starts a
// session. The provider's own factors stand for tiny's second factor.
// Its errors are Exchange's, ErrOIDCSignUpClosed, and Unauthorized for a
// disabled account; NotFound when single sign-on is not configured.
func (g *SignIns) OIDCSignIn(ctx context.Context, code, verifier, nonce string, c Client) (*Outcome, error) {
	p := g.cfg.OIDC
	if p == nil {
		return nil, tiny.Errorf(tiny.NotFound, "single sign-on is not configured")
	}
	id, err := p.Exchange(ctx, code, verifier, nonce)
	if err != nil {
		g.audit(ctx, AuthEvent{Kind: EventSignInFailed, Method: "oidc", Reason: err.Error()})
		return nil, err
	}
	u, err := g.oidcUser(ctx, id)
	if err != nil {
		g.audit(ctx, AuthEvent{Kind: EventSignInFailed, UserID: userIDOf(u), Method: "oidc", Reason: tiny.ErrorMessageOf(err)})
		return nil, err
	}
	res, err := g.svc.startSession(ctx, u, c.Label, c.PreviousToken)
	if err != nil {
		return nil, err
	}
	g.audit(ctx, AuthEvent{Kind: EventSignIn, UserID: u.ID, Method: "oidc"})
	return &Outcome{SignInResult: res}, nil
}

// oidcUser returns the user of a verified identity, created or brought to
// the mapped role as the configuration says.
func (g *SignIns) oidcUser(ctx context.Context, id OIDCIdentity) (*tiny.User, error) {
	role := tiny.Role(id.Role)
	u, err := g.svc.store.UserByEmail(ctx, tiny.NormalizeEmail(id.Email))
	if tiny.IsCode(err, tiny.NotFound) {
		if !g.cfg.OIDC.SignUpAllowed() {
			return nil, ErrOIDCSignUpClosed
		}
		name := id.Name
		if tiny.ValidateDisplayName(name) != nil {
			name = "" // a provider's name tiny cannot show is left out
		}
		u, err = g.svc.createUser(ctx, NewUser{Email: id.Email, DisplayName: name, Role: role})
		if err == nil {
			g.audit(ctx, AuthEvent{Kind: EventUserCreated, UserID: u.ID, Method: "oidc"})
		}
		return u, err
	}
	if err != nil {
		return nil, err
	}
	if u.Disabled {
		return u, tiny.Errorf(tiny.Unauthorized, "the account is disabled")
	}
	// Without a role claim every identity maps to the default role: roles
	// given in tiny then stand.
	if g.cfg.OIDC.cfg.RoleClaim != "" && role.Valid() && u.Role != role {
		if g.svc.keepAnAdmin(ctx, u) == nil {
			u.Role = role
			if err := g.svc.updateUser(ctx, u); err != nil {
				return nil, err
			}
		}
	}
	return u, nil
}

// userIDOf returns u's id, 0 for nil.
func userIDOf(u *tiny.User) int64 {
	if u == nil {
		return 0
	}
	return u.ID
}
