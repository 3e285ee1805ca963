package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tiny/internal/ratelimit"
	"tiny/internal/tiny"
)

// passwordForm is a browser at the password forms of one server: it holds
// the CSRF cookie and token.
type passwordForm struct {
	e      *env
	client *http.Client
	csrf   string
}

func openPasswordForm(t *testing.T, e *env, code string) *passwordForm {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	client := e.checker.Client(nil)
	client.Jar = jar
	page := e.doWith(client, "GET", "/"+code, "", nil, false, "Accept", "text/html")
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(page.body)
	if m == nil {
		t.Fatalf("GET /%s = %d without a password form", code, page.status)
	}
	return &passwordForm{e: e, client: client, csrf: string(m[1])}
}

// guess posts pw to the form of code from the client address from, as a
// browser when html.
func (f *passwordForm) guess(t *testing.T, code, pw, from string, html bool) response {
	t.Helper()
	form := url.Values{"csrf": {f.csrf}, "password": {pw}}
	req, _ := http.NewRequest("POST", f.e.base+"/"+code, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Forwarded-For", from)
	if html {
		req.Header.Set("Accept", "text/html")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// TestPasswordGuessesAreLimited spends a short guess limit with wrong
// passwords: the next guess is refused with 429 and Retry-After before it
// is checked, even with the right password, as a page for browsers and
// JSON for other clients; once the window has passed, the right password
// works again. The limit holds per link across addresses, and per address
// across links.
func TestPasswordGuessesAreLimited(t *testing.T) {
	// Long enough that a loaded machine (CI with -race) checks every refusal
	// before a token comes back.
	const period = 3 * time.Second
	limit := ratelimit.Limit{Rate: 1, Burst: 3, Period: period}
	tests := []struct {
		name   string
		limits Limits
		// wrongFrom are the addresses of the wrong guesses at the first link.
		wrongFrom []string
		// refused are (link, address) of right guesses that must be refused:
		// link 0 is the guessed one, link 1 another.
		refused [][2]string
		// allowed is a right guess that must pass while the limit holds.
		allowed [2]string
	}{
		{
			name:      "per link",
			limits:    Limits{PasswordPerLink: limit},
			wrongFrom: []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"},
			refused:   [][2]string{{"0", "192.0.2.4"}, {"0", "2001:db8::1"}},
			allowed:   [2]string{"1", "192.0.2.1"},
		},
		{
			name:      "per address",
			limits:    Limits{PasswordPerIP: limit},
			wrongFrom: []string{"192.0.2.1", "192.0.2.1", "192.0.2.1"},
			refused:   [][2]string{{"0", "192.0.2.1"}, {"1", "192.0.2.1"}},
			allowed:   [2]string{"0", "192.0.2.9"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, func(c *Config) {
				trustLoopback(c)
				c.RateLimiter = ratelimit.NewLocal(100)
				c.Limits = tc.limits
			})
			var codes [2]string
			for i := range codes {
				l := e.create(e.adminKey, map[string]any{"url": "https://example.com/locked/" + strconv.Itoa(i), "password": "open sesame"})
				codes[i] = l["code"].(string)
			}
			link := func(i string) string { n, _ := strconv.Atoi(i); return codes[n] }
			f := openPasswordForm(t, e, codes[0])
			for i, from := range tc.wrongFrom {
				if r := f.guess(t, codes[0], "wrong", from, true); r.status != http.StatusForbidden {
					t.Fatalf("wrong guess %d from %s = %d, want 403", i+1, from, r.status)
				}
			}
			for i, g := range tc.refused {
				html := i == 0
				r := f.guess(t, link(g[0]), "open sesame", g[1], html)
				if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" || r.header.Get("Location") != "" {
					t.Errorf("right guess at link %s from %s past the limit = %d, Retry-After %q, Location %q, want 429 with Retry-After and no redirect",
						g[0], g[1], r.status, r.header.Get("Retry-After"), r.header.Get("Location"))
				}
				switch {
				case html && (!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(string(r.body), "Too many password attempts") || !strings.Contains(string(r.body), `name="password"`)):
					t.Errorf("429 to a browser = %s %q, want the password form saying there were too many attempts", r.header.Get("Content-Type"), r.body)
				case !html && r.errorCode() != "rate_limited":
					t.Errorf("429 to an API client = %s, want the JSON error rate_limited", r.body)
				}
			}
			if r := f.guess(t, link(tc.allowed[0]), "open sesame", tc.allowed[1], true); r.status != http.StatusSeeOther {
				t.Errorf("right guess at link %s from %s = %d, want 303 (outside the spent limit)", tc.allowed[0], tc.allowed[1], r.status)
			}
			time.Sleep(period + 50*time.Millisecond)
			if r := f.guess(t, codes[0], "open sesame", tc.refused[0][1], true); r.status != http.StatusSeeOther {
				t.Errorf("right guess after the window = %d, want 303", r.status)
			}
		})
	}
}

// TestPasswordRefusedAnswers checks the answers to a guess that was not
// checked: browsers get the form again with the reason, other clients the
// JSON error, both with Retry-After.
func TestPasswordRefusedAnswers(t *testing.T) {
	e := newEnv(t)
	code := e.create(e.adminKey, map[string]any{"url": "https://example.com/locked", "password": "pw"})["code"].(string)
	target, err := e.links.Resolve(context.Background(), code)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		err        error
		html       bool
		wantStatus int
		wantBody   string
	}{
		{tiny.Errorf(tiny.Unavailable, "busy"), true, 503, "The server is busy"},
		{tiny.Errorf(tiny.Unavailable, "busy"), false, 503, `"code":"unavailable"`},
		{tiny.Errorf(tiny.RateLimited, "too many"), true, 429, "Too many password attempts. Try again in 7 s."},
		{tiny.Errorf(tiny.RateLimited, "too many"), false, 429, `"code":"rate_limited"`},
	}
	for _, tc := range tests {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/"+code, nil)
		if tc.html {
			r.Header.Set("Accept", "text/html")
		}
		if tiny.IsCode(tc.err, tiny.RateLimited) {
			w.Header().Set("Retry-After", "7") // as the limiter sets it
		}
		e.server.wrap(func(w http.ResponseWriter, r *http.Request) error {
			return e.server.passwordRefused(w, r, target, tc.err)
		}).ServeHTTP(w, r)
		if w.Code != tc.wantStatus || w.Header().Get("Retry-After") == "" || !strings.Contains(w.Body.String(), tc.wantBody) {
			t.Errorf("passwordRefused(%v, html %v) = %d, Retry-After %q, %s, want %d with Retry-After and %q",
				tc.err, tc.html, w.Code, w.Header().Get("Retry-After"), w.Body, tc.wantStatus, tc.wantBody)
		}
		if tc.html && !strings.Contains(w.Body.String(), `name="password"`) {
			t.Errorf("passwordRefused(%v) to a browser does not show the form again", tc.err)
		}
	}
}
