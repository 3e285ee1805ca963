package web

import (
	"net/http"
	"strconv"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// userBodyLimit bounds the bodies of the user and account endpoints.
const userBodyLimit = 4 << 10

// userJSON is a user as the API shows it; never a secret.
type userJSON struct {
	ID           int64      `json:"id"`
	Name         string     `json:"name"`
	Email        string     `json:"email"`
	DisplayName  string     `json:"display_name"`
	Role         tiny.Role  `json:"role"`
	Disabled     bool       `json:"disabled"`
	HasPassword  bool       `json:"has_password"`
	TOTPEnabled  bool       `json:"totp_enabled"`
	CreatedAt    time.Time  `json:"created_at"`
	LastSignInAt *time.Time `json:"last_sign_in_at"`
}

func userJSONOf(u *tiny.User) userJSON {
	return userJSON{ID: u.ID, Name: u.Name, Email: u.Email, DisplayName: u.DisplayName, Role: u.Role,
		Disabled: u.Disabled, HasPassword: u.PasswordHash != "", TOTPEnabled: u.TOTPEnabled,
		CreatedAt: u.CreatedAt, LastSignInAt: u.LastSignInAt}
}

// pathID reads the {id} of a path; a malformed one names no such thing
// (what: "user", "key", "session").
func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, tiny.Errorf(tiny.NotFound, "no such %s", what)
	}
	return id, nil
}

// listUsers pages through the users, oldest first: ?role= selects one
// role, ?after= continues from next_after.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	limit, err := intParam(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	after, err := intParam(r, "after", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	f := tiny.UserFilter{Role: tiny.Role(r.URL.Query().Get("role")), AfterID: int64(after), Limit: limit}
	if f.Role != "" && !f.Role.Valid() {
		return tiny.FieldErrorf(tiny.Invalid, "role", "role must be admin, moderator, member or viewer")
	}
	users, err := s.accounts.Users(r.Context(), currentPrincipal(r), f)
	if err != nil {
		return err
	}
	out := struct {
		Users []userJSON `json:"users"`
		Next  *int64     `json:"next_after"`
	}{Users: make([]userJSON, 0, len(users))}
	for _, u := range users {
		out.Users = append(out.Users, userJSONOf(u))
	}
	if len(users) == limit {
		next := users[len(users)-1].ID
		out.Next = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Email       string    `json:"email"`
		Name        string    `json:"name"`
		DisplayName string    `json:"display_name"`
		Role        tiny.Role `json:"role"`
		Password    string    `json:"password"`
	}
	if err := decodeJSON(w, r, &in, userBodyLimit); err != nil {
		return err
	}
	u, err := s.accounts.CreateUser(r.Context(), currentPrincipal(r), accounts.NewUser{
		Email: in.Email, Name: in.Name, DisplayName: in.DisplayName, Role: in.Role, Password: in.Password,
	})
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/users/"+strconv.FormatInt(u.ID, 10))
	writeJSON(w, http.StatusCreated, userJSONOf(u))
	return nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	u, err := s.accounts.User(r.Context(), currentPrincipal(r), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSONOf(u))
	return nil
}

// updateUser changes what an admin may change of a user: role, disabled
// and display name. Every field is checked before any is applied.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	var in struct {
		Role        *tiny.Role `json:"role"`
		Disabled    *bool      `json:"disabled"`
		DisplayName *string    `json:"display_name"`
	}
	if err := decodeJSON(w, r, &in, userBodyLimit); err != nil {
		return err
	}
	p := currentPrincipal(r)
	if err := p.Check(accounts.ManageUsers, accounts.Resource{}); err != nil {
		return err
	}
	if in.Role != nil && !in.Role.Valid() {
		return tiny.FieldErrorf(tiny.Invalid, "role", "role must be admin, moderator, member or viewer")
	}
	if in.DisplayName != nil {
		if err := tiny.ValidateDisplayName(*in.DisplayName); err != nil {
			return err
		}
	}
	u, err := s.accounts.User(r.Context(), p, id)
	if err != nil {
		return err
	}
	if in.Role != nil {
		if u, err = s.accounts.SetRole(r.Context(), p, id, *in.Role); err != nil {
			return err
		}
	}
	if in.Disabled != nil {
		if u, err = s.accounts.SetDisabled(r.Context(), p, id, *in.Disabled); err != nil {
			return err
		}
	}
	if in.DisplayName != nil {
		// The admin acts for the user, as the CLI does: the policy was
		// asked above.
		if u, err = s.accounts.ChangeDisplayName(r.Context(), accounts.As(u), *in.DisplayName); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, userJSONOf(u))
	return nil
}

// deleteUser deletes a user; their links go to ?transfer_to= or, with
// ?delete_links=true, are deleted. One of the two is required, so that
// nobody loses links by leaving a parameter out.
func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "user")
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var transferTo int64
	switch to, del := q.Get("transfer_to"), q.Get("delete_links"); {
	case to != "" && del != "":
		return tiny.FieldErrorf(tiny.Invalid, "transfer_to", "give either transfer_to or delete_links, not both")
	case to != "":
		if transferTo, err = strconv.ParseInt(to, 10, 64); err != nil || transferTo < 1 {
			return tiny.FieldErrorf(tiny.Invalid, "transfer_to", "transfer_to must be a user id")
		}
	case del == "true":
	default:
		return tiny.FieldErrorf(tiny.Invalid, "transfer_to", "say where the user's links go: transfer_to=ID, or delete_links=true")
	}
	if err := s.accounts.DeleteUser(r.Context(), currentPrincipal(r), id, transferTo); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
