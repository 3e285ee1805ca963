package app

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// keysPath is the page of a person's API keys.
const keysPath = accountPath + "/keys"

func (a *App) keyRoutes(rt router) {
	rt.page("GET "+keysPath, a.keys)
	rt.page("POST "+keysPath, a.createKey)
	rt.page("POST "+keysPath+"/{id}/revoke", a.revokeKey)
}

// keyExpiries are the expiry choices of a new key, in days; 0 is never.
var keyExpiries = []int{0, 30, 90, 365}

// keysView lists a person's API keys with the form for a new one; once
// one is made, Created holds it and Secret its secret, shown this once.
type keysView struct {
	Page
	Keys []*tiny.APIKey
	// Scopes are those the person's role allows a key to have.
	Scopes []scopeChoice
	Form   keyForm
	Errors map[string]string
	// Now tells keys that have expired.
	Now     time.Time
	Created *tiny.APIKey
	Secret  string
}

// keyForm is what the form for a new key was sent with.
type keyForm struct {
	Name   string
	Scopes []tiny.Scope
	// Expiry is "never", a number of days, or "date" with Date.
	Expiry string
	Date   string
}

// Has reports whether the form asked for scope s.
func (f keyForm) Has(s tiny.Scope) bool { return slices.Contains(f.Scopes, s) }

func (a *App) keysPage(r *http.Request, p *accounts.Principal, flash string) (*keysView, error) {
	keys, err := a.accts.Keys(r.Context(), p, p.User.ID)
	if err != nil {
		return nil, err
	}
	slices.Reverse(keys) // newest first
	v := &keysView{
		Page:   Page{Title: "API keys", Section: "account", Flash: flash},
		Keys:   keys,
		Form:   keyForm{Expiry: "90"},
		Errors: map[string]string{},
		Now:    a.cfg.Now(),
	}
	for _, s := range accounts.RoleScopes(p.User.Role) {
		v.Scopes = append(v.Scopes, scopeChoice{Value: s, Text: scopeTexts[s]})
		// A new key reads and writes links by default; more power is asked for.
		if s == tiny.ScopeLinksRead || s == tiny.ScopeLinksWrite || s == tiny.ScopeStatsRead {
			v.Form.Scopes = append(v.Form.Scopes, s)
		}
	}
	return v, nil
}

// scopeChoice is a scope offered on the form, with what it allows.
type scopeChoice struct {
	Value tiny.Scope
	Text  string
}

// scopeTexts say what each scope allows, in a person's words.
var scopeTexts = map[tiny.Scope]string{
	tiny.ScopeLinksRead:  "read your links",
	tiny.ScopeLinksWrite: "make, edit and delete links",
	tiny.ScopeStatsRead:  "read click statistics",
	tiny.ScopeModeration: "moderate: the review queue and decisions",
	tiny.ScopeAdmin:      "administer users, keys and the instance",
}

func (a *App) keys(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	v, err := a.keysPage(r, p, TakeFlash(w, r))
	if err != nil {
		return err
	}
	a.views.Render(w, r, http.StatusOK, "keys.html", v)
	return nil
}

// createKey makes a key and shows its secret on the page that answers the
// post: it is never stored, so there is nothing to redirect to.
func (a *App) createKey(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	f := keyForm{Name: strings.TrimSpace(r.PostForm.Get("name")), Expiry: r.PostForm.Get("expiry"), Date: r.PostForm.Get("date")}
	for _, s := range r.PostForm["scopes"] {
		f.Scopes = append(f.Scopes, tiny.Scope(s))
	}
	expires, err := f.expiresAt(a.cfg.Now())
	if err == nil && len(f.Scopes) == 0 {
		err = tiny.FieldErrorf(tiny.Invalid, "scopes", "choose at least one thing the key may do")
	}
	var (
		k      *tiny.APIKey
		secret string
	)
	if err == nil {
		k, secret, err = a.accts.CreateKey(r.Context(), p, accounts.NewKey{Name: f.Name, Scopes: f.Scopes, ExpiresAt: expires})
	}
	v, perr := a.keysPage(r, p, "")
	if perr != nil {
		return perr
	}
	if err != nil {
		field, msg, ok := formError(err, map[string]string{"name": "name", "scopes": "scopes", "expires_at": "expiry", "expiry": "expiry"})
		if !ok {
			return err
		}
		v.Form, v.Errors[field] = f, msg
		a.views.Render(w, r, http.StatusUnprocessableEntity, "keys.html", v)
		return nil
	}
	v.Title, v.Created, v.Secret = "Your new API key", k, secret
	a.views.Render(w, r, http.StatusCreated, "keys.html", v)
	return nil
}

// expiresAt reads the expiry the form chose: nil for never.
func (f keyForm) expiresAt(now time.Time) (*time.Time, error) {
	switch f.Expiry {
	case "", "never":
		return nil, nil
	case "date":
		d, err := time.Parse("2006-01-02", f.Date)
		if err != nil {
			return nil, tiny.FieldErrorf(tiny.Invalid, "expiry", "give the date the key stops working, like 2027-06-30")
		}
		if !d.After(now) {
			return nil, tiny.FieldErrorf(tiny.Invalid, "expiry", "the date must be in the future")
		}
		return &d, nil
	}
	days, err := strconv.Atoi(f.Expiry)
	if err != nil || !slices.Contains(keyExpiries, days) {
		return nil, tiny.FieldErrorf(tiny.Invalid, "expiry", "choose when the key stops working")
	}
	t := now.AddDate(0, 0, days)
	return &t, nil
}

func (a *App) revokeKey(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := formID(r, "key")
	if err != nil {
		return err
	}
	if err := a.accts.RevokeKey(r.Context(), p, id); err != nil {
		return err
	}
	seeOther(w, r, keysPath, "The key is revoked; it no longer works.")
	return nil
}

// Expired reports whether k has stopped working by its expiry.
func (v *keysView) Expired(k *tiny.APIKey) bool {
	return k.ExpiresAt != nil && !k.ExpiresAt.After(v.Now)
}
