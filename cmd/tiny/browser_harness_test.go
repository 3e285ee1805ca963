package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"tiny/internal/testservice"
)

// The browser tests drive Debian's chromium through chromedp against the
// real binary. This file is their harness: one chromium per test, a tab per
// person (each in its own browser context, so with its own cookies), and
// the checks every page gets: axe-core, the keyboard, screenshots.

const chromiumPath = "/usr/bin/chromium"

// requireChromium skips a browser test when chromium is missing, unless
// TINY_REQUIRE_SERVICES=1 (CI) makes that a failure.
func requireChromium(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err == nil {
		return
	}
	msg := "chromium is not installed at " + chromiumPath + "; install it with: apt-get install -y chromium"
	if testservice.Required() {
		t.Fatalf("TINY_REQUIRE_SERVICES=1 and %s", msg)
	}
	t.Skip(msg)
}

// chrome is one headless chromium for a test.
type chrome struct {
	t    *testing.T
	root context.Context // the first tab: the browser lives as long as it
	base string          // http://addr of the tiny under test
}

// newChrome starts chromium for t against tiny at base.
func newChrome(t *testing.T, base string) *chrome {
	t.Helper()
	requireChromium(t)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate,OptimizationHints,MediaRouter"),
		chromedp.Flag("force-color-profile", "srgb"),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 800),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	root, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(root); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return &chrome{t: t, root: root, base: base}
}

// tab is a browser tab with cookies of its own: one person.
type tab struct {
	t     *testing.T
	c     *chrome
	ctx   context.Context
	name  string
	theme string
	width int
	// downloads is the folder the tab's downloads go to.
	downloads string
}

// personAgent is the user agent of a person's desktop chromium.
const personAgent = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"

// pageProbe runs before any script of each page: it records CSP
// violations and uncaught errors, which a test then fails on.
const pageProbe = `window.__tinyProblems = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__tinyProblems.push("CSP blocked " + (e.blockedURI || "inline code") + " (" + e.violatedDirective + ")");
});
window.addEventListener("error", function (e) { window.__tinyProblems.push("script error: " + e.message); });`

// newTab opens a tab in a new browser context: a person who has not
// signed in yet. JavaScript dialogs (data-confirm) are accepted.
func (c *chrome) newTab(name string) *tab {
	c.t.Helper()
	ctx, cancel := chromedp.NewContext(c.root, chromedp.WithNewBrowserContext())
	c.t.Cleanup(cancel)
	tb := &tab{t: c.t, c: c, ctx: ctx, name: name}
	if err := chromedp.Do(ctx); err != nil {
		c.t.Fatalf("opening the tab of %s: %v", name, err)
	}
	target := chromedp.FromContext(ctx).Target
	err := chromedp.Listen(ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			go func() {
				_, _ = cdp.Call(ctx, target, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}()
		}
	})
	if err != nil {
		c.t.Fatal(err)
	}
	tb.call(func(ctx context.Context, t *chromedp.Target) error {
		if _, err := cdp.Call(ctx, t, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: pageProbe}); err != nil {
			return err
		}
		// A headless tab is not focused; the clipboard needs focus.
		if _, err := cdp.Call(ctx, t, emulation.SetFocusEmulationEnabled, emulation.SetFocusEmulationEnabledParams{Enabled: true}); err != nil {
			return err
		}
		// tiny counts HeadlessChrome's clicks as a bot's.
		_, err := cdp.Call(ctx, t, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{UserAgent: personAgent})
		return err
	})
	tb.downloads = c.t.TempDir()
	_, err = chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: tb.downloads,
		BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
	})
	if err != nil {
		c.t.Fatal(err)
	}
	for _, name := range []string{"clipboard-read", "clipboard-write"} {
		_, err := chromedp.CallBrowser(ctx, cdpbrowser.SetPermission, cdpbrowser.SetPermissionParams{
			Permission: &cdpbrowser.PermissionDescriptor{Name: name}, Setting: cdpbrowser.PermissionSettingGranted,
			Origin: c.base, BrowserContextID: chromedp.FromContext(ctx).BrowserContextID,
		})
		if err != nil {
			c.t.Fatalf("granting %s: %v", name, err)
		}
	}
	tb.setTheme("light")
	tb.setWidth(1280)
	return tb
}

// in returns the tab for use by the (sub)test t.
func (tb *tab) in(t *testing.T) *tab {
	c := *tb
	c.t = t
	return &c
}

