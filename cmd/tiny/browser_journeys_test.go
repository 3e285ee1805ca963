package main

import (
	"strings"
	"testing"
	"time"
)

// A person's journeys through tiny in chromium, with the keyboard where a
// person would type.

// TestBrowserFirstStart follows the operator's first start: the printed
// setup URL creates the admin, who signs out and back in.
func TestBrowserFirstStart(t *testing.T) {
	env := startBrowserEnv(t)
	c := newChrome(t, env.base)
	tb := c.newTab("the admin")

	if status := tb.open(env.setupURL); status != 200 {
		t.Fatalf("the setup URL = %d, want 200", status)
	}
	tb.typeInto(`input[name=email]`, "admin@example.com")
	tb.typeInto(`input[name=password]`, e2ePassword)
	tb.enterIn(`input[name=password]`)
	if tb.path() != "/" || !tb.exists(`form[action="/app/links"] input[name=url]`) {
		t.Fatalf("after setup the admin is on %s, want the shorten form on /: %s", tb.path(), tb.text("main"))
	}

	tb.clickAndWait(`form[action="/app/signout"] button`)
	if !strings.HasPrefix(tb.path(), "/signin") {
		t.Fatalf("after signing out the admin is on %s (flash %q), want the sign-in page saying so", tb.path(), tb.text(".flash"))
	}
	tb.signIn("admin@example.com", e2ePassword)
	if tb.path() != "/" || !tb.exists(`form[action="/app/links"] input[name=url]`) {
		t.Fatalf("after signing in the admin is on %s, want the shorten form on /", tb.path())
	}
}

// TestBrowserSessionExpiry lets a session go idle: the next action, a
// form or a link, asks to sign in again, and signing in comes back to the
// page.
func TestBrowserSessionExpiry(t *testing.T) {
	const idle = 2 * time.Second
	env := startBrowserEnv(t, "--session-idle", idle.String())
	env.addUser(t, "mia@example.com", "member")
	c := newChrome(t, env.base)
	tb := c.newTab("a member")
	tb.signIn("mia@example.com", e2ePassword)
	if tb.path() != "/" {
		t.Fatalf("after signing in the member is on %s, want /", tb.path())
	}

	time.Sleep(idle + 300*time.Millisecond)
	tb.fill(`input[name=url]`, env.dest.URL+"/landing")
	tb.enterIn(`input[name=url]`)
	if got := tb.path(); got != "/signin?next=%2F" {
		t.Fatalf("shortening after %v idle went to %s, want the sign-in page, back to /", idle, got)
	}
	tb.signIn("mia@example.com", e2ePassword)
	if tb.path() != "/" {
		t.Errorf("signing in again went to %s, want / where the form was", tb.path())
	}

	time.Sleep(idle + 300*time.Millisecond)
	tb.clickAndWait(`nav a[href="/app/links"]`)
	if got := tb.path(); got != "/signin?next=%2Fapp%2Flinks" {
		t.Fatalf("opening Links after %v idle went to %s, want the sign-in page, back to /app/links", idle, got)
	}
	tb.signIn("mia@example.com", e2ePassword)
	if tb.path() != "/app/links" {
		t.Errorf("signing in again went to %s, want /app/links", tb.path())
	}
}
