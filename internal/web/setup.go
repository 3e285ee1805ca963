package web

import (
	"net/http"
	"tiny/internal/app"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// setupPage is the first admin's form, reached by the URL tiny prints at
// its first start.
type setupPage struct {
	app.Page
	Token, Email, DisplayName, Error string
	// Field is the field Error is about, for the form to mark.
	Field string
}

func (s *Server) setupPage(w http.ResponseWriter, r *http.Request) error {
	token := r.URL.Query().Get("token")
	if err := s.accounts.CheckSetupToken(r.Context(), token); err != nil {
		return err
	}
	// The token is in this page's URL: no link or form may send it on.
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.renderPage(w, r, http.StatusOK, "setup.html", &setupPage{Page: app.Page{Title: "Set up tiny"}, Token: token})
	return nil
}

// setup spends the setup token on the first admin, signs them in and sends
// them home. A field that breaks its rule shows the form again.
func (s *Server) setup(w http.ResponseWriter, r *http.Request) error {
	g, err := s.signIns()
	if err != nil {
		return err
	}
	if err := s.parseForm(w, r); err != nil {
		return err
	}
	f := r.PostForm
	in := accounts.NewAdmin{Email: f.Get("email"), Password: f.Get("password"), DisplayName: f.Get("display_name")}
	if _, err := s.accounts.SetupAdmin(r.Context(), f.Get("token"), in); err != nil {
		if !tiny.IsCode(err, tiny.Invalid) {
			return err
		}
		s.renderPage(w, r, http.StatusBadRequest, "setup.html", &setupPage{Page: app.Page{Title: "Set up tiny"}, Token: f.Get("token"), Email: in.Email,
			DisplayName: in.DisplayName, Error: tiny.ErrorMessageOf(err), Field: tiny.ErrorFieldOf(err)})
		return nil
	}
	out, err := g.Password(r.Context(), in.Email, in.Password, s.signInClient(r))
	if err != nil {
		return signInRefused(w, err)
	}
	s.signedIn(w, out)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}
