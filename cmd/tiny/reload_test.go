package main

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/pflag"
)

// TestConfigFileRanksBelowFlags: the --config file sets what the command
// line and the environment did not, and the flags they set are fixed.
func TestConfigFileRanksBelowFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.conf")
	if err := os.WriteFile(path, []byte("# settings\nlog-level debug\ncache-size 7\nblocklist /a.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	fs := pflag.NewFlagSet("tiny serve", pflag.ContinueOnError)
	cfg.register(fs)
	if err := fs.Parse([]string{"--log-level", "error", "--config", path}); err != nil {
		t.Fatal(err)
	}
	fixed, err := applyConfigFile(fs, cfg.ConfigFile)
	if err != nil {
		t.Fatalf("applyConfigFile(%s) = %v, want nil", path, err)
	}
	if cfg.LogLevel != "error" || cfg.CacheSize != 7 || len(cfg.Blocklists) != 1 {
		t.Errorf("config after the file = log-level %q, cache-size %d, blocklists %q; want error (the flag's), 7, [/a.txt]",
			cfg.LogLevel, cfg.CacheSize, cfg.Blocklists)
	}
	if !fixed["log-level"] || fixed["cache-size"] {
		t.Errorf("fixed flags = %v, want log-level and not cache-size", fixed)
	}
	if err := os.WriteFile(path, []byte("log-levle debug\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := readConfigFile(path); err == nil {
		t.Errorf("readConfigFile(a file with an unknown setting) = nil, want an error")
	}
}

// TestReloadSetsLogLevel reloads a Main after its config file changed.
func TestReloadSetsLogLevel(t *testing.T) {
	for _, tc := range []struct {
		name, start, file string
		fixed             bool
		want              slog.Level
		line              string
	}{
		{"from the file", "warn", "log-level debug\n", false, slog.LevelDebug, "log_level=DEBUG"},
		{"set by a flag", "info", "log-level debug\n", true, slog.LevelInfo, "set by a flag"},
		{"not a level", "warn", "log-level loud\n", false, slog.LevelWarn, `config_err="log-level \"loud\"`},
		{"unknown setting", "warn", "log-levle debug\n", false, slog.LevelWarn, "config_err="},
		{"left out: the default", "debug", "cache-size 5\n", false, slog.LevelInfo, "log_level=INFO"},
	} {
		path := filepath.Join(t.TempDir(), "tiny.conf")
		if err := os.WriteFile(path, []byte(tc.file), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		cfg.LogLevel, cfg.ConfigFile = tc.start, path
		log := &syncBuffer{}
		m := NewMain(cfg, io.Discard, log)
		m.fixed = map[string]bool{"log-level": tc.fixed}
		m.Reload(t.Context())
		if got := m.level.Level(); got != tc.want {
			t.Errorf("%s: level after Reload = %v, want %v", tc.name, got, tc.want)
		}
		if !strings.Contains(log.String(), "reloaded on SIGHUP") || !strings.Contains(log.String(), tc.line) {
			t.Errorf("%s: Reload logged %q, want a line with %s", tc.name, log, tc.line)
		}
	}
}
