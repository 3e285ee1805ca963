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
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/peterbourgon/ff/v3"
	"github.com/peterbourgon/ff/v3/ffcli"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"tiny/internal/abuse"
	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/analytics"
	"tiny/internal/ratelimit"
	"tiny/internal/shortener"
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
	// stopFollowing ends the background work: the subscription to the
	// store's change feed and the retention of raw clicks.
	stopFollowing context.CancelFunc
	enricher      *analytics.Enricher
	debug         *http.Server
	redis         *redis.Client

	// The link-safety check; nil with --safety=false.
	checker   *abuse.Checker
	feeds     *feed.Watcher // the blocklists
	allowed   *feed.Watcher // the allowlists
	rescanner *abuse.Rescanner
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
	store, err := openStore(ctx, cfg.Database)
	if err != nil {
		return fmt.Errorf("opening the database %s: %w", redactDSN(cfg.Database), err)
	}
	m.store = store
	var screener shortener.Screener
	if cfg.Safety {
		if err := m.startSafety(ctx); err != nil {
			return err
		}
		screener = m.checker
	}
	m.links, err = shortener.New(ctx, store, shortener.Config{
		URLPolicy: tiny.URLPolicy{OwnHosts: cfg.ownHosts(base),
			Destinations: tiny.DestinationRule{AllowPrivate: cfg.AllowPrivateDestinations}},
		IDBlockSize: cfg.IDBlockSize,
		CacheSize:   cfg.CacheSize,
		CacheTTL:    cfg.CacheTTL,
		Screener:    screener,
	}, newCodeKey)
	if err != nil {
		return fmt.Errorf("starting the link service: %w", err)
	}
	if err := m.ensureAdminKey(ctx); err != nil {
		return err
	}
	m.enricher, err = analytics.NewEnricher(analytics.EnricherConfig{
		GeoIPPath: cfg.GeoIPDB, Secrets: analytics.SettingSecrets(store), Logger: m.logger,
	})
	if err != nil {
		return fmt.Errorf("--geoip-db: %w", err)
	}
	m.clicks = analytics.NewRecorder(store, analytics.Config{
		QueueSize: cfg.ClickQueue, BatchSize: cfg.ClickBatch, FlushInterval: cfg.ClickFlush, Logger: m.logger,
		Enricher: m.enricher, Off: !cfg.Analytics, LowPriority: cfg.BackgroundLowPriority,
	})
	m.clicks.Start()
	var followCtx context.Context
	followCtx, m.stopFollowing = context.WithCancel(context.Background())
	go m.links.FollowChanges(followCtx, m.logger)
	go analytics.KeepRawClicks(followCtx, store, cfg.ClickRetention, time.Hour, m.logger)
	collectors := []prometheus.Collector{&abuse.Collector{Decisions: store.DecisionCounts, Logger: m.logger}}
	if m.checker != nil {
		m.rescanner = abuse.NewRescanner(abuse.RescanConfig{Links: store, Block: m.links.Block,
			LowPriority: cfg.BackgroundLowPriority, Logger: m.logger})
		go m.rescanner.Run(followCtx)
		if len(cfg.Blocklists) > 0 {
			// The feeds may have changed while this node was down.
			m.rescanner.Changed(m.feeds.Current())
			go func() { _ = m.feeds.Run(followCtx) }()
		}
		if len(cfg.Allowlists) > 0 {
			go func() { _ = m.allowed.Run(followCtx) }()
		}
		collectors[0] = &abuse.Collector{Checker: m.checker, Feeds: m.feeds, Rescanner: m.rescanner,
			Decisions: store.DecisionCounts, Logger: m.logger}
	}
	limiter, err := m.rateLimiter()
	if err != nil {
		return err
	}
	m.server, err = web.NewServer(web.Config{
		BaseURL:      base,
		ReadTimeout:  cfg.ReadTimeout,
		WriteTimeout: cfg.WriteTimeout,
		IdleTimeout:  cfg.IdleTimeout,
		MaxBodyBytes: cfg.MaxBodyBytes,
		Logger:       m.logger,
		TrustProxy:   cfg.TrustProxy,
		RateLimiter:  limiter,
		Limits: web.Limits{
			PerIP:  ratelimit.Limit(cfg.RateIP),
			PerKey: ratelimit.Limit(cfg.RateKey),
			Create: ratelimit.Limit(cfg.RateCreate),
			Report: ratelimit.Limit(cfg.RateReport),
		},
		Collectors: collectors,
	}, m.links, store, m.clicks)
	if err != nil {
		return err
	}
	m.listener, err = net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if cfg.DebugAddr != "" {
		if err := m.serveDebug(cfg.DebugAddr); err != nil {
			return err
		}
	}
	go func() { m.serveErr <- m.server.Serve(m.listener) }()
	m.logger.Info("tiny is serving", "addr", m.listener.Addr().String(), "base_url", base.String(), "database", redactDSN(cfg.Database))
	return nil
}

