package analytics

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"log/slog"
	"net/netip"
	"slices"
	"sync"
	"time"

	"tiny/internal/clientaddr"
	"tiny/internal/tiny"
)

// SecretStore keeps the daily secrets of the visitor hash where every node
// of a cluster finds them, so that a visitor counts once across nodes. Days
// are UTC dates written "2006-01-02".
type SecretStore interface {
	// DailySecret returns the secret of day. When there is none it stores
	// fresh and returns it; when several callers race, all of them get the
	// secret of the first. Errors: unavailable when the store cannot be
	// reached, internal otherwise.
	DailySecret(ctx context.Context, day string, fresh []byte) ([]byte, error)

	// DeleteDailySecret destroys the secret of day. Deleting a secret that
	// does not exist is not an error. Errors: unavailable when the store
	// cannot be reached, internal otherwise.
	DeleteDailySecret(ctx context.Context, day string) error
}

// visitorSecretSetting prefixes the setting that holds a day's secret.
const visitorSecretSetting = "visitor_secret:"

// SecretSettings is the part of a store that SettingSecrets needs: the
// get-or-create Setting of tiny.SettingStore and a way to delete a setting.
type SecretSettings interface {
	tiny.SettingStore

	// DeleteSetting removes the setting name. Removing a missing one is not
	// an error (a not_found error is taken as success all the same).
	DeleteSetting(ctx context.Context, name string) error
}

// SettingSecrets returns a SecretStore that keeps the secret of each day in
// the instance settings, under "visitor_secret:" followed by the day.
func SettingSecrets(s SecretSettings) SecretStore { return settingSecrets{s} }

type settingSecrets struct{ s SecretSettings }

func (s settingSecrets) DailySecret(ctx context.Context, day string, fresh []byte) ([]byte, error) {
	return s.s.Setting(ctx, visitorSecretSetting+day, fresh)
}

func (s settingSecrets) DeleteDailySecret(ctx context.Context, day string) error {
	err := s.s.DeleteSetting(ctx, visitorSecretSetting+day)
	if tiny.IsCode(err, tiny.NotFound) {
		return nil
	}
	return err
}

// MemorySecretStore is a SecretStore held in memory, for tests and for a
// single process. It is safe for concurrent use, so several hashers can
// share one to stand for the nodes of a cluster.
type MemorySecretStore struct {
	mu      sync.Mutex
	secrets map[string][]byte
}

// NewMemorySecretStore returns an empty MemorySecretStore.
func NewMemorySecretStore() *MemorySecretStore {
	return &MemorySecretStore{secrets: make(map[string][]byte)}
}

// DailySecret returns a copy of the secret of day, storing a copy of fresh
// first when there is none.
func (m *MemorySecretStore) DailySecret(ctx context.Context, day string, fresh []byte) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, tiny.Errorf(tiny.Unavailable, "daily secret: %v", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s, ok := m.secrets[day]
	if !ok {
		s = slices.Clone(fresh)
		m.secrets[day] = s
	}
	return slices.Clone(s), nil
}

