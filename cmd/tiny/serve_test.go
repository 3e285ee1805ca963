package main

import (
	"encoding/json"
	"io"
	"path/filepath"
	"strings"
	"testing"

	"tiny/internal/tiny"
)

// startMain runs tiny in this process on a new SQLite file, with testKey as
// its initial admin key and logs at debug, and closes it when the test ends.
// edit, if not nil, changes the configuration first.
func startMain(t *testing.T, edit func(*Config)) (*Main, *syncBuffer) {
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
	m := NewMain(cfg, io.Discard, log)
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
