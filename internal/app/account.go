package app

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pquerna/otp"

	"tiny/internal/accounts"
	"tiny/internal/qr"
	"tiny/internal/tiny"
)

// accountRoutes registers the person's account: password, two factors, sessions and API keys.
func (a *App) accountRoutes(rt router) {
	rt.page("GET "+accountPath, a.account)
	rt.page("POST "+accountPath+"/name", a.changeName)
	rt.page("POST "+accountPath+"/password", a.changePassword)
	rt.page("POST "+accountPath+"/two-factor", a.enrollTOTP)
	rt.page("POST "+accountPath+"/two-factor/confirm", a.confirmTOTP)
	rt.page("POST "+accountPath+"/two-factor/disable", a.disableTOTP)
	rt.page("POST "+accountPath+"/sessions/{id}/end", a.endSession)
	rt.page("POST "+accountPath+"/sessions/end-others", a.endOtherSessions)
	a.keyRoutes(rt)
}

// beforeSecondFactor reports whether a person who must set up a second
// factor may open path first: the account page, the set-up itself, and
// signing out.
func beforeSecondFactor(path string) bool {
	return path == accountPath || path == signOutPath || strings.HasPrefix(path, accountPath+"/two-factor")
}

// accountView is the account page: name, password, second factor and
// sessions. Its forms share Errors, keyed by their own field names.
type accountView struct {
	Page
	// MustTwoFactor is set when the operator requires a second factor and
	// this person has none yet.
	MustTwoFactor bool
	// TwoFactor says whether sign-in asks for a code; TwoFactorOffered
	// whether the server can set one up at all.
	TwoFactor, TwoFactorOffered bool
	// HasPassword is false for a person who signs in by single sign-on.
	HasPassword bool
	DisplayName string
	Sessions    []sessionRow
	Errors      map[string]string
}

type sessionRow struct {
	ID         int64
	Label      string
	Current    bool
	CreatedAt  time.Time
	LastSeenAt time.Time
}

func (a *App) account(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	v, err := a.accountPage(r, p, TakeFlash(w, r))
	if err != nil {
		return err
	}
	a.views.Render(w, r, http.StatusOK, "account.html", v)
	return nil
}

// accountPage reads what the account page shows.
func (a *App) accountPage(r *http.Request, p *accounts.Principal, flash string) (*accountView, error) {
	u, err := a.accts.User(r.Context(), p, p.User.ID)
	if err != nil {
		return nil, err
	}
	sessions, err := a.accts.Sessions(r.Context(), p)
	if err != nil {
		return nil, err
	}
	v := &accountView{
		Page:             Page{Title: "Account", Section: "account", Flash: flash, User: u},
		MustTwoFactor:    r.URL.Query().Get("must") == "two-factor" && !u.TOTPEnabled,
		TwoFactor:        u.TOTPEnabled,
		TwoFactorOffered: a.cfg.SignIns != nil,
		HasPassword:      u.PasswordHash != "",
		DisplayName:      u.DisplayName,
		Errors:           map[string]string{},
	}
	for _, s := range sessions {
		v.Sessions = append(v.Sessions, sessionRow{ID: s.ID, Label: s.Label, Current: p.Session != nil && s.ID == p.Session.ID,
			CreatedAt: s.CreatedAt, LastSeenAt: s.LastSeenAt})
	}
	return v, nil
}

// formError returns the form field a service error belongs to and its
// message, when fields (service field → form field) names it; ok false
// for any other error, which is shown as the error page.
func formError(err error, fields map[string]string) (field, msg string, ok bool) {
	switch tiny.ErrorCodeOf(err) {
	case tiny.Invalid, tiny.Conflict, tiny.NotFound, tiny.Forbidden:
	default:
		return "", "", false
	}
	field, ok = fields[tiny.ErrorFieldOf(err)]
	return field, sentence(tiny.ErrorMessageOf(err)), ok
}

// sentence starts a service's message with a capital, as the page shows
// it on its own; tiny's name stays as it is written.
func sentence(msg string) string {
	if msg == "" || strings.HasPrefix(msg, "tiny ") {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:]
}

// accountFormError renders the account page with err next to the field
// fields names, or returns err when it belongs to none.
func (a *App) accountFormError(w http.ResponseWriter, r *http.Request, p *accounts.Principal, err error, fields map[string]string, fill func(*accountView)) error {
	field, msg, ok := formError(err, fields)
	if !ok {
		return err
	}
	v, err := a.accountPage(r, p, "")
	if err != nil {
		return err
	}
	v.Errors[field] = msg
	if fill != nil {
		fill(v)
	}
	a.views.Render(w, r, http.StatusUnprocessableEntity, "account.html", v)
	return nil
}

func (a *App) changeName(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	name := strings.TrimSpace(r.PostForm.Get("display_name"))
	if _, err := a.accts.ChangeDisplayName(r.Context(), p, name); err != nil {
		return a.accountFormError(w, r, p, err, map[string]string{"display_name": "display_name"}, func(v *accountView) { v.DisplayName = name })
	}
	seeOther(w, r, accountPath, "Your name is saved.")
	return nil
}

