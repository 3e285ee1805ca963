package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"tiny/internal/tiny"
)

type keyJSON struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Prefix    string    `json:"prefix"`
	Key       string    `json:"key,omitempty"` // the secret, only when created
	User      string    `json:"user"`
	Role      tiny.Role `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

func (s *Server) createKey(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name string    `json:"name"`
		User string    `json:"user"`
		Role tiny.Role `json:"role"`
	}
	if err := decodeJSON(w, r, &in, keyBodyLimit); err != nil {
		return err
	}
	in.Name = strings.TrimSpace(in.Name)
	if in.Name == "" || len(in.Name) > 64 {
		return tiny.FieldErrorf(tiny.Invalid, "name", "name must be 1 to 64 characters")
	}
	caller := currentUser(r)
	owner := caller
	if in.User != "" && in.User != caller.Name || in.Role != "" {
		if !caller.IsAdmin() {
			return tiny.Errorf(tiny.Forbidden, "only an admin may create keys for other users or choose a role")
		}
		var err error
		if owner, err = s.findOrCreateUser(r, in.User, in.Role); err != nil {
			return err
		}
	}
	secret := tiny.NewAPIKeySecret()
	k := &tiny.APIKey{UserID: owner.ID, Name: in.Name, Prefix: tiny.APIKeyDisplayPrefix(secret), Hash: tiny.HashAPIKey(secret)}
	if err := s.store.CreateAPIKey(r.Context(), k); err != nil {
		return err
	}
	j := keyJSONOf(k, owner)
	j.Key = secret
	writeJSON(w, http.StatusCreated, j)
	return nil
}

// findOrCreateUser returns the user with that name (the caller's own when
// name is empty), creating it with role when it is new.
func (s *Server) findOrCreateUser(r *http.Request, name string, role tiny.Role) (*tiny.User, error) {
	if name == "" {
		name = currentUser(r).Name
	}
	switch role {
	case "":
		role = tiny.RoleUser
	case tiny.RoleAdmin, tiny.RoleUser:
	default:
		return nil, tiny.FieldErrorf(tiny.Invalid, "role", "role must be admin or user")
	}
	if len(name) > 64 || strings.TrimSpace(name) != name {
		return nil, tiny.FieldErrorf(tiny.Invalid, "user", "user must be 1 to 64 characters without surrounding spaces")
	}
	u, err := s.store.UserByName(r.Context(), name)
	if err == nil {
		return u, nil
	}
	if !tiny.IsCode(err, tiny.NotFound) {
		return nil, err
	}
	u = &tiny.User{Name: name, Role: role}
	if err := s.store.CreateUser(r.Context(), u); err != nil {
		if tiny.IsCode(err, tiny.Conflict) { // created meanwhile
			return s.store.UserByName(r.Context(), name)
		}
		return nil, err
	}
	return u, nil
}

func keyJSONOf(k *tiny.APIKey, u *tiny.User) keyJSON {
	return keyJSON{ID: k.ID, Name: k.Name, Prefix: k.Prefix, User: u.Name, Role: u.Role, CreatedAt: k.CreatedAt}
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request) error {
	caller := currentUser(r)
	userID := caller.ID
	if caller.IsAdmin() {
		userID = 0
	}
	keys, err := s.store.ListAPIKeys(r.Context(), userID)
	if err != nil {
		return err
	}
	users := map[int64]*tiny.User{caller.ID: caller}
	out := struct {
		Keys []keyJSON `json:"keys"`
	}{Keys: make([]keyJSON, 0, len(keys))}
	for _, k := range keys {
		u, ok := users[k.UserID]
		if !ok {
			if u, err = s.store.UserByID(r.Context(), k.UserID); err != nil {
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
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return tiny.Errorf(tiny.NotFound, "no such key")
	}
	caller := currentUser(r)
	if !caller.IsAdmin() {
		keys, err := s.store.ListAPIKeys(r.Context(), caller.ID)
		if err != nil {
			return err
		}
		owned := false
		for _, k := range keys {
			owned = owned || k.ID == id
		}
		if !owned {
			return tiny.Errorf(tiny.NotFound, "no such key")
		}
	}
	if err := s.store.DeleteAPIKey(r.Context(), id); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
