package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"

	"github.com/peterbourgon/ff/v3"

	"tiny/internal/abuse/feed"
)

// applyConfigFile sets, from the --config file, the flags of fs that the
// command line and the environment left unset: they outrank the file. It
// returns the flags they did set, which a reload must leave alone.
func applyConfigFile(fs *flag.FlagSet, path string) (fixed map[string]bool, err error) {
	fixed = map[string]bool{}
	fs.Visit(func(f *flag.Flag) { fixed[f.Name] = true })
	if path == "" {
		return fixed, nil
	}
	if err := ff.Parse(fs, nil, ff.WithConfigFile(path), ff.WithConfigFileParser(ff.PlainParser)); err != nil {
		return nil, fmt.Errorf("--config %s: %w", path, err)
	}
	return fixed, nil
}

// readConfigFile returns the configuration the file at path gives on its
// own, over the defaults.
func readConfigFile(path string) (Config, error) {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("config", flag.ContinueOnError)
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
