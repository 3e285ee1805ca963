package app

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"tiny/internal/abuse/feed"
	"tiny/internal/accounts"
	"tiny/internal/analytics"
	"tiny/internal/tiny"
)

// adminPath is the admin's overview: figures, users, feeds, settings.
const adminPath = "/app/admin"

// adminRoutes registers the admin's pages: users, instance statistics, feeds and settings.
func (a *App) adminRoutes(rt router) {
	rt.page("GET "+adminPath, a.admin)
	rt.page("POST "+adminPath+"/users", a.adminCreateUser)
	rt.page("GET "+adminPath+"/users/{id}", a.adminUser)
	rt.page("POST "+adminPath+"/users/{id}/role", a.adminSetRole)
	rt.page("POST "+adminPath+"/users/{id}/disabled", a.adminSetDisabled)
	rt.page("POST "+adminPath+"/users/{id}/delete", a.adminDeleteUser)
}

// Setting is one of the instance's effective settings, shown to admins
// read-only; cmd/tiny fills them from its configuration.
type Setting struct {
	Group, Name, Value string
}

// adminView is the admin's overview.
type adminView struct {
	Page
	Figures adminFigures
	Users   []*tiny.User
	// Feeds is nil when no blocklist feed is configured.
	Feeds    []feed.FeedStatus
	Settings []settingGroup
	Roles    []tiny.Role
	Form     newUserForm
	Errors   map[string]string
}

// adminFigures are the instance's totals.
type adminFigures struct {
	Users, Admins, Disabled int
	Links, Keys             int64
	Clicks, Clicks30        int64
	Bots30, Previews30      int64
}

type settingGroup struct {
	Name     string
	Settings []Setting
}

// newUserForm is what the form for a new user was sent with.
type newUserForm struct {
	Email, Name, DisplayName string
	Role                     tiny.Role
}

// roles are the roles, from the most power to the least.
var roles = []tiny.Role{tiny.RoleAdmin, tiny.RoleModerator, tiny.RoleMember, tiny.RoleViewer}

func (a *App) admin(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	v, err := a.adminPage(r, p, TakeFlash(w, r))
	if err != nil {
		return err
	}
	a.views.Render(w, r, http.StatusOK, "admin.html", v)
	return nil
}

// adminPage reads the overview. Only those who may manage users may.
func (a *App) adminPage(r *http.Request, p *accounts.Principal, flash string) (*adminView, error) {
	if err := p.Check(accounts.ManageUsers, accounts.Resource{}); err != nil {
		return nil, err
	}
	users, err := a.accts.Users(r.Context(), p, tiny.UserFilter{})
	if err != nil {
		return nil, err
	}
	v := &adminView{
		Page:   Page{Title: "Admin", Section: "admin", Flash: flash},
		Users:  users,
		Roles:  roles,
		Form:   newUserForm{Role: tiny.RoleMember},
		Errors: map[string]string{},
	}
	for _, u := range users {
		v.Figures.Users++
		if u.Disabled {
			v.Figures.Disabled++
		} else if u.IsAdmin() {
			v.Figures.Admins++
		}
	}
	if err := a.instanceFigures(r, p, &v.Figures); err != nil {
		return nil, err
	}
	if a.cfg.Feeds != nil {
		v.Feeds = a.cfg.Feeds()
	}
	v.Settings = groupSettings(a.cfg.Settings)
	return v, nil
}

// instanceFigures adds the links, keys and clicks of the instance to f:
// the statistics of nobody's resource, the clicks asked as the API asks
// them.
func (a *App) instanceFigures(r *http.Request, p *accounts.Principal, f *adminFigures) error {
	if a.store == nil || !p.Can(accounts.ReadStats, accounts.Resource{}) {
		return nil
	}
	ctx := r.Context()
	n, err := a.store.CountAPIKeys(ctx)
	if err != nil {
		return err
	}
	f.Keys = n
	if f.Links, err = a.store.CountLinks(ctx); err != nil {
		return err
	}
	now := a.cfg.Now()
	all, err := a.store.ClickStats(ctx, analytics.StatsQuery(0, time.Time{}, now, false, 1))
	if err != nil {
		return err
	}
	month, err := a.store.ClickStats(ctx, analytics.StatsQuery(0, now.AddDate(0, 0, -30), now, false, 1))
	if err != nil {
		return err
	}
	f.Clicks, f.Clicks30, f.Bots30, f.Previews30 = all.Clicks, month.Clicks, month.BotClicks, month.Previews
	return nil
}

// groupSettings keeps the settings in their order, grouped.
func groupSettings(settings []Setting) []settingGroup {
	var out []settingGroup
	for _, s := range settings {
		if len(out) == 0 || out[len(out)-1].Name != s.Group {
			out = append(out, settingGroup{Name: s.Group})
		}
		g := &out[len(out)-1]
		g.Settings = append(g.Settings, s)
	}
	return out
}

// adminCreateUser makes a user, as the API's POST /api/v1/users does.
func (a *App) adminCreateUser(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	f := r.PostForm
	form := newUserForm{
		Email: strings.TrimSpace(f.Get("email")), Name: strings.TrimSpace(f.Get("name")),
		DisplayName: strings.TrimSpace(f.Get("display_name")), Role: tiny.Role(f.Get("role")),
	}
	u, err := a.accts.CreateUser(r.Context(), p, accounts.NewUser{
		Email: form.Email, Name: form.Name, DisplayName: form.DisplayName, Role: form.Role, Password: f.Get("password"),
	})
	if err != nil {
		field, msg, ok := formError(err, map[string]string{"email": "email", "name": "name", "display_name": "display_name", "role": "role", "password": "password"})
		if !ok {
			return err
		}
		v, perr := a.adminPage(r, p, "")
		if perr != nil {
			return perr
		}
		v.Form, v.Errors[field] = form, msg
		a.views.Render(w, r, http.StatusUnprocessableEntity, "admin.html", v)
		return nil
	}
	seeOther(w, r, adminUserPath(u.ID), "The user "+userLabel(u)+" is created.")
	return nil
}

