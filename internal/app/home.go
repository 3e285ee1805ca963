package app

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// homeView is the front page: the shorten form for a signed-in person, a
// short welcome with the way in for anyone else.
type homeView struct {
	Page
	// SignInOIDC is set when single sign-on is configured.
	SignInOIDC bool
	// Form is what was sent, to fill the form again after an error.
	Form shortenForm
	// Errors are the messages by field (the API's field names); "" is a
	// message about the whole form.
	Errors map[string]string
	// MoreOpen opens "More options": an error or a value is in there.
	MoreOpen bool
	// DefaultRedirect is the redirect status of a link that picks none.
	DefaultRedirect int
}

// shortenForm is the shorten form as sent. The password is never sent
// back to the browser.
type shortenForm struct {
	URL, Alias, Title, Tags      string
	Expires                      string // datetime-local, in the zone TZOffset
	TZOffset                     string // minutes east of UTC, filled by links.js
	MaxClicks, CacheSeconds      string
	Redirect                     string // "" for the default
	ForwardQuery, PasswordWasSet bool
}

func (a *App) home(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	// The bookmarklet opens /?url=…: the form comes filled in, after
	// signing in if need be.
	prefill := r.URL.Query().Get("url")
	if prefill != "" && p == nil {
		a.toSignIn(w, r)
		return nil
	}
	v := &homeView{Page: Page{Title: "Short links", Section: "home", Flash: TakeFlash(w, r)}}
	if p != nil {
		v.User = p.User
	}
	if len(prefill) <= tiny.MaxURLLength {
		v.Form.URL = prefill
	}
	v.DefaultRedirect = tiny.DefaultRedirect
	a.views.Render(w, r, http.StatusOK, "home.html", v)
	return nil
}

// createLink shortens the form's URL with the same input, the same checks
// and the same create limit as POST /api/v1/links.
func (a *App) createLink(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	f := readShortenForm(r.PostForm)
	in, errs := f.input()
	in.Password = r.PostForm.Get("password")
	if len(errs) == 0 {
		err := a.limitCreates(w, r, shortener.CreateCost(1, shortener.CountPasswords(in)))
		var l *tiny.Link
		if err == nil {
			l, err = a.links.Create(r.Context(), p, in)
		}
		if err == nil {
			seeOther(w, r, linksPath+"/"+url.PathEscape(l.Code)+"/created", "")
			return nil
		}
		switch tiny.ErrorCodeOf(err) {
		case tiny.Internal, tiny.Unavailable:
			return err
		}
		errs = map[string]string{tiny.ErrorFieldOf(err): personMessage(err)}
	}
	v := &homeView{Page: Page{Title: "Short links", Section: "home", User: p.User}, Form: f, Errors: errs, DefaultRedirect: tiny.DefaultRedirect}
	for field := range errs {
		if field != "url" && field != "" {
			v.MoreOpen = true
		}
	}
	v.MoreOpen = v.MoreOpen || f.hasOptions()
	a.views.Render(w, r, http.StatusUnprocessableEntity, "home.html", v)
	return nil
}

// limitCreates applies the API's create limit when there is one.
func (a *App) limitCreates(w http.ResponseWriter, r *http.Request, n int) error {
	if a.cfg.LimitCreates == nil {
		return nil
	}
	return a.cfg.LimitCreates(w, r, n)
}

func readShortenForm(form url.Values) shortenForm {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	return shortenForm{
		URL: get("url"), Alias: get("alias"), Title: get("title"), Tags: get("tags"),
		Expires: get("expires"), TZOffset: get("tz_offset"), MaxClicks: get("max_clicks"),
		CacheSeconds: get("cache_seconds"), Redirect: get("redirect"),
		ForwardQuery: form.Get("forward_query") != "",
		// Only whether there was one: a password is never sent back.
		PasswordWasSet: form.Get("password") != "",
	}
}

// hasOptions reports whether anything behind "More options" was filled.
func (f shortenForm) hasOptions() bool {
	return f.Alias != "" || f.Title != "" || f.Tags != "" || f.Expires != "" || f.MaxClicks != "" ||
		f.CacheSeconds != "" || f.Redirect != "" || f.ForwardQuery || f.PasswordWasSet
}

// input turns the form into the API's CreateInput; what cannot be read
// as a number or a time is reported by field, as the service would.
func (f shortenForm) input() (shortener.CreateInput, map[string]string) {
	in := shortener.CreateInput{URL: f.URL, Alias: f.Alias, Title: f.Title, ForwardQuery: f.ForwardQuery, Tags: splitTags(f.Tags)}
	errs := map[string]string{}
	if f.Expires != "" {
		if t, ok := parseLocal(f.Expires, f.TZOffset); ok {
			in.ExpiresAt = &t
		} else {
			errs["expires_at"] = "Enter the expiry as a date and a time, such as 2030-01-31 18:00."
		}
	}
	if f.MaxClicks != "" {
		if n, err := strconv.ParseInt(f.MaxClicks, 10, 64); err == nil {
			in.MaxClicks = &n
		} else {
			errs["max_clicks"] = "Enter the click limit as a whole number, such as 100."
		}
	}
	if f.CacheSeconds != "" {
		if n, err := strconv.Atoi(f.CacheSeconds); err == nil {
			in.CacheSeconds = &n
		} else {
			errs["cache_seconds"] = "Enter the cache time as a whole number of seconds, such as 3600."
		}
	}
	if f.Redirect != "" {
		if n, err := strconv.Atoi(f.Redirect); err == nil {
			in.Redirect = &n
		} else {
			errs["redirect"] = "Pick one of the redirect types."
		}
	}
	return in, errs
}

// splitTags reads tags separated by commas or spaces.
func splitTags(s string) []string {
	tags := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// parseLocal reads a datetime-local value in the zone offset minutes east
// of UTC; without an offset (no JavaScript) the time is UTC.
func parseLocal(value, offset string) (time.Time, bool) {
	mins := 0
	if offset != "" {
		n, err := strconv.Atoi(offset)
		if err != nil || n < -14*60 || n > 14*60 {
			return time.Time{}, false
		}
		mins = n
	}
	zone := time.FixedZone("", mins*60)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, value, zone); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// fieldNames are the API's field names as a person reads them in a
// sentence.
var fieldNames = []struct{ api, person string }{
	{"max_clicks", "the click limit"},
	{"expires_at", "the expiry"},
	{"cache_seconds", "the cache time"},
	{"url", "the URL"},
	{"alias", "the alias"},
	{"title", "the title"},
	{"tags", "the tags"},
	{"redirect", "the redirect type"},
	{"password", "the password"},
}

// personMessage words err for a person: the service speaks of the API's
// field names, the form of its labels; a sentence starts with a capital
// and ends with a full stop.
func personMessage(err error) string {
	msg := tiny.ErrorMessageOf(err)
	for _, f := range fieldNames {
		if rest, ok := strings.CutPrefix(msg, f.api+" "); ok {
			msg = f.person + " " + rest
			break
		}
	}
	if tiny.IsCode(err, tiny.Conflict) && tiny.ErrorFieldOf(err) == "alias" {
		msg += "; pick another one"
	}
	if tiny.IsCode(err, tiny.RateLimited) {
		msg = "You have made many links in a short time; wait a minute and try again."
	}
	if msg == "" {
		return ""
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}
