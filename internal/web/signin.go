package web

import (
	"errors"
	"net/http"
	"strconv"
	"time"
	"tiny/internal/app"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// Sign-in: the JSON endpoints the web app calls, plain forms for browsers
// without JavaScript, the first admin's setup page, and single sign-on.
// Every form and sign-in POST passes the cross-origin check: a page on
// another site can neither sign someone in to an account of its choosing
// nor set up the instance.

// Body limits of the sign-in endpoints.
const (
	signInBodyLimit = 4 << 10
	formBodyLimit   = 8 << 10
)

// deviceCookie is the known-device cookie of the sign-in throttle; under
// https it takes the __Host- prefix like the session cookie.
const (
	deviceCookiePlain  = "tiny_device"
	deviceCookieSecure = "__Host-tiny_device"
	deviceCookieMaxAge = 180 * 24 * time.Hour
)

// signinRoutes registers the routes of sign-in, second factor, setup and
// single sign-on; routes() calls it.
func (s *Server) signinRoutes(mux *http.ServeMux) {
	signedIn := func(h http.Handler) http.Handler { return s.limitByIP(s.authenticate(s.limitByKey(h))) }
	mux.Handle("POST /api/v1/auth/signin", s.limitByIP(s.wrap(s.apiSignIn)))
	mux.Handle("POST /api/v1/auth/second-factor", s.limitByIP(s.wrap(s.apiSecondFactor)))
	mux.Handle("POST /api/v1/auth/signout", s.limitByIP(s.wrap(s.apiSignOut)))
	mux.Handle("POST /api/v1/account/totp", signedIn(s.wrap(s.enrollTOTP)))
	mux.Handle("POST /api/v1/account/totp/confirm", signedIn(s.wrap(s.confirmTOTP)))
	mux.Handle("DELETE /api/v1/account/totp", signedIn(s.wrap(s.disableTOTP)))
	mux.Handle("GET /setup", s.wrap(s.setupPage))
	mux.Handle("POST /setup", s.limitByIP(s.wrap(s.setup)))
	mux.Handle("GET /signin", s.wrap(s.signInPage))
	mux.Handle("POST /signin", s.limitByIP(s.wrap(s.signInForm)))
	mux.Handle("GET /auth/oidc/start", s.limitByIP(s.wrap(s.oidcStart)))
	mux.Handle("GET "+accounts.OIDCCallbackPath, s.limitByIP(s.wrap(s.oidcCallback)))
}

// signIns returns the sign-in service; Unavailable when the server has none.
func (s *Server) signIns() (*accounts.SignIns, error) {
	if s.cfg.SignIns == nil {
		return nil, tiny.Errorf(tiny.Unavailable, "sign-in is not configured on this server")
	}
	return s.cfg.SignIns, nil
}

// signInClient describes the browser signing in for the throttle and the
// list of sessions.
func (s *Server) signInClient(r *http.Request) accounts.Client {
	c := accounts.Client{Address: s.clientKey(r), Label: r.UserAgent(), PreviousToken: s.sessionToken(r)}
	if ck, err := r.Cookie(s.deviceCookieName()); err == nil {
		c.DeviceToken = ck.Value
	}
	return c
}

// sameOrigin refuses a form or sign-in post from another site.
func (s *Server) sameOrigin(r *http.Request) error {
	if err := s.crossOrigin.Check(r); err != nil {
		return tiny.Errorf(tiny.Forbidden, "this form must be sent from this site")
	}
	return nil
}

func (s *Server) deviceCookieName() string {
	if s.sessionCookieName() == sessionCookieSecure {
		return deviceCookieSecure
	}
	return deviceCookiePlain
}

// signedIn gives the browser the session of a finished sign-in, and its
// known-device token.
func (s *Server) signedIn(w http.ResponseWriter, out *accounts.Outcome) {
	s.setSessionCookie(w, out.Token, out.Session.ExpiresAt)
	if out.DeviceToken != "" {
		name := s.deviceCookieName()
		http.SetCookie(w, &http.Cookie{
			Name: name, Value: out.DeviceToken, Path: "/", MaxAge: int(deviceCookieMaxAge / time.Second),
			Secure: name == deviceCookieSecure, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
	}
}

// signInRefused sets Retry-After on a throttled sign-in, and returns err.
func signInRefused(w http.ResponseWriter, err error) error {
	var te *accounts.ThrottledError
	if errors.As(err, &te) {
		w.Header().Set("Retry-After", strconv.FormatInt(int64(max((te.RetryAfter+time.Second-1)/time.Second, 1)), 10))
	}
	return err
}

// signInBody is the answer to a sign-in step.
type signInBody struct {
	SecondFactorRequired bool `json:"second_factor_required"`
	// Pending goes to /api/v1/auth/second-factor with the code.
	Pending string `json:"pending,omitempty"`
	// SetupSecondFactor: the role requires a second factor the user has
	// not set up yet.
	SetupSecondFactor bool      `json:"setup_second_factor,omitempty"`
	User              *userJSON `json:"user,omitempty"`
}

// answerSignIn sets the session cookie of a finished sign-in and writes
// the answer of either step.
func (s *Server) answerSignIn(w http.ResponseWriter, out *accounts.Outcome) {
	if out.NeedsSecondFactor() {
		writeJSON(w, http.StatusOK, signInBody{SecondFactorRequired: true, Pending: out.SecondFactorToken})
		return
	}
	s.signedIn(w, out)
	u := userJSONOf(out.User)
	writeJSON(w, http.StatusOK, signInBody{SetupSecondFactor: out.SetupSecondFactor, User: &u})
}

func (s *Server) apiSignIn(w http.ResponseWriter, r *http.Request) error {
	g, err := s.signIns()
	if err != nil {
		return err
	}
	if err := s.sameOrigin(r); err != nil {
		return err
	}
	var in struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &in, signInBodyLimit); err != nil {
		return err
	}
	if in.Email == "" {
		return tiny.FieldErrorf(tiny.Invalid, "email", "email is required")
	}
	out, err := g.Password(r.Context(), in.Email, in.Password, s.signInClient(r))
	if err != nil {
		return signInRefused(w, err)
	}
	s.answerSignIn(w, out)
	return nil
}

func (s *Server) apiSecondFactor(w http.ResponseWriter, r *http.Request) error {
	g, err := s.signIns()
	if err != nil {
		return err
	}
	if err := s.sameOrigin(r); err != nil {
		return err
	}
	var in struct {
		Pending      string `json:"pending"`
		Code         string `json:"code"`
		RecoveryCode string `json:"recovery_code"`
	}
	if err := decodeJSON(w, r, &in, signInBodyLimit); err != nil {
		return err
	}
	if (in.Code == "") == (in.RecoveryCode == "") {
		return tiny.FieldErrorf(tiny.Invalid, "code", "send either code or recovery_code")
	}
	out, err := g.SecondFactor(r.Context(), in.Pending, in.Code, in.RecoveryCode, s.signInClient(r))
	if err != nil {
		return signInRefused(w, err)
	}
	s.answerSignIn(w, out)
	return nil
}

// apiSignOut ends the session of the cookie, if any, and forgets it.
// Signing out twice signs out.
func (s *Server) apiSignOut(w http.ResponseWriter, r *http.Request) error {
	if err := s.sameOrigin(r); err != nil {
		return err
	}
	if token := s.sessionToken(r); token != "" {
		if err := s.accounts.SignOut(r.Context(), token); err != nil {
			return err
		}
	}
	s.clearSessionCookie(w)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) enrollTOTP(w http.ResponseWriter, r *http.Request) error {
	g, err := s.signIns()
	if err != nil {
		return err
	}
	key, err := g.EnrollTOTP(r.Context(), currentPrincipal(r))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"secret": key.Secret, "otpauth_url": key.URL})
	return nil
}

