package app

import (
	"net/http"

	"tiny/internal/accounts"
)

// homeView is the front page: the shorten form for a signed-in person, a
// short welcome with the way in for anyone else.
type homeView struct {
	Page
	// SignInOIDC is set when single sign-on is configured.
	SignInOIDC bool
}

func (a *App) home(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	v := &homeView{Page: Page{Title: "Short links", Section: "home", Flash: takeFlash(w, r)}}
	if p != nil {
		v.User = p.User
	}
	a.views.Render(w, r, http.StatusOK, "home.html", v)
	return nil
}