// DeleteDailySecret overwrites the secret of day with zeros and forgets it.
func (m *MemorySecretStore) DeleteDailySecret(ctx context.Context, day string) error {
	if err := ctx.Err(); err != nil {
		return tiny.Errorf(tiny.Unavailable, "delete daily secret: %v", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	clear(m.secrets[day])
	delete(m.secrets, day)
	return nil
}

// Days returns the days that have a secret, in order.
func (m *MemorySecretStore) Days() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	days := make([]string, 0, len(m.secrets))
	for d := range m.secrets {
		days = append(days, d)
	}
	slices.Sort(days)
	return days
}

const (
	// secretSize is the length of a daily secret in bytes.
	secretSize = 32
	// dayLayout writes a day as SecretStore wants it.
	dayLayout = "2006-01-02"
	// sweepDays is how many days before yesterday each rotation deletes
	// from the store, so secrets left behind while no node was running,
	// or whose deletion failed, are destroyed a later day.
	sweepDays = 7
	// secretRetry is how long the hasher goes on with a node-local secret
	// after the store failed, before it asks the store again.
	secretRetry = time.Minute
	// storeTimeout bounds each call to the SecretStore.
	storeTimeout = 5 * time.Second
)

// VisitorHasher computes the visitor hash of a click: the first 8 bytes of
// HMAC-SHA256(secret of the day, IP bytes ‖ 0 ‖ user agent), read big
// endian. The same visitor gets the same hash all day, on every node that
// shares the SecretStore, and a different one the next day. The IP is the
// client's key (clientaddr.Policy.Key): an IPv6 address counts as its /64,
// as rate limits count it, so one subscriber's network is one visitor.
//
// Each UTC day has its own 32 random bytes, made by the first node that
// needs them (the store keeps the first writer's) and kept in memory after
// the first fetch. Once a day is older than yesterday its secret is
// overwritten with zeros, dropped from memory and deleted from the store:
// yesterday's hash can still be computed for a late click, but hashes of
// older days can never be linked to a visitor again. A click dated outside
// yesterday..tomorrow (by the hasher's clock) is hashed with a one-off
// secret, so it counts as a new visitor and links to nothing.
//
// When the store fails, the hasher logs it and uses a secret of its own for
// that day, asking the store again a minute later: uniques are then counted
// per node until the store is back, but no hash is ever computed without a
// secret.
//
// A VisitorHasher is not safe for concurrent use: it belongs to the one
// click worker goroutine, which is why it needs no lock.
type VisitorHasher struct {
	store  SecretStore
	logger *slog.Logger
	now    func() time.Time // the clock; tests replace it
	keys   clientaddr.Policy

	secrets map[string]*daySecret
	today   time.Time // UTC midnight of the last rotation, zero before

	// last is the secret the previous call used, and its date: the fast
	// path for the many clicks of the same day.
	last         *daySecret
	lastY, lastD int
	lastM        time.Month

	digest       hash.Hash
	msg          []byte // scratch for IP ‖ 0 ‖ UA; wiped after each use
	inner, outer [sha256.Size]byte
}

// NewVisitorHasher returns a hasher that keeps its daily secrets in store
// and hashes an IPv6 address as its first ipv6Prefix bits (0: 64). A nil
// logger means slog.Default(). Errors: invalid without a store or with a
// prefix length clientaddr.New refuses.
func NewVisitorHasher(store SecretStore, ipv6Prefix int, logger *slog.Logger) (*VisitorHasher, error) {
	if store == nil {
		return nil, tiny.Errorf(tiny.Invalid, "visitor hasher: no secret store")
	}
	keys, err := clientaddr.New(nil, ipv6Prefix)
	if err != nil {
		return nil, tiny.Errorf(tiny.Invalid, "visitor hasher: %v", err)
	}
	if logger == nil {
		logger = slog.Default()
	}
	return &VisitorHasher{
		store:   store,
		logger:  logger,
		now:     time.Now,
		keys:    keys,
		secrets: make(map[string]*daySecret),
		digest:  sha256.New(),
	}, nil
}

// daySecret is one day's key, held as the SHA-256 states after the HMAC
// inner and outer pads (key XOR ipad, key XOR opad): the key itself is not
// needed after that, and each hash saves two of its block computations.
// Both states are key material and are zeroed on destroy.
type daySecret struct {
	day          string
	date         time.Time
	inner, outer []byte    // marshaled sha256 states
	local        bool      // the store failed: this node made the secret alone
	retryAt      time.Time // when local, when to ask the store again
}

// newDaySecret derives the HMAC states of key with d, a SHA-256 digest,
// and leaves d reset.
func newDaySecret(d hash.Hash, day string, date time.Time, key []byte) *daySecret {
	var pad [sha256.BlockSize]byte
	defer clear(pad[:])
	state := func(xor byte) []byte {
		for i := range pad {
			pad[i] = xor
			if i < len(key) {
				pad[i] ^= key[i]
			}
		}
		d.Reset()
		d.Write(pad[:])
		// crypto/sha256 documents that its Hash marshals its state.
		b, err := d.(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			panic("sha256 state: " + err.Error())
		}
		d.Reset()
		return b
	}
	return &daySecret{day: day, date: date, inner: state(0x36), outer: state(0x5c)}
}

// destroy overwrites the key material with zeros.
func (s *daySecret) destroy() {
	clear(s.inner)
	clear(s.outer)
}

// Hash returns the visitor hash of (ip, ua) on the UTC date of day. An
// IPv6 address hashes as its network (/64 unless configured), an
// IPv4-mapped IPv6 address as its IPv4 address, and a zone is ignored. The
// IP is copied only into a scratch buffer, which is wiped before Hash
// returns.
func (h *VisitorHasher) Hash(day time.Time, ip netip.Addr, ua string) uint64 {
	s := h.secretFor(day)

	ip = h.keys.Key(ip).Addr()
	msg := h.msg[:0]
	switch {
	case ip.Is4():
		a := ip.As4()
		msg = append(msg, a[:]...)
	case ip.Is6():
		a := ip.As16()
		msg = append(msg, a[:]...)
	}
	msg = append(msg, 0)
	msg = append(msg, ua...)

	// HMAC-SHA256 (RFC 2104) from our own copies of the keyed states, so
	// that destroying a secret leaves no key-derived state in crypto/hmac.
	d := h.digest
	h.restore(s.inner)
	d.Write(msg)
	d.Sum(h.inner[:0])
	h.restore(s.outer)
	d.Write(h.inner[:])
	d.Sum(h.outer[:0])
	d.Reset()

	clear(msg)
	h.msg = msg[:0]
	clear(h.inner[:])
	if s.day == "" { // one-off secret of a day outside the window
		s.destroy()
	}
	v := binary.BigEndian.Uint64(h.outer[:8])
	clear(h.outer[:])
	return v
}

// restore sets the digest to a state made by newDaySecret.
func (h *VisitorHasher) restore(state []byte) {
	if err := h.digest.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		panic("sha256 state: " + err.Error())
	}
}

