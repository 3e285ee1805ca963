package accounts

import (
	"context"
	"crypto/subtle"

	"tiny/internal/tiny"
)

// The first admin. Before any admin can sign in with a password, tiny is
// set up in one of two ways: the operator runs a command on the server
// (CreateAdmin), or tiny prints a one-time setup token at start
// (NewSetupToken) that whoever holds it spends on the setup page
// (SetupAdmin). Only the token's hash is stored, under setupTokenSetting.

// setupTokenSetting names the setting that holds the setup token's hash.
const setupTokenSetting = "accounts_setup_token"

// NewAdmin is the first admin's sign-in.
type NewAdmin struct {
	Email       string
	Password    string
	DisplayName string // optional
}

// NeedsSetup reports whether no admin can sign in with a password yet.
func (s *Service) NeedsSetup(ctx context.Context) (bool, error) {
	admins, err := s.store.ListUsers(ctx, tiny.UserFilter{Role: tiny.RoleAdmin})
	if err != nil {
		return false, err
	}
	for _, a := range admins {
		if a.PasswordHash != "" && a.Email != "" && !a.Disabled {
			return false, nil
		}
	}
	return true, nil
}

// NewSetupToken returns a new one-time setup token, which replaces any
// earlier one. Conflict when tiny needs no setup, or when another node
// made a token at the same moment (its token is the one that counts).
func (s *Service) NewSetupToken(ctx context.Context) (string, error) {
	if needs, err := s.NeedsSetup(ctx); err != nil {
		return "", err
	} else if !needs {
		return "", tiny.Errorf(tiny.Conflict, "an admin can sign in already; tiny needs no setup")
	}
	token := newToken()
	h := hashToken(token)
	if err := s.store.DeleteSetting(ctx, setupTokenSetting); err != nil {
		return "", err
	}
	stored, err := s.store.Setting(ctx, setupTokenSetting, h[:])
	if err != nil {
		return "", err
	}
	if subtle.ConstantTimeCompare(stored, h[:]) != 1 {
		return "", tiny.Errorf(tiny.Conflict, "another setup token was made at the same moment")
	}
	return token, nil
}

// CheckSetupToken returns nil when token is the setup token, so the setup
// page can be shown. Unauthorized when it is not, or was spent.
func (s *Service) CheckSetupToken(ctx context.Context, token string) error {
	stored, err := s.store.LookupSetting(ctx, setupTokenSetting)
	if tiny.IsCode(err, tiny.NotFound) {
		return errSetupToken()
	}
	if err != nil {
		return err
	}
	h := hashToken(token)
	if subtle.ConstantTimeCompare(stored, h[:]) != 1 {
		return errSetupToken()
	}
	return nil
}

func errSetupToken() error {
	return tiny.FieldErrorf(tiny.Unauthorized, "token", "the setup token is not valid, or was used already")
}

// SetupAdmin spends the setup token on the first admin's sign-in (see
// CreateAdmin). Of concurrent calls with the token one succeeds.
// Unauthorized when the token is not valid or was spent; Conflict when
// tiny needs no setup; Invalid for an email or password that breaks its
// rule.
func (s *Service) SetupAdmin(ctx context.Context, token string, in NewAdmin) (*tiny.User, error) {
	if err := s.checkNewAdmin(in); err != nil {
		return nil, err
	}
	if needs, err := s.NeedsSetup(ctx); err != nil {
		return nil, err
	} else if !needs {
		return nil, tiny.Errorf(tiny.Conflict, "an admin can sign in already; tiny needs no setup")
	}
	h := hashToken(token)
	if err := s.store.TakeSetting(ctx, setupTokenSetting, h[:]); tiny.IsCode(err, tiny.NotFound) {
		return nil, errSetupToken()
	} else if err != nil {
		return nil, err
	}
	u, err := s.CreateAdmin(ctx, in)
	if err != nil {
		// Give the token back, so the setup can be tried again.
		_, _ = s.store.Setting(ctx, setupTokenSetting, h[:])
		return nil, err
	}
	return u, nil
}

// checkNewAdmin validates the first admin's email and password.
func (s *Service) checkNewAdmin(in NewAdmin) error {
	email := tiny.NormalizeEmail(in.Email)
	if err := tiny.ValidateEmail(email); err != nil {
		return err
	}
	if err := tiny.ValidateDisplayName(in.DisplayName); err != nil {
		return err
	}
	return ValidateNewPassword(in.Password, email, in.DisplayName)
}

// CreateAdmin makes an admin who signs in with in.Email and in.Password,
// for the operator of the server (the CLI), who needs no token. The admin
// made at the first start before accounts existed (the user "admin", with
// an API key and no email) is given the sign-in, keeping its keys and
// links; otherwise a new admin is created, named by the email. Invalid for
// an email or password that breaks its rule; Conflict when the email is
// taken.
func (s *Service) CreateAdmin(ctx context.Context, in NewAdmin) (*tiny.User, error) {
	if err := s.checkNewAdmin(in); err != nil {
		return nil, err
	}
	first, err := s.store.UserByName(ctx, "admin")
	if err != nil && !tiny.IsCode(err, tiny.NotFound) {
		return nil, err
	}
	if err != nil || first.Role != tiny.RoleAdmin || first.Email != "" || first.PasswordHash != "" {
		return s.createUser(ctx, NewUser{Email: in.Email, DisplayName: in.DisplayName, Role: tiny.RoleAdmin, Password: in.Password})
	}
	first.Email = tiny.NormalizeEmail(in.Email)
	first.DisplayName = in.DisplayName
	first.Disabled = false
	if first.PasswordHash, err = s.hasher.hash(ctx, in.Password); err != nil {
		return nil, err
	}
	return first, s.updateUser(ctx, first)
}
