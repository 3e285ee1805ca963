package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/spf13/pflag"

	"tiny/internal/abuse/feed"
)

// applyConfigFile sets, from the --config file, the flags of fs that the
// command line and the environment left unset: they outrank the file. It
// returns the flags they did set, which a reload must leave alone.
func applyConfigFile(fs *pflag.FlagSet, path string) (fixed map[string]bool, err error) {
	fixed = map[string]bool{}
	fs.Visit(func(f *pflag.Flag) { fixed[f.Name] = true })
	if path == "" {
		return fixed, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--config %s: %w", path, err)
	}
	defer f.Close()
	if err := readSettings(f, func(name, value string) error {
		fl := fs.Lookup(name)
		if fl == nil {
			// The environment variable's name without its prefix is
			// accepted too, as it always was.
			fs.VisitAll(func(g *pflag.Flag) {
				if envName(g.Name) == envPrefix+"_"+name {
					fl = g
				}
			})
		}
		switch {
		case fl == nil:
			return fmt.Errorf("config file flag %q not defined in flag set", name)
		case fixed[fl.Name]:
			return nil
		}
		if err := fs.Set(fl.Name, value); err != nil {
			return fmt.Errorf("error setting flag %q from config file: %w", name, err)
		}
		return nil
	}); err != nil {
		return nil, fmt.Errorf("--config %s: %w", path, err)
	}
	return fixed, nil
}

// readSettings reads a settings file: one "flag-name value" per line, a
// name alone for true, blank lines and lines starting with # skipped, and
// " #" starting a comment after the value.
func readSettings(r io.Reader, set func(name, value string) error) error {
	s := bufio.NewScanner(r)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, " ")
		if !ok {
			value = "true"
		}
		value = strings.TrimSpace(value)
		if i := strings.Index(value, " #"); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
		if err := set(name, value); err != nil {
			return err
		}
	}
	return s.Err()
}

// readConfigFile returns the configuration the file at path gives on its
// own, over the defaults.
func readConfigFile(path string) (Config, error) {
	cfg := DefaultConfig()
	fs := pflag.NewFlagSet("config", pflag.ContinueOnError)
	cfg.register(fs)
	_, err := applyConfigFile(fs, path)
	return cfg, err
}

// Reload re-reads what may change while tiny serves: the log level from
// --config (unless a flag or the environment set it) and the blocklist and
// allowlist feeds, where a changed blocklist rescans every link as a
// scheduled reload does. It logs one line that says what it reloaded, at
// info, or at warn when a part failed and kept its previous state. Serving
// never stops.
func (m *Main) Reload(ctx context.Context) {
	var attrs []any
	level := slog.LevelInfo
	switch {
	case m.Config.ConfigFile == "":
	case m.fixed["log-level"]:
		attrs = append(attrs, "log_level", "kept: set by a flag or the environment")
	default:
		if err := m.reloadLogLevel(); err != nil {
			attrs = append(attrs, "log_level", "kept", "config_err", err)
			level = slog.LevelWarn
		} else {
			attrs = append(attrs, "log_level", m.level.Level().String())
		}
	}
	for _, f := range []struct {
		name string
		w    *feed.Watcher
		n    int
	}{{"blocklists", m.feeds, len(m.Config.Blocklists)}, {"allowlists", m.allowed, len(m.Config.Allowlists)}} {
		if f.w == nil || f.n == 0 {
			continue
		}
		changed, err := f.w.Reload(ctx)
		attrs = append(attrs, f.name+"_changed", changed)
		if failed := (*feed.LoadError)(nil); errors.As(err, &failed) {
			// Each failed feed is logged by the watcher itself.
			attrs = append(attrs, f.name+"_failed", len(failed.Failed))
			level = slog.LevelWarn
		}
	}
	m.logger.Log(ctx, level, "reloaded on SIGHUP", attrs...)
}

func (m *Main) reloadLogLevel() error {
	cfg, err := readConfigFile(m.Config.ConfigFile)
	if err != nil {
		return err
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return fmt.Errorf("log-level %q: want debug, info, warn or error", cfg.LogLevel)
	}
	m.level.Set(level)
	return nil
}

// reloadOnHangup calls Reload for every SIGHUP until ctx ends.
func (m *Main) reloadOnHangup(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.hangups:
			m.Reload(ctx)
		}
	}
}
