package importer

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// localAPIs lets jobs reach the test's own servers on 127.0.0.1, as
// --allow-private-destinations does.
var localAPIs = &tiny.DestinationRule{AllowPrivate: true}

func newJobs(t *testing.T, e *env, cfg JobsConfig) *Jobs {
	t.Helper()
	js := NewJobs(e.links, cfg)
	t.Cleanup(func() {
		if err := js.Close(context.Background()); err != nil {
			t.Error(err)
		}
	})
	return js
}

func waitJob(t *testing.T, js *Jobs, p *accounts.Principal, id string) *Job {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	j, err := js.Wait(ctx, p, id)
	if err != nil {
		t.Fatalf("Wait(%s) = %v", id, err)
	}
	return j
}

// hangingAPI is a Shlink API that answers nothing until its request ends,
// and records the API keys it was sent.
func hangingAPI(t *testing.T) (*httptest.Server, chan string) {
	keys := make(chan string, 10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		keys <- r.Header.Get("X-Api-Key")
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)
	return srv, keys
}

func TestJobsFileRunsToDoneAndResumes(t *testing.T) {
	e := newEnv(t)
	js := newJobs(t, e, JobsConfig{})
	data, err := os.ReadFile("testdata/tiny.csv")
	if err != nil {
		t.Fatal(err)
	}
	started, err := js.StartFile(e.p, FileSource{Format: "csv", Name: "tiny.csv", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	if started.State != Running || started.OwnerID != e.user.ID || started.Source != "tiny.csv" {
		t.Errorf("started = %+v, want running, owned by %d, from tiny.csv", started, e.user.ID)
	}
	j := waitJob(t, js, e.p, started.ID)
	if j.State != Done || j.Summary == nil || j.EndedAt == nil {
		t.Fatalf("job = %+v, want done with a summary", j)
	}
	if j.Progress.Imported == 0 || j.Progress.Imported != j.Summary.Imported || j.Progress.Read != j.Summary.Read ||
		j.Progress.Total != j.Summary.Read || j.Progress.Skipped != j.Summary.SkippedCount() {
		t.Errorf("progress = %+v, want the summary's counts %+v", j.Progress, j.Summary)
	}
	if got := e.count(t); int64(got) != j.Summary.Imported {
		t.Errorf("%d links stored, want %d", got, j.Summary.Imported)
	}
	again, err := js.StartFile(e.p, FileSource{Format: "csv", Data: data})
	if err != nil {
		t.Fatal(err)
	}
	j2 := waitJob(t, js, e.p, again.ID)
	if j2.State != Done || j2.Progress.Imported != 0 || j2.Progress.Resumed != j.Progress.Read {
		t.Errorf("rerun progress = %+v, want nothing imported and %d resumed", j2.Progress, j.Progress.Read)
	}
	if list := js.List(e.p); len(list) != 2 || list[0].ID != again.ID {
		t.Errorf("List = %d jobs, want 2, newest first", len(list))
	}
}

func TestJobsRefuseBadStarts(t *testing.T) {
	e := newEnv(t)
	js := newJobs(t, e, JobsConfig{})
	for _, tc := range []struct {
		name string
		err  func() error
		code tiny.ErrorCode
	}{
		{"unknown format", func() error { _, err := js.StartFile(e.p, FileSource{Format: "zip", Data: []byte("x")}); return err }, tiny.Invalid},
		{"API format for a file", func() error {
			_, err := js.StartFile(e.p, FileSource{Format: "kutt-api", Data: []byte("x")})
			return err
		}, tiny.Invalid},
		{"file format for an API", func() error {
			_, err := js.StartAPI(e.p, APISource{Format: "csv", BaseURL: "https://x.test", Token: "t"})
			return err
		}, tiny.Invalid},
		{"no token", func() error {
			_, err := js.StartAPI(e.p, APISource{Format: "kutt-api", BaseURL: "https://x.test"})
			return err
		}, tiny.Invalid},
		{"bad address", func() error {
			_, err := js.StartAPI(e.p, APISource{Format: "kutt-api", BaseURL: "ftp://x.test", Token: "t"})
			return err
		}, tiny.Invalid},
		{"too large", func() error {
			_, err := js.StartFile(e.p, FileSource{Format: "csv", Data: make([]byte, MaxFileBytes+1)})
			return err
		}, tiny.TooLarge},
		{"viewer", func() error {
			_, err := js.StartFile(accounts.As(&tiny.User{ID: 99, Role: tiny.RoleViewer}), FileSource{Format: "csv", Data: []byte("url\n")})
			return err
		}, tiny.Forbidden},
	} {
		if code := tiny.ErrorCodeOf(tc.err()); code != tc.code {
			t.Errorf("%s: code %q, want %q", tc.name, code, tc.code)
		}
	}
	if n := len(js.List(e.p)); n != 0 {
		t.Errorf("%d jobs listed after refused starts, want 0", n)
	}
}

func TestJobsOnePerUserCancelAndNoToken(t *testing.T) {
	e := newEnv(t)
	js := newJobs(t, e, JobsConfig{MaxRunning: 2, Destinations: localAPIs})
	srv, keys := hangingAPI(t)
	const token = "s3cret-token-value"
	started, err := js.StartAPI(e.p, APISource{Format: "shlink-api", BaseURL: srv.URL + "/?sig=q", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	if got := <-keys; got != token {
		t.Fatalf("the API got key %q, want the token", got)
	}
	if _, err := js.StartFile(e.p, FileSource{Format: "csv", Data: []byte("url\nhttps://example.com/a\n")}); tiny.ErrorCodeOf(err) != tiny.Conflict {
		t.Errorf("a second job of the same user: %v, want conflict", err)
	}
	other := accounts.As(&tiny.User{ID: e.user.ID + 1, Role: tiny.RoleMember})
	if _, err := js.Get(other, started.ID); tiny.ErrorCodeOf(err) != tiny.NotFound {
		t.Errorf("another member's Get: %v, want not found", err)
	}
	if _, err := js.Cancel(context.Background(), other, started.ID); tiny.ErrorCodeOf(err) != tiny.NotFound {
		t.Errorf("another member's Cancel: %v, want not found", err)
	}
	admin := accounts.As(&tiny.User{ID: e.user.ID + 2, Role: tiny.RoleAdmin})
	if j, err := js.Get(admin, started.ID); err != nil || j.State != Running {
		t.Errorf("admin's Get = %+v, %v, want the running job", j, err)
	}
	j, err := js.Cancel(context.Background(), e.p, started.ID)
	if err != nil {
		t.Fatal(err)
	}
	if j.State != Cancelled || j.EndedAt == nil {
		t.Errorf("after Cancel: %+v, want cancelled", j)
	}
	if j.Source != srv.URL+"/" {
		t.Errorf("Source = %q, want the address without its query", j.Source)
	}
	b, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), token) || strings.Contains(string(b), "sig=q") {
		t.Errorf("the job's JSON holds the token or the query: %s", b)
	}
	// The user's slot is free again.
	if _, err := js.StartFile(e.p, FileSource{Format: "csv", Data: []byte("url\nhttps://example.com/a\n")}); err != nil {
		t.Errorf("a new job after the cancel: %v", err)
	}
}

func TestJobsNodeLimitAndClose(t *testing.T) {
	e := newEnv(t)
	js := NewJobs(e.links, JobsConfig{MaxRunning: 1, Destinations: localAPIs})
	srv, keys := hangingAPI(t)
	started, err := js.StartAPI(e.p, APISource{Format: "shlink-api", BaseURL: srv.URL, Token: "t"})
	if err != nil {
		t.Fatal(err)
	}
	<-keys
	other := accounts.As(&tiny.User{ID: e.user.ID + 1, Role: tiny.RoleMember})
	if _, err := js.StartAPI(other, APISource{Format: "shlink-api", BaseURL: srv.URL, Token: "t"}); tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Errorf("a job over the node's limit: %v, want unavailable", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := js.Close(ctx); err != nil {
		t.Fatalf("Close = %v, want the running job stopped", err)
	}
	if j, _ := js.Get(e.p, started.ID); j.State != Cancelled {
		t.Errorf("after Close the job is %s, want cancelled", j.State)
	}
	if _, err := js.StartFile(e.p, FileSource{Format: "csv", Data: []byte("url\n")}); tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Errorf("a start after Close: %v, want unavailable", err)
	}
}

func TestJobsFailureHidesToken(t *testing.T) {
	e := newEnv(t)
	js := newJobs(t, e, JobsConfig{Destinations: localAPIs, Client: &APIConfig{Retries: 1, Wait: func(context.Context, time.Duration) error { return nil }}})
	const token = "tok-123456"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad key "+token, http.StatusUnauthorized)
	}))
	defer srv.Close()
	started, err := js.StartAPI(e.p, APISource{Format: "shlink-api", BaseURL: srv.URL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, js, e.p, started.ID)
	if j.State != Failed || j.Error == "" {
		t.Fatalf("job = %+v, want failed with a reason", j)
	}
	if strings.Contains(j.Error, token) {
		t.Errorf("Error = %q holds the token", j.Error)
	}
}

