package accounts

import (
	"context"
	"slices"
	"strings"
	"time"

	"tiny/internal/tiny"
)

// NewKey is an API key to create.
type NewKey struct {
	// UserID is the key's owner: 0 for p's own user; another user's only
	// when p may manage other people's keys (an admin).
	UserID int64
	Name   string
	// Scopes are what the key may do; none gives every scope the owner's
	// role allows (and, when p is itself a key, that key has).
	Scopes    []tiny.Scope
	ExpiresAt *time.Time // nil: never
	// Secret is a secret the operator chose (TINY_INITIAL_API_KEY); ""
	// makes one. Only through a trusted channel: a principal with a key or
	// a session may not choose.
	Secret string
}

// CreateKey creates an API key and returns it with its secret, which is
// shown this once and never stored. A key never has a scope its owner's
// role does not use, and a key creating a key cannot give it a scope it
// lacks itself. Forbidden when p may not manage the owner's keys or grant
// a scope; NotFound with field "user_id" for an unknown owner; Invalid
// for a name, scope or expiry that breaks its rule.
func (s *Service) CreateKey(ctx context.Context, p *Principal, in NewKey) (*tiny.APIKey, string, error) {
	owner, err := s.keyOwner(ctx, p, in.UserID)
	if err != nil {
		return nil, "", err
	}
	allowed := RoleScopes(owner.Role)
	if p.Key != nil {
		allowed = slices.DeleteFunc(allowed, func(sc tiny.Scope) bool { return !p.Key.HasScope(sc) })
	}
	scopes := in.Scopes
	if len(scopes) == 0 {
		scopes = allowed
	}
	if sc, ok := scopesWithin(scopes, RoleScopes(owner.Role)); !ok && sc.Valid() {
		return nil, "", tiny.FieldErrorf(tiny.Invalid, "scopes", "a %s cannot have a key with the scope %s", owner.Role, sc)
	}
	if sc, ok := scopesWithin(scopes, allowed); !ok && sc.Valid() {
		return nil, "", tiny.FieldErrorf(tiny.Forbidden, "scopes", "an API key cannot give a scope it lacks (%s)", sc)
	}
	secret, err := s.keySecret(p, in.Secret)
	if err != nil {
		return nil, "", err
	}
	h := hashToken(secret)
	k := &tiny.APIKey{
		UserID:    owner.ID,
		Name:      in.Name,
		Prefix:    tiny.APIKeyDisplayPrefix(secret),
		Hash:      h[:],
		Scopes:    scopes,
		ExpiresAt: in.ExpiresAt,
	}
	if err := k.Validate(s.now()); err != nil {
		return nil, "", err
	}
	if err := s.store.CreateAPIKey(ctx, k); err != nil {
		return nil, "", err
	}
	return k, secret, nil
}

// keySecret returns the secret of a new key: chosen, when p may choose and
// it is long enough, or made.
func (s *Service) keySecret(p *Principal, chosen string) (string, error) {
	switch {
	case chosen == "":
		return tiny.NewAPIKeySecret(), nil
	case p.Key != nil || p.Session != nil:
		return "", tiny.FieldErrorf(tiny.Forbidden, "secret", "only the operator may choose a key's secret")
	case len(chosen) < tiny.MinAPIKeyLength || strings.ContainsAny(chosen, " \t\r\n"):
		return "", tiny.FieldErrorf(tiny.Invalid, "secret", "a key's secret must be at least %d characters without spaces", tiny.MinAPIKeyLength)
	}
	return chosen, nil
}

// keyOwner returns the user whose keys p asks to manage: p's own for
// id 0, else the user id when p may manage their keys.
func (s *Service) keyOwner(ctx context.Context, p *Principal, id int64) (*tiny.User, error) {
	if id == 0 {
		id = userID(p)
	}
	if err := p.Check(ManageKeys, Own(id)); err != nil {
		return nil, err
	}
	if id == p.User.ID {
		return p.User, nil
	}
	u, err := s.store.UserByID(ctx, id)
	if tiny.IsCode(err, tiny.NotFound) {
		return nil, tiny.FieldErrorf(tiny.NotFound, "user_id", "no such user")
	}
	return u, err
}

// Keys lists API keys, oldest first: those of the user id, or, with id 0,
// every user's. Forbidden unless the keys are p's own or p may manage
// other people's keys.
func (s *Service) Keys(ctx context.Context, p *Principal, id int64) ([]*tiny.APIKey, error) {
	if err := p.Check(ManageKeys, Own(id)); err != nil {
		return nil, err
	}
	return s.store.ListAPIKeys(ctx, id)
}

// RevokeKey deletes an API key; it stops working at once on every node.
// NotFound when there is no such key, or it is not p's to revoke.
func (s *Service) RevokeKey(ctx context.Context, p *Principal, id int64) error {
	k, err := s.store.APIKeyByID(ctx, id)
	if err != nil {
		return err
	}
	if !p.Can(ManageKeys, Own(k.UserID)) {
		return tiny.Errorf(tiny.NotFound, "no such key")
	}
	if err := s.store.DeleteAPIKey(ctx, id); err != nil {
		return err
	}
	s.invalidate([]tiny.AccountChange{{Kind: tiny.ChangedKey, ID: id}})
	return nil
}
