package accounts

import (
	"context"

	"tiny/internal/tiny"
)

// EnrollTOTP makes a new TOTP secret for p's user, pending until
// ConfirmTOTP proves the app holds it. Forbidden for an API key; Conflict
// when the user has a second factor on already.
func (g *SignIns) EnrollTOTP(ctx context.Context, p *Principal) (TOTPKey, error) {
	u, err := g.ownUser(ctx, p)
	if err != nil {
		return TOTPKey{}, err
	}
	if u.TOTPEnabled {
		return TOTPKey{}, tiny.Errorf(tiny.Conflict, "two-factor sign-in is on already; turn it off first")
	}
	account := u.Email
	if account == "" {
		account = u.Name
	}
	key, err := TOTPGenerate(g.cfg.Issuer, account)
	if err != nil {
		return TOTPKey{}, err
	}
	u.TOTPSecret = key.Secret
	return key, g.svc.updateUser(ctx, u)
}

// ConfirmTOTP turns the pending secret on with a code from it, and returns
// the new recovery codes, which are shown this once (only their hashes are
// kept). Forbidden for an API key; Conflict when no secret is pending;
// Invalid with field code for a wrong code (a form error: the caller stays
// signed in).
func (g *SignIns) ConfirmTOTP(ctx context.Context, p *Principal, code string) ([]string, error) {
	u, err := g.ownUser(ctx, p)
	if err != nil {
		return nil, err
	}
	if u.TOTPEnabled || u.TOTPSecret == "" {
		return nil, tiny.Errorf(tiny.Conflict, "no two-factor set-up is pending; start one first")
	}
	if err := g.useTOTPCode(ctx, u, code); err != nil {
		if tiny.IsCode(err, tiny.Unauthorized) {
			return nil, tiny.FieldErrorf(tiny.Invalid, "code", "%s", tiny.ErrorMessageOf(err))
		}
		return nil, err
	}
	codes, err := g.cfg.Recovery.Generate()
	if err != nil {
		return nil, err
	}
	if err := g.svc.store.ReplaceRecoveryCodes(ctx, u.ID, codes.Hashes); err != nil {
		return nil, err
	}
	u.TOTPEnabled = true
	if err := g.svc.updateUser(ctx, u); err != nil {
		return nil, err
	}
	g.audit(ctx, AuthEvent{Kind: EventTOTPEnabled, UserID: u.ID, Method: "totp"})
	return codes.Plain, nil
}

// DisableTOTP turns p's user's second factor off after checking their
// password (a user without one, signed in by single sign-on, gives none),
// and deletes their recovery codes. Forbidden for an API key; Invalid with
// field password for a wrong password (a form error, as in ChangePassword).
func (g *SignIns) DisableTOTP(ctx context.Context, p *Principal, password string) error {
	u, err := g.ownUser(ctx, p)
	if err != nil {
		return err
	}
	if u.PasswordHash != "" {
		if ok, _, err := g.svc.hasher.verify(ctx, u.PasswordHash, password); err != nil || !ok {
			if tiny.IsCode(err, tiny.Unavailable) {
				return err
			}
			return tiny.FieldErrorf(tiny.Invalid, "password", "the password is wrong")
		}
	}
	if err := g.svc.clearSecondFactor(ctx, u); err != nil {
		return err
	}
	g.audit(ctx, AuthEvent{Kind: EventTOTPDisabled, UserID: u.ID, Method: "password"})
	return nil
}

// ownUser returns p's user as stored, when p may manage its own account.
func (g *SignIns) ownUser(ctx context.Context, p *Principal) (*tiny.User, error) {
	if err := p.Check(ManageAccount, Own(userID(p))); err != nil {
		return nil, err
	}
	return g.svc.store.UserByID(ctx, p.User.ID)
}

// clearSecondFactor turns u's second factor off and deletes its recovery
// codes.
func (s *Service) clearSecondFactor(ctx context.Context, u *tiny.User) error {
	u.TOTPSecret, u.TOTPEnabled = "", false
	if err := s.updateUser(ctx, u); err != nil {
		return err
	}
	return s.store.ReplaceRecoveryCodes(ctx, u.ID, nil)
}
