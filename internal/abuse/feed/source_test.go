package feed

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func mustSource(t *testing.T, loc string, opts Options) *Source {
	t.Helper()
	s, err := NewSource(loc, opts)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func load(t *testing.T, s *Source) bool {
	t.Helper()
	changed, err := s.Load(context.Background())
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return changed
}

func domains(s *Source) []string {
	if s.List() == nil {
		return nil
	}
	return slices.Collect(s.List().Domains())
}

func writeFile(t *testing.T, path, content string, mtime time.Time) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	// Explicit mtimes: filesystems with coarse timestamps would otherwise
	// make back-to-back writes look unchanged.
	if err := os.Chtimes(path, mtime, mtime); err != nil {
		t.Fatal(err)
	}
}

func TestNewSource(t *testing.T) {
	for _, bad := range []string{"", "ftp://example.com/list", "http://", "https:///x"} {
		if _, err := NewSource(bad, Options{}); err == nil {
			t.Errorf("NewSource(%q) succeeded", bad)
		}
	}
	for _, good := range []string{"/etc/blocklist", "rel/list.txt", "https://example.com/list.txt"} {
		if _, err := NewSource(good, Options{}); err != nil {
			t.Errorf("NewSource(%q): %v", good, err)
		}
	}
}

func TestFileSource(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	writeFile(t, path, "a.example\n", t0)
	s := mustSource(t, path, Options{})

	if !load(t, s) {
		t.Fatal("first load not reported as changed")
	}
	if got := domains(s); !slices.Equal(got, []string{"a.example"}) {
		t.Fatalf("domains = %q", got)
	}
	first := s.List()
	if load(t, s) {
		t.Error("untouched file reported changed")
	}
	if s.List() != first {
		t.Error("untouched file replaced the list")
	}

	// Same content, new mtime: read again but recognised by hash.
	writeFile(t, path, "a.example\n", t0.Add(time.Minute))
	if load(t, s) {
		t.Error("rewritten identical file reported changed")
	}

	// Same size, same mtime, different content: size+mtime cannot see it;
	// documented limitation, shown here so a change of behaviour is noticed.
	writeFile(t, path, "b.example\n", t0.Add(time.Minute))
	if load(t, s) {
		t.Error("same size+mtime expected to be treated as unchanged")
	}

	writeFile(t, path, "b.example\nc.example\n", t0.Add(2*time.Minute))
	if !load(t, s) {
		t.Fatal("changed file not reported as changed")
	}
	if got := domains(s); !slices.Equal(got, []string{"b.example", "c.example"}) {
		t.Fatalf("domains after change = %q", got)
	}
	if st := s.Stats(); st.Domains != 2 || st.Lines != 2 {
		t.Errorf("Stats = %+v", st)
	}

	// Errors keep the previous list.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Load(context.Background()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v", err)
	}
	if got := domains(s); !slices.Equal(got, []string{"b.example", "c.example"}) {
		t.Errorf("failed load replaced the list: %q", got)
	}
}

func TestFileSourceTooLarge(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	writeFile(t, path, "a.example\n", t0)
	s := mustSource(t, path, Options{MaxBytes: 16})
	load(t, s)
	writeFile(t, path, "a.example\nb.example\n", t0.Add(time.Minute))
	if _, err := s.Load(context.Background()); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	if got := domains(s); !slices.Equal(got, []string{"a.example"}) {
		t.Errorf("list after oversize load = %q", got)
	}
}

// feedServer serves a body with an ETag and Last-Modified, answering
// conditional requests with 304, and records what it answered.
type feedServer struct {
	mu       sync.Mutex
	body     string
	etag     string
	lastMod  string
	status   int  // if not 0, answer this with no body
	chunked  bool // stream without Content-Length
	statuses []int
}

func (f *feedServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	code := http.StatusOK
	switch {
	case f.status != 0:
		code = f.status
	case f.etag != "" && r.Header.Get("If-None-Match") == f.etag:
		code = http.StatusNotModified
	case f.etag == "" && f.lastMod != "" && r.Header.Get("If-Modified-Since") == f.lastMod:
		code = http.StatusNotModified
	}
	f.statuses = append(f.statuses, code)
	if f.etag != "" {
		w.Header().Set("ETag", f.etag)
	}
	if f.lastMod != "" {
		w.Header().Set("Last-Modified", f.lastMod)
	}
	if code != http.StatusOK {
		w.WriteHeader(code)
		return
	}
	if f.chunked {
		w.WriteHeader(code)
		w.(http.Flusher).Flush()
	}
	_, _ = w.Write([]byte(f.body))
}