// actionTimeout bounds one step; a step that waits longer is stuck.
const actionTimeout = 20 * time.Second

// do runs steps in the tab and fails the test on an error.
func (tb *tab) do(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		tb.t.Fatalf("%s on %s: %v", tb.name, tb.path(), err)
	}
}

// call runs f as one step.
func (tb *tab) call(f func(ctx context.Context, t *chromedp.Target) error) {
	tb.t.Helper()
	tb.do(chromedp.Func(f))
}

// eval evaluates js in the page (awaiting a promise) and decodes its
// value into a T.
func eval[T any](tb *tab, js string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("%s on %s: evaluating %.80q: %v", tb.name, tb.path(), js, err)
	}
	return v
}

// path is the path and query of the tab's page ("" before any).
func (tb *tab) path() string {
	ctx, cancel := context.WithTimeout(tb.ctx, 5*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "?"
	}
	u, err := url.Parse(loc)
	if err != nil {
		return loc
	}
	return u.RequestURI()
}

// open loads path (a path of tiny, or an absolute URL), and returns the
// HTTP status of the page.
func (tb *tab) open(path string) int {
	tb.t.Helper()
	if !strings.Contains(path, "://") {
		path = tb.c.base + path
	}
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(path))
	if err != nil {
		tb.t.Fatalf("%s opening %s: %v", tb.name, path, err)
	}
	tb.checkProblems()
	if resp == nil {
		return 0
	}
	return int(resp.Status)
}

// checkProblems fails the test on a CSP violation or a script error of
// the page.
func (tb *tab) checkProblems() {
	tb.t.Helper()
	for _, p := range tb.pageProblems() {
		tb.t.Errorf("%s on %s: %s", tb.name, tb.path(), p)
	}
}

// pageProblems are the CSP violations and script errors of the page.
func (tb *tab) pageProblems() []string {
	tb.t.Helper()
	return eval[[]string](tb, `window.__tinyProblems || []`)
}

// fill sets the value of the form field sel (an option's value for a
// select), as a script would: quick, for fields whose typing is not the
// point.
func (tb *tab) fill(sel, value string) {
	tb.t.Helper()
	js := fmt.Sprintf(`(function (sel, v) {
  var e = document.querySelector(sel);
  if (!e) return "there is no " + sel;
  e.value = v;
  if (e.value !== v) return sel + " did not take " + JSON.stringify(v) + (e.options ? "; its options: " + Array.prototype.map.call(e.options, function (o) { return o.value; }).join(", ") : "");
  e.dispatchEvent(new Event("input", {bubbles: true}));
  e.dispatchEvent(new Event("change", {bubbles: true}));
  return "";
})(%q, %q)`, sel, value)
	if msg := eval[string](tb, js); msg != "" {
		tb.t.Fatalf("%s on %s: %s", tb.name, tb.path(), msg)
	}
}

