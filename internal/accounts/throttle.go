package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/redis/go-redis/v9"

	"tiny/internal/tiny"
)

// Sign-in throttling. Every attempt is charged before the password is
// checked, to the client address and to the account; a success starts the
// account afresh and refunds the address. Past a number of free attempts
// each further one makes the next wait twice as long, up to a cap, so
// guessing slows to a few tries an hour while a user who mistypes barely
// notices.
//
// The account's wait is what an attacker could use to lock its owner out,
// so it is bounded three ways: it never exceeds the cap; attempts refused
// while waiting are not charged, so hammering does not prolong it; and a
// browser the account signed in from before carries a known-device token
// (OWASP's device cookies) that gives it a bucket of its own, which strangers
// cannot fill. A user on a new device can still be kept waiting for as long
// as someone keeps failing on that account, never longer than the cap after
// the attacks stop.
//
// Why not ratelimit.Limiter: a token bucket has no way to reset on success,
// no count of consecutive failures to double on, and its clock is its own
// (Redis's, in the cluster), so tests could not drive it. ThrottleStore is a
// counter with a deadline instead, kept in memory or in Redis.

// ThrottlePolicy is the growing delay of one kind of key.
type ThrottlePolicy struct {
	// Free is how many attempts may follow one another without a wait.
	Free int
	// Base is the wait after the Free-th attempt; each further one doubles it.
	Base time.Duration
	// Cap bounds the wait.
	Cap time.Duration
	// Forget is the quiet time after which a key starts afresh.
	Forget time.Duration
}

// Validate reports whether p can be enforced; cmd calls it at start.
func (p ThrottlePolicy) Validate() error {
	if p.Free < 1 || p.Base <= 0 || p.Cap < p.Base || p.Forget < p.Cap {
		return fmt.Errorf("accounts: throttle policy %+v: want Free >= 1 and 0 < Base <= Cap <= Forget", p)
	}
	return nil
}

// Delay returns the wait the n-th charged attempt imposes on the next one.
func (p ThrottlePolicy) Delay(n int) time.Duration {
	if n < p.Free {
		return 0
	}
	d := p.Base
	for i := p.Free; i < n && d < p.Cap; i++ {
		d *= 2
	}
	return min(d, p.Cap)
}