// secretFor returns the secret of day's UTC date.
func (h *VisitorHasher) secretFor(day time.Time) *daySecret {
	y, m, d := day.UTC().Date()
	if s := h.last; s != nil && !s.local && y == h.lastY && m == h.lastM && d == h.lastD {
		return s
	}

	now := h.now()
	today := midnight(now)
	if !today.Equal(h.today) {
		ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
		if err := h.rotate(ctx, today); err != nil {
			h.logger.Warn("deleting old visitor secrets failed; a later rotation retries", "code", tiny.ErrorCodeOf(err), "err", err)
		}
		cancel()
	}

	date := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if date.Before(today.AddDate(0, 0, -1)) || date.After(today.AddDate(0, 0, 1)) {
		key := make([]byte, secretSize)
		rand.Read(key)
		s := newDaySecret(h.digest, "", date, key)
		clear(key)
		return s
	}
	name := date.Format(dayLayout)
	s := h.secrets[name]
	if s == nil || (s.local && !now.Before(s.retryAt)) {
		s = h.fetch(name, date, s, now)
	}
	h.last, h.lastY, h.lastM, h.lastD = s, y, m, d
	return s
}

// fetch gets the secret of day from the store, creating it there when it is
// missing. old is the node-local secret in use when the store last failed.
func (h *VisitorHasher) fetch(day string, date time.Time, old *daySecret, now time.Time) *daySecret {
	fresh := make([]byte, secretSize)
	rand.Read(fresh)
	defer clear(fresh)

	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	got, err := h.store.DailySecret(ctx, day, fresh)
	cancel()
	if err == nil && len(got) != secretSize {
		err = tiny.Errorf(tiny.Internal, "daily secret of %s has %d bytes, want %d", day, len(got), secretSize)
	}
	if err != nil {
		h.logger.Error("fetching the visitor secret failed; counting unique visitors on this node alone until it works",
			"day", day, "code", tiny.ErrorCodeOf(err), "err", err)
		if old != nil {
			old.retryAt = now.Add(secretRetry)
			return old
		}
		s := newDaySecret(h.digest, day, date, fresh)
		s.local, s.retryAt = true, now.Add(secretRetry)
		h.secrets[day] = s
		return s
	}
	s := newDaySecret(h.digest, day, date, got)
	clear(got)
	if old != nil {
		old.destroy()
	}
	h.secrets[day] = s
	return s
}

// Rotate destroys the secrets of the days before yesterday, by the
// hasher's clock: in memory, and in the store for the last week of such
// days. Hash rotates by itself at the first click of each day; the worker
// may also call Rotate on a timer so that secrets are destroyed on days
// without clicks. Like Hash, it must be called from the worker goroutine.
// Errors are those of SecretStore.DeleteDailySecret; the secrets in memory
// are destroyed all the same.
func (h *VisitorHasher) Rotate(ctx context.Context) error {
	return h.rotate(ctx, midnight(h.now()))
}

func (h *VisitorHasher) rotate(ctx context.Context, today time.Time) error {
	h.today = today
	h.last = nil
	yesterday := today.AddDate(0, 0, -1)
	for day, s := range h.secrets {
		if s.date.Before(yesterday) {
			s.destroy()
			delete(h.secrets, day)
		}
	}
	var errs []error
	for i := 1; i <= sweepDays; i++ {
		day := yesterday.AddDate(0, 0, -i).Format(dayLayout)
		if err := h.store.DeleteDailySecret(ctx, day); err != nil {
			errs = append(errs, fmt.Errorf("delete visitor secret of %s: %w", day, err))
		}
	}
	return errors.Join(errs...)
}

// midnight returns the start of t's UTC date.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
