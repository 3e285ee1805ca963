package web

import (
	"net/http"
	"tiny/internal/app"

	"tiny/internal/analytics"
	"tiny/internal/shortener"
)

// protectedPage is what a link previewer sees of a one-time or password
// link: that it is one, and nothing of where it leads.
type protectedPage struct {
	app.Page
	ShortURL string
	Password bool
	// OneTime is set when a single click uses the link up.
	OneTime bool
}

// renderProtected answers a link previewer that asks for a one-time or
// password link: 200 with a page whose title names the kind of link, for
// the preview card, and nothing of its destination. Its answer is the same
// whatever the agent claims, so a claimed previewer learns nothing a
// previewer would not. The visit counts as a preview in the statistics and
// uses no click.
func (s *Server) renderProtected(w http.ResponseWriter, r *http.Request, t *shortener.Target) {
	l := t.Link
	p := protectedPage{ShortURL: s.shortURL(l), Password: l.PasswordHash != "", OneTime: l.MaxClicks == 1}
	switch {
	case p.Password:
		p.Title = "Password-protected link"
	case p.OneTime:
		p.Title = "One-time link"
	default:
		p.Title = "Limited-use link"
	}
	s.renderPage(w, r, http.StatusOK, "protected.html", &p)
	s.clicks.Record(analytics.Click{
		LinkID:    t.ID(),
		At:        s.now(),
		IP:        s.clientIP(r),
		UserAgent: r.UserAgent(),
		Referrer:  r.Referer(),
	})
}