func TestJobsForgetOldJobs(t *testing.T) {
	e := newEnv(t)
	now := time.Date(2026, 12, 6, 10, 0, 0, 0, time.UTC)
	js := newJobs(t, e, JobsConfig{Keep: time.Hour, Now: func() time.Time { return now }})
	var first string
	for i := range keptPerUser + 2 {
		j, err := js.StartFile(e.p, FileSource{Format: "csv", Data: []byte(fmt.Sprintf("url\nhttps://example.com/%d\n", i))})
		if err != nil {
			t.Fatal(err)
		}
		waitJob(t, js, e.p, j.ID)
		if i == 0 {
			first = j.ID
		}
		now = now.Add(time.Second)
	}
	if n := len(js.List(e.p)); n != keptPerUser {
		t.Errorf("%d jobs listed, want the newest %d", n, keptPerUser)
	}
	if _, err := js.Get(e.p, first); tiny.ErrorCodeOf(err) != tiny.NotFound {
		t.Errorf("the oldest job is still kept: %v", err)
	}
	now = now.Add(2 * time.Hour)
	if n := len(js.List(e.p)); n != 0 {
		t.Errorf("%d jobs listed after Keep, want none", n)
	}
}

// TestJobsRefusePrivateAPIs: by default an API import reaches public
// hosts only. A private or metadata host is refused before the job starts,
// with the field to mend; the client refuses a private address when it
// dials, whatever name led there; metadata stays refused when private
// hosts are allowed.
func TestJobsRefusePrivateAPIs(t *testing.T) {
	e := newEnv(t)
	js := newJobs(t, e, JobsConfig{})
	srv, keys := hangingAPI(t)
	for _, base := range []string{srv.URL, "http://localhost:8080", "http://[::1]/", "http://10.0.0.7", "http://169.254.169.254/latest"} {
		_, err := js.StartAPI(e.p, APISource{Format: "shlink-api", BaseURL: base, Token: "t"})
		if tiny.ErrorCodeOf(err) != tiny.Invalid || tiny.ErrorFieldOf(err) != "url" || !strings.Contains(err.Error(), "public hosts") {
			t.Errorf("importing from %s = %v, want it refused on the url field", base, err)
		}
	}
	select {
	case <-keys:
		t.Errorf("the refused import still reached the local server")
	default:
	}

	allowing := newJobs(t, e, JobsConfig{Destinations: localAPIs})
	if _, err := allowing.StartAPI(e.p, APISource{Format: "shlink-api", BaseURL: "http://169.254.169.254/latest", Token: "t"}); tiny.ErrorCodeOf(err) != tiny.Invalid {
		t.Errorf("importing from the metadata service with private hosts allowed = %v, want it refused", err)
	}

	// A name that resolves to a private address passes the first check;
	// the dialer refuses it.
	byName := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	resp, err := OutboundClient(tiny.DestinationRule{}).Get(byName)
	if err == nil {
		resp.Body.Close()
		t.Fatalf("the guarded client reached %s", byName)
	}
	if !strings.Contains(err.Error(), "not connecting to") || !strings.Contains(err.Error(), "it is a loopback address") {
		t.Errorf("the guarded client's refusal = %v, want it to name the loopback address", err)
	}
}