// ThrottleConfig configures a Throttle.
type ThrottleConfig struct {
	// Account limits attempts on one account (typed name, so accounts that
	// do not exist are throttled alike), and separately on one account from
	// one known device.
	Account ThrottlePolicy
	// Address limits attempts from one client address on any account, so one
	// client cannot spray passwords over many accounts.
	Address ThrottlePolicy
	// DeviceKey signs known-device tokens; at least 32 bytes, or empty to
	// issue none (then every client shares the account's bucket).
	DeviceKey []byte
	// DeviceMaxAge is how long a known-device token is honoured.
	DeviceMaxAge time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// ThrottleDefaults returns the configuration tiny runs with: per account,
// 5 free attempts, then 1 s doubling up to 15 minutes (an attacker gets about
// 15 guesses in the first 17 minutes and 4 an hour after that), forgotten
// after a quiet day; per address, 20 free failures, then the same doubling,
// forgotten after a quiet hour, so an office behind one address is not held
// up by a few typos. Known-device tokens last 180 days; DeviceKey is left
// for the caller to fill.
func ThrottleDefaults() ThrottleConfig {
	return ThrottleConfig{
		Account:      ThrottlePolicy{Free: 5, Base: time.Second, Cap: 15 * time.Minute, Forget: 24 * time.Hour},
		Address:      ThrottlePolicy{Free: 20, Base: time.Second, Cap: 15 * time.Minute, Forget: time.Hour},
		DeviceMaxAge: 180 * 24 * time.Hour,
	}
}

// ThrottleAttempt names who is trying to sign in.
type ThrottleAttempt struct {
	// Account is the account name as typed (case and surrounding space do
	// not matter).
	Account string
	// Address is the client address as the caller keys it (an IPv6 client's
	// /64, not its full address).
	Address string
	// DeviceToken is the known-device token the client presented, if any;
	// a missing, forged, expired or other account's token is ignored.
	DeviceToken string
}

// ThrottleDecision is what a throttle check found.
type ThrottleDecision struct {
	// Allowed reports whether the attempt may go ahead (from Begin), or
	// whether a next attempt could be made at once (from Failed).
	Allowed bool
	// RetryAfter is how long to wait before the next attempt; 0 if none.
	RetryAfter time.Duration
	// LockedOut reports that the account (for this client) has to wait,
	// rather than only the client address: a lockout, for the audit log.
	LockedOut bool
}

// Err returns nil when d allows, and otherwise a rate_limited error that
// says when to try again and nothing about whether the account exists.
func (d ThrottleDecision) Err() error {
	if d.Allowed {
		return nil
	}
	secs := max(int64((d.RetryAfter+time.Second-1)/time.Second), 1)
	return tiny.Errorf(tiny.RateLimited, "too many failed sign-ins; try again in %d s", secs)
}

// Throttle limits failed sign-ins. It is safe for concurrent use, and nodes
// sharing a ThrottleRedis share its limits.
type Throttle struct {
	store ThrottleStore
	cfg   ThrottleConfig
}

// NewThrottle returns a Throttle keeping its state in store.
func NewThrottle(store ThrottleStore, cfg ThrottleConfig) (*Throttle, error) {
	if err := errors.Join(cfg.Account.Validate(), cfg.Address.Validate()); err != nil {
		return nil, err
	}
	if len(cfg.DeviceKey) > 0 && (len(cfg.DeviceKey) < 32 || cfg.DeviceMaxAge <= 0) {
		return nil, errors.New("accounts: throttle device key needs 32 bytes or more and a positive DeviceMaxAge")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	cfg.DeviceKey = append([]byte(nil), cfg.DeviceKey...)
	return &Throttle{store: store, cfg: cfg}, nil
}

// Begin is called before a password (or second factor) is checked, and
// charges the attempt. When it is not Allowed the caller refuses the
// attempt without checking anything. Its errors carry code unavailable (the
// store is down); the decision is then not Allowed, and refusing sign-ins
// until the store is back is the safe reading.
func (t *Throttle) Begin(ctx context.Context, a ThrottleAttempt) (ThrottleDecision, error) {
	now := t.cfg.Now()
	addr, acct := t.keys(a, now)
	wait, err := t.store.Take(ctx, addr, now, t.cfg.Address)
	if err != nil || wait > 0 {
		return ThrottleDecision{RetryAfter: wait}, err
	}
	wait, err = t.store.Take(ctx, acct, now, t.cfg.Account)
	if err != nil || wait > 0 {
		// The address pays for attempts that reach a password check only.
		err = errors.Join(err, t.store.Refund(ctx, addr))
		if err != nil {
			return ThrottleDecision{}, err
		}
		return ThrottleDecision{RetryAfter: wait, LockedOut: true}, nil
	}
	return ThrottleDecision{Allowed: true}, nil
}

// Failed is called after an attempt Begin allowed has failed. Begin has
// charged it already; Failed reports the wait the failure set off, with
// LockedOut when the account has to wait.
func (t *Throttle) Failed(ctx context.Context, a ThrottleAttempt) (ThrottleDecision, error) {
	now := t.cfg.Now()
	addr, acct := t.keys(a, now)
	acctWait, err := t.store.Wait(ctx, acct, now)
	if err != nil {
		return ThrottleDecision{}, err
	}
	addrWait, err := t.store.Wait(ctx, addr, now)
	if err != nil {
		return ThrottleDecision{}, err
	}
	return ThrottleDecision{
		Allowed:    acctWait == 0 && addrWait == 0,
		RetryAfter: max(acctWait, addrWait),
		LockedOut:  acctWait > 0,
	}, nil
}

// Succeeded is called after an attempt Begin allowed has succeeded (both
// factors, when the account has two): the account's count starts afresh and
// the address gets its charge back.
func (t *Throttle) Succeeded(ctx context.Context, a ThrottleAttempt) error {
	now := t.cfg.Now()
	addr, acct := t.keys(a, now)
	return errors.Join(t.store.Reset(ctx, acct), t.store.Refund(ctx, addr))
}

// Unlock forgets the failures on account from clients without a
// known-device token, e.g. when an administrator vouches for its owner.
func (t *Throttle) Unlock(ctx context.Context, account string) error {
	return t.store.Reset(ctx, throttleKey("acct", throttleAccount(account)))
}

// keys returns the store keys of a's address and account bucket. Values are
// hashed so the store holds no e-mail or client address.
func (t *Throttle) keys(a ThrottleAttempt, now time.Time) (addr, acct string) {
	account := throttleAccount(a.Account)
	addr = throttleKey("addr", a.Address)
	if id, ok := t.device(account, a.DeviceToken, now); ok {
		return addr, throttleKey("dev", id+"\x00"+account)
	}
	return addr, throttleKey("acct", account)
}

func throttleAccount(account string) string { return strings.ToLower(strings.TrimSpace(account)) }

func throttleKey(kind, value string) string {
	sum := sha256.Sum256([]byte(value))
	return kind + ":" + hex.EncodeToString(sum[:16])
}

// Known-device tokens: 16 random bytes naming the device, the issue time in
// Unix seconds, and an HMAC over both and the account, truncated to 16 bytes.
const (
	throttleDeviceIDLen  = 16
	throttleDeviceMACLen = 16
	throttleDeviceLen    = throttleDeviceIDLen + 8 + throttleDeviceMACLen
)

// DeviceToken returns a known-device token for account, for the service to
// set as a long-lived cookie after a successful sign-in; "" when the
// throttle has no DeviceKey. The token proves only that this client signed
// in to account before; it authenticates nothing.
func (t *Throttle) DeviceToken(account string) (string, error) {
	if len(t.cfg.DeviceKey) == 0 {
		return "", nil
	}
	var raw [throttleDeviceLen]byte
	if _, err := rand.Read(raw[:throttleDeviceIDLen]); err != nil {
		return "", fmt.Errorf("accounts: device token: %w", err)
	}
	binary.BigEndian.PutUint64(raw[throttleDeviceIDLen:], uint64(t.cfg.Now().Unix()))
	copy(raw[throttleDeviceIDLen+8:], t.deviceMAC(throttleAccount(account), raw[:throttleDeviceIDLen+8]))
	return base64.RawURLEncoding.EncodeToString(raw[:]), nil
}

// device returns the device id of token when it is a live token for account.
func (t *Throttle) device(account, token string, now time.Time) (string, bool) {
	if len(t.cfg.DeviceKey) == 0 || token == "" {
		return "", false
	}
	raw, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(raw) != throttleDeviceLen {
		return "", false
	}
	body := raw[:throttleDeviceIDLen+8]
	if subtle.ConstantTimeCompare(raw[throttleDeviceIDLen+8:], t.deviceMAC(account, body)) != 1 {
		return "", false
	}
	issued := time.Unix(int64(binary.BigEndian.Uint64(raw[throttleDeviceIDLen:])), 0)
	if now.Sub(issued) > t.cfg.DeviceMaxAge || issued.After(now.Add(time.Minute)) {
		return "", false
	}
	return hex.EncodeToString(raw[:throttleDeviceIDLen]), true
}

func (t *Throttle) deviceMAC(account string, body []byte) []byte {
	m := hmac.New(sha256.New, t.cfg.DeviceKey)
	m.Write([]byte("tiny known device\x00"))
	m.Write([]byte(account))
	m.Write([]byte{0})
	m.Write(body)
	return m.Sum(nil)[:throttleDeviceMACLen]
}

// ThrottleStore keeps, per key, a count of charged attempts, the time the
// next attempt is allowed, and the time the key is forgotten. Every method
// is atomic per key. Times come from the caller, so a test's clock drives
// them and nodes agree as far as their clocks do (NTP: within a second).
type ThrottleStore interface {
	// Take charges one attempt to key at now under p and returns 0, unless
	// key must still wait: then it charges nothing and returns the wait.
	// Its errors carry code unavailable.
	Take(ctx context.Context, key string, now time.Time, p ThrottlePolicy) (time.Duration, error)
	// Wait returns how long key must still wait at now; 0 if it need not.
	// Its errors carry code unavailable.
	Wait(ctx context.Context, key string, now time.Time) (time.Duration, error)
	// Refund takes back one charge, leaving the wait as it is (so a success
	// cannot clear a wait a concurrent failure set off). Its errors carry
	// code unavailable.
	Refund(ctx context.Context, key string) error
	// Reset forgets key. Its errors carry code unavailable.
	Reset(ctx context.Context, key string) error
}

// throttleEntry is the state of one key.
type throttleEntry struct {
	n       int
	next    time.Time     // the next attempt is allowed from then
	expires time.Time     // the entry counts as absent from then
	forget  time.Duration // the policy's Forget, for the cache's own expiry
}

// live returns e as it stands at now: the zero entry once it has expired.
func (e throttleEntry) live(now time.Time) throttleEntry {
	if !now.Before(e.expires) {
		return throttleEntry{}
	}
	return e
}

// ThrottleMemory is a ThrottleStore in this node's memory, for a single
// node. It holds at most maxKeys keys; beyond that the least used are
// dropped early, which resets them: the price of bounded memory.
type ThrottleMemory struct {
	entries *otter.Cache[string, throttleEntry]
}

// NewThrottleMemory returns a ThrottleMemory of at most maxKeys keys.
func NewThrottleMemory(maxKeys int) *ThrottleMemory {
	return &ThrottleMemory{entries: otter.Must(&otter.Options[string, throttleEntry]{
		MaximumSize: max(maxKeys, 1),
		// The cache's expiry only frees memory; live decides by the caller's clock.
		ExpiryCalculator: otter.ExpiryWritingFunc(func(e otter.Entry[string, throttleEntry]) time.Duration {
			return e.Value.forget
		}),
	})}
}

// Take implements ThrottleStore.
func (m *ThrottleMemory) Take(_ context.Context, key string, now time.Time, p ThrottlePolicy) (time.Duration, error) {
	var wait time.Duration
	m.entries.Compute(key, func(e throttleEntry, _ bool) (throttleEntry, otter.ComputeOp) {
		e = e.live(now)
		if now.Before(e.next) {
			wait = e.next.Sub(now)
			return e, otter.CancelOp
		}
		e.n++
		e.next, e.expires, e.forget = now.Add(p.Delay(e.n)), now.Add(p.Forget), p.Forget
		return e, otter.WriteOp
	})
	return wait, nil
}

// Wait implements ThrottleStore.
func (m *ThrottleMemory) Wait(_ context.Context, key string, now time.Time) (time.Duration, error) {
	e, _ := m.entries.GetIfPresent(key)
	return max(e.live(now).next.Sub(now), 0), nil
}

// Refund implements ThrottleStore.
func (m *ThrottleMemory) Refund(_ context.Context, key string) error {
	m.entries.ComputeIfPresent(key, func(e throttleEntry) (throttleEntry, otter.ComputeOp) {
		if e.n == 0 {
			return e, otter.CancelOp
		}
		e.n--
		return e, otter.WriteOp
	})
	return nil
}

// Reset implements ThrottleStore.
func (m *ThrottleMemory) Reset(_ context.Context, key string) error {
	m.entries.Invalidate(key)
	return nil
}

// Close stops the cache's background goroutine.
func (m *ThrottleMemory) Close() { m.entries.StopAllGoroutines() }

// ThrottleRedisPrefix starts the name of every key ThrottleRedis writes.
const ThrottleRedisPrefix = "tiny:throttle:"

// ThrottleRedis is a ThrottleStore in Redis, shared by every node. Each key
// is a hash (n, next, exp; times in Unix milliseconds) that Redis expires
// after the policy's Forget; Take and Refund are Lua scripts, so atomic.
type ThrottleRedis struct {
	client redis.UniversalClient
	prefix string
}

// NewThrottleRedis returns a ThrottleRedis using client, which the caller
// owns and closes.
func NewThrottleRedis(client redis.UniversalClient) *ThrottleRedis {
	return &ThrottleRedis{client: client, prefix: ThrottleRedisPrefix}
}

// throttleTakeScript is ThrottleMemory.Take and ThrottlePolicy.Delay in Lua.
// KEYS[1] is the key; ARGV: now, free, base, cap, forget (milliseconds
// except free). It returns the wait in milliseconds, 0 when charged.
var throttleTakeScript = redis.NewScript(`
local now, free, base, cap, forget = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local s = redis.call('HMGET', KEYS[1], 'n', 'next', 'exp')
local n, nxt = tonumber(s[1]) or 0, tonumber(s[2]) or 0
if now >= (tonumber(s[3]) or 0) then n, nxt = 0, 0 end
if now < nxt then return nxt - now end
n = n + 1
local d = 0
if n >= free then d = math.min(base * 2 ^ (n - free), cap) end
redis.call('HSET', KEYS[1], 'n', n, 'next', string.format('%d', now + d), 'exp', string.format('%d', now + forget))
redis.call('PEXPIRE', KEYS[1], forget)
return 0
`)

// throttleRefundScript takes one from n, never below 0.
var throttleRefundScript = redis.NewScript(`
local n = tonumber(redis.call('HGET', KEYS[1], 'n'))
if n and n > 0 then redis.call('HSET', KEYS[1], 'n', n - 1) end
return 0
`)

// Take implements ThrottleStore.
func (r *ThrottleRedis) Take(ctx context.Context, key string, now time.Time, p ThrottlePolicy) (time.Duration, error) {
	ms, err := throttleTakeScript.Run(ctx, r.client, []string{r.prefix + key},
		now.UnixMilli(), p.Free, p.Base.Milliseconds(), p.Cap.Milliseconds(), p.Forget.Milliseconds()).Int64()
	if err != nil {
		return 0, throttleUnavailable(err)
	}
	return time.Duration(ms) * time.Millisecond, nil
}

// Wait implements ThrottleStore.
func (r *ThrottleRedis) Wait(ctx context.Context, key string, now time.Time) (time.Duration, error) {
	vals, err := r.client.HMGet(ctx, r.prefix+key, "next", "exp").Result()
	if err != nil {
		return 0, throttleUnavailable(err)
	}
	next, exp := throttleMillis(vals[0]), throttleMillis(vals[1])
	if now.UnixMilli() >= exp {
		return 0, nil
	}
	return max(time.Duration(next-now.UnixMilli())*time.Millisecond, 0), nil
}

// Refund implements ThrottleStore.
func (r *ThrottleRedis) Refund(ctx context.Context, key string) error {
	if err := throttleRefundScript.Run(ctx, r.client, []string{r.prefix + key}).Err(); err != nil {
		return throttleUnavailable(err)
	}
	return nil
}

// Reset implements ThrottleStore.
func (r *ThrottleRedis) Reset(ctx context.Context, key string) error {
	if err := r.client.Del(ctx, r.prefix+key).Err(); err != nil {
		return throttleUnavailable(err)
	}
	return nil
}

// throttleMillis reads a hash field of Unix milliseconds; absent is 0.
func throttleMillis(v any) int64 {
	s, _ := v.(string)
	n, _ := strconv.ParseInt(s, 10, 64)
	return n
}

// throttleUnavailable wraps a Redis error so it carries code unavailable
// and still matches its cause with errors.Is.
func throttleUnavailable(err error) error {
	return fmt.Errorf("%w: %w", tiny.Errorf(tiny.Unavailable, "sign-in throttle unavailable"), err)
}
