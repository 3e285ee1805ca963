package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

type keyJSON struct {
	ID         int64        `json:"id"`
	Name       string       `json:"name"`
	Prefix     string       `json:"prefix"`
	Key        string       `json:"key,omitempty"` // the secret, only when created
	UserID     int64        `json:"user_id"`
	User       string       `json:"user"`
	Role       tiny.Role    `json:"role"`
	Scopes     []tiny.Scope `json:"scopes"`
	ExpiresAt  *time.Time   `json:"expires_at"`
	LastUsedAt *time.Time   `json:"last_used_at"`
	CreatedAt  time.Time    `json:"created_at"`
}

func keyJSONOf(k *tiny.APIKey, u *tiny.User) keyJSON {
	return keyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, UserID: k.UserID, User: u.Name, Role: u.Role,
		Scopes: k.Scopes, ExpiresAt: k.ExpiresAt, LastUsedAt: k.LastUsedAt, CreatedAt: k.CreatedAt}
}

// createKey makes an API key and shows its secret, this once. An admin may
// name another user (by id, or by name, which is created with role when
// new).
func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name      string       `json:"name"`
		UserID    int64        `json:"user_id"`
		User      string       `json:"user"`
		Role      tiny.Role    `json:"role"`
		Scopes    []tiny.Scope `json:"scopes"`
		ExpiresAt *time.Time   `json:"expires_at"`
	}
	if err := decodeJSON(w, r, &in, keyBodyLimit); err != nil {
		return err
	}
	p := currentPrincipal(r)
	ownerID := in.UserID
	if in.User != "" && in.User != p.User.Name || in.Role != "" {
		u, err := s.findOrCreateUser(r, in.User, in.Role)
		if err != nil {
			return err
		}
		ownerID = u.ID
	}
	k, secret, err := s.accounts.CreateKey(r.Context(), p, accounts.NewKey{
		UserID: ownerID, Name: strings.TrimSpace(in.Name), Scopes: in.Scopes, ExpiresAt: in.ExpiresAt,
	})
	if err != nil {
		return err
	}
	owner, err := s.accounts.User(r.Context(), p, k.UserID)
	if err != nil {
		return err
	}
	j := keyJSONOf(k, owner)
	j.Key = secret
	writeJSON(w, http.StatusCreated, j)
	return nil
}

// findOrCreateUser returns the user with that name (the caller's own when
// name is empty), creating it with role when it is new: how keys for
// robots were made before accounts had users of their own. Only those who
// may manage users may.
func (s *Server) findOrCreateUser(r *http.Request, name string, role tiny.Role) (*tiny.User, error) {
	p := currentPrincipal(r)
	if name == "" {
		name = p.User.Name
	}
	users, err := s.accounts.Users(r.Context(), p, tiny.UserFilter{})
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if u.Name == name {
			return u, nil
		}
	}
	u, err := s.accounts.CreateUser(r.Context(), p, accounts.NewUser{Name: name, Role: role})
	if err != nil && tiny.ErrorFieldOf(err) == "name" {
		err = tiny.FieldErrorf(tiny.ErrorCodeOf(err), "user", "%s", tiny.ErrorMessageOf(err))
	}
	return u, err
}

// listKeys lists the caller's keys, or, for ?user_id= or an admin's
// ?all=true, another user's or everyone's.
func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	p := currentPrincipal(r)
	userID := p.User.ID
	q := r.URL.Query()
	if v := q.Get("user_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 1 {
			return tiny.FieldErrorf(tiny.Invalid, "user_id", "user_id must be a positive integer")
		}
		userID = id
	} else if p.Can(accounts.ManageKeys, accounts.Resource{}) {
		userID = 0 // an admin sees every key, as before
	}
	keys, err := s.accounts.Keys(r.Context(), p, userID)
	if err != nil {
		return err
	}
	users := map[int64]*tiny.User{p.User.ID: p.User}
	out := struct {
		Keys []keyJSON `json:"keys"`
	}{Keys: make([]keyJSON, 0, len(keys))}
	for _, k := range keys {
		u, ok := users[k.UserID]
		if !ok {
			if u, err = s.accounts.User(r.Context(), p, k.UserID); err != nil {
				return err
			}
			users[k.UserID] = u
		}
		out.Keys = append(out.Keys, keyJSONOf(k, u))
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) deleteKey(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "key")
	if err != nil {
		return err
	}
	if err := s.accounts.RevokeKey(r.Context(), currentPrincipal(r), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
