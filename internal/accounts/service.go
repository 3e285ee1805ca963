package accounts

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"log/slog"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/maypok86/otter/v2/stats"

	"tiny/internal/tiny"
)

// Config configures a Service. Zero values take the defaults noted.
type Config struct {
	// Store keeps users, sessions and keys.
	Store tiny.Store
	// Now returns the current time (time.Now); tests move it.
	Now func() time.Time

	// SessionIdle ends a session not used for this long (7 days).
	SessionIdle time.Duration
	// SessionLifetime ends a session this long after sign-in, however
	// much it is used (30 days).
	SessionLifetime time.Duration
	// SecondFactorTimeout is how long a password sign-in waits for the
	// second factor (5 minutes).
	SecondFactorTimeout time.Duration

	// Argon2 is the cost of password hashes (DefaultArgon2Params).
	Argon2 Argon2Params
	// HashConcurrency bounds the password hashes computed at once, and so
	// their memory (GOMAXPROCS).
	HashConcurrency int

	// CacheSize bounds the credentials (keys and sessions) cached (10,000).
	CacheSize int
	// CacheTTL is how long a credential stays cached (1 minute). Changes
	// made through the store reach the cache at once through the store's
	// account feed; the TTL bounds how long one made around it (by another
	// process on the same SQLite file) goes unseen.
	CacheTTL time.Duration
	// TouchInterval is how often, at most, a key's last use or a session's
	// last activity is written to the store, per node (1 minute).
	TouchInterval time.Duration

	// LinksDeleted is called with the short names of the links deleted
	// with their owner, for the redirect cache to drop them (the
	// shortener's Invalidate). Nil: nobody is told.
	LinksDeleted func(names ...string)

	// Audit receives the account changes made outside a sign-in (a
	// password changed by its user or by the operator, a second factor
	// removed by the operator), as SignInConfig.Audit receives the
	// sign-ins. Nil: they are not recorded.
	Audit func(ctx context.Context, e AuthEvent)
}

func (c *Config) defaults() {
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.SessionIdle <= 0 {
		c.SessionIdle = 7 * 24 * time.Hour
	}
	if c.SessionLifetime <= 0 {
		c.SessionLifetime = 30 * 24 * time.Hour
	}
	if c.SecondFactorTimeout <= 0 {
		c.SecondFactorTimeout = 5 * time.Minute
	}
	if c.Argon2 == (Argon2Params{}) {
		c.Argon2 = DefaultArgon2Params()
	}
	if c.HashConcurrency <= 0 {
		c.HashConcurrency = runtime.GOMAXPROCS(0)
	}
	if c.CacheSize <= 0 {
		c.CacheSize = 10_000
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = time.Minute
	}
	if c.TouchInterval <= 0 {
		c.TouchInterval = time.Minute
	}
}

// Service owns users, roles, sessions and API keys: it validates, asks the
// policy, and keeps the store and the credential cache in step. It is safe
// for concurrent use.
type Service struct {
	cfg    Config
	store  tiny.Store
	hasher *hasher
	// signKey authenticates the tokens of sign-ins waiting for a second
	// factor; it is shared by every node through the store's settings.
	signKey []byte

	cache *otter.Cache[[sha256.Size]byte, *entry]
	// epoch counts invalidations, so a credential read from the store
	// while one ran is not cached (see credential).
	epoch atomic.Uint64
}

// signKeySetting names the setting that holds signKey.
const signKeySetting = "accounts_sign_in_key"

// New returns a Service. It reads (or creates, on the first start) the key
// that signs pending sign-ins.
func New(ctx context.Context, cfg Config) (*Service, error) {
	cfg.defaults()
	fresh := make([]byte, 32)
	_, _ = rand.Read(fresh)
	key, err := cfg.Store.Setting(ctx, signKeySetting, fresh)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, store: cfg.Store, hasher: newHasher(cfg.Argon2, cfg.HashConcurrency), signKey: key}
	s.cache, err = otter.New(&otter.Options[[sha256.Size]byte, *entry]{
		MaximumSize:      cfg.CacheSize,
		ExpiryCalculator: otter.ExpiryWriting[[sha256.Size]byte, *entry](cfg.CacheTTL),
		StatsRecorder:    stats.NewCounter(),
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// Close stops the cache's background work.
func (s *Service) Close() { s.cache.StopAllGoroutines() }

// Stats is a snapshot of the credential cache's counters.
type Stats struct {
	CacheHits, CacheMisses uint64
	CacheSize              int
}

// Stats returns the credential cache's counters.
func (s *Service) Stats() Stats {
	cs := s.cache.Stats()
	return Stats{CacheHits: cs.Hits, CacheMisses: cs.Misses, CacheSize: s.cache.EstimatedSize()}
}

// FollowChanges drops cached credentials as the store reports changes to
// them (tiny.AccountFeed): a disabled, changed or deleted user, a revoked
// key, an ended session, on whichever node it happened. When changes may
// have been missed it drops the whole cache: once the feed listens (the
// process served before it did) and after the feed reconnects. It runs
// until ctx ends; with a store that has no feed it returns at once.
func (s *Service) FollowChanges(ctx context.Context, logger *slog.Logger) {
	feed, ok := s.store.(tiny.AccountFeed)
	if !ok {
		return
	}
	listened := false
	err := feed.ListenAccountChanges(ctx, s.invalidate, func() {
		if listened {
			logger.Warn("the account feed reconnected; dropping every cached credential")
		}
		listened = true
		s.invalidateAll()
	})
	if err != nil && ctx.Err() == nil {
		logger.Error("the account feed stopped", "err", err)
	}
}

// now returns the current time.
func (s *Service) now() time.Time { return s.cfg.Now() }

// audit hands e to Config.Audit, if there is one.
func (s *Service) audit(ctx context.Context, e AuthEvent) {
	if s.cfg.Audit != nil {
		s.cfg.Audit(ctx, e)
	}
}
