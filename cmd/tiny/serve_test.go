package main

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// newTestMain returns a Main on a new SQLite file, with testKey as its
// initial admin key, logging at debug; edit, if not nil, changes the
// configuration first.
func newTestMain(t *testing.T, edit func(*Config)) (*Main, *syncBuffer) {
	t.Helper()
	cfg := DefaultConfig()
	cfg.Addr = "127.0.0.1:0"
	cfg.Database = filepath.Join(t.TempDir(), "tiny.db")
	cfg.InitialAPIKey = testKey
	cfg.LogLevel = "debug"
	cfg.BackgroundLowPriority = false
	if edit != nil {
		edit(&cfg)
	}
	log := &syncBuffer{}
	return NewMain(cfg, io.Discard, log), log
}

// startMain runs a newTestMain in this process and closes it when the test
// ends.
func startMain(t *testing.T, edit func(*Config)) (*Main, *syncBuffer) {
	t.Helper()
	m, log := newTestMain(t, edit)
	if err := m.Run(t.Context()); err != nil {
		m.Close()
		t.Fatalf("Run() = %v, want nil\n%s", err, log)
	}
	t.Cleanup(func() { m.Close() })
	return m, log
}

// TestInitialKeyPrefixRevealsLittle starts with an operator's initial key:
// neither the key list nor the log shows more than 4 of its characters past
// "tiny_".
func TestInitialKeyPrefixRevealsLittle(t *testing.T) {
	m, log := startMain(t, nil)
	status, body := apiCall(t, "GET", m.Addr(), "/api/v1/keys", "")
	var list struct{ Keys []struct{ Prefix string } }
	if err := json.Unmarshal([]byte(body), &list); err != nil || status != 200 || len(list.Keys) != 1 {
		t.Fatalf("GET /api/v1/keys = %d %s, want the initial key", status, body)
	}
	const most = len(tiny.APIKeyPrefix) + 4
	got := list.Keys[0].Prefix
	shown := 0
	for shown < len(got) && got[shown] == testKey[shown] {
		shown++
	}
	if got == "" || shown > most {
		t.Errorf("prefix of the initial key %q = %q, want at most its first %d characters", testKey, got, most)
	}
	if strings.Contains(log.String(), testKey[:most+1]) {
		t.Errorf("the log holds %q, the start of the initial key:\n%s", testKey[:most+1], log)
	}
}

// watchedStore is a store whose LinkURLs, the rescan's read, is slow to
// end: it runs until its context is cancelled and then takes a moment
// more, as a query in flight does. It counts the calls still running
// when Close is called.
type watchedStore struct {
	tiny.Store
	started  chan struct{}
	once     sync.Once
	inFlight atomic.Int32
	late     atomic.Int32 // calls running when Close was called
}

func (s *watchedStore) LinkURLs(ctx context.Context, afterID int64, limit int) ([]tiny.LinkURL, error) {
	s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	s.once.Do(func() { close(s.started) })
	<-ctx.Done()
	time.Sleep(100 * time.Millisecond)
	return nil, ctx.Err()
}

func (s *watchedStore) Close() error {
	s.late.Add(s.inFlight.Load())
	return s.Store.Close()
}

// TestCloseWaitsForBackgroundWork starts tiny with a blocklist, so a rescan
// runs at start, and closes it during the rescan: the store must be closed
// only after the rescan has returned.
func TestCloseWaitsForBackgroundWork(t *testing.T) {
	feedPath := filepath.Join(t.TempDir(), "blocklist.txt")
	if err := os.WriteFile(feedPath, []byte("bad.example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	watched := &watchedStore{started: make(chan struct{})}
	m, _ := newTestMain(t, func(c *Config) {
		c.Blocklists = stringsFlag{feedPath}
		c.BlocklistEvery = time.Hour
	})
	m.wrapStore = func(s tiny.Store) tiny.Store { watched.Store = s; return watched }
	if err := m.Run(t.Context()); err != nil {
		m.Close()
		t.Fatalf("Run() = %v, want nil", err)
	}
	select {
	case <-watched.started:
	case <-time.After(10 * time.Second):
		m.Close()
		t.Fatal("the rescan at start did not read the links within 10s")
	}
	if err := m.Close(); err != nil {
		t.Errorf("Close() = %v, want nil", err)
	}
	if n := watched.late.Load(); n != 0 {
		t.Errorf("store calls still running when the store was closed = %d, want 0", n)
	}
}