// typeInto focuses sel and types text into it, key by key.
func (tb *tab) typeInto(sel, text string) {
	tb.t.Helper()
	tb.do(chromedp.Focus(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.KeyEvent(text))
}

// click clicks the element sel; the page stays.
func (tb *tab) click(sel string) {
	tb.t.Helper()
	tb.do(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// clickAndWait clicks sel and waits for the page it loads.
func (tb *tab) clickAndWait(sel string) {
	tb.t.Helper()
	tb.navigatesBy(chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// enterIn focuses the field sel, presses Enter and waits for the page the
// form's answer loads.
func (tb *tab) enterIn(sel string) {
	tb.t.Helper()
	tb.navigatesBy(chromedp.Focus(chromedp.CSS(sel), chromedp.NodeVisible), chromedp.KeyEvent(kb.Enter))
}

// navigatesBy runs steps that load another page, and waits until that
// page has loaded.
func (tb *tab) navigatesBy(steps ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	_ = eval[bool](tb, `window.__tinyOld = true`)
	tb.do(steps...)
	deadline := time.Now().Add(actionTimeout)
	for {
		ctx, cancel := context.WithTimeout(tb.ctx, 2*time.Second)
		done, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`!window.__tinyOld && document.readyState === "complete"`))
		cancel()
		if err == nil && done {
			break
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s on %s: no new page loaded within %v (last error %v)", tb.name, tb.path(), actionTimeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.checkProblems()
}

// download waits for the download that the last action started and
// returns the file's contents.
func (tb *tab) download(ext string) []byte {
	tb.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		files, _ := filepath.Glob(filepath.Join(tb.downloads, "*"+ext))
		if len(files) == 1 {
			if b, err := os.ReadFile(files[0]); err == nil && len(b) > 0 {
				_ = os.Remove(files[0])
				return b
			}
		}
		if len(files) > 1 {
			tb.t.Fatalf("%s: %d downloads of %s, want 1: %v", tb.name, len(files), ext, files)
		}
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s on %s: no %s file was downloaded within 10 s", tb.name, tb.path(), ext)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// text is the text of the element sel ("" when there is none).
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	return eval[string](tb, fmt.Sprintf(`(function () { var e = document.querySelector(%q); return e ? e.innerText.trim() : ""; })()`, sel))
}

// exists reports whether the page has an element sel.
func (tb *tab) exists(sel string) bool {
	tb.t.Helper()
	return eval[bool](tb, fmt.Sprintf(`document.querySelector(%q) !== null`, sel))
}

// waitFor polls until js is true, failing after 10 s.
func (tb *tab) waitFor(what, js string) {
	tb.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !eval[bool](tb, js) {
		if time.Now().After(deadline) {
			tb.t.Fatalf("%s on %s: waited 10 s for %s", tb.name, tb.path(), what)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// signIn signs in on the sign-in page with the keyboard: the password
// field's Enter sends the form.
func (tb *tab) signIn(email, password string) {
	tb.t.Helper()
	if !strings.HasPrefix(tb.path(), "/signin") {
		tb.open("/signin")
	}
	tb.fill(`input[name=email]`, email)
	tb.fill(`input[name=password]`, password)
	tb.enterIn(`input[name=password]`)
	if strings.HasPrefix(tb.path(), "/signin") {
		tb.t.Fatalf("%s: signing in as %s stayed on %s: %s", tb.name, email, tb.path(), tb.text("main"))
	}
}

// setTheme makes the page see prefers-color-scheme: theme.
func (tb *tab) setTheme(theme string) {
	tb.t.Helper()
	tb.call(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
			Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme}},
		})
		return err
	})
	tb.theme = theme
}

// setWidth sets the viewport: a desktop at 1280, a phone at 390.
func (tb *tab) setWidth(width int) {
	tb.t.Helper()
	height, mobile, scale := 800, false, 1.0
	if width < 600 {
		height, mobile = 844, true
	}
	tb.call(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetDeviceMetricsOverride, emulation.SetDeviceMetricsOverrideParams{
			Width: int64(width), Height: int64(height), DeviceScaleFactor: scale, Mobile: mobile,
		})
		return err
	})
	tb.width = width
	// The charts follow their box's width from a ResizeObserver, whose
	// callbacks run before the next frame is painted: two frames later the
	// page is laid out at the new width.
	_ = eval[bool](tb, `new Promise(function (done) { requestAnimationFrame(function () { requestAnimationFrame(function () { done(true); }); }); })`)
}

// axe-core, vendored for the tests (not embedded in the binary).
var axeSource = sync.OnceValues(func() (string, error) {
	b, err := os.ReadFile(filepath.Join("..", "..", "internal", "app", "testdata", "vendor", "axe-core", "axe.min.js"))
	return string(b), err
})

type axeViolation struct {
	ID, Impact, Help string
	Targets          []string
}

// axe runs axe-core on the page and returns its serious and critical
// violations, each naming the rule, its help and the elements.
func (tb *tab) axe() []string {
	tb.t.Helper()
	src, err := axeSource()
	if err != nil {
		tb.t.Fatal(err)
	}
	if !eval[bool](tb, `typeof window.axe === "object"`) {
		ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
		_, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](src+"\n;undefined"))
		cancel()
		if err != nil {
			tb.t.Fatalf("injecting axe-core: %v", err)
		}
	}
	raw := eval[string](tb, `axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
  return JSON.stringify(r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; }).map(function (v) {
    return {ID: v.id, Impact: v.impact, Help: v.help, Targets: v.nodes.map(function (n) { return n.target.join(" "); })};
  }));
})`)
	var vs []axeViolation
	if err := json.Unmarshal([]byte(raw), &vs); err != nil {
		tb.t.Fatalf("axe's answer %q: %v", raw, err)
	}
	var out []string
	for _, v := range vs {
		out = append(out, fmt.Sprintf("axe (%s theme, %d px): %s %s: %s; at %s", tb.theme, tb.width, v.Impact, v.ID, v.Help, strings.Join(v.Targets, ", ")))
	}
	return out
}

