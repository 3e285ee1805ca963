package main

import (
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// redirects follows nothing and returns, for each code, where the server
// at addr sends a visitor: the status and the Location.
func redirects(t *testing.T, addr string, codes []string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range codes {
		req, _ := http.NewRequest("GET", "http://"+addr+"/"+c, nil)
		// A browser's agent, so the visit counts as a person's click.
		req.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
		resp, err := noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		out[c] = fmt.Sprint(resp.StatusCode, " ", resp.Header.Get("Location"))
	}
	return out
}

// makeLinks creates n links through the API and returns their codes.
func makeLinks(t *testing.T, addr, key string, n int) []string {
	t.Helper()
	var codes []string
	for i := range n {
		code, status, err := createLink(addr, key, fmt.Sprintf("https://example.com/page/%d", i))
		if err != nil || status != http.StatusCreated {
			t.Fatalf("create = %d, %v", status, err)
		}
		codes = append(codes, code)
	}
	return codes
}

// stop ends a tiny process with SIGTERM and waits for it.
func (p *process) stop(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(15 * time.Second):
		t.Fatal("tiny did not stop within 15s")
	}
}

// TestCLIBackupWhileServing backs up a database while tiny keeps creating
// links on it, then restores the backup as a new database: a server on it
// redirects every link the backup holds the same way.
func TestCLIBackupWhileServing(t *testing.T) {
	u := newCLIUser(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "tiny.db")
	addr := freeAddr(t)
	p := startTinyWith(t, addr, []string{"--database", db}, "TINY_INITIAL_API_KEY="+testKey)
	codes := makeLinks(t, addr, testKey, 20)
	want := redirects(t, addr, codes)

	var wg sync.WaitGroup
	stopWriting := make(chan struct{})
	wg.Add(1)
	go func() { // creates go on during the backup
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stopWriting:
				return
			default:
			}
			_, _, _ = createLink(addr, testKey, fmt.Sprintf("https://example.com/during/%d", i))
		}
	}()
	backup := filepath.Join(dir, "backup.db")
	out := u.ok("", "backup", backup, "--database", db)
	close(stopWriting)
	wg.Wait()
	if !strings.Contains(out, "Backed up") || !strings.Contains(out, "links") {
		t.Errorf("tiny backup printed %q", out)
	}
	u.wantExit(exitInvalid, "exists", nil, "backup", backup, "--database", db)
	u.wantExit(exitUsage, "pg_dump", nil, "backup", filepath.Join(dir, "x.db"), "--database", "postgres://127.0.0.1/none")

	// Restoring over the database tiny serves is refused.
	u.wantExit(exitInvalid, "stop tiny", nil, "restore", backup, "--database", db, "--force")
	restored := filepath.Join(dir, "restored.db")
	if out := u.ok("", "restore", backup, "--database", restored); !strings.Contains(out, "Restored") {
		t.Errorf("tiny restore printed %q", out)
	}
	p.stop(t)
	addr2 := freeAddr(t)
	startTinyWith(t, addr2, []string{"--database", restored})
	got := redirects(t, addr2, codes)
	for _, c := range codes {
		if got[c] != want[c] {
			t.Errorf("/%s from the restored backup = %s, want %s", c, got[c], want[c])
		}
	}
}

// usedInstance runs tiny on a new database in dir with n links, each
// clicked once and the first twice clicked twice, and stops it, which
// flushes the clicks. It returns the database, the codes and where each
// redirects.
func usedInstance(t *testing.T, dir string, n, twice int) (db string, codes []string, want map[string]string) {
	t.Helper()
	db = filepath.Join(dir, "tiny.db")
	addr := freeAddr(t)
	p := startTinyWith(t, addr, []string{"--database", db, "--click-flush", "50ms"}, "TINY_INITIAL_API_KEY="+testKey)
	codes = makeLinks(t, addr, testKey, n)
	want = redirects(t, addr, codes)
	redirects(t, addr, codes[:twice])
	p.stop(t)
	return db, codes, want
}

// TestCLIMoveToPostgres moves a used instance from SQLite to PostgreSQL
// and back to a SQLite archive: a node on each store redirects every code
// the same way and reports the same click totals.
func TestCLIMoveToPostgres(t *testing.T) {
	u := newCLIUser(t)
	dir := t.TempDir()
	db, codes, want := usedInstance(t, dir, 12, 3)

	dsn := clusterDatabase(t)
	out := u.ok("", "move-to-postgres", "--from", db, "--to", dsn)
	for _, w := range []string{"every table verified", "links", "12"} {
		if !strings.Contains(out, w) {
			t.Errorf("tiny move-to-postgres printed %q, want %q in it", out, w)
		}
	}
	u.wantExit(exitInternal, "empty database", nil, "move-to-postgres", "--from", db, "--to", dsn)
	node := startTinyWith(t, freeAddr(t), []string{"--database", dsn})
	if got := redirects(t, node.addr, codes); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("redirects from PostgreSQL = %v, want %v", got, want)
	}
	clicks := func(code string) string { // "clicks":N of `tiny links get`
		out, _, _ := u.run("", []string{"TINY_SERVER=http://" + node.addr, "TINY_KEY=" + testKey}, "links", "get", code, "--json")
		i := strings.Index(out, `"clicks"`)
		if i < 0 {
			t.Fatalf("links get printed %q", out)
		}
		return out[i : i+strings.IndexAny(out[i:], ",}")]
	}
	if got := clicks(codes[0]); got != `"clicks":2` && got != `"clicks": 2` {
		t.Errorf("clicks of %s on PostgreSQL = %s, want 2", codes[0], got)
	}
	if got := clicks(codes[5]); got != `"clicks":1` && got != `"clicks": 1` {
		t.Errorf("clicks of %s on PostgreSQL = %s, want 1", codes[5], got)
	}

	archive := filepath.Join(dir, "archive.db")
	if out := u.ok("", "export-archive", archive, "--database", dsn); !strings.Contains(out, "every table verified") {
		t.Errorf("tiny export-archive printed %q", out)
	}
	back := startTinyWith(t, freeAddr(t), []string{"--database", archive})
	if got := redirects(t, back.addr, codes); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("redirects from the archive = %v, want %v", got, want)
	}
}

func TestCLIHealthcheck(t *testing.T) {
	u := newCLIUser(t)
	addr := freeAddr(t)
	startTinyWith(t, addr, []string{"--database", filepath.Join(t.TempDir(), "tiny.db")})
	if out := u.ok("", "healthcheck", "--addr", addr); strings.TrimSpace(out) != "ready" {
		t.Errorf("tiny healthcheck = %q, want ready", out)
	}
	u.wantExit(exitUnavailable, "cannot reach", nil, "healthcheck", "--addr", freeAddr(t))
}