// startSafety loads the URL model and the blocklist feeds and builds the
// check every new link goes through. A feed that cannot be loaded is
// logged and retried on schedule: a feed's outage must not keep a node
// down.
func (m *Main) startSafety(ctx context.Context) error {
	cfg := m.Config
	var err error
	m.feeds, err = feed.New(cfg.Blocklists, cfg.BlocklistEvery, feed.Options{}, m.logger,
		func(set *feed.Set) { m.rescanner.Changed(set) })
	if err != nil {
		return fmt.Errorf("--blocklist: %w", err)
	}
	if err := m.feeds.Load(ctx); err != nil {
		m.logger.Error("a blocklist feed could not be loaded; retrying on schedule", "err", err)
	}
	m.allowed, err = feed.New(cfg.Allowlists, cfg.BlocklistEvery, feed.Options{}, m.logger, nil)
	if err != nil {
		return fmt.Errorf("--allowlist: %w", err)
	}
	if err := m.allowed.Load(ctx); err != nil {
		m.logger.Error("an allowlist feed could not be loaded; retrying on schedule", "err", err)
	}
	m.checker = abuse.NewChecker(abuse.CheckerConfig{
		Model: urlscore.Default(), Feeds: m.feeds.Current, Allow: m.allowed.Current, History: m.store,
		BlockThreshold: cfg.BlockThreshold, ReviewThreshold: cfg.ReviewThreshold,
	})
	block, review := m.checker.Thresholds()
	m.logger.Info("link safety check on", "blocklists", len(cfg.Blocklists), "block_threshold", block, "review_threshold", review)
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
	if m.stopFollowing != nil {
		m.stopFollowing()
	}
	if m.enricher != nil {
		errs = append(errs, m.enricher.Close())
	}
	if m.links != nil {
		m.links.Close()
	}
	if m.redis != nil {
		errs = append(errs, m.redis.Close())
	}
	if m.debug != nil {
		errs = append(errs, m.debug.Close())
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	return errors.Join(errs...)
}

// rateLimiter returns the limiter of the API's rate limits: shared through
// Redis when --redis is set (failing open when Redis is down), per node
// otherwise.
func (m *Main) rateLimiter() (ratelimit.Limiter, error) {
	if m.Config.Redis == "" {
		return ratelimit.NewLocal(100_000), nil
	}
	opts, err := ratelimit.RedisOptions(m.Config.Redis)
	if err != nil {
		return nil, fmt.Errorf("--redis: %w", err)
	}
	// go-redis logs every failed dial itself; FailOpen already reports an
	// outage, once per interval, so the library's own lines go to debug.
	redis.SetLogger(redisLogger{m.logger})
	m.redis = redis.NewClient(opts)
	return ratelimit.FailOpen(ratelimit.NewRedis(m.redis), m.logger), nil
}

type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, args ...any) {
	l.log.DebugContext(ctx, "redis", "msg", fmt.Sprintf(format, args...))
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

// redactDSN hides the password of a database URL, for logs and errors.
func redactDSN(dsn string) string {
	if !isPostgresURL(dsn) {
		return dsn
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "postgres://…"
	}
	return u.Redacted()
}

// serveDebug serves Go's profiler on its own listener, apart from the
// public one, so it is never reachable through the service's address.
func (m *Main) serveDebug(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--debug-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	m.debug = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = m.debug.Serve(ln) }()
	m.logger.Info("profiler listening", "addr", ln.Addr().String())
	return nil
}
