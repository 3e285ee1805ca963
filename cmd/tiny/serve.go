package main

import (
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"

	"tiny/internal/analytics"
	"tiny/internal/shortener"
	"tiny/internal/sqlite"
	"tiny/internal/tiny"
	"tiny/internal/web"
)

func serveCommand(stdout, stderr io.Writer) *ffcli.Command {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("tiny serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.register(fs)
	return &ffcli.Command{
		Name:       "serve",
		ShortUsage: "tiny serve [flags]",
		ShortHelp:  "run the shortener: redirects, API and pages",
		LongHelp: "Runs the service. With no flags it keeps its data in ./tiny.db and listens on\n" +
			"127.0.0.1:8080. On the first start it creates an admin API key and prints it once.",
		FlagSet:   fs,
		Options:   []ff.Option{ff.WithEnvVarPrefix(envPrefix)},
		UsageFunc: usage,
		Exec: func(ctx context.Context, _ []string) error {
			ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
			defer stop()
			m := NewMain(cfg, stdout, stderr)
			if err := m.Run(ctx); err != nil {
				m.Close()
				return err
			}
			select {
			case <-ctx.Done():
				m.logger.Info("shutting down", "signal", context.Cause(ctx))
			case err := <-m.serveErr:
				m.logger.Error("server stopped", "err", err)
			}
			return m.Close()
		},
	}
}

// Main is one running tiny process. Tests start the real program through it.
type Main struct {
	Config Config
	stdout io.Writer
	logger *slog.Logger

	store    tiny.Store
	links    *shortener.Service
	clicks   *analytics.Recorder
	server   *web.Server
	listener net.Listener
	serveErr chan error
}

// NewMain returns a Main that logs to stderr and prints the first admin key
// to stdout.
func NewMain(cfg Config, stdout, stderr io.Writer) *Main {
	return &Main{Config: cfg, stdout: stdout, logger: newLogger(cfg, stderr), serveErr: make(chan error, 1)}
}

func newLogger(cfg Config, w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		level = slog.LevelInfo
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Run opens the store, prepares the first admin key, and starts serving.
// It returns once the listener is open; Addr then gives its address.
func (m *Main) Run(ctx context.Context) error {
	cfg := m.Config
	base, err := cfg.baseURL()
	if err != nil {
		return err
	}
	store, err := sqlite.Open(ctx, cfg.Database)
	if err != nil {
		return fmt.Errorf("opening the database %s: %w", cfg.Database, err)
	}
	m.store = store
	m.links, err = shortener.New(ctx, store, shortener.Config{
		URLPolicy:   tiny.URLPolicy{OwnHosts: cfg.ownHosts(base)},
		IDBlockSize: cfg.IDBlockSize,
		CacheSize:   cfg.CacheSize,
		CacheTTL:    cfg.CacheTTL,
	}, newCodeKey)
	if err != nil {
		return fmt.Errorf("starting the link service: %w", err)
	}
	if err := m.ensureAdminKey(ctx); err != nil {
		return err
	}
	m.clicks = analytics.NewRecorder(store, analytics.Config{
		QueueSize: cfg.ClickQueue, BatchSize: cfg.ClickBatch, FlushInterval: cfg.ClickFlush, Logger: m.logger,
	})
	m.clicks.Start()
	m.server, err = web.NewServer(web.Config{
		BaseURL:      base,
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout,
		IdleTimeout:  cfg.IdleTimeout,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Logger:       m.logger,
	}, m.links, store, m.clicks)
	if err != nil {
		return err
	}
	m.listener, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	go func() { m.serveErr <- m.server.Serve(m.listener) }()
	m.logger.Info("tiny is serving", "addr", m.listener.Addr().String(), "base_url", base.String(), "database", cfg.Database)
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// Close shuts down gracefully: in-flight requests finish, queued clicks are
// written, and the store is closed cleanly.
func (m *Main) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	var errs []error
	if m.server != nil && m.listener != nil {
		errs = append(errs, m.server.Shutdown(ctx))
	}
	if m.clicks != nil {
		errs = append(errs, m.clicks.Close(ctx))
	}
	if m.links != nil {
		m.links.Close()
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}

func newCodeKey() []byte {
	key := make([]byte, tiny.CodeKeySize)
	_, _ = rand.Read(key)
	return key
}

// ensureAdminKey creates the admin user and its first key when the instance
// has no key at all, and prints the secret once.
func (m *Main) ensureAdminKey(ctx context.Context) error {
	n, err := m.store.CountAPIKeys(ctx)
	if err != nil || n > 0 {
		return err
	}
	secret := m.Config.InitialAPIKey
	if secret == "" {
		secret = tiny.NewAPIKeySecret()
	} else if len(secret) < tiny.MinAPIKeyLength || strings.ContainsAny(secret, " \t\r\n") {
		return fmt.Errorf("TINY_INITIAL_API_KEY must be at least %d characters without spaces", tiny.MinAPIKeyLength)
	}
	admin, err := m.store.UserByName(ctx, "admin")
	if tiny.IsCode(err, tiny.NotFound) {
		admin = &tiny.User{Name: "admin", Role: tiny.RoleAdmin}
		err = m.store.CreateUser(ctx, admin)
	}
	if err != nil {
		return err
	}
	key := &tiny.APIKey{UserID: admin.ID, Name: "initial admin key", Prefix: tiny.APIKeyDisplayPrefix(secret), Hash: tiny.HashAPIKey(secret)}
	if err := m.store.CreateAPIKey(ctx, key); err != nil {
		return err
	}
	if m.Config.InitialAPIKey == "" {
		fmt.Fprintf(m.stdout, "Created the admin API key (shown only this once):\n\n    %s\n\n", secret)
	} else {
		m.logger.Info("created the admin API key from TINY_INITIAL_API_KEY", "prefix", key.Prefix)
	}
	return nil
}
