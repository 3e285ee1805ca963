package web

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// upload sends a multipart form with the reader's CSRF token and a file.
func (rd *reader) upload(path string, fields map[string]string, name string, data []byte) page {
	rd.e.t.Helper()
	if _, ok := fields["csrf"]; !ok {
		fields["csrf"] = rd.csrf
	}
	ctype, body := uploadForm(rd.e.t, fields, name, data)
	req, err := http.NewRequest("POST", rd.e.base+path, bytes.NewReader(body))
	if err != nil {
		rd.e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	req.Header.Set("Cookie", rd.cookie)
	resp, err := rd.client.Do(req)
	if err != nil {
		rd.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return page{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// importStarted checks the redirect to a job's page and returns its path.
func importStarted(t *testing.T, p page) string {
	t.Helper()
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location(), "/app/links/import/jobs/") {
		t.Fatalf("starting an import = %d to %q, want 303 to the job's page\n%s", p.status, p.location(), p.text())
	}
	return p.location()
}

// waitJobPage reloads the job's page until it stops refreshing itself.
func (rd *reader) waitJobPage(path string) page {
	rd.e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		p := rd.get(path)
		if p.status != http.StatusOK {
			rd.e.t.Fatalf("GET %s = %d", path, p.status)
		}
		if !strings.Contains(p.text(), "data-refresh") {
			return p
		}
		if time.Now().After(deadline) {
			rd.e.t.Fatalf("%s still running after 30s", path)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestAppImportsUploadShowsTheSummary(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("mover", tiny.RoleMember)
	if list := rd.get("/app/links"); !strings.Contains(list.text(), `href="/app/links/import"`) {
		t.Errorf("the links page does not link to the import form")
	}
	form := rd.get("/app/links/import")
	if form.status != http.StatusOK || !strings.Contains(form.text(), `enctype="multipart/form-data"`) ||
		!strings.Contains(form.text(), "Shlink CSV export") || !strings.Contains(form.text(), `name="dry_run"`) {
		t.Fatalf("GET /app/links/import = %d, want the upload form with every format:\n%s", form.status, form.text())
	}
	job := importStarted(t, rd.upload("/app/links/import", map[string]string{"format": "shlink-csv"}, "shlink.csv", importFixture(t, "shlink.csv")))
	done := rd.waitJobPage(job).text()
	for _, want := range []string{"Done", "<progress", "blog/2024", "the slug is not a valid alias", `href="/app/links"`} {
		if !strings.Contains(done, want) {
			t.Errorf("the ended job's page lacks %q", want)
		}
	}
	if _, err := e.store.LinkByAlias(t.Context(), "12C18"); err != nil {
		t.Errorf("12C18 was not imported: %v", err)
	}
	if recent := rd.get("/app/links/import").text(); !strings.Contains(recent, "shlink.csv") {
		t.Errorf("the form does not list the recent import")
	}
}

func TestAppImportsDryRunWritesNothing(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("mover", tiny.RoleMember)
	job := importStarted(t, rd.upload("/app/links/import", map[string]string{"format": "csv", "dry_run": "on"}, "tiny.csv", importFixture(t, "tiny.csv")))
	if p := rd.waitJobPage(job).text(); !strings.Contains(p, "dry run: nothing was written") || !strings.Contains(p, "would be imported") {
		t.Errorf("the dry run's page does not say it wrote nothing")
	}
	if _, err := e.store.LinkByAlias(t.Context(), "docs-home"); err == nil {
		t.Errorf("a dry run imported docs-home")
	}
}

func TestAppImportsFormErrors(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	rd := e.newReader("mover", tiny.RoleMember)
	noFile := rd.upload("/app/links/import", map[string]string{"format": "csv"}, "", nil)
	if noFile.status != http.StatusUnprocessableEntity || !strings.Contains(noFile.text(), `id="import-file-error"`) ||
		!strings.Contains(noFile.text(), `aria-describedby="import-file-hint import-file-error" aria-invalid="true"`) {
		t.Errorf("no file = %d, want 422 with the error by the file field:\n%s", noFile.status, noFile.text())
	}
	noToken := rd.upload("/app/links/import", map[string]string{"format": "kutt-api", "url": "https://kutt.example"}, "", nil)
	if noToken.status != http.StatusUnprocessableEntity || !strings.Contains(noToken.text(), `id="import-token-error"`) ||
		!strings.Contains(noToken.text(), `value="https://kutt.example"`) || !strings.Contains(noToken.text(), `<option value="kutt-api" selected>`) {
		t.Errorf("no token = %d, want 422 with the error by the token and the form refilled:\n%s", noToken.status, noToken.text())
	}
	if p := rd.upload("/app/links/import", map[string]string{"format": "csv", "csrf": "forged"}, "tiny.csv", []byte("url\nhttps://example.com/\n")); p.status != http.StatusForbidden {
		t.Errorf("a forged CSRF token = %d, want 403", p.status)
	}
	viewer := e.newReader("vera", tiny.RoleViewer)
	if p := viewer.get("/app/links/import"); !strings.Contains(p.text(), "may not import") || strings.Contains(p.text(), `name="file"`) {
		t.Errorf("a viewer is offered the import form")
	}
}

func TestAppImportsJobIsTheOwners(t *testing.T) {
	e := newEnv(t, signInsOf(t))
	alice := e.newReader("alice", tiny.RoleMember)
	bob := e.newReader("bob", tiny.RoleMember)
	job := importStarted(t, alice.upload("/app/links/import", map[string]string{"format": "csv"}, "tiny.csv", importFixture(t, "tiny.csv")))
	alice.waitJobPage(job)
	if p := bob.get(job); p.status != http.StatusNotFound {
		t.Errorf("bob opens alice's job: %d, want 404", p.status)
	}
	if p := bob.post(job+"/cancel", nil); p.status != http.StatusNotFound {
		t.Errorf("bob cancels alice's job: %d, want 404", p.status)
	}
}

func TestAppImportsCancel(t *testing.T) {
	e := newEnv(t, signInsOf(t), importsFromLocalAPIs)
	rd := e.newReader("mover", tiny.RoleMember)
	hang := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	defer hang.Close()
	job := importStarted(t, rd.upload("/app/links/import", map[string]string{"format": "shlink-api", "url": hang.URL, "token": "secret-token"}, "", nil))
	running := rd.get(job).text()
	if !strings.Contains(running, `data-refresh="2000"`) || !strings.Contains(running, "/static/imports.js") || strings.Contains(running, "secret-token") {
		t.Errorf("the running job's page does not refresh itself, or shows the token:\n%s", running)
	}
	if p := rd.post(job+"/cancel", nil); p.status != http.StatusSeeOther || p.location() != job {
		t.Fatalf("cancel = %d to %q, want 303 back to the job", p.status, p.location())
	}
	if p := rd.get(job).text(); !strings.Contains(p, "Cancelled") || strings.Contains(p, "data-refresh") {
		t.Errorf("the cancelled job's page:\n%s", p)
	}
}
