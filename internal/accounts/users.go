package accounts

import (
	"context"

	"tiny/internal/tiny"
)

// NewUser is a user an admin creates.
type NewUser struct {
	Email       string    // how they sign in; optional for a user with API keys only
	Name        string    // the handle; default the email
	DisplayName string    // optional
	Role        tiny.Role // default member
	Password    string    // optional: without one the user cannot sign in with a password yet
}

// CreateUser creates a user. Forbidden unless p may manage users; Invalid
// for a field that breaks its rule (a name, email or display name, a role,
// a password too easy to guess); Conflict when the name or email is taken.
func (s *Service) CreateUser(ctx context.Context, p *Principal, in NewUser) (*tiny.User, error) {
	if err := p.Check(ManageUsers, Resource{}); err != nil {
		return nil, err
	}
	u, err := s.createUser(ctx, in)
	if err == nil {
		s.audit(ctx, AuthEvent{Kind: EventUserCreated, UserID: u.ID, Method: "api"})
	}
	return u, err
}

// createUser validates in and stores the user it describes.
func (s *Service) createUser(ctx context.Context, in NewUser) (*tiny.User, error) {
	u := &tiny.User{
		Name:        in.Name,
		Email:       tiny.NormalizeEmail(in.Email),
		DisplayName: in.DisplayName,
		Role:        in.Role,
	}
	if u.Name == "" {
		u.Name = u.Email
	}
	if u.Role == "" {
		u.Role = tiny.RoleMember
	}
	if u.Name == "" {
		return nil, tiny.FieldErrorf(tiny.Invalid, "email", "a user needs an email or a name")
	}
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if in.Password != "" {
		if err := ValidateNewPassword(in.Password, u.Name, u.Email, u.DisplayName); err != nil {
			return nil, err
		}
		h, err := s.hasher.hash(ctx, in.Password)
		if err != nil {
			return nil, err
		}
		u.PasswordHash = h
	}
	if err := s.store.CreateUser(ctx, u); err != nil {
		if in.Name == "" && tiny.ErrorFieldOf(err) == "name" {
			// The name is the email, which the caller gave.
			return nil, tiny.FieldErrorf(tiny.Conflict, "email", "email is already taken")
		}
		return nil, err
	}
	return u, nil
}

// Users lists users, oldest first, as f selects. Forbidden unless p may
// manage users.
func (s *Service) Users(ctx context.Context, p *Principal, f tiny.UserFilter) ([]*tiny.User, error) {
	if err := p.Check(ManageUsers, Resource{}); err != nil {
		return nil, err
	}
	return s.store.ListUsers(ctx, f)
}

// User returns a user: p's own, or anyone's when p may manage users.
// NotFound when there is none, or p may not see them; Unauthorized
// without a principal or for a disabled one.
func (s *Service) User(ctx context.Context, p *Principal, id int64) (*tiny.User, error) {
	if p == nil || p.User == nil || p.User.Disabled {
		return nil, errNoSession()
	}
	if id != p.User.ID && !p.Can(ManageUsers, Resource{}) {
		return nil, tiny.Errorf(tiny.NotFound, "no such user")
	}
	return s.store.UserByID(ctx, id)
}

// SetRole gives a user a role. Forbidden unless p may manage users;
// Invalid for an unknown role; NotFound when there is no such user;
// Conflict when it would leave no enabled admin.
func (s *Service) SetRole(ctx context.Context, p *Principal, id int64, role tiny.Role) (*tiny.User, error) {
	if !role.Valid() {
		return nil, tiny.FieldErrorf(tiny.Invalid, "role", "role must be admin, moderator, member or viewer")
	}
	return s.changeUser(ctx, p, id, func(u *tiny.User) error {
		if role != tiny.RoleAdmin {
			if err := s.keepAnAdmin(ctx, u); err != nil {
				return err
			}
		}
		u.Role = role
		return nil
	})
}

// SetDisabled disables or enables a user. A disabled user's sessions end
// and their keys are refused at once on every node (the keys work again
// if the user is enabled again). Forbidden unless p may manage users;
// NotFound when there is no such user; Conflict for p's own account, or
// when it would leave no enabled admin.
func (s *Service) SetDisabled(ctx context.Context, p *Principal, id int64, disabled bool) (*tiny.User, error) {
	if disabled && id == userID(p) {
		return nil, tiny.Errorf(tiny.Conflict, "you cannot disable your own account")
	}
	u, err := s.changeUser(ctx, p, id, func(u *tiny.User) error {
		if disabled {
			if err := s.keepAnAdmin(ctx, u); err != nil {
				return err
			}
		}
		u.Disabled = disabled
		return nil
	})
	if err != nil || !disabled {
		return u, err
	}
	if _, err := s.endUserSessions(ctx, id, 0); err != nil {
		return nil, err
	}
	return u, nil
}