// screenshotDir is where the screenshots go: $TINY_SCREENSHOTS, or
// testdata/screenshots (ignored by git).
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("TINY_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join("testdata", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// screenshot writes the whole page to <page>-<width>-<theme>.png.
func (tb *tab) screenshot(page string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, actionTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		tb.t.Fatalf("screenshot of %s: %v", page, err)
	}
	name := fmt.Sprintf("%s-%d-%s.png", page, tb.width, tb.theme)
	if err := os.WriteFile(filepath.Join(screenshotDir(tb.t), name), png, 0o644); err != nil {
		tb.t.Fatal(err)
	}
}

// keyboardJS marks the page's interactive elements in document order
// (data-kb), the order Tab must visit them in. A radio group is one stop;
// hidden, disabled and inert elements are none.
const keyboardJS = `(function () {
  function shown(e) { return e.checkVisibility({visibilityProperty: true}); }
  var els = Array.prototype.filter.call(document.querySelectorAll("a[href], button, input, select, textarea, summary, [tabindex]"), function (e) {
    if (e.disabled || e.type === "hidden" || e.tabIndex < 0 || e.closest("[inert]") || !shown(e)) return false;
    if (e.type === "radio" && e.name) {
      // Tab stops once in a group: at its checked radio, else its first.
      var group = Array.prototype.filter.call(document.getElementsByName(e.name), function (r) { return r.form === e.form; });
      var checked = group.find(function (r) { return r.checked; });
      return e === (checked || group[0]);
    }
    return true;
  });
  els.forEach(function (e, i) { e.dataset.kb = i; });
  var start = document.createElement("span");
  start.tabIndex = -1;
  start.id = "__kbstart";
  document.body.prepend(start);
  start.focus();
  return els.map(window.__kbName);
})()`

// kbNameJS names an element for a message.
const kbNameJS = `window.__kbName = function (e) {
  var label = (e.getAttribute("aria-label") || e.innerText || e.value || e.name || e.id || "").trim().replace(/\s+/g, " ").slice(0, 40);
  return e.tagName.toLowerCase() + (e.type && e.tagName !== "BUTTON" ? "[" + e.type + "]" : "") + (label ? " \"" + label + "\"" : "");
};`

// focusJS describes the focused element: its data-kb index (-1: nothing
// in the page, -2: focusable but not marked), whether its focus shows
// (an outline or a box shadow) and whether it is on screen.
const focusJS = `(function () {
  var e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement || e.id === "__kbstart") return {I: -1};
  var s = getComputedStyle(e), r = e.getBoundingClientRect();
  return {
    I: e.dataset.kb === undefined ? -2 : +e.dataset.kb,
    Name: window.__kbName(e),
    // Date and time fields focus a part of theirs, which chromium
    // highlights itself.
    Shows: (s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== "none" || /^(date|time|datetime-local|month|week)$/.test(e.type),
    OnScreen: r.width > 0 && r.height > 0 && r.bottom > 0 && r.right > 0 && r.top < innerHeight && r.left < innerWidth
  };
})()`

type focused struct {
	I        int
	Name     string
	Shows    bool
	OnScreen bool
}

