package feed

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"
)

func TestNewWatcherErrors(t *testing.T) {
	if _, err := New([]string{"ftp://x.example/list"}, time.Minute, Options{}, nil, nil); err == nil {
		t.Error("bad source accepted")
	}
	if _, err := New([]string{"list.txt"}, 0, Options{}, nil, nil); err == nil {
		t.Error("zero interval accepted")
	}
}

func TestWatcherLoadReportsFailedFeeds(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.txt")
	missing := filepath.Join(dir, "missing.txt")
	writeFile(t, good, "bad.example\n", time.Now())
	w, err := New([]string{good, missing}, time.Minute, Options{}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := w.Current().MatchString("http://bad.example/"); ok {
		t.Fatal("matched before Load")
	}

	err = w.Load(context.Background())
	var le *LoadError
	if !errors.As(err, &le) || len(le.Failed) != 1 || le.Failed[0].Feed != missing {
		t.Fatalf("Load err = %v, want a LoadError naming only %s", err, missing)
	}
	// The feeds that loaded are in use anyway.
	if m, ok := w.Current().MatchString("http://www.bad.example/"); !ok || m.Feed != good {
		t.Errorf("match = %+v, %v; want a match from %s", m, ok, good)
	}
	st := w.Status()
	if len(st) != 2 || st[0].Entries != 1 || st[0].LastSuccess.IsZero() || st[0].Errors != 0 {
		t.Errorf("good feed status = %+v", st[0])
	}
	if st[1].Errors != 1 || st[1].LastError == "" || !st[1].LastSuccess.IsZero() {
		t.Errorf("missing feed status = %+v", st[1])
	}
}

func TestWatcherReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	writeFile(t, path, "a.example\n", t0)
	var calls []*Set
	w, err := New([]string{path}, time.Minute, Options{}, nil, func(s *Set) { calls = append(calls, s) })
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 0 {
		t.Errorf("Load called onChange %d times", len(calls))
	}
	if changed, err := w.Reload(context.Background()); changed || err != nil {
		t.Errorf("unchanged Reload = %v, %v", changed, err)
	}
	writeFile(t, path, "b.example\n", t0.Add(time.Minute))
	if changed, err := w.Reload(context.Background()); !changed || err != nil {
		t.Fatalf("changed Reload = %v, %v", changed, err)
	}
	if len(calls) != 1 || calls[0] != w.Current() {
		t.Fatalf("onChange calls = %d, want 1 with the current set", len(calls))
	}
	if _, ok := w.Current().MatchString("http://b.example/"); !ok {
		t.Error("new entry not matched after reload")
	}
	if _, ok := w.Current().MatchString("http://a.example/"); ok {
		t.Error("removed entry still matched after reload")
	}
}

func TestWatcherRun(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list.txt")
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	writeFile(t, path, "file.example\n", t0)
	fs := &feedServer{body: "http.example\n", etag: `"1"`}
	srv := httptest.NewServer(fs)
	defer srv.Close()

	changes := make(chan *Set, 16)
	w, err := New([]string{path, srv.URL}, 5*time.Millisecond, Options{}, nil, func(s *Set) { changes <- s })
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	reloaded := make(chan struct{})
	// Run blocks in the hook until the test takes the signal, so the test
	// always knows which reloads have finished.
	w.afterReload = func() {
		select {
		case reloaded <- struct{}{}:
		case <-ctx.Done():
		}
	}
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()

	timeout := time.After(10 * time.Second)
	waitReloads := func(n int) {
		t.Helper()
		for range n {
			select {
			case <-reloaded:
			case <-timeout:
				t.Fatal("timed out waiting for reloads")
			}
		}
	}
	waitChange := func() *Set {
		t.Helper()
		for {
			select {
			case s := <-changes:
				return s
			case <-reloaded:
			case <-timeout:
				t.Fatal("timed out waiting for onChange")
			}
		}
	}
	noChanges := func(what string) {
		t.Helper()
		waitReloads(3) // onChange runs before the hook, so these are final
		if n := len(changes); n != 0 {
			t.Fatalf("%s: onChange called %d times", what, n)
		}
	}

	noChanges("nothing changed")

	writeFile(t, path, "file2.example\n", t0.Add(time.Minute))
	set := waitChange()
	if _, ok := set.MatchString("http://file2.example/"); !ok {
		t.Error("onChange set lacks the new file entry")
	}
	if _, ok := set.MatchString("http://http.example/"); !ok {
		t.Error("onChange set lost the unchanged HTTP feed")
	}
	noChanges("after the file change")

	fs.set(func(f *feedServer) { f.body, f.etag = "http2.example\n", `"2"` })
	set = waitChange()
	if _, ok := set.MatchString("http://http2.example/"); !ok {
		t.Error("onChange set lacks the new HTTP entry")
	}
	noChanges("after the HTTP change")

	// A failing feed keeps its list and does not count as a change.
	fs.set(func(f *feedServer) { f.status = http.StatusBadGateway })
	noChanges("while the HTTP feed fails")
	if _, ok := w.Current().MatchString("http://http2.example/"); !ok {
		t.Error("failed reload dropped the HTTP feed's list")
	}
	if st := w.Status()[1]; st.Errors == 0 || st.LastError == "" {
		t.Errorf("HTTP feed status after failures = %+v", st)
	}

	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run returned %v", err)
	}
}
