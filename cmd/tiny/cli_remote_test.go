package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"tiny/internal/qr/qrtest"
)

// cliUser is a user of the command line: a home of their own (so the
// stored credentials are theirs alone) and no TINY_SERVER or TINY_KEY
// unless a test sets them.
type cliUser struct {
	t    *testing.T
	home string
}

func newCLIUser(t *testing.T) *cliUser {
	return &cliUser{t: t, home: t.TempDir()}
}

// configFile is where login stores the credentials under this home.
func (u *cliUser) configFile() string { return filepath.Join(u.home, ".config", "tiny", "config.json") }

// run runs the tiny binary with stdin, and more environment variables,
// and returns its stdout, stderr and exit status.
func (u *cliUser) run(stdin string, env []string, args ...string) (stdout, stderr string, status int) {
	u.t.Helper()
	cmd := exec.Command(tinyBinary(u.t), args...)
	cmd.Env = append(os.Environ(), "HOME="+u.home, "XDG_CONFIG_HOME="+filepath.Join(u.home, ".config"), "TINY_SERVER=", "TINY_KEY=")
	cmd.Env = append(cmd.Env, env...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		status = exit.ExitCode()
	case err != nil:
		u.t.Fatalf("tiny %q: %v", args, err)
	}
	return out.String(), errOut.String(), status
}

// ok runs tiny and fails the test unless it exits 0; it returns stdout.
func (u *cliUser) ok(stdin string, args ...string) string {
	u.t.Helper()
	out, errOut, status := u.run(stdin, nil, args...)
	if status != 0 {
		u.t.Fatalf("tiny %q = exit %d, want 0\nstdout: %s\nstderr: %s", args, status, out, errOut)
	}
	return out
}

// wantExit runs tiny and checks its exit status and that stderr says why.
func (u *cliUser) wantExit(want int, inStderr string, env []string, args ...string) {
	u.t.Helper()
	out, errOut, status := u.run("", env, args...)
	if status != want || !strings.Contains(errOut, inStderr) {
		u.t.Errorf("tiny %q (env %q) = exit %d, stderr %q; want exit %d and stderr with %q\nstdout: %s",
			args, env, status, errOut, want, inStderr, out)
	}
}

