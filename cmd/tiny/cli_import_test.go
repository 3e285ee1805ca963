package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// importFixture is a file of the importer's format tests, shared so the
// CLI imports exactly what the readers are tested on.
func importFixture(name string) string {
	return filepath.Join("..", "..", "internal", "importer", "testdata", name)
}

// importSummary runs tiny import … --json and decodes the summary.
func (u *cliUser) importSummary(args ...string) (sum struct {
	DryRun          bool `json:"dry_run"`
	Read            int64
	Imported        int64
	AlreadyImported int64 `json:"already_imported"`
	Resumed         int64
	FlaggedCount    int64            `json:"flagged_count"`
	BlockedCount    int64            `json:"blocked_count"`
	Skipped         map[string]int64 `json:"skipped"`
	Blocked         []struct{ Slug string }
}, stderr string) {
	u.t.Helper()
	out, errOut, status := u.run("", nil, append(append([]string{"import"}, args...), "--json")...)
	if status != 0 {
		u.t.Fatalf("tiny import %q = exit %d\nstdout: %s\nstderr: %s", args, status, out, errOut)
	}
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		u.t.Fatalf("tiny import %q --json = %q: %v", args, out, err)
	}
	return sum, errOut
}

// TestCLIImport imports a tiny CSV and a Shlink CSV into a database as the
// admin user: a dry run writes nothing, refused slugs are reported row by
// row, a second run adds nothing, the old slugs redirect from a server on
// the database, and the export holds every link with its imported clicks.
func TestCLIImport(t *testing.T) {
	u := newCLIUser(t)
	db := filepath.Join(t.TempDir(), "tiny.db")
	addr := freeAddr(t)
	// A first start makes the admin user, the default owner of an import.
	startTinyWith(t, addr, []string{"--database", db}, "TINY_INITIAL_API_KEY="+testKey).stop(t)

	u.wantExit(exitUsage, "unknown format", nil, "import", "wordpress", "x.csv", "--database", db)
	u.wantExit(exitNotFound, "no user nobody@example.com", nil, "import", "csv", importFixture("tiny.csv"), "--database", db, "--as", "nobody@example.com")
	u.wantExit(exitUsage, "TINY_IMPORT_TOKEN", []string{"TINY_IMPORT_TOKEN="}, "import", "kutt-api", "https://kutt.example", "--database", db)

	// The dry run tells what the import will do, and writes nothing: the
	// real run then imports as many.
	dry, _ := u.importSummary("csv", importFixture("tiny.csv"), "--database", db, "--dry-run")
	if !dry.DryRun || dry.Imported != 7 {
		t.Errorf("dry run of tiny.csv = %+v, want DryRun and 7 to import", dry)
	}

	out, errOut, status := u.run("", nil, "import", "csv", importFixture("tiny.csv"), "--database", db)
	if status != 0 {
		t.Fatalf("tiny import csv = exit %d\n%s\n%s", status, out, errOut)
	}
	for _, want := range []string{"Imported 7 links from 11 records", "Skipped 4", "blocked 1",
		"team/a", "invalid_alias", "admin", "reserved_alias", "bad-scheme", "invalid_url", "bad-dest"} {
		if !strings.Contains(out, want) {
			t.Errorf("tiny import csv printed no %q:\n%s", want, out)
		}
	}
	// stderr is a pipe here: plain lines, no bar redrawn with \r.
	if !strings.Contains(errOut, "processed 11 ") || strings.Contains(errOut, "\r") {
		t.Errorf("tiny import's progress on a pipe = %q, want plain lines", errOut)
	}

	shlink, _ := u.importSummary("shlink", importFixture("shlink.csv"), "--database", db)
	if shlink.Imported != 2 || shlink.Skipped["invalid_alias"] != 1 || shlink.FlaggedCount+shlink.BlockedCount > shlink.Imported {
		t.Errorf("tiny import shlink = %+v, want 2 imported and blog/2024 skipped as invalid_alias", shlink)
	}

	// A second run of the same file resumes past every row: nothing added.
	again, _ := u.importSummary("csv", importFixture("tiny.csv"), "--database", db)
	if again.Imported != 0 || again.Resumed != 11 {
		t.Errorf("second tiny import csv = %+v, want nothing imported, 11 resumed", again)
	}

	startTinyWith(t, addr, []string{"--database", db})
	got := redirects(t, addr, []string{"docs-home", "old-promo", "limited", "expired"})
	want := map[string]string{
		"docs-home": "301 https://example.com/docs",
		"old-promo": "302 https://shop.example.com/promo",
		"limited":   "302 https://example.com/limited",
		"expired":   "410 ",
	}
	for code, w := range want {
		if got[code] != w {
			t.Errorf("/%s after the import = %q, want %q", code, got[code], w)
		}
	}

	// The export, through the API, has every link with its imported clicks.
	env := []string{"TINY_SERVER=http://" + addr, "TINY_KEY=" + testKey}
	if out, _, _ := u.run("", env, "links", "get", "docs-home"); !regexp.MustCompile(`(?m)^Clicks +0\nImported clicks +42$`).MatchString(out) {
		t.Errorf("tiny links get docs-home = %q, want its 42 imported clicks apart from its 0 clicks", out)
	}
	jsonl, errOut, status := u.run("", env, "export")
	if status != 0 {
		t.Fatalf("tiny export = exit %d: %s", status, errOut)
	}
	imported := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(jsonl))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("tiny export line %q: %v", sc.Text(), err)
		}
		name, _ := l["alias"].(string)
		if name == "" {
			name = l["url"].(string)
		}
		imported[name] = l["imported_clicks"].(float64)
	}
	wantClicks := map[string]float64{"docs-home": 42, "old-promo": 41, "12C18": 328, "limited": 30,
		"used-up": 9, "taken": 0, "expired": 0, "bad-dest": 0, "https://example.com/pricing": 0}
	if len(imported) != len(wantClicks) {
		t.Errorf("tiny export has %d links %v, want %d", len(imported), imported, len(wantClicks))
	}
	for name, n := range wantClicks {
		if c, ok := imported[name]; !ok || c != n {
			t.Errorf("tiny export: %s has imported_clicks %v (present %v), want %v", name, c, ok, n)
		}
	}

	file := filepath.Join(t.TempDir(), "links.csv")
	if _, errOut, status := u.run("", env, "export", "--format", "csv", "-o", file); status != 0 {
		t.Fatalf("tiny export --format csv -o = exit %d: %s", status, errOut)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "imported_clicks")
	alias := slices.Index(rows[0], "alias")
	if len(rows) != len(wantClicks)+1 || col < 0 || alias < 0 {
		t.Fatalf("tiny export --format csv = header %v and %d rows, want imported_clicks and %d rows", rows[0], len(rows)-1, len(wantClicks))
	}
	for _, r := range rows[1:] {
		if r[alias] == "12C18" && r[col] != "328" {
			t.Errorf("CSV row of 12C18 has imported_clicks %q, want 328", r[col])
		}
	}
}