func (f *feedServer) set(fn func(*feedServer)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	fn(f)
}

func (f *feedServer) lastStatus() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.statuses[len(f.statuses)-1]
}

func TestURLSourceETag(t *testing.T) {
	fs := &feedServer{body: "a.example\n", etag: `"v1"`}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s := mustSource(t, srv.URL+"/list.txt", Options{})

	if !load(t, s) {
		t.Fatal("first load not changed")
	}
	if load(t, s) {
		t.Error("304 reported as changed")
	}
	if got := fs.lastStatus(); got != http.StatusNotModified {
		t.Errorf("second request answered %d, want 304 (conditional request not sent?)", got)
	}
	fs.set(func(f *feedServer) { f.body, f.etag = "b.example\n", `"v2"` })
	if !load(t, s) {
		t.Fatal("new ETag and body not changed")
	}
	if got := domains(s); !slices.Equal(got, []string{"b.example"}) {
		t.Errorf("domains = %q", got)
	}
	// New validator, same bytes: the hash says unchanged.
	fs.set(func(f *feedServer) { f.etag = `"v3"` })
	if load(t, s) {
		t.Error("same content under a new ETag reported changed")
	}
}

func TestURLSourceLastModified(t *testing.T) {
	fs := &feedServer{body: "a.example\n", lastMod: "Mon, 02 Jan 2006 15:04:05 GMT"}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s := mustSource(t, srv.URL, Options{})
	load(t, s)
	if load(t, s) || fs.lastStatus() != http.StatusNotModified {
		t.Errorf("If-Modified-Since not honoured: last status %d", fs.lastStatus())
	}
}

func TestURLSourceTooLarge(t *testing.T) {
	for _, chunked := range []bool{false, true} {
		name := map[bool]string{false: "content-length", true: "chunked"}[chunked]
		t.Run(name, func(t *testing.T) {
			fs := &feedServer{body: "a.example\n", chunked: chunked}
			srv := httptest.NewServer(fs)
			defer srv.Close()
			s := mustSource(t, srv.URL, Options{MaxBytes: 64})
			load(t, s)
			fs.set(func(f *feedServer) { f.body = strings.Repeat("b.example\n", 10) })
			if _, err := s.Load(context.Background()); !errors.Is(err, ErrTooLarge) {
				t.Fatalf("err = %v, want ErrTooLarge", err)
			}
			if got := domains(s); !slices.Equal(got, []string{"a.example"}) {
				t.Errorf("list after oversize load = %q, want the old one", got)
			}
		})
	}
}

func TestURLSourceStatus(t *testing.T) {
	fs := &feedServer{body: "a.example\n"}
	srv := httptest.NewServer(fs)
	defer srv.Close()
	s := mustSource(t, srv.URL, Options{})
	load(t, s)
	fs.set(func(f *feedServer) { f.status = http.StatusInternalServerError })
	_, err := s.Load(context.Background())
	if err == nil || !strings.Contains(err.Error(), "500") {
		t.Fatalf("err = %v, want a 500 error", err)
	}
	if got := domains(s); !slices.Equal(got, []string{"a.example"}) {
		t.Errorf("list after 500 = %q", got)
	}

	// A 304 with nothing loaded yet cannot be honoured.
	fresh := mustSource(t, srv.URL, Options{})
	fs.set(func(f *feedServer) { f.status = http.StatusNotModified })
	if _, err := fresh.Load(context.Background()); err == nil {
		t.Error("304 on first load accepted")
	}
}

func TestURLSourceTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	}))
	defer srv.Close()
	defer close(release)
	s := mustSource(t, srv.URL, Options{Timeout: 50 * time.Millisecond})
	_, err := s.Load(context.Background())
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("err = %v, want a client timeout", err)
	}
	if s.List() != nil {
		t.Error("timed-out load installed a list")
	}
}