// DeleteUser deletes a user with their keys and sessions; their links go
// to the user transferTo, or are deleted when transferTo is 0, in the same
// transaction. Forbidden unless p may manage users; NotFound when there is
// no such user; NotFound or Invalid with field "transfer_to" for a
// transferTo that does not exist or is the user; Conflict for p's own
// account, or the last enabled admin.
func (s *Service) DeleteUser(ctx context.Context, p *Principal, id, transferTo int64) error {
	if err := p.Check(ManageUsers, Resource{}); err != nil {
		return err
	}
	if id == userID(p) {
		return tiny.Errorf(tiny.Conflict, "you cannot delete your own account")
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return err
	}
	if err := s.keepAnAdmin(ctx, u); err != nil {
		return err
	}
	deleted, err := s.store.DeleteUser(ctx, id, transferTo)
	if err != nil {
		return err
	}
	s.invalidate([]tiny.AccountChange{{Kind: tiny.ChangedUser, ID: id}})
	if len(deleted) > 0 && s.cfg.LinksDeleted != nil {
		s.cfg.LinksDeleted(deleted...)
	}
	return nil
}

// changeUser applies change to the user id and stores it, when p may
// manage users.
func (s *Service) changeUser(ctx context.Context, p *Principal, id int64, change func(u *tiny.User) error) (*tiny.User, error) {
	if err := p.Check(ManageUsers, Resource{}); err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := change(u); err != nil {
		return nil, err
	}
	return u, s.updateUser(ctx, u)
}

// updateUser stores u and drops its cached credentials on this node at
// once (the store's feed tells the others).
func (s *Service) updateUser(ctx context.Context, u *tiny.User) error {
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return err
	}
	s.invalidate([]tiny.AccountChange{{Kind: tiny.ChangedUser, ID: u.ID}})
	return nil
}

// keepAnAdmin returns Conflict when u is the last enabled admin, whom a
// change is about to demote, disable or delete. Two admins demoting each
// other at the same moment can both pass; the CLI can always make a new
// admin.
func (s *Service) keepAnAdmin(ctx context.Context, u *tiny.User) error {
	if u.Role != tiny.RoleAdmin || u.Disabled {
		return nil
	}
	admins, err := s.store.ListUsers(ctx, tiny.UserFilter{Role: tiny.RoleAdmin})
	if err != nil {
		return err
	}
	for _, a := range admins {
		if a.ID != u.ID && !a.Disabled {
			return nil
		}
	}
	return tiny.Errorf(tiny.Conflict, "tiny needs at least one enabled admin")
}

// ChangePassword sets a new password for p's user after checking the
// current one (which a user without a password leaves empty), and ends
// their other sessions. Forbidden for an API key; Invalid with field
// "current_password" when the current password is wrong (a form error, not
// a signed-out caller), with field "password" for a new one too easy to
// guess.
func (s *Service) ChangePassword(ctx context.Context, p *Principal, current, next string) error {
	if err := p.Check(ManageAccount, Own(userID(p))); err != nil {
		return err
	}
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return err
	}
	if u.PasswordHash != "" {
		if ok, _, err := s.hasher.verify(ctx, u.PasswordHash, current); err != nil || !ok {
			if tiny.IsCode(err, tiny.Unavailable) {
				return err
			}
			return tiny.FieldErrorf(tiny.Invalid, "current_password", "the current password is wrong")
		}
	}
	if err := ValidateNewPassword(next, u.Name, u.Email, u.DisplayName); err != nil {
		return err
	}
	if u.PasswordHash, err = s.hasher.hash(ctx, next); err != nil {
		return err
	}
	if err := s.updateUser(ctx, u); err != nil {
		return err
	}
	s.audit(ctx, AuthEvent{Kind: EventPasswordChanged, UserID: u.ID, Method: "password"})
	_, err = s.endUserSessions(ctx, u.ID, currentSession(p))
	return err
}

// ChangeDisplayName sets the name shown for p's user. Forbidden for an API
// key; Invalid with field "display_name" for a name that breaks its rule.
func (s *Service) ChangeDisplayName(ctx context.Context, p *Principal, name string) (*tiny.User, error) {
	if err := p.Check(ManageAccount, Own(userID(p))); err != nil {
		return nil, err
	}
	if err := tiny.ValidateDisplayName(name); err != nil {
		return nil, err
	}
	u, err := s.store.UserByID(ctx, p.User.ID)
	if err != nil {
		return nil, err
	}
	u.DisplayName = name
	return u, s.updateUser(ctx, u)
}