// TestCLIImportTinyArchive is the round trip: an instance with clicks is
// archived, imported into an empty database, and a server on that one
// shows the same clicks and redirects every code the same way. A database
// that holds links is refused.
func TestCLIImportTinyArchive(t *testing.T) {
	u := newCLIUser(t)
	dir := t.TempDir()
	db, codes, want := usedInstance(t, dir, 5, 2)

	archive := filepath.Join(dir, "archive.db")
	u.ok("", "export-archive", archive, "--database", db)
	u.wantExit(exitInvalid, "empty database", nil, "import", "tiny", archive, "--database", db)
	into := filepath.Join(dir, "new.db")
	if out := u.ok("", "import", "tiny", archive, "--database", into); !strings.Contains(out, "5 links") {
		t.Errorf("tiny import tiny printed %q, want it to count 5 links", out)
	}

	addr2 := freeAddr(t)
	startTinyWith(t, addr2, []string{"--database", into})
	env := []string{"TINY_SERVER=http://" + addr2, "TINY_KEY=" + testKey}
	// Clicks first: the redirects below count more.
	for i, c := range codes {
		s, errOut, status := u.run("", env, "links", "get", c, "--json")
		var l struct{ Clicks int }
		if status != 0 || json.Unmarshal([]byte(s), &l) != nil {
			t.Fatalf("tiny links get %s = exit %d %q %s", c, status, s, errOut)
		}
		wantClicks := 1
		if i < 2 {
			wantClicks = 2
		}
		if l.Clicks != wantClicks {
			t.Errorf("clicks of /%s after import tiny = %d, want %d", c, l.Clicks, wantClicks)
		}
	}
	got := redirects(t, addr2, codes)
	for _, c := range codes {
		if got[c] != want[c] {
			t.Errorf("/%s after import tiny = %s, want %s", c, got[c], want[c])
		}
	}
}

