package web

import (
	"net/http"
	"strings"
	"time"
	"tiny/internal/app"

	"tiny/internal/analytics"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// visit answers GET and HEAD of a short name on the net/http side: the
// preview page (name+), and every link the fast path does not take —
// expired, deleted, flagged, blocked, password-protected or click-limited.
// Link previewers get a page without the destination of a one-time or
// password link.
func (s *Server) visit(w http.ResponseWriter, r *http.Request) error {
	name, preview := strings.CutSuffix(r.PathValue("code"), "+")
	t, err := s.resolve(r, name)
	if err != nil {
		return err
	}
	if preview {
		return s.preview(w, r, t)
	}
	if err := s.checkVisitable(t); err != nil {
		return err
	}
	l := t.Link
	switch {
	case l.Status == tiny.StatusBlocked:
		s.renderPage(w, r, http.StatusUnavailableForLegalReasons, "blocked.html", &linkPage{Page: app.Page{Title: "Link blocked"}, Link: l, ShortURL: s.shortURL(l)})
		return nil
	case shortener.HidesDestination(l) && analytics.IsPreviewBot(r.UserAgent()):
		s.renderProtected(w, r, t)
		return nil
	case l.PasswordHash != "":
		s.renderPasswordForm(w, r, t, "", http.StatusOK)
		return nil
	case l.Status == tiny.StatusFlagged && r.URL.Query().Get("confirm") != "1":
		s.renderPage(w, r, http.StatusOK, "interstitial.html", s.linkPageOf(l, "Check this link"))
		return nil
	}
	return s.redirect(w, r, t, t.Redirect())
}

// unlock takes the password form of a protected link.
func (s *Server) unlock(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("code")
	t, err := s.resolve(r, name)
	if err != nil {
		return err
	}
	if err := s.checkVisitable(t); err != nil {
		return err
	}
	if t.Link.PasswordHash == "" || t.Link.Status == tiny.StatusBlocked {
		return tiny.Errorf(tiny.Invalid, "this link does not take a password")
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4<<10)
	if err := r.ParseForm(); err != nil {
		return tiny.Errorf(tiny.Invalid, "the form could not be read")
	}
	if !validCSRF(r) {
		s.renderPasswordForm(w, r, t, "Your session expired; please try again.", http.StatusForbidden)
		return nil
	}
	ok, err := s.checkPassword(w, r, t)
	if err != nil {
		return s.passwordRefused(w, r, t, err)
	}
	if !ok {
		s.renderPasswordForm(w, r, t, "That password is not right.", http.StatusForbidden)
		return nil
	}
	// 303 turns the form post into a GET; 307 or 308 would post the password
	// on to the destination.
	return s.redirect(w, r, t, http.StatusSeeOther)
}

func (s *Server) resolve(r *http.Request, name string) (*shortener.Target, error) {
	if !tiny.IsCodeSyntax(name) {
		return nil, tiny.Errorf(tiny.NotFound, "there is no link here")
	}
	// Live: the slow path decides on a click-limited link's exact count.
	t, err := s.links.ResolveLive(r.Context(), name)
	if tiny.IsCode(err, tiny.NotFound) {
		return nil, tiny.Errorf(tiny.NotFound, "there is no link here")
	}
	return t, err
}

// checkVisitable refuses links that no longer lead anywhere.
func (s *Server) checkVisitable(t *shortener.Target) error {
	l := t.Link
	switch {
	case l.DeletedAt != nil:
		return tiny.Errorf(tiny.Gone, "this link was deleted by its owner")
	case t.Expired(s.now()):
		return tiny.Errorf(tiny.Gone, "this link has expired")
	case l.MaxClicks > 0 && l.Clicks >= l.MaxClicks:
		// The count is read live (ResolveLive); ConsumeClick is the exact
		// check of a visit.
		return tiny.Errorf(tiny.Gone, "this link has been used up")
	}
	return nil
}

// redirect sends the visitor on with status. A click-limited link is
// counted exactly in the store first, whoever asks: link previewers never
// get here for one (visit shows them renderProtected), and a user agent is
// a claim, so it buys no free redirect.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, t *shortener.Target, status int) error {
	ua := r.UserAgent()
	counted := false
	if t.Link.MaxClicks > 0 {
		if err := s.links.ConsumeClick(r.Context(), t); err != nil {
			if tiny.IsCode(err, tiny.Gone) {
				return tiny.Errorf(tiny.Gone, "this link has been used up")
			}
			return err
		}
		counted = true
	}
	now := s.now()
	w.Header().Set("Location", t.Location(r.URL.RawQuery))
	w.Header().Set("Cache-Control", t.CacheControl(now))
	setRedirectHeaders(w.Header())
	w.WriteHeader(status)
	s.clicks.Record(analytics.Click{
		LinkID:    t.ID(),
		At:        now,
		IP:        s.clientIP(r),
		UserAgent: ua,
		Referrer:  r.Referer(),
		Counted:   counted,
	})
	s.metrics.redirect.Observe(time.Since(now).Seconds())
	return nil
}
