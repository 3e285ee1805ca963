package web

import (
	"net/http"
	"strings"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// Single sign-on: /auth/oidc/start sends the browser to the provider with
// a state, a nonce and a PKCE verifier kept in a short-lived HttpOnly
// cookie; the provider sends it back to the callback, which checks the
// state, trades the code for the identity and signs the user in.

const (
	oidcCookiePlain  = "tiny_oidc"
	oidcCookieSecure = "__Host-tiny_oidc"
	// oidcCookieMaxAge is how long the provider may take to send the
	// browser back.
	oidcCookieMaxAge = 10 * time.Minute
)

func (s *Server) oidcCookieName() string {
	if s.sessionCookieName() == sessionCookieSecure {
		return oidcCookieSecure
	}
	return oidcCookiePlain
}

// setOIDCCookie keeps value for the callback (maxAge < 0 forgets it). It
// is Lax, so the provider's top-level redirect back carries it.
func (s *Server) setOIDCCookie(w http.ResponseWriter, value string, maxAge time.Duration) {
	name := s.oidcCookieName()
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: "/", MaxAge: int(maxAge / time.Second),
		Secure: name == oidcCookieSecure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	})
}

// oidcProvider returns the configured provider; NotFound when single
// sign-on is off.
func (s *Server) oidcProvider() (*accounts.SignIns, error) {
	if s.cfg.SignIns == nil || s.cfg.SignIns.OIDC() == nil {
		return nil, tiny.Errorf(tiny.NotFound, "single sign-on is not configured")
	}
	return s.cfg.SignIns, nil
}

func (s *Server) oidcStart(w http.ResponseWriter, r *http.Request) error {
	g, err := s.oidcProvider()
	if err != nil {
		return err
	}
	state, nonce, verifier := accounts.OIDCNewState(), accounts.OIDCNewNonce(), accounts.OIDCNewVerifier()
	s.setOIDCCookie(w, state+"."+nonce+"."+verifier, oidcCookieMaxAge)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, g.OIDC().AuthCodeURL(state, nonce, verifier), http.StatusFound)
	return nil
}

func (s *Server) oidcCallback(w http.ResponseWriter, r *http.Request) error {
	g, err := s.oidcProvider()
	if err != nil {
		return err
	}
	c, err := r.Cookie(s.oidcCookieName())
	s.setOIDCCookie(w, "", -1) // one callback per start
	if err != nil {
		return tiny.Errorf(tiny.Unauthorized, "the sign-in has expired; please sign in again")
	}
	parts := strings.Split(c.Value, ".")
	q := r.URL.Query()
	if len(parts) != 3 || !accounts.OIDCStateMatches(parts[0], q.Get("state")) {
		return tiny.Errorf(tiny.Unauthorized, "the sign-in does not match this browser; please sign in again")
	}
	if q.Get("error") != "" {
		return tiny.Errorf(tiny.Unauthorized, "the identity provider refused the sign-in")
	}
	out, err := g.OIDCSignIn(r.Context(), q.Get("code"), parts[2], parts[1], s.signInClient(r))
	if err != nil {
		return err
	}
	s.signedIn(w, out)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