// TestCLIImportKuttAPI imports from a local server that answers as Kutt's
// API does, with the key from TINY_IMPORT_TOKEN: it is sent, and printed
// nowhere, even when the server refuses it.
func TestCLIImportKuttAPI(t *testing.T) {
	const token = "kutt-secret-0123456789"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-API-KEY") != token {
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, `{"error":"Unauthorized"}`)
			return
		}
		page := "kutt_page2.json"
		if r.URL.Query().Get("skip") == "0" {
			page = "kutt_page1.json"
		}
		http.ServeFile(w, r, importFixture(page))
	}))
	defer srv.Close()
	u := newCLIUser(t)
	db := filepath.Join(t.TempDir(), "tiny.db")
	u.ok("", "admin", "create-user", "--email", "owner@example.com", "--database", db)

	out, errOut, status := u.run("", []string{"TINY_IMPORT_TOKEN=" + token}, "import", "kutt-api", srv.URL, "--database", db, "--as", "owner@example.com")
	if status != 0 || !strings.Contains(out, "Imported 2 links") || !strings.Contains(out, "secret") || !strings.Contains(out, "password") {
		t.Errorf("tiny import kutt-api = exit %d\n%s\n%s\nwant 2 imported and secret skipped for its password", status, out, errOut)
	}
	out2, errOut2, status := u.run("", nil, "import", "kutt-api", srv.URL, "--database", db, "--token", token+"-wrong", "--as", "owner@example.com")
	if status == 0 {
		t.Errorf("tiny import kutt-api with a wrong key = exit 0, want a failure")
	}
	if all := out + errOut + out2 + errOut2; strings.Contains(all, token) {
		t.Errorf("tiny import printed the API key:\n%s", all)
	}
}

// TestCLIImportTinyArchivePostgres imports an archive into an empty
// PostgreSQL database, a move: a node on it redirects every code the same
// way, and a second import into it, no longer empty, is refused.
func TestCLIImportTinyArchivePostgres(t *testing.T) {
	dsn := clusterDatabase(t)
	u := newCLIUser(t)
	dir := t.TempDir()
	db, codes, want := usedInstance(t, dir, 4, 1)
	archive := filepath.Join(dir, "archive.db")
	u.ok("", "backup", archive, "--database", db)
	if out := u.ok("", "import", "tiny", archive, "--database", dsn); !strings.Contains(out, "every table verified") {
		t.Errorf("tiny import tiny into PostgreSQL printed %q", out)
	}
	u.wantExit(exitInternal, "empty database", nil, "import", "tiny", archive, "--database", dsn)
	node := startTinyWith(t, freeAddr(t), []string{"--database", dsn})
	got := redirects(t, node.addr, codes)
	for _, c := range codes {
		if got[c] != want[c] {
			t.Errorf("/%s from PostgreSQL after import tiny = %s, want %s", c, got[c], want[c])
		}
	}
}

// TestCLIImportHelp: import says it works OFFLINE and names every format
// it takes, and the variable of its token; export, a remote command, does
// not say OFFLINE.
func TestCLIImportHelp(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"import", "--help"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	help := out.String()
	for _, want := range []string{"OFFLINE", "TINY_IMPORT_TOKEN", "TINY_DATABASE"} {
		if !strings.Contains(help, want) {
			t.Errorf("tiny import --help has no %q:\n%s", want, help)
		}
	}
	for _, f := range importFormats {
		if !strings.Contains(help, "  "+f.name+" ") {
			t.Errorf("tiny import --help does not list the format %s", f.name)
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"export", "--help"}, &out, &errOut); err != nil || strings.Contains(out.String(), "OFFLINE") {
		t.Errorf("tiny export --help = %v\n%s\nwant no OFFLINE", err, out.String())
	}
}

// TestCLIImportBlocklist: import takes serve's safety settings, from flags
// or the same environment, so a destination on the operator's blocklist
// arrives blocked.
func TestCLIImportBlocklist(t *testing.T) {
	u := newCLIUser(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "tiny.db")
	list := filepath.Join(dir, "blocklist.txt")
	if err := os.WriteFile(list, []byte("shop.example.com\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	u.ok("", "admin", "create-user", "--email", "owner@example.com", "--database", db)
	sum, _ := u.importSummary("shlink", importFixture("shlink.csv"), "--database", db, "--as", "owner@example.com", "--blocklist", list)
	if sum.Imported != 2 || len(sum.Blocked) != 1 || sum.Blocked[0].Slug != "old-promo" {
		t.Errorf("tiny import shlink --blocklist = %+v, want old-promo (shop.example.com) imported blocked", sum)
	}
}

// TestCLIExportRefused: a bad format is a usage error before any request,
// and a refused export leaves no file behind, not even a partial one.
func TestCLIExportRefused(t *testing.T) {
	u := newCLIUser(t)
	addr := freeAddr(t)
	startTinyWith(t, addr, []string{"--database", filepath.Join(t.TempDir(), "tiny.db")}, "TINY_INITIAL_API_KEY="+testKey)
	u.wantExit(exitUsage, "--format", []string{"TINY_SERVER=http://" + addr, "TINY_KEY=" + testKey}, "export", "--format", "xml")
	dir := t.TempDir()
	file := filepath.Join(dir, "links.jsonl")
	u.wantExit(exitDenied, "", []string{"TINY_SERVER=http://" + addr, "TINY_KEY=tiny_not_a_key"}, "export", "-o", file)
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("a refused export left %v in the directory", left)
	}
}
