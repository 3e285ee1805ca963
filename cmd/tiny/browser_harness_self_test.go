package main

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// badPage breaks each rule the page checks enforce once.
const badPage = `<!doctype html><html lang="en"><head><title>Bad</title><meta name="viewport" content="width=device-width, initial-scale=1"><style>
.faint { color: #ccc; background: #fff; }
#no-ring:focus { outline: none; }
.wide { width: 600px; }
</style></head><body><main>
<h1>A page that breaks the rules</h1>
<p class="faint">Text too faint to read</p>
<p class="wide">Too wide for a phone</p>
<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">
<a href="#a">First link</a>
<button type="button" id="no-ring">No focus ring</button>
<a href="#b" tabindex="3">Jumps the queue</a>
<form action="/sent"><label>Field <input id="field" name="f"></label><button>Send</button></form>
<script>
document.getElementById("field").addEventListener("keypress", function (e) { if (e.key === "Enter") e.preventDefault(); });
throw new Error("boom");
</script>
</main></body></html>`

// TestBrowserHarnessFindsProblems runs the page checks on a page that
// breaks each rule once, so that a check that finds nothing cannot pass
// for a page that has no problem.
func TestBrowserHarnessFindsProblems(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, badPage)
	}))
	defer srv.Close()
	c := newChrome(t, srv.URL)
	tb := c.newTab("the harness")
	tb.do(chromedp.Navigate(srv.URL + "/bad"))

	found := strings.Join(tb.pageProblems(), "\n")
	tb.setTheme("dark") // the page has no dark theme: its contrast stays wrong
	found += "\n" + strings.Join(tb.axe(), "\n")
	tb.setTheme("light")
	tb.setWidth(390)
	found += "\n" + strings.Join(tb.overflow(), "\n")
	tb.setWidth(1280)
	found += "\n" + strings.Join(tb.keyboard(), "\n")
	for _, want := range []string{
		"script error: Uncaught Error: boom",
		"critical image-alt",
		"serious color-contrast",
		"dark theme",
		"wider than the 390 px screen (light theme): p.wide",
		`focus on button "No focus ring" does not show`,
		"keyboard: Tab stop 3 is input[text]",
		"serious tabindex",
		`Enter in input[text] "f" does not send the form`,
	} {
		if !strings.Contains(found, want) {
			t.Errorf("the checks did not report %q; they reported:\n%s", want, found)
		}
	}
}
