package app

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// editForm is a link's edit form: the fields of the shorten form but the
// alias, which never changes. A password is never sent back to the
// browser: the form only says whether the link has one.
type editForm struct {
	URL, Title, Tags string
	// Expires is a datetime-local value in the zone TZOffset (minutes
	// east of UTC, filled by linkpage.js); without it, UTC. ExpiresUTC is
	// the link's expiry for linkpage.js to show in local time.
	Expires, TZOffset, ExpiresUTC string
	MaxClicks, CacheSeconds       string
	Redirect                      string
	ForwardQuery                  bool
	// HasPassword says the link has a password now; RemovePassword that
	// the form asks to remove it.
	HasPassword, RemovePassword bool
}

// redirectChoice is a redirect type of the edit form.
type redirectChoice struct {
	Value int
	Label string
}

// redirectChoices are the redirect types the form offers.
var redirectChoices = []redirectChoice{
	{302, "302 Found (temporary; every click is counted)"},
	{307, "307 Temporary Redirect (keeps the request method)"},
	{301, "301 Moved Permanently (browsers may remember it)"},
	{308, "308 Permanent Redirect (keeps the request method)"},
}

// localLayout is the value format of a datetime-local input.
const localLayout = "2006-01-02T15:04"

// formOf fills the edit form from l.
func formOf(l *tiny.Link) editForm {
	f := editForm{
		URL: l.URL, Title: l.Title, Tags: strings.Join(l.Tags, ", "),
		Redirect: strconv.Itoa(l.Redirect), ForwardQuery: l.ForwardQuery, HasPassword: l.PasswordHash != "",
	}
	if l.ExpiresAt != nil {
		f.Expires = l.ExpiresAt.UTC().Format(localLayout)
		f.ExpiresUTC = l.ExpiresAt.UTC().Format(time.RFC3339)
	}
	if l.MaxClicks > 0 {
		f.MaxClicks = strconv.FormatInt(l.MaxClicks, 10)
	}
	if l.CacheSeconds != nil {
		f.CacheSeconds = strconv.Itoa(*l.CacheSeconds)
	}
	return f
}

func readEditForm(form url.Values) editForm {
	get := func(k string) string { return strings.TrimSpace(form.Get(k)) }
	return editForm{
		URL: get("url"), Title: get("title"), Tags: get("tags"),
		Expires: get("expires"), TZOffset: get("tz_offset"), MaxClicks: get("max_clicks"),
		CacheSeconds: get("cache_seconds"), Redirect: get("redirect"),
		ForwardQuery:   form.Get("forward_query") != "",
		RemovePassword: form.Get("remove_password") != "",
	}
}

// update turns the form into the API's UpdateInput for l: every field is
// sent, an emptied optional one as null (which removes it). An expiry
// left as it was is not sent, so a link that expired can still be edited.
// What cannot be read as a number or a time is reported by field, as the
// service would.
func (f editForm) update(l *tiny.Link, password string) (shortener.UpdateInput, map[string]string) {
	in := shortener.UpdateInput{}
	in.URL = shortener.Optional[string]{Set: true, Value: f.URL}
	in.Title = shortener.Optional[string]{Set: true, Value: f.Title}
	in.Tags = shortener.Optional[[]string]{Set: true, Value: splitTags(f.Tags)}
	in.ForwardQuery = shortener.Optional[bool]{Set: true, Value: f.ForwardQuery}
	errs := map[string]string{}
	switch t, ok := parseLocal(f.Expires, f.TZOffset); {
	case f.Expires == "":
		in.ExpiresAt = shortener.Optional[time.Time]{Set: l.ExpiresAt != nil, Null: true}
	case !ok:
		errs["expires_at"] = "Enter the expiry as a date and a time, such as 2030-01-31 18:00."
	case l.ExpiresAt == nil || !l.ExpiresAt.Truncate(time.Minute).Equal(t):
		in.ExpiresAt = shortener.Optional[time.Time]{Set: true, Value: t}
	}
	in.MaxClicks = shortener.Optional[int64]{Set: true, Null: f.MaxClicks == ""}
	if f.MaxClicks != "" {
		n, err := strconv.ParseInt(f.MaxClicks, 10, 64)
		if err != nil {
			errs["max_clicks"] = "Enter the click limit as a whole number, such as 100, or leave it empty for no limit."
		}
		in.MaxClicks.Value = n
	}
	in.CacheSeconds = shortener.Optional[int]{Set: true, Null: f.CacheSeconds == ""}
	if f.CacheSeconds != "" {
		n, err := strconv.Atoi(f.CacheSeconds)
		if err != nil {
			errs["cache_seconds"] = "Enter the cache time as a whole number of seconds, such as 3600, or leave it empty for the default."
		}
		in.CacheSeconds.Value = n
	}
	if n, err := strconv.Atoi(f.Redirect); err == nil {
		in.Redirect = shortener.Optional[int]{Set: true, Value: n}
	} else {
		errs["redirect"] = "Pick one of the redirect types."
	}
	switch {
	case f.RemovePassword:
		in.Password = shortener.Optional[string]{Set: true, Null: true}
	case password != "":
		in.Password = shortener.Optional[string]{Set: true, Value: password}
	}
	return in, errs
}