// startFirstTiny starts a new server the way a new user does and returns
// it with the admin key its first start printed.
func startFirstTiny(t *testing.T) (p *process, key string) {
	t.Helper()
	addr := freeAddr(t)
	p = startTinyWith(t, addr, []string{"--database", filepath.Join(t.TempDir(), "tiny.db"), "--click-flush", "100ms"})
	deadline := time.Now().Add(5 * time.Second)
	for key == "" && time.Now().Before(deadline) {
		for _, f := range strings.Fields(p.stdout.String()) {
			if strings.HasPrefix(f, "tiny_") {
				key = f
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	if key == "" {
		t.Fatalf("the first start printed no API key; stdout:\n%s", p.stdout)
	}
	return p, key
}

// getLink reads a link as `tiny links get --json` prints it.
func (u *cliUser) getLink(code string) map[string]any {
	u.t.Helper()
	var l map[string]any
	out := u.ok("", "links", "get", code, "--json")
	if err := json.Unmarshal([]byte(out), &l); err != nil {
		u.t.Fatalf("tiny links get %s --json = %q, not a JSON object: %v", code, out, err)
	}
	return l
}

// TestCLILoginStoresTheKeyPrivately logs in with the key on stdin: the
// file is the user's alone, and the commands then need no flag; logout
// forgets it.
func TestCLILoginStoresTheKeyPrivately(t *testing.T) {
	p, key := startFirstTiny(t)
	u := newCLIUser(t)
	server := "http://" + p.addr
	out := u.ok(key+"\n", "login", "--server", server+"/")
	if !strings.Contains(out, "Logged in to "+server) {
		t.Errorf("tiny login printed %q, want it to say it logged in to %s", out, server)
	}
	fi, err := os.Stat(u.configFile())
	if err != nil {
		t.Fatalf("tiny login stored no %s: %v", u.configFile(), err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("mode of %s = %v, want 0600", u.configFile(), fi.Mode().Perm())
	}
	if di, _ := os.Stat(filepath.Dir(u.configFile())); di.Mode().Perm() != 0o700 {
		t.Errorf("mode of %s = %v, want 0700", filepath.Dir(u.configFile()), di.Mode().Perm())
	}
	var stored credentials
	b, _ := os.ReadFile(u.configFile())
	if err := json.Unmarshal(b, &stored); err != nil || stored.Server != server || stored.Key != key {
		t.Errorf("stored credentials = %s, %v; want server %s and the key", b, err, server)
	}
	if out := u.ok("", "links", "ls"); !strings.HasPrefix(out, "CODE") {
		t.Errorf("tiny links ls after login = %q, want the table", out)
	}

	u.wantExit(exitDenied, "unauthorized", nil, "login", "--server", server, "--key", "tiny_not_a_key")
	if b2, _ := os.ReadFile(u.configFile()); !bytes.Equal(b, b2) {
		t.Errorf("a refused login changed the stored credentials to %s", b2)
	}

	u.wantExit(exitUsage, "first line of stdin", nil, "login", "--server", server)
	u.ok("", "logout")
	if _, err := os.Stat(u.configFile()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after logout, Stat(%s) = %v, want it gone", u.configFile(), err)
	}
	u.wantExit(exitDenied, "not logged in", nil, "links", "ls")
	u.wantExit(exitUsage, "--server is required", nil, "login")
	// The environment alone is enough.
	if out, errOut, status := u.run("", []string{"TINY_SERVER=" + server, "TINY_KEY=" + key}, "links", "ls"); status != 0 || !strings.HasPrefix(out, "CODE") {
		t.Errorf("tiny links ls with TINY_SERVER and TINY_KEY = exit %d, %q %q; want the table", status, out, errOut)
	}
}

// TestCLILinks creates, lists, edits, counts, draws and deletes links
// through the command line against a real server.
func TestCLILinks(t *testing.T) {
	p, key := startFirstTiny(t)
	u := newCLIUser(t)
	server := "http://" + p.addr
	u.ok(key+"\n", "login", "--server", server)

	before := time.Now()
	out := u.ok("", "shorten", "https://example.com/spring", "--alias", "spring", "--title", "Spring sale",
		"--tag", "promo", "--tag", "2027", "--expires", "30d", "--max-clicks", "100", "--redirect", "301")
	if want := server + "/spring\n"; out != want {
		t.Fatalf("tiny shorten … --alias spring printed %q, want only %q", out, want)
	}
	l := u.getLink("spring")
	if l["title"] != "Spring sale" || l["redirect"] != 301.0 || l["max_clicks"] != 100.0 || l["url"] != "https://example.com/spring" {
		t.Errorf("the link tiny shorten made = %v, want its title, redirect 301, max_clicks 100", l)
	}
	if tags, _ := json.Marshal(l["tags"]); string(tags) != `["promo","2027"]` {
		t.Errorf("tags = %s, want [promo 2027]", tags)
	}
	expires, _ := time.Parse(time.RFC3339, l["expires_at"].(string))
	if want := before.AddDate(0, 0, 30); expires.Before(want.Add(-time.Minute)) || expires.After(want.Add(time.Minute)) {
		t.Errorf("expires_at = %v, want about %v (30d)", expires, want)
	}
	secret := u.ok("s3cret-pass\n", "shorten", "https://example.com/members", "--password-stdin")
	code := strings.TrimPrefix(strings.TrimSpace(secret), server+"/")
	if !regexp.MustCompile(`^[0-9A-Za-z]{7}$`).MatchString(code) {
		t.Fatalf("tiny shorten printed %q, want the short URL of a generated code", secret)
	}
	if l := u.getLink(code); l["has_password"] != true {
		t.Errorf("link made with --password-stdin: has_password = %v, want true", l["has_password"])
	}

	t.Run("ls", func(t *testing.T) {
		lines := strings.Split(strings.TrimSpace(u.ok("", "links", "ls")), "\n")
		if len(lines) != 3 || !strings.HasPrefix(lines[0], "CODE") {
			t.Fatalf("tiny links ls = %q, want a header and 2 rows", lines)
		}
		// Newest first, and the URL column starts at the same place in
		// every line.
		col := strings.Index(lines[0], "URL")
		for i, want := range []string{"https://example.com/members", "https://example.com/spring"} {
			if got := strings.Index(lines[i+1], want); got != col {
				t.Errorf("row %d = %q: %s at column %d, want %d as in the header", i+1, lines[i+1], want, got, col)
			}
		}
		if !strings.Contains(lines[2], "spring") || !strings.Contains(lines[2], "promo,2027") {
			t.Errorf("row of the alias = %q, want the alias and the tags", lines[2])
		}
		var page struct {
			Links      []apiLink
			NextCursor *string `json:"next_cursor"`
		}
		if err := json.Unmarshal([]byte(u.ok("", "links", "ls", "--limit", "1", "--json")), &page); err != nil || len(page.Links) != 1 || page.NextCursor == nil {
			t.Errorf("tiny links ls --limit 1 --json = %+v, %v; want one link and a next cursor", page, err)
		}
		page.Links, page.NextCursor = nil, nil
		if err := json.Unmarshal([]byte(u.ok("", "links", "ls", "--limit", "1", "--all", "--json")), &page); err != nil || len(page.Links) != 2 || page.NextCursor != nil {
			t.Errorf("tiny links ls --limit 1 --all --json = %+v, %v; want both links and no cursor", page, err)
		}
		if out := u.ok("", "links", "ls", "--tag", "promo"); strings.Contains(out, code) || !strings.Contains(out, "spring") {
			t.Errorf("tiny links ls --tag promo = %q, want the tagged link alone", out)
		}
	})

	t.Run("edit", func(t *testing.T) {
		out := u.ok("", "links", "edit", "spring", "--title", "Spring sale, extended", "--no-max-clicks", "--tag", "")
		if !strings.Contains(out, "Spring sale, extended") {
			t.Errorf("tiny links edit printed %q, want the changed link", out)
		}
		l := u.getLink("spring")
		if l["title"] != "Spring sale, extended" || l["max_clicks"] != nil || len(l["tags"].([]any)) != 0 || l["redirect"] != 301.0 {
			t.Errorf("after edit = %v, want the new title, no click limit, no tags, redirect kept", l)
		}
		u.wantExit(exitUsage, "nothing to change", nil, "links", "edit", "spring")
	})

	t.Run("stats", func(t *testing.T) {
		for range 3 {
			req, _ := http.NewRequest("GET", server+"/spring", nil)
			req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")
			resp, err := noRedirect.Do(req)
			if err != nil || resp.StatusCode != 301 {
				t.Fatalf("GET /spring = %v, %v; want 301", resp, err)
			}
			resp.Body.Close()
		}
		clicks := regexp.MustCompile(`(?m)^Clicks +(\d+)$`)
		var out string
		for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
			out = u.ok("", "stats", "spring", "--days", "2")
			if m := clicks.FindStringSubmatch(out); m != nil && m[1] == "3" {
				break
			}
		}
		if m := clicks.FindStringSubmatch(out); m == nil || m[1] != "3" {
			t.Fatalf("tiny stats spring = %q, want Clicks 3", out)
		}
		if !strings.Contains(out, "█") || !strings.Contains(out, "┤") {
			t.Errorf("tiny stats spring = %q, want a chart of block characters", out)
		}
		var st apiStats
		if err := json.Unmarshal([]byte(u.ok("", "stats", "spring", "--json")), &st); err != nil || st.Totals.Clicks != 3 {
			t.Errorf("tiny stats spring --json = %+v, %v; want 3 clicks", st.Totals, err)
		}
	})

	t.Run("qr", func(t *testing.T) {
		file := filepath.Join(t.TempDir(), "spring.png")
		u.ok("", "qr", "spring", "-o", file, "--size", "300")
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		img, err := png.Decode(bytes.NewReader(b))
		if err != nil {
			t.Fatalf("tiny qr -o %s wrote no PNG: %v", file, err)
		}
		if img.Bounds().Dx() != 300 {
			t.Errorf("PNG width = %d, want --size 300", img.Bounds().Dx())
		}
		if got, err := qrtest.Decode(img); err != nil || got != server+"/spring" {
			t.Errorf("the QR code of tiny qr reads %q, %v; want %s", got, err, server+"/spring")
		}
		svg := filepath.Join(t.TempDir(), "spring.svg")
		u.ok("", "qr", "spring", "-o", svg)
		if b, _ := os.ReadFile(svg); !bytes.Contains(b, []byte("<svg")) {
			t.Errorf("tiny qr -o %s wrote %.60q, want an SVG", svg, b)
		}
		if out := u.ok("", "qr", "spring"); !strings.Contains(out, "█") || !strings.HasSuffix(out, server+"/spring\n") {
			t.Errorf("tiny qr spring = %q, want the code in block characters and the URL", out)
		}
		u.wantExit(exitUsage, ".png or .svg", nil, "qr", "spring", "-o", "spring.gif")
	})

	t.Run("keys", func(t *testing.T) {
		out, errOut, status := u.run("", nil, "keys", "create", "--name", "dashboard", "--scope", "links:read", "--expires", "90d")
		readKey := strings.TrimSpace(out)
		if status != 0 || !strings.HasPrefix(readKey, "tiny_") || strings.Contains(readKey, "\n") || !strings.Contains(errOut, "only this once") {
			t.Fatalf("tiny keys create = exit %d, stdout %q, stderr %q; want the secret alone on stdout", status, out, errOut)
		}
		var list struct{ Keys []apiKey }
		if err := json.Unmarshal([]byte(u.ok("", "keys", "ls", "--json")), &list); err != nil || len(list.Keys) != 2 {
			t.Fatalf("tiny keys ls --json = %+v, %v; want the admin key and the new one", list, err)
		}
		id := list.Keys[1].ID
		if list.Keys[1].Name != "dashboard" || strings.Join(list.Keys[1].Scopes, ",") != "links:read" || list.Keys[1].ExpiresAt == nil {
			t.Errorf("the new key = %+v, want dashboard, links:read, an expiry", list.Keys[1])
		}
		if table := u.ok("", "keys", "ls"); !regexp.MustCompile(`(?m)^` + strconv.FormatInt(id, 10) + ` +dashboard +tiny_`).MatchString(table) {
			t.Errorf("tiny keys ls = %q, want a row of key %d", table, id)
		}
		asReader := []string{"TINY_KEY=" + readKey}
		if out, errOut, status := u.run("", asReader, "links", "get", "spring"); status != 0 {
			t.Errorf("tiny links get with the read-only key = exit %d %q %q, want 0", status, out, errOut)
		}
		u.wantExit(exitDenied, "forbidden", asReader, "shorten", "https://example.com/no")
		u.ok("", "keys", "revoke", strconv.FormatInt(id, 10))
		u.wantExit(exitDenied, "unauthorized", asReader, "links", "ls")
		u.wantExit(exitNotFound, "not_found", nil, "keys", "revoke", strconv.FormatInt(id, 10))
	})

	t.Run("errors", func(t *testing.T) {
		u.wantExit(exitInvalid, "conflict", nil, "shorten", "https://example.com/again", "--alias", "spring")
		u.wantExit(exitInvalid, "invalid", nil, "shorten", "ftp://example.com/file")
		u.wantExit(exitUsage, "accepts 1 arg", nil, "shorten")
		u.wantExit(exitUsage, "unknown flag", nil, "links", "ls", "--colour")
		u.wantExit(exitUsage, "--expires", nil, "shorten", "https://example.com/x", "--expires", "soon")
		u.wantExit(exitUnavailable, "cannot reach", []string{"TINY_SERVER=http://" + freeAddr(t)}, "links", "ls")
	})

	t.Run("rm", func(t *testing.T) {
		if out := u.ok("", "links", "rm", "spring"); !strings.Contains(out, "Deleted spring") {
			t.Errorf("tiny links rm spring printed %q", out)
		}
		u.wantExit(exitNotFound, "not_found", nil, "links", "get", "spring")
		u.wantExit(exitNotFound, "not_found", nil, "links", "rm", "spring")
		u.wantExit(exitNotFound, "not_found", nil, "stats", "nosuchlink")
	})
}

// TestCLIRateLimited exits 6 once the server's per-key limit is spent.
func TestCLIRateLimited(t *testing.T) {
	addr := freeAddr(t)
	startTinyWith(t, addr, []string{"--database", filepath.Join(t.TempDir(), "tiny.db"), "--rate-key", "2/1h:2"}, "TINY_INITIAL_API_KEY="+testKey)
	u := newCLIUser(t)
	env := []string{"TINY_SERVER=http://" + addr, "TINY_KEY=" + testKey}
	for i := range 2 {
		if out, errOut, status := u.run("", env, "links", "ls"); status != 0 {
			t.Fatalf("tiny links ls #%d within the limit = exit %d %q %q, want 0", i+1, status, out, errOut)
		}
	}
	u.wantExit(exitRateLimited, "rate_limited", env, "links", "ls")
}
