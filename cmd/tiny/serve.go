package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/url"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"tiny/internal/abuse"
	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/follow"
	"tiny/internal/abuse/safebrowsing"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/accounts"
	"tiny/internal/analytics"
	"tiny/internal/clickpipe"
	"tiny/internal/ratelimit"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
	"tiny/internal/web"
)

func serveCommand(std streams) *cobra.Command {
	cfg := DefaultConfig()
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "run the shortener: redirects, API and pages",
		Long: "Runs the service. With no flags it keeps its data in ./tiny.db and listens on\n" +
			"127.0.0.1:8080. On the first start it creates an admin API key and prints it once.",
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			fixed, err := applyConfigFile(cmd.Flags(), cfg.ConfigFile)
			if err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			m := NewMain(cfg, std.stdout, std.stderr)
			m.fixed = fixed
			// Only the program itself can start its click writer;
			// tests that run a Main in their own process write inline.
			if exe, err := os.Executable(); err == nil {
				m.executable = exe
			}
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
	cfg.register(cmd.Flags())
	return withEnv(cmd)
}

// Main is one running tiny process. Tests start the real program through it.
type Main struct {
	Config Config
	stdout io.Writer
	logger *slog.Logger
	level  *slog.LevelVar // the logger's; Reload sets it
	// fixed are the flags set by the command line or the environment,
	// which outrank --config on a reload as at start.
	fixed   map[string]bool
	hangups chan os.Signal // SIGHUP: Reload

	store tiny.Store
	links *shortener.Service
	// accounts keeps users, keys and sessions and says who a request is
	// from.
	accounts *accounts.Service
	signIns  *accounts.SignIns
	clicks   *analytics.Recorder
	// clickWriter is the child process that writes the clicks of an
	// SQLite file (clickwriter.go); nil when they are written inline.
	clickWriter *clickpipe.Writer
	// executable is this program, which can be started as the click
	// writer; empty in tests that run a Main in their own process.
	executable string
	stderr     io.Writer
	server     *web.Server
	listener   net.Listener
	serveErr   chan error
	enricher   *analytics.Enricher
	debug      *http.Server
	redis      *redis.Client

	// background is the work Run starts besides serving (the change feed,
	// raw-click retention, rescans, feed reloads, SIGHUP); Close cancels it
	// through stopBackground and waits for it before it closes the store.
	background     sync.WaitGroup
	backgroundCtx  context.Context
	stopBackground context.CancelFunc
	// wrapStore, if set, wraps the store Run opens (tests watch its calls).
	wrapStore func(tiny.Store) tiny.Store

	closeOnce sync.Once
	closeErr  error

	// The moderators' destination blocks, enforced with or without the
	// safety check.
	destinations *abuse.Destinations
	// The link-safety check; nil with --safety=false.
	checker   *abuse.Checker
	feeds     *feed.Watcher // the blocklists
	allowed   *feed.Watcher // the allowlists
	rescanner *abuse.Rescanner
	// follower follows new links' destinations (cmd/tiny/follow.go); nil
	// when there is nothing to follow.
	follower *follow.Follower
	// The Google Safe Browsing lists; nil without --safebrowsing-key.
	safebrowsing *safebrowsing.Client
}

// NewMain returns a Main that logs to stderr and prints the first admin key
// to stdout.
func NewMain(cfg Config, stdout, stderr io.Writer) *Main {
	level := new(slog.LevelVar)
	return &Main{Config: cfg, stdout: stdout, stderr: stderr, logger: newLogger(cfg, stderr, level), level: level, serveErr: make(chan error, 1)}
}

// newLogger returns the logger of cfg, which sets level to cfg.LogLevel;
// changing level later changes what the logger writes.
func newLogger(cfg Config, w io.Writer, level *slog.LevelVar) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		l = slog.LevelInfo
	}
	level.Set(l)
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// Run opens the store, prepares the first admin key, and starts serving.
// It returns once the listener is open; Addr then gives its address.
func (m *Main) Run(ctx context.Context) error {
	// Caught from the start: a SIGHUP must never kill the process, and one
	// that comes during the start is handled once the reloader runs.
	m.hangups = make(chan os.Signal, 1)
	signal.Notify(m.hangups, syscall.SIGHUP)
	m.backgroundCtx, m.stopBackground = context.WithCancel(context.Background())
	base, err := m.Config.baseURL()
	if err != nil {
		return err
	}
	if err := m.startServices(ctx, base); err != nil {
		return err
	}
	if err := m.ensureAdminKey(ctx); err != nil {
		return err
	}
	if m.signIns, err = m.startSignIn(ctx, base, m.accounts); err != nil {
		return err
	}
	if err := m.startAnalytics(); err != nil {
		return err
	}
	collectors := append(m.startBackground(), m.runFollower()...)
	// Last, once everything a reload touches is in place.
	m.goBackground(m.reloadOnHangup)
	return m.startServer(base, collectors)
}