func (s *Server) confirmTOTP(w http.ResponseWriter, r *http.Request) error {
	g, err := s.signIns()
	if err != nil {
		return err
	}
	var in struct {
		Code string `json:"code"`
	}
	if err := decodeJSON(w, r, &in, signInBodyLimit); err != nil {
		return err
	}
	codes, err := g.ConfirmTOTP(r.Context(), currentPrincipal(r), in.Code)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string][]string{"recovery_codes": codes})
	return nil
}

func (s *Server) disableTOTP(w http.ResponseWriter, r *http.Request) error {
	g, err := s.signIns()
	if err != nil {
		return err
	}
	var in struct {
		Password string `json:"password"`
	}
	if err := decodeJSON(w, r, &in, signInBodyLimit); err != nil {
		return err
	}
	if err := g.DisableTOTP(r.Context(), currentPrincipal(r), in.Password); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// signInPage is the plain form for browsers without JavaScript.
type signInPage struct {
	app.Page
	Email, Error string
	// Next is where to go once signed in: a path of this site.
	Next string
	// Pending is set on the second step, which asks for the code.
	Pending string
	OIDC    bool
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) error {
	next := app.SafeNext(r.URL.Query().Get("next"))
	if p := currentPrincipal(r); p != nil && p.Session != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	page := &signInPage{Page: signInTitle(r), Next: next, OIDC: s.cfg.SignIns != nil && s.cfg.SignIns.OIDC() != nil}
	if flash := app.TakeFlash(w, r); flash != "" {
		page.Flash = flash
	}
	s.renderPage(w, r, http.StatusOK, "signin.html", page)
	return nil
}

// signInTitle is the layout of the sign-in page, with the notice of a
// sign-out or an ended session.
func signInTitle(r *http.Request) app.Page {
	p := app.Page{Title: "Sign in", Section: "signin"}
	if r.URL.Query().Get("next") != "" {
		p.Flash = "Sign in to continue."
	}
	return p
}

// signInForm takes either step of the plain form: the password, then the
// code when the account has a second factor. Mistakes show the form again.
func (s *Server) signInForm(w http.ResponseWriter, r *http.Request) error {
	g, err := s.signIns()
	if err != nil {
		return err
	}
	if err := s.parseForm(w, r); err != nil {
		return err
	}
	var out *accounts.Outcome
	page := &signInPage{Page: app.Page{Title: "Sign in", Section: "signin"}, Email: r.PostForm.Get("email"),
		Next: app.SafeNext(r.PostForm.Get("next")), OIDC: g.OIDC() != nil}
	if pending := r.PostForm.Get("pending"); pending != "" {
		out, err = g.SecondFactor(r.Context(), pending, r.PostForm.Get("code"), r.PostForm.Get("recovery_code"), s.signInClient(r))
		page.Pending = pending
	} else {
		out, err = g.Password(r.Context(), page.Email, r.PostForm.Get("password"), s.signInClient(r))
	}
	switch code := tiny.ErrorCodeOf(err); {
	case err == nil && out.NeedsSecondFactor():
		page.Pending = out.SecondFactorToken
		s.renderPage(w, r, http.StatusOK, "signin.html", page)
	case err == nil:
		s.signedIn(w, out)
		http.Redirect(w, r, page.Next, http.StatusSeeOther)
	case code == tiny.Unauthorized || code == tiny.RateLimited || code == tiny.Invalid:
		_ = signInRefused(w, err)
		page.Error = tiny.ErrorMessageOf(err)
		s.renderPage(w, r, tiny.HTTPStatus(code), "signin.html", page)
	default:
		return err
	}
	return nil
}

// parseForm reads a small form body once the post is known to come from
// this site.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) error {
	if err := s.sameOrigin(r); err != nil {
		return err
	}
	r.Body = http.MaxBytesReader(w, r.Body, formBodyLimit)
	if err := r.ParseForm(); err != nil {
		return tiny.Errorf(tiny.Invalid, "the form could not be read")
	}
	return nil
}
