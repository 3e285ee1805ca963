package web

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// TestAPIExport checks GET /api/v1/export: a member gets their own links
// and no one else's, over more than one page of the store; all=true is
// refused to a member and gives an admin everyone's; the CSV defuses
// formulas.
func TestAPIExport(t *testing.T) {
	e := newEnv(t)
	alice := e.newKey("alice", tiny.RoleMember)
	bob := e.newKey("bob", tiny.RoleMember)
	// One more than a page, so the stream must page through the store.
	var batch []any
	for i := range exportPageSize + 1 {
		batch = append(batch, map[string]any{"url": fmt.Sprintf("https://example.com/alice/%d", i)})
	}
	if r := e.do("POST", "/api/v1/links/bulk", alice, map[string]any{"links": batch}); r.status >= 300 {
		t.Fatalf("POST /api/v1/links/bulk = %d %s", r.status, r.body)
	}
	formula := e.create(alice, map[string]any{"url": "https://example.com/sheet", "title": "=HYPERLINK(\"https://evil.test\")", "tags": []string{"-x"}})
	e.create(bob, map[string]any{"url": "https://example.com/bob"})

	r := e.do("GET", "/api/v1/export?format=jsonl", alice, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/export as alice = %d %s", r.status, r.body)
	}
	seen := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(r.body))
	for sc.Scan() {
		var l map[string]any
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		if !strings.Contains(l["url"].(string), "/alice/") && l["url"] != "https://example.com/sheet" {
			t.Errorf("alice's export has %v, someone else's link", l["url"])
		}
		if _, ok := l["imported_clicks"]; !ok {
			t.Errorf("export line %s has no imported_clicks", sc.Text())
		}
		if seen[l["code"].(string)] {
			t.Errorf("export lists %v twice", l["code"])
		}
		seen[l["code"].(string)] = true
	}
	if want := exportPageSize + 2; len(seen) != want {
		t.Errorf("alice's export has %d links, want %d", len(seen), want)
	}

	if r := e.do("GET", "/api/v1/export?all=true", alice, nil); r.status != http.StatusForbidden {
		t.Errorf("GET /api/v1/export?all=true as a member = %d, want 403", r.status)
	}
	if r := e.doRaw("GET", "/api/v1/export?format=xml", alice, nil); r.status != http.StatusBadRequest {
		t.Errorf("GET /api/v1/export?format=xml = %d, want 400", r.status)
	}
	r = e.do("GET", "/api/v1/export?all=true&format=jsonl", e.adminKey, nil)
	if n := bytes.Count(r.body, []byte("\n")); r.status != http.StatusOK || n != exportPageSize+3 {
		t.Errorf("GET /api/v1/export?all=true as admin = %d with %d lines, want 200 with %d", r.status, n, exportPageSize+3)
	}

	r = e.do("GET", "/api/v1/export?format=csv", alice, nil)
	if ct := r.header.Get("Content-Type"); r.status != http.StatusOK || !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("GET /api/v1/export?format=csv = %d %s", r.status, ct)
	}
	rows, err := csv.NewReader(bytes.NewReader(r.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(rows[0], ",") != strings.Join(exportColumns, ",") || len(rows) != exportPageSize+3 {
		t.Fatalf("CSV export = header %v and %d rows, want %v and %d", rows[0], len(rows)-1, exportColumns, exportPageSize+2)
	}
	for _, row := range rows[1:] {
		if row[0] != formula["code"] {
			continue
		}
		if title, tags := row[4], row[5]; title != "'=HYPERLINK(\"https://evil.test\")" || tags != "'-x" {
			t.Errorf("CSV title, tags = %q, %q, want them prefixed with '", title, tags)
		}
		return
	}
	t.Errorf("CSV export has no row for %v", formula["code"])
}

// testExportEndpoint reaches the export through the contract checker in
// both formats; TestAPIExport checks what it holds.
func testExportEndpoint(t *testing.T, e *env) {
	for _, format := range []string{"jsonl", "csv"} {
		if r := e.do("GET", "/api/v1/export?all=true&format="+format, e.adminKey, nil); r.status != http.StatusOK || len(r.body) == 0 {
			t.Errorf("GET /api/v1/export?format=%s = %d %q", format, r.status, r.body)
		}
	}
}
