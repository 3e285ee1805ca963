package web

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"tiny/internal/contract"
	"tiny/internal/importer"
	"tiny/internal/ratelimit"
	"tiny/internal/tiny"
)

// importFixture reads a fixture of the importer's tests.
func importFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../importer/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// uploadForm is a multipart body with fields and one file.
func uploadForm(t testing.TB, fields map[string]string, name string, data []byte) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if data != nil {
		fw, err := mw.CreateFormFile("file", name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = fw.Write(data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return mw.FormDataContentType(), buf.Bytes()
}

// upload sends a file to POST /api/v1/imports with key.
func (e *env) upload(key, format, name string, data []byte) response {
	e.t.Helper()
	ctype, body := uploadForm(e.t, map[string]string{"format": format}, name, data)
	req, err := http.NewRequest("POST", e.base+"/api/v1/imports", bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	req.Header.Set("Authorization", "Bearer "+key)
	if _, known := importer.FormatNamed(format); !known {
		req = contract.SkipRequestValidation(req)
	}
	resp, err := e.api.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// waitImport polls the job until it ends and returns its JSON.
func (e *env) waitImport(key, id string) map[string]any {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		r := e.do("GET", "/api/v1/imports/"+id, key, nil)
		if r.status != http.StatusOK {
			e.t.Fatalf("GET import %s = %d %s", id, r.status, r.body)
		}
		j := r.json(e.t)
		if j["state"] != "running" {
			return j
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("import %s still running after 30s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// startedImport checks a 202 and returns the job's id.
func startedImport(t testing.TB, r response) string {
	t.Helper()
	if r.status != http.StatusAccepted {
		t.Fatalf("POST /api/v1/imports = %d %s, want 202", r.status, r.body)
	}
	j := r.json(t)
	id, _ := j["id"].(string)
	if id == "" || r.header.Get("Location") != "/api/v1/imports/"+id {
		t.Fatalf("Location = %q for job %q", r.header.Get("Location"), id)
	}
	return id
}

func progress(j map[string]any, name string) float64 {
	p, _ := j["progress"].(map[string]any)
	n, _ := p[name].(float64)
	return n
}

// waitImportsIdle waits until the server runs no import, so that the next
// start of the same user is not refused as a second job.
func (e *env) waitImportsIdle() {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for e.server.imports.Running() > 0 {
		if time.Now().After(deadline) {
			e.t.Fatal("imports still running after 30s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// importBody is an API import that fails at once: tiny itself has no
// Shlink API, and a 404 ends the job.
func (w *world) importBody(caller) any {
	w.e.waitImportsIdle()
	return map[string]any{"format": "shlink-api", "url": w.e.base + "/no-api", "token": "matrix-token"}
}

// aliceImport is an ended import job of alice.
var aliceImport cellParam = func(w *world, _ caller) string {
	r := w.e.do("POST", "/api/v1/imports", w.cred[asMember], w.importBody(asMember))
	id := startedImport(w.e.t, r)
	w.e.waitImportsIdle()
	return id
}

func TestImportsAPIUploadsTinyCSVAndResumes(t *testing.T) {
	e := newEnv(t)
	key := e.newKey("mover", tiny.RoleMember)
	data := importFixture(t, "tiny.csv")
	id := startedImport(t, e.upload(key, "csv", "tiny.csv", data))
	j := e.waitImport(key, id)
	if j["state"] != "done" || progress(j, "imported") == 0 || progress(j, "total") != progress(j, "read") {
		t.Fatalf("job = %v, want done with links imported", j)
	}
	if j["source"] != "tiny.csv" || j["format"] != "csv" {
		t.Errorf("source, format = %v, %v", j["source"], j["format"])
	}
	l, err := e.store.LinkByAlias(context.Background(), "docs-home")
	if err != nil || l.URL != "https://example.com/docs" {
		t.Fatalf("the alias docs-home: %v, %v; want the imported link", l, err)
	}
	if r := e.do("GET", "/api/v1/links/"+l.Code, key, nil); r.status != http.StatusOK {
		t.Errorf("the imported link is not the importer's: GET = %d", r.status)
	}
	// The same file again resumes past every row and adds nothing.
	again := e.waitImport(key, startedImport(t, e.upload(key, "csv", "tiny.csv", data)))
	if again["state"] != "done" || progress(again, "imported") != 0 || progress(again, "resumed") != progress(j, "read") {
		t.Errorf("second run = %v, want nothing imported, every row resumed", again["progress"])
	}
	list := e.do("GET", "/api/v1/imports", key, nil)
	if jobs, _ := list.json(t)["imports"].([]any); len(jobs) != 2 {
		t.Errorf("GET /api/v1/imports = %s, want the 2 jobs", list.body)
	}
}

func TestImportsAPIShlinkCSVListsRefusedSlugs(t *testing.T) {
	e := newEnv(t)
	key := e.newKey("mover", tiny.RoleMember)
	id := startedImport(t, e.upload(key, "shlink-csv", "shlink.csv", importFixture(t, "shlink.csv")))
	j := e.waitImport(key, id)
	if j["state"] != "done" {
		t.Fatalf("job = %v, want done", j)
	}
	if _, err := e.store.LinkByAlias(context.Background(), "12C18"); err != nil {
		t.Errorf("the slug 12C18 was not imported: %v", err)
	}
	sum, _ := j["summary"].(map[string]any)
	rows, _ := sum["skipped_rows"].([]any)
	found := false
	for _, r := range rows {
		if row, _ := r.(map[string]any); row["slug"] == "blog/2024" && row["reason"] == string(importer.InvalidAlias) {
			found = true
		}
	}
	if !found || progress(j, "skipped") < 1 {
		t.Errorf("summary = %v, want blog/2024 skipped as invalid_alias", sum)
	}
}

func TestImportsAPIHidesOthersJobs(t *testing.T) {
	e := newEnv(t)
	alice := e.newKey("alice", tiny.RoleMember)
	bob := e.newKey("bob", tiny.RoleMember)
	id := startedImport(t, e.upload(alice, "csv", "tiny.csv", importFixture(t, "tiny.csv")))
	e.waitImport(alice, id)
	if r := e.do("GET", "/api/v1/imports/"+id, bob, nil); r.status != http.StatusNotFound {
		t.Errorf("bob's GET of alice's job = %d, want 404", r.status)
	}
	if r := e.do("DELETE", "/api/v1/imports/"+id, bob, nil); r.status != http.StatusNotFound {
		t.Errorf("bob's DELETE of alice's job = %d, want 404", r.status)
	}
	if jobs, _ := e.do("GET", "/api/v1/imports", bob, nil).json(t)["imports"].([]any); len(jobs) != 0 {
		t.Errorf("bob lists %d jobs, want none", len(jobs))
	}
	if r := e.do("GET", "/api/v1/imports/"+id, e.adminKey, nil); r.status != http.StatusOK {
		t.Errorf("the admin's GET of alice's job = %d, want 200", r.status)
	}
}

// importsFromLocalAPIs lets imports reach the test's own servers on
// 127.0.0.1, as --allow-private-destinations does.
func importsFromLocalAPIs(c *Config) {
	c.ImportDestinations = &tiny.DestinationRule{AllowPrivate: true}
}

func TestImportsAPIRefusesBadRequests(t *testing.T) {
	// A server body limit far under the file lets the upload through all
	// the same: the import routes have their own.
	e := newEnv(t, func(c *Config) { c.MaxBodyBytes = 64 << 10 })
	key := e.newKey("mover", tiny.RoleMember)
	if r := e.upload(key, "zip", "x.zip", []byte("url\n")); r.status != http.StatusBadRequest || r.errorField() != "format" {
		t.Errorf("format zip = %d %s, want 400 on format", r.status, r.body)
	}
	if r := e.doRaw("POST", "/api/v1/imports", key, map[string]any{"format": "kutt-api", "url": "https://kutt.example"}); r.status != http.StatusBadRequest || r.errorField() != "token" {
		t.Errorf("no token = %d %s, want 400 on token", r.status, r.body)
	}
	// A member names the address; the server's own network is not theirs to reach.
	for _, u := range []string{e.base, "http://169.254.169.254/latest/meta-data"} {
		if r := e.doRaw("POST", "/api/v1/imports", key, map[string]any{"format": "shlink-api", "url": u, "token": "t"}); r.status != http.StatusBadRequest || r.errorField() != "url" {
			t.Errorf("an import from %s = %d %s, want 400 on url", u, r.status, r.body)
		}
	}
	if r := e.doRaw("POST", "/api/v1/imports", key, "url\n", "Content-Type", "text/csv"); r.status != http.StatusUnsupportedMediaType && r.status != http.StatusBadRequest {
		t.Errorf("a text/csv body = %d %s, want 415", r.status, r.body)
	}
	big := append([]byte("url,title\nhttps://example.com/big,"), bytes.Repeat([]byte("a"), 200<<10)...)
	id := startedImport(t, e.upload(key, "csv", "big.csv", big))
	if j := e.waitImport(key, id); j["state"] != "done" || progress(j, "read") != 1 {
		t.Errorf("the 200 KiB file's job = %v, want done with its row read", j)
	}
	// Bodies over a limit are refused from their Content-Length, before
	// they are sent (sending them would race the server's close).
	for _, c := range []struct {
		path, key string
		length    int
		what      string
	}{
		{"/api/v1/links", key, 100 << 10, "a 100 KiB link body: the larger limit is the import routes' alone"},
		{"/api/v1/imports", "", 200 << 10, "a 200 KiB upload from a stranger"},
		{"/api/v1/imports", "tiny_not_a_key_at_all_0000000000000", 200 << 10, "a 200 KiB upload with a key that is no key"},
		{"/api/v1/imports", key, importer.UploadBodyLimit + 1, "a body over the upload limit"},
	} {
		status, body := e.announceBody(c.path, c.key, c.length)
		if status != http.StatusRequestEntityTooLarge {
			t.Errorf("%s = %d %s, want 413", c.what, status, body)
		}
		if c.length > importer.UploadBodyLimit && !strings.Contains(body, fmt.Sprint(importer.UploadBodyLimit)) {
			t.Errorf("%s: %s, want the upload limit named", c.what, body)
		}
	}
}

// announceBody sends a POST's headers with a Content-Length of length and
// no body, and returns the answer the server gives from the headers alone.
func (e *env) announceBody(path, key string, length int) (int, string) {
	e.t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
	if err != nil {
		e.t.Fatal(err)
	}
	defer conn.Close()
	auth := ""
	if key != "" {
		auth = "Authorization: Bearer " + key + "\r\n"
	}
	fmt.Fprintf(conn, "POST %s HTTP/1.1\r\nHost: tiny\r\n%sContent-Type: multipart/form-data; boundary=x\r\nContent-Length: %d\r\n\r\n", path, auth, length)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestImportsAPICancelsAndKeepsTheTokenOut(t *testing.T) {
	e := newEnv(t, importsFromLocalAPIs)
	key := e.newKey("mover", tiny.RoleMember)
	const token = "never-show-this-token"
	seen := make(chan string, 4)
	foreign := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Get("X-Api-Key")
		<-r.Context().Done()
	}))
	defer foreign.Close()
	r := e.do("POST", "/api/v1/imports", key, map[string]any{"format": "shlink-api", "url": foreign.URL, "token": token})
	id := startedImport(t, r)
	if got := <-seen; got != token {
		t.Fatalf("the foreign API got key %q, want the token", got)
	}
	if second := e.upload(key, "csv", "tiny.csv", importFixture(t, "tiny.csv")); second.status != http.StatusConflict {
		t.Errorf("a second job while one runs = %d, want 409", second.status)
	}
	c := e.do("DELETE", "/api/v1/imports/"+id, key, nil)
	if c.status != http.StatusOK || c.json(t)["state"] != "cancelled" {
		t.Fatalf("DELETE = %d %s, want the cancelled job", c.status, c.body)
	}
	for _, b := range [][]byte{r.body, c.body, e.do("GET", "/api/v1/imports", key, nil).body, []byte(e.logs.String())} {
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("the token shows in %s", b)
		}
	}
}

func TestImportsAPICountsOnTheCreateLimit(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.RateLimiter = ratelimit.NewLocal(100)
		c.Limits = Limits{Create: ratelimit.Limit{Rate: 1, Burst: 1, Period: time.Hour}}
	})
	key := e.newKey("mover", tiny.RoleMember)
	e.waitImport(key, startedImport(t, e.upload(key, "csv", "tiny.csv", importFixture(t, "tiny.csv"))))
	if r := e.upload(key, "csv", "tiny.csv", importFixture(t, "tiny.csv")); r.status != http.StatusTooManyRequests || r.errorCode() != string(tiny.RateLimited) {
		t.Errorf("a second import over the create limit = %d %s, want 429", r.status, r.body)
	}
}

// testImportsContract reaches every imports operation through TestAPI's
// contract checker: upload, the job, the list, and a cancel of a job that
// has ended, which changes nothing.
func testImportsContract(t *testing.T, e *env) {
	key := e.newKey("contract-importer", tiny.RoleMember)
	id := startedImport(t, e.upload(key, "csv", "tiny.csv", importFixture(t, "tiny.csv")))
	if j := e.waitImport(key, id); j["state"] != "done" {
		t.Fatalf("the import = %v, want done", j)
	}
	if r := e.do("GET", "/api/v1/imports", key, nil); r.status != http.StatusOK {
		t.Errorf("GET /api/v1/imports = %d", r.status)
	}
	r := e.do("DELETE", "/api/v1/imports/"+id, key, nil)
	if r.status == http.StatusOK && r.json(t)["state"] != "done" {
		t.Errorf("cancelling an ended import = %s, want it still done", r.body)
	}
	if r.status != http.StatusOK && r.status != http.StatusConflict {
		t.Errorf("cancelling an ended import = %d %s", r.status, r.body)
	}
}