// startServices opens the store and starts the link and accounts services
// as serve runs them, the safety check included: tiny import builds them
// the same way, so every imported destination is screened as a new link.
func (m *Main) startServices(ctx context.Context, base *url.URL) error {
	if err := m.openDatabase(ctx); err != nil {
		return err
	}
	if err := m.startLinks(ctx, base); err != nil {
		return err
	}
	return m.startAccounts(ctx)
}

// openDatabase opens the store of --database.
func (m *Main) openDatabase(ctx context.Context) error {
	store, err := openStore(ctx, m.Config.Database)
	if err != nil {
		return fmt.Errorf("opening the database %s: %w", redactDSN(m.Config.Database), err)
	}
	if m.wrapStore != nil {
		store = m.wrapStore(store)
	}
	m.store = store
	return nil
}

// startLinks starts the link service, behind the moderators' destination
// blocks and, unless --safety=false, the link-safety check.
func (m *Main) startLinks(ctx context.Context, base *url.URL) error {
	cfg := m.Config
	if err := m.startDestinations(ctx); err != nil {
		return err
	}
	var screener shortener.Screener = m.destinations // moderators' blocks hold with the check off too
	if cfg.Safety {
		if err := m.startSafety(ctx); err != nil {
			return err
		}
		screener = m.checker
	}
	followed, err := m.startFollower()
	if err != nil {
		return err
	}
	m.links, err = shortener.New(ctx, m.store, shortener.Config{
		URLPolicy: tiny.URLPolicy{OwnHosts: cfg.ownHosts(base),
			Destinations: tiny.DestinationRule{AllowPrivate: cfg.AllowPrivateDestinations}},
		IDBlockSize: cfg.IDBlockSize,
		CacheSize:   cfg.CacheSize,
		CacheTTL:    cfg.CacheTTL,
		Screener:    screener,
		Followed:    followed,
	}, newCodeKey)
	if err != nil {
		return fmt.Errorf("starting the link service: %w", err)
	}
	return nil
}

// startAccounts starts the accounts service, which the links' service
// tells nothing but is told of links deleted with their owner.
func (m *Main) startAccounts(ctx context.Context) error {
	var err error
	m.accounts, err = accounts.New(ctx, accounts.Config{
		Store:           m.store,
		SessionIdle:     m.Config.SessionIdle,
		SessionLifetime: m.Config.SessionLifetime,
		LinksDeleted:    m.links.Invalidate,
		Audit:           m.audit,
	})
	if err != nil {
		return fmt.Errorf("starting the accounts service: %w", err)
	}
	return nil
}

// sessionPurgeInterval is how often ended sessions are deleted. An ended
// session is refused whether or not it was purged; purging keeps the
// table small.
const sessionPurgeInterval = time.Hour