func (a *App) changePassword(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	f := r.PostForm
	fields := map[string]string{"current_password": "current_password", "password": "new_password"}
	if f.Get("new_password") != f.Get("repeat_password") {
		return a.accountFormError(w, r, p, tiny.FieldErrorf(tiny.Invalid, "repeat", "the two new passwords differ; type the same one twice"),
			map[string]string{"repeat": "repeat_password"}, nil)
	}
	if err := a.accts.ChangePassword(r.Context(), p, f.Get("current_password"), f.Get("new_password")); err != nil {
		return a.accountFormError(w, r, p, err, fields, nil)
	}
	seeOther(w, r, accountPath, "Your password is changed; your other sessions have ended.")
	return nil
}

// totpView is the set-up of a second factor: the secret to scan or type
// and the form for the first code; then, once confirmed, the recovery
// codes, shown this once.
type totpView struct {
	Page
	Secret string
	// QR is the otpauth URI as an SVG data: URI.
	QR            template.URL
	OTPAuth       string
	RecoveryCodes []string
	Errors        map[string]string
}

func (a *App) signIns() (*accounts.SignIns, error) {
	if a.cfg.SignIns == nil {
		return nil, tiny.Errorf(tiny.Unavailable, "two-factor sign-in is not available on this server")
	}
	return a.cfg.SignIns, nil
}

// enrollTOTP makes a new pending secret and shows it. It answers the post
// with the page, not a redirect: the secret is not kept to show again.
func (a *App) enrollTOTP(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	g, err := a.signIns()
	if err != nil {
		return err
	}
	key, err := g.EnrollTOTP(r.Context(), p)
	if err != nil {
		return err
	}
	return a.renderTOTP(w, r, http.StatusOK, key.URL, nil)
}

// renderTOTP renders the set-up page of the otpauth URI uri.
func (a *App) renderTOTP(w http.ResponseWriter, r *http.Request, status int, uri string, errs map[string]string) error {
	key, err := otp.NewKeyFromURL(uri)
	if err != nil {
		return tiny.Errorf(tiny.Invalid, "the set-up could not be read; start again")
	}
	v := &totpView{Page: Page{Title: "Set up two-factor sign-in", Section: "account"}, Secret: key.Secret(), OTPAuth: uri, Errors: errs}
	if c, err := qr.Encode(uri); err == nil {
		if svg, err := c.SVG(240); err == nil {
			v.QR = template.URL("data:image/svg+xml;base64," + base64.StdEncoding.EncodeToString(svg))
		}
	}
	a.views.Render(w, r, status, "account_totp.html", v)
	return nil
}

// confirmTOTP turns the pending secret on with a first code and shows the
// recovery codes; a wrong code shows the set-up again.
func (a *App) confirmTOTP(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	g, err := a.signIns()
	if err != nil {
		return err
	}
	codes, err := g.ConfirmTOTP(r.Context(), p, strings.TrimSpace(r.PostForm.Get("code")))
	if err != nil {
		field, msg, ok := formError(err, map[string]string{"code": "code"})
		if !ok || tiny.IsCode(err, tiny.Conflict) {
			return err
		}
		// The set-up shown again must be the pending one, not whatever the
		// form says.
		uri := r.PostForm.Get("otpauth")
		u, uerr := a.accts.User(r.Context(), p, p.User.ID)
		if uerr != nil {
			return uerr
		}
		if k, kerr := otp.NewKeyFromURL(uri); kerr != nil || u.TOTPSecret == "" || k.Secret() != u.TOTPSecret {
			return tiny.Errorf(tiny.Conflict, "this set-up is no longer pending; start again from your account page")
		}
		return a.renderTOTP(w, r, http.StatusUnprocessableEntity, uri, map[string]string{field: msg})
	}
	v := &totpView{Page: Page{Title: "Two-factor sign-in is on", Section: "account"}, RecoveryCodes: codes}
	a.views.Render(w, r, http.StatusOK, "account_totp.html", v)
	return nil
}

func (a *App) disableTOTP(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	g, err := a.signIns()
	if err != nil {
		return err
	}
	if err := g.DisableTOTP(r.Context(), p, r.PostForm.Get("password")); err != nil {
		return a.accountFormError(w, r, p, err, map[string]string{"password": "totp_password"}, nil)
	}
	seeOther(w, r, accountPath, "Two-factor sign-in is off.")
	return nil
}

// formID reads the {id} of a path; a malformed one names nothing.
func formID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, tiny.Errorf(tiny.NotFound, "no such %s", what)
	}
	return id, nil
}

// endSession ends one session; ending this one signs the person out.
func (a *App) endSession(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := formID(r, "session")
	if err != nil {
		return err
	}
	if err := a.accts.EndSession(r.Context(), p, id); err != nil {
		return err
	}
	if p.Session != nil && p.Session.ID == id {
		if a.cfg.ClearSession != nil {
			a.cfg.ClearSession(w)
		}
		seeOther(w, r, "/signin", "You are signed out.")
		return nil
	}
	seeOther(w, r, accountPath+"#sessions", "The session has ended.")
	return nil
}

func (a *App) endOtherSessions(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	n, err := a.accts.EndOtherSessions(r.Context(), p)
	if err != nil {
		return err
	}
	msg := "No other session was open."
	switch {
	case n == 1:
		msg = "1 other session has ended."
	case n > 1:
		msg = strconv.FormatInt(n, 10) + " other sessions have ended."
	}
	seeOther(w, r, accountPath+"#sessions", msg)
	return nil
}
