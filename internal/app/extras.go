package app

import (
	"encoding/json"
	"html/template"
	"net/http"
	"strings"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// extrasPath is the page of the bookmarklet and the ShareX config.
const extrasPath = "/app/extras"

// extrasRoutes registers the bookmarklet and the ShareX uploader config.
func (a *App) extrasRoutes(rt router) {
	rt.page("GET "+extrasPath, a.extras)
	rt.page("POST "+extrasPath+"/sharex", a.shareXConfig)
}

// extrasView is the page of tools that shorten from elsewhere.
type extrasView struct {
	Page
	// Bookmarklet is the javascript: URL to drag to the bookmarks bar. It
	// is built here from the base URL alone, never from a visitor's input.
	Bookmarklet template.URL
	// CanCreate is false for a viewer, who may not create links.
	CanCreate bool
}

func (a *App) extras(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	a.views.Render(w, r, http.StatusOK, "extras.html", &extrasView{
		Page:        Page{Title: "Bookmarklet and ShareX", Section: "extras", Flash: TakeFlash(w, r)},
		Bookmarklet: bookmarklet(a.cfg.BaseURL.String()),
		CanCreate:   p.Can(accounts.WriteLinks, accounts.Own(p.User.ID)),
	})
	return nil
}

// bookmarklet opens the shorten form of base with the current page's
// address filled in.
func bookmarklet(base string) template.URL {
	target, _ := json.Marshal(strings.TrimSuffix(base, "/") + "/?url=")
	return template.URL("javascript:(function(){location.href=" + string(target) + "+encodeURIComponent(location.href)})()")
}

// shareXUploader is ShareX's custom uploader format (.sxcu), a URL
// shortener that posts the link as JSON.
type shareXUploader struct {
	Version         string            `json:"Version"`
	Name            string            `json:"Name"`
	DestinationType string            `json:"DestinationType"`
	RequestMethod   string            `json:"RequestMethod"`
	RequestURL      string            `json:"RequestURL"`
	Headers         map[string]string `json:"Headers"`
	Body            string            `json:"Body"`
	Data            string            `json:"Data"`
	URL             string            `json:"URL"`
	ErrorMessage    string            `json:"ErrorMessage"`
}

// shareXConfig creates a key that may only create links and answers the
// ShareX config that holds it, as a download. The key is in this file
// only: it is shown nowhere else, and revoked like any other key.
func (a *App) shareXConfig(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	_, secret, err := a.accts.CreateKey(r.Context(), p, accounts.NewKey{Name: "ShareX", Scopes: []tiny.Scope{tiny.ScopeLinksWrite}})
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(a.cfg.BaseURL.String(), "/")
	cfg := shareXUploader{
		Version:         "15.0.0",
		Name:            "tiny (" + a.cfg.BaseURL.Host + ")",
		DestinationType: "URLShortener",
		RequestMethod:   "POST",
		RequestURL:      base + "/api/v1/links",
		Headers:         map[string]string{"Authorization": "Bearer " + secret},
		Body:            "JSON",
		Data:            `{"url":"{input}"}`,
		URL:             "{json:short_url}",
		ErrorMessage:    "{json:error.message}",
	}
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Disposition", `attachment; filename="tiny-`+safeFileName(a.cfg.BaseURL.Host)+`.sxcu"`)
	h.Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}

// safeFileName keeps the letters, digits, dots and dashes of s.
func safeFileName(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '-' {
			return r
		}
		return '-'
	}, s)
}