// purgeSessions deletes ended sessions every sessionPurgeInterval until
// ctx ends.
func (m *Main) purgeSessions(ctx context.Context) {
	t := time.NewTicker(sessionPurgeInterval)
	defer t.Stop()
	for {
		if n, err := m.accounts.PurgeExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			m.logger.Warn("purging ended sessions", "err", err)
		} else if n > 0 {
			m.logger.Debug("purged ended sessions", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// startAnalytics starts the click recorder and its enricher.
func (m *Main) startAnalytics() error {
	cfg := m.Config
	var err error
	m.enricher, err = analytics.NewEnricher(analytics.EnricherConfig{
		GeoIPPath: cfg.GeoIPDB, Secrets: analytics.SettingSecrets(m.store), Logger: m.logger,
		IPv6Prefix: int(cfg.IPv6Prefix), // one subscriber's network is one visitor, as in rate limits
	})
	if err != nil {
		return fmt.Errorf("--geoip-db: %w", err)
	}
	var writer analytics.ClickWriter = m.store
	lowPriority, writeTimeout := cfg.BackgroundLowPriority, time.Duration(0)
	if cfg.Analytics && cfg.ClickProcess && m.executable != "" && !isPostgresURL(cfg.Database) {
		w, err := startClickWriter(context.Background(), m.executable, cfg, m.stderr)
		if err != nil {
			m.logger.Warn("the click writer process did not start; writing clicks in this process", "err", err)
		} else {
			m.clickWriter, writer = w, w
			// Statistics ask the child to roll up what it holds, rather
			// than read its clicks back from the file here.
			if d, ok := m.store.(interface {
				DelegateRollUps(func(context.Context) error)
			}); ok {
				d.DelegateRollUps(func(ctx context.Context) error {
					ctx, cancel := context.WithTimeout(ctx, clickWriterRollUpTimeout)
					defer cancel()
					return w.RollUp(ctx)
				})
			}
			// The child has the lowest priority; this side only enriches
			// and hands batches over, and must not hold a P on a thread
			// the kernel puts behind the child's.
			lowPriority = false
			// A child starved on a saturated node takes as long as it
			// takes over a batch; the writer kills only a hung one.
			writeTimeout = -1
		}
	}
	m.clicks = analytics.NewRecorder(writer, analytics.Config{
		QueueSize: cfg.ClickQueue, BatchSize: clickBatch(cfg.ClickBatch, m.clickWriter != nil), FlushInterval: cfg.ClickFlush, Logger: m.logger,
		Enricher: m.enricher, Off: !cfg.Analytics, LowPriority: lowPriority, WriteTimeout: writeTimeout,
	})
	m.clicks.Start()
	return nil
}

// The default click batch sizes. Written in this process, a batch holds one
// of Go's Ps while SQLite works, so it stays small; the child process holds
// none of the server's, and there a bigger batch writes fewer packs and
// commits per click (about a quarter of the child's CPU per click at 16,000
// clicks/s, docs/decisions.md).
const (
	clickBatchInProcess = 10_000
	clickBatchChild     = 50_000
)

// clickBatch is the batch size --click-batch asks for, its default when 0.
func clickBatch(flag int, child bool) int {
	switch {
	case flag > 0:
		return flag
	case child:
		return clickBatchChild
	default:
		return clickBatchInProcess
	}
}

// startBackground starts the work that runs beside serving, and returns
// the metrics of link safety.
func (m *Main) startBackground() []prometheus.Collector {
	cfg, store := m.Config, m.store
	m.goBackground(func(ctx context.Context) { m.links.FollowChanges(ctx, m.logger) })
	m.goBackground(func(ctx context.Context) { m.accounts.FollowChanges(ctx, m.logger) })
	m.goBackground(m.purgeSessions)
	m.goBackground(func(ctx context.Context) {
		analytics.KeepRawClicks(ctx, store, cfg.ClickRetention, time.Hour, m.logger)
	})
	m.rescanner = abuse.NewRescanner(abuse.RescanConfig{Links: store, Block: m.links.Block,
		LowPriority: cfg.BackgroundLowPriority, Logger: m.logger})
	m.goBackground(m.rescanner.Run)
	m.goBackground(m.destinations.Follow)
	if m.checker != nil && len(cfg.Blocklists) > 0 || m.destinations.Current().Len() > 0 {
		// The lists may have changed while this node was down.
		m.rescanner.Changed(m.blocklist())
	}
	if m.checker == nil {
		return []prometheus.Collector{&abuse.Collector{Rescanner: m.rescanner, Destinations: m.destinations,
			Decisions: store.DecisionCounts, Logger: m.logger}}
	}
	if len(cfg.Blocklists) > 0 {
		m.goBackground(func(ctx context.Context) { _ = m.feeds.Run(ctx) })
	}
	if len(cfg.Allowlists) > 0 {
		m.goBackground(func(ctx context.Context) { _ = m.allowed.Run(ctx) })
	}
	collectors := []prometheus.Collector{&abuse.Collector{Checker: m.checker, Feeds: m.feeds, Rescanner: m.rescanner,
		Destinations: m.destinations, Decisions: store.DecisionCounts, Logger: m.logger}}
	if m.safebrowsing != nil {
		m.goBackground(m.safebrowsing.Run)
		collectors = append(collectors, m.safebrowsing)
	}
	return collectors
}

// goBackground runs f until Close, which cancels its context and waits for
// it to return before it closes the store.
func (m *Main) goBackground(f func(ctx context.Context)) {
	m.background.Go(func() { f(m.backgroundCtx) })
}

// startServer opens the listener and serves on it.
func (m *Main) startServer(base *url.URL, collectors []prometheus.Collector) error {
	cfg := m.Config
	limiter, err := m.rateLimiter()
	if err != nil {
		return err
	}
	m.server, err = web.NewServer(web.Config{
		BaseURL:        base,
		ReadTimeout:    cfg.ReadTimeout,
		WriteTimeout:   cfg.WriteTimeout,
		IdleTimeout:    cfg.IdleTimeout,
		MaxBodyBytes:   cfg.MaxBodyBytes,
		Logger:         m.logger,
		TrustedProxies: cfg.TrustProxy,
		IPv6Prefix:     int(cfg.IPv6Prefix),
		RateLimiter:    limiter,
		Limits: web.Limits{
			PerIP:  ratelimit.Limit(cfg.RateIP),
			PerKey: ratelimit.Limit(cfg.RateKey),
			Create: ratelimit.Limit(cfg.RateCreate),
			Report: ratelimit.Limit(cfg.RateReport),

			PasswordPerIP:   ratelimit.Limit(cfg.RatePasswordIP),
			PasswordPerLink: ratelimit.Limit(cfg.RatePasswordLink),
		},
		Collectors:   collectors,
		Destinations: m.destinations,
		Feeds:        m.feeds.Status,
		Accounts:     m.accounts,
		SignIns:      m.signIns,
		Settings:     m.adminSettings(base.String()),
	}, m.links, m.store, m.clicks)
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
		func(*feed.Set) { m.rescanner.Changed(m.checker) })
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
	if err := m.startSafeBrowsing(); err != nil {
		return err
	}
	m.checker = abuse.NewChecker(abuse.CheckerConfig{
		Model: urlscore.Default(), Feeds: m.feeds.Current, Allow: m.allowed.Current, History: m.store,
		Destinations: m.destinations.Current, Threats: m.threatList(),
		BlockThreshold: cfg.BlockThreshold, ReviewThreshold: cfg.ReviewThreshold,
	})
	block, review := m.checker.Thresholds()
	m.logger.Info("link safety check on", "blocklists", len(cfg.Blocklists), "block_threshold", block, "review_threshold", review)
	return nil
}

// Addr is the address the server listens on.
func (m *Main) Addr() string { return m.listener.Addr().String() }

// Close shuts down gracefully, in order: the server stops accepting and
// finishes in-flight requests, queued clicks are written, the background
// work is cancelled and waited for, and only then is the store closed. A
// second call returns the first one's result.
func (m *Main) Close() error {
	m.closeOnce.Do(func() { m.closeErr = m.close() })
	return m.closeErr
}

func (m *Main) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), m.Config.ShutdownTimeout)
	defer cancel()
	var errs []error
	if m.server != nil && m.listener != nil {
		errs = append(errs, m.server.Shutdown(ctx))
	}
	if m.clicks != nil {
		errs = append(errs, m.clicks.Close(ctx))
	}
	if m.clickWriter != nil {
		// After the recorder's last batch, before the store: the child
		// rolls up and closes its connection to the file first.
		errs = append(errs, m.clickWriter.Close(ctx))
	}
	if m.stopBackground != nil {
		m.stopBackground()
		errs = append(errs, m.waitBackground(ctx))
	}
	if m.hangups != nil {
		signal.Stop(m.hangups)
	}
	if m.enricher != nil {
		errs = append(errs, m.enricher.Close())
	}
	if m.links != nil {
		m.links.Close()
	}
	if m.accounts != nil {
		m.accounts.Close()
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

// waitBackground waits for the background work to return, or for ctx.
func (m *Main) waitBackground(ctx context.Context) error {
	done := make(chan struct{})
	go func() {
		m.background.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return errors.New("background work still running at the end of --shutdown-timeout; closing the store under it")
	}
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

// ensureAdminKey creates the admin user and its first key, with every
// scope, when the instance has no key at all, and prints the secret once.
// TINY_INITIAL_API_KEY chooses the secret instead.
func (m *Main) ensureAdminKey(ctx context.Context) error {
	n, err := m.store.CountAPIKeys(ctx)
	if err != nil || n > 0 {
		return err
	}
	chosen := m.Config.InitialAPIKey
	admin, err := m.store.UserByName(ctx, "admin")
	if tiny.IsCode(err, tiny.NotFound) {
		// The handle keys and the CLI know; an operator command gives it
		// an email and a password later, if ever.
		admin = &tiny.User{Name: "admin", Role: tiny.RoleAdmin}
		err = m.store.CreateUser(ctx, admin)
		if tiny.IsCode(err, tiny.Conflict) {
			// Another node of a cluster starting at the same moment made it.
			admin, err = m.store.UserByName(ctx, "admin")
		}
	}
	if err != nil {
		return err
	}
	k, secret, err := m.accounts.CreateKey(ctx, accounts.As(admin), accounts.NewKey{
		Name: "initial admin key", Scopes: accounts.RoleScopes(tiny.RoleAdmin), Secret: chosen})
	if chosen != "" && tiny.IsCode(err, tiny.Conflict) {
		return nil // the key exists: another node starting at the same moment made it
	}
	if tiny.ErrorFieldOf(err) == "secret" {
		return fmt.Errorf("TINY_INITIAL_API_KEY: %s", tiny.ErrorMessageOf(err))
	}
	if err != nil {
		return err
	}
	if chosen == "" {
		fmt.Fprintf(m.stdout, "Created the admin API key (shown only this once):\n\n    %s\n\n", secret)
	} else {
		m.logger.Info("created the admin API key from TINY_INITIAL_API_KEY", "prefix", k.Prefix)
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
