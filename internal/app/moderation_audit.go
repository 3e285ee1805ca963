package app

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// AuditView is a page of the audit log.
type AuditView struct {
	Page
	Entries []*AuditRow
	// Form is the filter as sent, with the errors of its fields.
	Form AuditForm
	// Actors are the choices of the actor filter: tiny, then the
	// moderators and admins (and the chosen actor if neither).
	Actors []AuditOption
	// Actions and AccountEvents are the choices of the kind filter.
	Actions, AccountEvents []AuditOption
	// Zone names the time zone of the dates.
	Zone string
	// Next is the cursor of the next (older) page; 0 when there is none.
	Next int64
	// Filtered is set when the page does not start at the newest entry.
	Filtered bool
}

// AuditForm is the audit log's filter as sent: dates are YYYY-MM-DD in the
// time zone TZ (an IANA name, filled by the script; UTC without it).
type AuditForm struct {
	Link, Actor, Action, From, To, TZ string
	Errors                            map[string]string
}

// Any is set when a filter is set.
func (f AuditForm) Any() bool {
	return f.Link != "" || f.Actor != "" || f.Action != "" || f.From != "" || f.To != ""
}

// query is the filter as URL parameters, empty ones left out.
func (f AuditForm) query() url.Values {
	q := url.Values{}
	for _, kv := range [][2]string{{"link", f.Link}, {"actor", f.Actor}, {"action", f.Action}, {"from", f.From}, {"to", f.To}} {
		if kv[1] != "" {
			q.Set(kv[0], kv[1])
		}
	}
	if f.TZ != "" && (f.From != "" || f.To != "") {
		q.Set("tz", f.TZ)
	}
	return q
}

// AuditOption is one choice of a filter.
type AuditOption struct{ Value, Label string }

// AuditRow is an audit entry with the names a person reads.
type AuditRow struct {
	*tiny.AuditEntry
	Code  string
	Actor string
}

// ActionText says what an entry records, in words.
func (e *AuditRow) ActionText() string { return actionText(e.Action) }

func actionText(a tiny.AuditAction) string {
	if a == tiny.ActionRefused {
		return "create refused"
	}
	// The rest, the accounts' events among them, are words joined by _.
	return strings.ReplaceAll(string(a), "_", " ")
}

// dateLayout is the value of an <input type=date>.
const dateLayout = "2006-01-02"

func (a *App) auditPage(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	q := r.URL.Query()
	before, _ := strconv.ParseInt(q.Get("before"), 10, 64)
	form := AuditForm{Link: strings.TrimSpace(q.Get("link")), Actor: strings.TrimSpace(q.Get("actor")),
		Action: strings.TrimSpace(q.Get("action")), From: strings.TrimSpace(q.Get("from")), To: strings.TrimSpace(q.Get("to")),
		TZ: strings.TrimSpace(q.Get("tz")), Errors: map[string]string{}}
	v := &AuditView{Page: Page{Title: "Audit log", Section: "moderation"}, Form: form, Filtered: before > 0}
	f := tiny.AuditFilter{Limit: auditPageSize, BeforeID: max(before, 0)}
	status := http.StatusOK
	fail := func(field, msg string, code int) {
		v.Form.Errors[field] = msg
		status = max(status, code)
	}

	loc, err := time.LoadLocation(form.TZ)
	if form.TZ == "" || err != nil {
		loc, v.Form.TZ = time.UTC, ""
	}
	v.Zone = loc.String()
	if f.ActorID, err = accounts.ParseAuditActor(form.Actor); err != nil {
		fail("actor", "Choose someone from the list.", http.StatusBadRequest)
	}
	if form.Action != "" {
		if f.Actions, err = accounts.ParseAuditActions([]string{form.Action}); err != nil {
			fail("action", "Choose a kind from the list.", http.StatusBadRequest)
		}
	}
	day := func(field, s string) time.Time {
		if s == "" {
			return time.Time{}
		}
		d, err := time.ParseInLocation(dateLayout, s, loc)
		if err != nil {
			fail(field, "Give a date like 2026-01-31.", http.StatusBadRequest)
		}
		return d
	}
	f.From = day("from", form.From)
	if to := day("to", form.To); !to.IsZero() {
		f.To = to.AddDate(0, 0, 1) // the whole of the last day
		if !f.From.IsZero() && to.Before(f.From) {
			fail("to", "The last day comes before the first.", http.StatusBadRequest)
		}
	}
	if form.Link != "" {
		l, err := a.links.GetFor(r.Context(), p, strings.TrimSuffix(form.Link, "+"), accounts.Moderate)
		switch {
		case tiny.IsCode(err, tiny.NotFound):
			fail("link", "There is no link with that code or alias.", http.StatusNotFound)
		case err != nil:
			return err
		default:
			f.LinkID = l.ID
		}
	}
	if v.Actors, err = a.auditActors(r.Context(), f.ActorID); err != nil {
		return err
	}
	v.Actions, v.AccountEvents = auditKinds()

	if len(v.Form.Errors) == 0 {
		entries, err := a.store.AuditLog(r.Context(), f)
		if err != nil {
			return err
		}
		names := a.userNames()
		for _, e := range entries {
			row := &AuditRow{AuditEntry: e, Actor: names(r.Context(), e.ActorID)}
			if e.LinkID != 0 {
				row.Code = a.links.Codec().Encode(e.LinkID)
			}
			v.Entries = append(v.Entries, row)
		}
		if len(entries) == auditPageSize {
			v.Next = entries[len(entries)-1].ID
		}
	}
	a.views.Render(w, r, status, "moderation_audit.html", v)
	return nil
}

// auditKinds returns the choices of the kind filter: the moderation
// actions and the account events.
func auditKinds() (actions, events []AuditOption) {
	for _, x := range tiny.ModerationActions {
		actions = append(actions, AuditOption{string(x), actionText(x)})
	}
	for _, k := range accounts.AuthEventKinds {
		events = append(events, AuditOption{string(k), actionText(tiny.AuditAction(k))})
	}
	return actions, events
}

// auditActors returns the choices of the actor filter: tiny itself, the
// moderators and admins by email, and chosen when it is someone else.
func (a *App) auditActors(ctx context.Context, chosen *int64) ([]AuditOption, error) {
	out := []AuditOption{{accounts.SystemActorName, "tiny (automatic decisions, visitors' reports)"}}
	found := chosen == nil || *chosen == tiny.SystemActor
	for _, role := range []tiny.Role{tiny.RoleAdmin, tiny.RoleModerator} {
		users, err := a.store.ListUsers(ctx, tiny.UserFilter{Role: role, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, u := range users {
			out = append(out, AuditOption{strconv.FormatInt(u.ID, 10), userLabel(u) + " (" + string(role) + ")"})
			found = found || u.ID == *chosen
		}
	}
	if !found {
		name := "user " + strconv.FormatInt(*chosen, 10)
		if u, err := a.store.UserByID(ctx, *chosen); err == nil {
			name = userLabel(u)
		}
		out = append(out, AuditOption{strconv.FormatInt(*chosen, 10), name})
	}
	return out, nil
}

// PageURL is the address of the log's page before cursor (0: the newest),
// with the filter.
func (v *AuditView) PageURL(before int64) string {
	q := v.Form.query()
	if before > 0 {
		q.Set("before", strconv.FormatInt(before, 10))
	}
	if len(q) == 0 {
		return auditPath
	}
	return auditPath + "?" + q.Encode()
}

// NextURL is the address of the next page of the log, with the filter.
func (v *AuditView) NextURL() string { return v.PageURL(v.Next) }
