package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// Session cookie names. A __Host- cookie must be Secure, so over plain
// http the cookie goes without the prefix.
const (
	sessionCookieSecure = "__Host-tiny_session"
	sessionCookiePlain  = "tiny_session"
)

// authenticate requires a credential and puts its principal in the request
// context: an API key (Authorization: Bearer <key>), or else the session
// cookie. A request made with the cookie that changes state must come from
// the instance's own origin; a bearer key is no ambient credential, so a
// request with one is not checked.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var (
			p   *accounts.Principal
			err error
		)
		if h := r.Header.Get("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.renderError(w, r, tiny.Errorf(tiny.Unauthorized, "send an API key as 'Authorization: Bearer <key>'"))
				return
			}
			p, err = s.accounts.AuthenticateKey(r.Context(), strings.TrimSpace(secret))
		} else if token := s.sessionToken(r); token != "" {
			if err = s.crossOrigin.Check(r); err != nil {
				err = tiny.Errorf(tiny.Forbidden, "a request signed in by cookie must come from this site")
			} else {
				p, err = s.accounts.AuthenticateSession(r.Context(), token)
			}
		} else {
			err = tiny.Errorf(tiny.Unauthorized, "send an API key as 'Authorization: Bearer <key>', or sign in")
		}
		if err == nil && p.Session != nil && s.cfg.SignIns != nil && s.cfg.SignIns.SecondFactorRequired(p) && !secondFactorSetup(r) {
			err = tiny.Errorf(tiny.Forbidden, "set up two-factor sign-in first")
		}
		if err != nil {
			s.renderError(w, r, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(accounts.NewContext(r.Context(), p)))
	})
}

// identify puts the caller of a valid session cookie in the request's
// context, for the web app's pages, which decide themselves whether they
// need someone signed in. A cookie that no longer names a session (it
// ended, or expired) is cleared. A post must come from this site, signed
// in or not.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.crossOrigin.Check(r); err != nil {
			s.renderError(w, r, tiny.Errorf(tiny.Forbidden, "a form must be sent from this site"))
			return
		}
		if token := s.sessionToken(r); token != "" {
			p, err := s.accounts.AuthenticateSession(r.Context(), token)
			switch code := tiny.ErrorCodeOf(err); {
			case err == nil:
				r = r.WithContext(accounts.NewContext(r.Context(), p))
			case code == tiny.Unauthorized || code == tiny.Forbidden:
				s.clearSessionCookie(w)
			default:
				s.renderError(w, r, err)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// secondFactorSetup reports whether r is one of the requests a user who
// must set up a second factor may still make: setting it up, or signing
// out.
func secondFactorSetup(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/v1/account/totp") || r.URL.Path == "/api/v1/auth/signout"
}

// newCrossOriginProtection returns the check of requests signed in by
// cookie: Go's, trusting the base URL's origin besides the Host's own.
func newCrossOriginProtection(base string) (*http.CrossOriginProtection, error) {
	c := http.NewCrossOriginProtection()
	if base == "" {
		return c, nil
	}
	return c, c.AddTrustedOrigin(base)
}

// currentPrincipal returns who the request is from; nil when anonymous.
func currentPrincipal(r *http.Request) *accounts.Principal {
	return accounts.FromContext(r.Context())
}

// currentUser returns the authenticated user; nil when anonymous.
func currentUser(r *http.Request) *tiny.User {
	if p := currentPrincipal(r); p != nil {
		return p.User
	}
	return nil
}

// limitID names the credential of a request for the per-key rate limits:
// the key, or the session.
func limitID(r *http.Request) string {
	p := currentPrincipal(r)
	switch {
	case p == nil:
		return "none"
	case p.Key != nil:
		return "key:" + strconv.FormatInt(p.Key.ID, 10)
	case p.Session != nil:
		return "session:" + strconv.FormatInt(p.Session.ID, 10)
	}
	return "user:" + strconv.FormatInt(p.User.ID, 10)
}

// sessionCookieName is the session cookie's name on this instance.
func (s *Server) sessionCookieName() string {
	if s.cfg.BaseURL != nil && s.cfg.BaseURL.Scheme == "https" {
		return sessionCookieSecure
	}
	return sessionCookiePlain
}

// setSessionCookie gives the browser the session token until expires.
func (s *Server) setSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	name := s.sessionCookieName()
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    token,
		Path:     "/",
		Expires:  expires,
		Secure:   name == sessionCookieSecure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// clearSessionCookie tells the browser to forget the session token.
func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	name := s.sessionCookieName()
	http.SetCookie(w, &http.Cookie{
		Name:     name,
		Value:    "",
		Path:     "/",
		MaxAge:   -1,
		Secure:   name == sessionCookieSecure,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// sessionToken returns the session token the request carries, or "".
func (s *Server) sessionToken(r *http.Request) string {
	c, err := r.Cookie(s.sessionCookieName())
	if err != nil {
		return ""
	}
	return c.Value
}
