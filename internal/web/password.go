package web

import (
	"net/http"
	"strconv"

	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// MaxBulkPasswords is the most links of one bulk request that may have a
// password: their hashing alone is over a second of CPU (the weight of a
// password on the create limit is shortener.PasswordCreateWeight).
const MaxBulkPasswords = 20

// limitPasswordGuesses counts one guess at t's password against the
// client's address and against the link. It runs before bcrypt, so a
// refused guess costs no CPU and cannot succeed, right or wrong.
func (s *Server) limitPasswordGuesses(w http.ResponseWriter, r *http.Request, t *shortener.Target) error {
	if err := s.limits.check(w, r, "password:ip:"+s.clientKey(r), s.limits.limits.PasswordPerIP, 1); err != nil {
		return err
	}
	return s.limits.check(w, r, "password:link:"+strconv.FormatInt(t.ID(), 10), s.limits.limits.PasswordPerLink, 1)
}

// checkPassword checks the password posted with the form of t, once the
// guess is within the limits.
func (s *Server) checkPassword(w http.ResponseWriter, r *http.Request, t *shortener.Target) (bool, error) {
	if err := s.limitPasswordGuesses(w, r, t); err != nil {
		return false, err
	}
	return s.links.CheckPassword(r.Context(), t.Link, r.PostForm.Get("password"))
}

// passwordRefused answers a guess that was not checked: too many guesses
// (429), or no bcrypt worker free in time (503). Browsers get the form
// again with the reason; other clients the JSON error.
func (s *Server) passwordRefused(w http.ResponseWriter, r *http.Request, t *shortener.Target, err error) error {
	var msg string
	switch tiny.ErrorCodeOf(err) {
	case tiny.RateLimited:
		msg = "Too many password attempts. Try again in " + w.Header().Get("Retry-After") + " s."
	case tiny.Unavailable:
		w.Header().Set("Retry-After", "5")
		msg = "The server is busy. Try again in a few seconds."
	}
	if msg == "" || !wantsHTML(r) {
		return err
	}
	s.renderPasswordForm(w, r, t, msg, tiny.HTTPStatus(tiny.ErrorCodeOf(err)))
	return nil
}
