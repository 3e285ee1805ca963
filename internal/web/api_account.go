package web

import (
	"net/http"
	"time"

	"tiny/internal/tiny"
)

// getAccount shows the caller's own profile.
func (s *Server) getAccount(w http.ResponseWriter, r *http.Request) error {
	p := currentPrincipal(r)
	u, err := s.accounts.User(r.Context(), p, p.User.ID)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSONOf(u))
	return nil
}

// updateAccount changes the caller's own display name.
func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		DisplayName *string `json:"display_name"`
	}
	if err := decodeJSON(w, r, &in, userBodyLimit); err != nil {
		return err
	}
	if in.DisplayName == nil {
		return tiny.FieldErrorf(tiny.Invalid, "display_name", "display_name is required")
	}
	u, err := s.accounts.ChangeDisplayName(r.Context(), currentPrincipal(r), *in.DisplayName)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, userJSONOf(u))
	return nil
}

// changePassword sets the caller's password; their other sessions end.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		CurrentPassword string `json:"current_password"`
		Password        string `json:"password"`
	}
	if err := decodeJSON(w, r, &in, userBodyLimit); err != nil {
		return err
	}
	ctx, stop := s.costlyContext(r, true)
	defer stop()
	if err := s.accounts.ChangePassword(ctx, currentPrincipal(r), in.CurrentPassword, in.Password); err != nil {
		return stoppedOr(ctx, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type sessionJSON struct {
	ID         int64     `json:"id"`
	Label      string    `json:"label"`
	Current    bool      `json:"current"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
}

// listSessions shows the caller's sessions, newest first.
func (s *Server) listSessions(w http.ResponseWriter, r *http.Request) error {
	p := currentPrincipal(r)
	sessions, err := s.accounts.Sessions(r.Context(), p)
	if err != nil {
		return err
	}
	out := struct {
		Sessions []sessionJSON `json:"sessions"`
	}{Sessions: make([]sessionJSON, 0, len(sessions))}
	for _, sess := range sessions {
		out.Sessions = append(out.Sessions, sessionJSON{ID: sess.ID, Label: sess.Label,
			Current:   p.Session != nil && p.Session.ID == sess.ID,
			CreatedAt: sess.CreatedAt, LastSeenAt: sess.LastSeenAt, ExpiresAt: sess.ExpiresAt})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// endSession ends one of the caller's sessions; ending the current one
// also clears its cookie.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request) error {
	id, err := pathID(r, "session")
	if err != nil {
		return err
	}
	p := currentPrincipal(r)
	if err := s.accounts.EndSession(r.Context(), p, id); err != nil {
		return err
	}
	if p.Session != nil && p.Session.ID == id {
		s.clearSessionCookie(w)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