func adminUserPath(id int64) string { return adminPath + "/users/" + strconv.FormatInt(id, 10) }

// userLabel names a user to people: the email, else the name.
func userLabel(u *tiny.User) string {
	if u.Email != "" {
		return u.Email
	}
	return u.Name
}

// adminUserView is one user, with what an admin may do to them.
type adminUserView struct {
	Page
	Subject *tiny.User
	// Self is set when the admin looks at their own account, which they
	// may neither disable nor delete.
	Self  bool
	Roles []tiny.Role
	// Others are the users the subject's links may go to.
	Others []*tiny.User
	Keys   int
	// Error is the service's refusal of the last change, such as removing
	// the last admin.
	Error  string
	Errors map[string]string
}

func (a *App) adminUser(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	v, err := a.adminUserPage(r, p, TakeFlash(w, r))
	if err != nil {
		return err
	}
	a.views.Render(w, r, http.StatusOK, "admin_user.html", v)
	return nil
}

func (a *App) adminUserPage(r *http.Request, p *accounts.Principal, flash string) (*adminUserView, error) {
	if err := p.Check(accounts.ManageUsers, accounts.Resource{}); err != nil {
		return nil, err
	}
	id, err := formID(r, "user")
	if err != nil {
		return nil, err
	}
	u, err := a.accts.User(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	users, err := a.accts.Users(r.Context(), p, tiny.UserFilter{})
	if err != nil {
		return nil, err
	}
	keys, err := a.accts.Keys(r.Context(), p, id)
	if err != nil {
		return nil, err
	}
	v := &adminUserView{
		Page:    Page{Title: userLabel(u), Section: "admin", Flash: flash},
		Subject: u, Self: u.ID == p.User.ID, Roles: roles, Keys: len(keys), Errors: map[string]string{},
	}
	for _, o := range users {
		if o.ID != u.ID {
			v.Others = append(v.Others, o)
		}
	}
	return v, nil
}

// adminRefused renders the user's page with the service's refusal of a
// change (Conflict, such as the last admin; Invalid or NotFound of a
// field), or returns err when it is another kind of error.
func (a *App) adminRefused(w http.ResponseWriter, r *http.Request, p *accounts.Principal, err error) error {
	code := tiny.ErrorCodeOf(err)
	if code != tiny.Conflict && code != tiny.Invalid && !(code == tiny.NotFound && tiny.ErrorFieldOf(err) != "") {
		return err
	}
	v, perr := a.adminUserPage(r, p, "")
	if perr != nil {
		return perr
	}
	status := http.StatusConflict
	if field := tiny.ErrorFieldOf(err); field != "" {
		v.Errors[field] = sentence(tiny.ErrorMessageOf(err))
		status = http.StatusUnprocessableEntity
	} else {
		v.Error = sentence(tiny.ErrorMessageOf(err)) + "."
	}
	a.views.Render(w, r, status, "admin_user.html", v)
	return nil
}

func (a *App) adminSetRole(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := formID(r, "user")
	if err != nil {
		return err
	}
	u, err := a.accts.SetRole(r.Context(), p, id, tiny.Role(r.PostForm.Get("role")))
	if err != nil {
		return a.adminRefused(w, r, p, err)
	}
	seeOther(w, r, adminUserPath(id), userLabel(u)+" is now "+string(u.Role)+".")
	return nil
}

// adminSetDisabled disables (disabled=true) or enables a user; a disabled
// user's sessions end at once.
func (a *App) adminSetDisabled(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := formID(r, "user")
	if err != nil {
		return err
	}
	disable := r.PostForm.Get("disabled") == "true"
	u, err := a.accts.SetDisabled(r.Context(), p, id, disable)
	if err != nil {
		return a.adminRefused(w, r, p, err)
	}
	msg := userLabel(u) + " is enabled again."
	if disable {
		msg = userLabel(u) + " is disabled: their sessions have ended and their keys no longer work."
	}
	seeOther(w, r, adminUserPath(id), msg)
	return nil
}

// adminDeleteUser deletes a user; their links go to another user or are
// deleted, as the form says: it must say one of the two.
func (a *App) adminDeleteUser(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	id, err := formID(r, "user")
	if err != nil {
		return err
	}
	var transferTo int64
	switch r.PostForm.Get("links") {
	case "transfer":
		transferTo, err = strconv.ParseInt(r.PostForm.Get("transfer_to"), 10, 64)
		if err != nil || transferTo < 1 {
			return a.adminRefused(w, r, p, tiny.FieldErrorf(tiny.Invalid, "transfer_to", "choose who gets the links"))
		}
	case "delete":
	default:
		return a.adminRefused(w, r, p, tiny.FieldErrorf(tiny.Invalid, "links", "say what happens to the user's links"))
	}
	u, err := a.accts.User(r.Context(), p, id)
	if err != nil {
		return err
	}
	if err := a.accts.DeleteUser(r.Context(), p, id, transferTo); err != nil {
		return a.adminRefused(w, r, p, err)
	}
	msg := "The user " + userLabel(u) + " is deleted"
	if transferTo == 0 {
		msg += ", with their links."
	} else {
		msg += "; their links have a new owner."
	}
	seeOther(w, r, adminPath+"#users", msg)
	return nil
}
