package accounts

import (
	"context"
	"crypto/sha256"
	"sync/atomic"
	"time"

	"tiny/internal/tiny"
)

// entry is a cached credential: an API key or a session, with its user.
type entry struct {
	principal Principal
	// lastSeen is the latest use of a session this node knows of, and
	// written when this node last wrote a use (a key's LastUsedAt, a
	// session's LastSeenAt) to the store; both unix nanoseconds.
	lastSeen atomic.Int64
	written  atomic.Int64
}

// matches reports whether c makes the entry stale.
func (e *entry) matches(c tiny.AccountChange) bool {
	p := &e.principal
	switch c.Kind {
	case tiny.ChangedUser:
		return p.User.ID == c.ID
	case tiny.ChangedKey:
		return p.Key != nil && p.Key.ID == c.ID
	case tiny.ChangedSession:
		return p.Session != nil && p.Session.ID == c.ID
	}
	return false
}

// hashToken returns the hash a key's secret or a session's token is
// stored and cached under. Both are long and random, so a fast hash is
// enough.
func hashToken(token string) [sha256.Size]byte { return sha256.Sum256([]byte(token)) }

// AuthenticateKey returns the principal of an API key secret (the bearer
// token of a request). From the cache it reads nothing from the store; a
// miss reads the key and its user in one query. The key's last use is
// written at most once per TouchInterval. Unauthorized when the key is
// unknown or revoked, has expired, or its user is disabled.
func (s *Service) AuthenticateKey(ctx context.Context, secret string) (*Principal, error) {
	if secret == "" {
		return nil, tiny.Errorf(tiny.Unauthorized, "send an API key as 'Authorization: Bearer <key>'")
	}
	e, _, err := s.credential(ctx, hashToken(secret), true)
	if err != nil {
		return nil, err
	}
	p := &e.principal
	now := s.now()
	switch {
	case p.User.Disabled:
		return nil, tiny.Errorf(tiny.Unauthorized, "the account is disabled")
	case p.Key.Expired(now):
		return nil, tiny.Errorf(tiny.Unauthorized, "the API key has expired")
	}
	if s.touchDue(e, now) {
		_ = s.store.TouchAPIKey(ctx, p.Key.ID, now) // see touchDue
	}
	return p, nil
}

// AuthenticateSession returns the principal of a session token (the
// cookie's value), as AuthenticateKey does for keys, and marks the session
// used. A session idle for longer than SessionIdle, or older than
// SessionLifetime, has ended. Unauthorized when the session is unknown,
// ended, or its user is disabled.
func (s *Service) AuthenticateSession(ctx context.Context, token string) (*Principal, error) {
	if token == "" {
		return nil, errNoSession()
	}
	h := hashToken(token)
	e, fresh, err := s.credential(ctx, h, false)
	if err != nil {
		return nil, err
	}
	now := s.now()
	if !fresh && s.idle(e, now) {
		// Idle as far as this node knows; another node may have seen it
		// since. Ask the store once.
		s.cache.Invalidate(h)
		if e, _, err = s.credential(ctx, h, false); err != nil {
			return nil, err
		}
	}
	p := &e.principal
	switch {
	case !now.Before(p.Session.ExpiresAt) || s.idle(e, now):
		s.cache.Invalidate(h)
		return nil, tiny.Errorf(tiny.Unauthorized, "the session has ended; sign in again")
	case p.User.Disabled:
		return nil, tiny.Errorf(tiny.Unauthorized, "the account is disabled")
	}
	seen := now.UnixNano()
	for last := e.lastSeen.Load(); seen > last && !e.lastSeen.CompareAndSwap(last, seen); last = e.lastSeen.Load() {
	}
	if s.touchDue(e, now) {
		_ = s.store.TouchSession(ctx, p.Session.ID, now) // see touchDue
	}
	return p, nil
}

func errNoSession() error { return tiny.Errorf(tiny.Unauthorized, "sign in first") }

// idle reports whether the session of e has been idle for SessionIdle.
func (s *Service) idle(e *entry, now time.Time) bool {
	return now.UnixNano()-e.lastSeen.Load() >= int64(s.cfg.SessionIdle)
}

// touchDue reports whether this request writes the use of e's credential
// to the store: it does unless this node wrote one less than
// TouchInterval ago, and of concurrent requests only one does. A failed
// write is not the request's failure; the next one a minute later tries
// again.
func (s *Service) touchDue(e *entry, now time.Time) bool {
	last := e.written.Load()
	return now.UnixNano()-last >= int64(s.cfg.TouchInterval) && e.written.CompareAndSwap(last, now.UnixNano())
}

// credential returns the cached entry of hash h, or loads it (the key of
// that hash when key, else the session) and caches it; fresh tells whether
// it was loaded now.
func (s *Service) credential(ctx context.Context, h [sha256.Size]byte, key bool) (e *entry, fresh bool, err error) {
	if e, ok := s.cache.GetIfPresent(h); ok {
		return e, false, nil
	}
	epoch := s.epoch.Load()
	hash := h // a copy: the store keeps h[:], which would move h to the heap on every call
	if key {
		e, err = s.loadKey(ctx, hash[:])
	} else {
		e, err = s.loadSession(ctx, hash[:])
	}
	if err != nil {
		return nil, false, err
	}
	s.cache.Set(h, e)
	// An invalidation that ran while the store was read may have been
	// about this very credential, and found nothing to drop: drop it
	// now, to be read afresh next time.
	if s.epoch.Load() != epoch {
		s.cache.Invalidate(h)
	}
	return e, true, nil
}

// loadKey reads the key with hash h and its user.
func (s *Service) loadKey(ctx context.Context, h []byte) (*entry, error) {
	k, u, err := s.store.APIKeyByHash(ctx, h)
	if tiny.IsCode(err, tiny.NotFound) {
		return nil, tiny.Errorf(tiny.Unauthorized, "the API key is not valid")
	}
	if err != nil {
		return nil, err
	}
	e := &entry{principal: Principal{User: u, Key: k}}
	if k.LastUsedAt != nil {
		e.written.Store(k.LastUsedAt.UnixNano())
	}
	return e, nil
}

// loadSession reads the session with token hash h and its user.
func (s *Service) loadSession(ctx context.Context, h []byte) (*entry, error) {
	sess, u, err := s.store.SessionByTokenHash(ctx, h)
	if tiny.IsCode(err, tiny.NotFound) {
		return nil, tiny.Errorf(tiny.Unauthorized, "the session has ended; sign in again")
	}
	if err != nil {
		return nil, err
	}
	e := &entry{principal: Principal{User: u, Session: sess}}
	e.lastSeen.Store(sess.LastSeenAt.UnixNano())
	e.written.Store(sess.LastSeenAt.UnixNano())
	return e, nil
}

// invalidate drops the cached credentials that changes make stale.
func (s *Service) invalidate(changes []tiny.AccountChange) {
	s.epoch.Add(1)
	var stale [][sha256.Size]byte
	for h, e := range s.cache.All() {
		for _, c := range changes {
			if e.matches(c) {
				stale = append(stale, h)
				break
			}
		}
	}
	for _, h := range stale {
		s.cache.Invalidate(h)
	}
}

// invalidateAll drops every cached credential.
func (s *Service) invalidateAll() {
	s.epoch.Add(1)
	s.cache.InvalidateAll()
}