// keyboard tabs through the page from its start: focus must reach every
// interactive element in document order, and each must show its focus on
// screen. Then Enter in the page's main form (the first in <main> with a
// submit button) must send it, which is caught before it leaves. It
// returns what failed.
func (tb *tab) keyboard() []string {
	tb.t.Helper()
	var out []string
	_ = eval[bool](tb, kbNameJS+";true")
	want := eval[[]string](tb, keyboardJS)
	var got []int
	for i := 0; i < 2*len(want)+5; i++ {
		tb.do(chromedp.KeyEvent(kb.Tab))
		f := eval[focused](tb, focusJS)
		if f.I == -1 || (f.I == 0 && len(got) > 0) {
			break // past the end: out of the page, or round to the start
		}
		if f.I >= 0 && len(got) > 0 && got[len(got)-1] == f.I {
			continue // the next part of a date field
		}
		if !f.Shows || !f.OnScreen {
			out = append(out, fmt.Sprintf("keyboard: the focus on %s does not show (outline or shadow %t, on screen %t)", f.Name, f.Shows, f.OnScreen))
		}
		if f.I >= 0 {
			got = append(got, f.I)
		}
	}
	for i, w := range want {
		if i >= len(got) {
			out = append(out, fmt.Sprintf("keyboard: Tab never reached %s (nor what follows: %v)", w, want[i+1:]))
			break
		}
		if got[i] != i {
			out = append(out, fmt.Sprintf("keyboard: Tab stop %d is %s, want %s (the order of the page)", i+1, want[got[i]], w))
			break
		}
	}
	_ = eval[bool](tb, `(function () { var s = document.getElementById("__kbstart"); if (s) s.remove(); return true; })()`)

	field := eval[string](tb, `(function () {
  function shown(e) { return e.checkVisibility({visibilityProperty: true}); }
  var main = document.querySelector("main");
  var form = main && Array.prototype.find.call(main.querySelectorAll("form"), function (f) { return shown(f) && f.querySelector("button:not([type=button]):not([type=reset]), input[type=submit]"); });
  if (!form) return "";
  window.__tinySent = "";
  document.addEventListener("submit", function (e) { window.__tinySent = "submit"; e.preventDefault(); e.stopImmediatePropagation(); }, true);
  form.addEventListener("invalid", function () { window.__tinySent = window.__tinySent || "invalid"; }, true);
  var field = Array.prototype.find.call(form.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=submit]):not([type=file]):not([type=button])"), shown) ||
    form.querySelector("button:not([type=button]):not([type=reset]), input[type=submit]");
  field.setAttribute("data-kbenter", "");
  return window.__kbName(field);
})()`)
	if field == "" {
		return out // no form on this page
	}
	tb.do(chromedp.Focus(chromedp.CSS(`[data-kbenter]`)), chromedp.KeyEvent(kb.Enter))
	if sent := eval[string](tb, `window.__tinySent`); sent == "" {
		out = append(out, fmt.Sprintf("keyboard: Enter in %s does not send the form", field))
	}
	return out
}

// overflowJS names the outermost elements that stick out to the right of
// the screen, making the page scroll sideways (content inside a
// scrolling box, such as a wide table's wrapper, is fine).
const overflowJS = `(function () {
  var w = document.documentElement.clientWidth;
  if (document.documentElement.scrollWidth <= w) return [];
  function clipped(e) {
    for (var p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  }
  function over(e) { var r = e.getBoundingClientRect(); return r.width > 0 && r.right > w + 1; }
  var out = [];
  document.querySelectorAll("body *").forEach(function (e) {
    if (over(e) && !(e.parentElement && e.parentElement !== document.body && over(e.parentElement)) && !clipped(e)) {
      out.push(e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className && typeof e.className === "string" ? "." + e.className.trim().split(/\s+/).join(".") : "") +
        " (to " + Math.round(e.getBoundingClientRect().right) + " px)");
    }
  });
  return out.length ? out : ["the page (" + document.documentElement.scrollWidth + " px)"];
})()`

// overflow reports whether the page scrolls sideways at its width.
func (tb *tab) overflow() []string {
	tb.t.Helper()
	var out []string
	for _, e := range eval[[]string](tb, overflowJS) {
		out = append(out, fmt.Sprintf("wider than the %d px screen (%s theme): %s", tb.width, tb.theme, e))
	}
	return out
}

// checkPage gives the page open in tb every check: axe-core in both
// themes, the keyboard, no sideways scrolling on a phone, and screenshots
// at both widths in both themes; each problem fails the test. It leaves the tab light and 1280 wide.
func (tb *tab) checkPage(page string) {
	tb.t.Helper()
	path := tb.path()
	var problems []string
	for _, theme := range []string{"light", "dark"} {
		tb.setTheme(theme)
		for _, width := range []int{1280, 390} {
			tb.setWidth(width)
			if width == 1280 {
				problems = append(problems, tb.axe()...)
			} else if theme == "light" {
				// A phone is where tables scroll sideways, so axe
				// looks once at this width too.
				problems = append(problems, tb.overflow()...)
				problems = append(problems, tb.axe()...)
			}
			tb.screenshot(page)
		}
	}
	tb.setTheme("light")
	tb.setWidth(1280)
	problems = append(problems, tb.keyboard()...)
	for _, p := range problems {
		tb.t.Errorf("%s page (%s as %s): %s", page, path, tb.name, p)
	}
}
