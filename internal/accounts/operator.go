package accounts

import (
	"context"

	"tiny/internal/tiny"
)

// The operator's commands: what `tiny admin` does on the server, with the
// store open and no one signed in. They check no principal; whoever can
// run them can read the database anyway.

// OperatorCreateUser creates a user, as CreateUser does for an admin.
// Invalid for a field that breaks its rule; Conflict when the email is
// taken.
func (s *Service) OperatorCreateUser(ctx context.Context, in NewUser) (*tiny.User, error) {
	if in.Email == "" {
		return nil, tiny.FieldErrorf(tiny.Invalid, "email", "a user made by the operator needs an email")
	}
	u, err := s.createUser(ctx, in)
	if err == nil {
		s.audit(ctx, AuthEvent{Kind: EventUserCreated, UserID: u.ID, Method: "cli"})
	}
	return u, err
}

// OperatorSetPassword gives the user with that email a new password and
// ends their sessions. NotFound when there is no such user; Invalid for a
// password too easy to guess.
func (s *Service) OperatorSetPassword(ctx context.Context, email, password string) (*tiny.User, error) {
	u, err := s.store.UserByEmail(ctx, tiny.NormalizeEmail(email))
	if err != nil {
		return nil, err
	}
	if err := ValidateNewPassword(password, u.Name, u.Email, u.DisplayName); err != nil {
		return nil, err
	}
	if u.PasswordHash, err = s.hasher.hash(ctx, password); err != nil {
		return nil, err
	}
	if err := s.updateUser(ctx, u); err != nil {
		return nil, err
	}
	s.audit(ctx, AuthEvent{Kind: EventPasswordChanged, UserID: u.ID, Method: "cli"})
	_, err = s.endUserSessions(ctx, u.ID, 0)
	return u, err
}

// OperatorDisableSecondFactor turns off the second factor of the user with
// that email and deletes their recovery codes, for a user who lost both;
// their sessions end. NotFound when there is no such user.
func (s *Service) OperatorDisableSecondFactor(ctx context.Context, email string) (*tiny.User, error) {
	u, err := s.store.UserByEmail(ctx, tiny.NormalizeEmail(email))
	if err != nil {
		return nil, err
	}
	if err := s.clearSecondFactor(ctx, u); err != nil {
		return nil, err
	}
	s.audit(ctx, AuthEvent{Kind: EventTOTPDisabled, UserID: u.ID, Method: "cli"})
	_, err = s.endUserSessions(ctx, u.ID, 0)
	return u, err
}
