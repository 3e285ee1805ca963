package accounts

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tiny/internal/testservice"
	"tiny/internal/tiny"
)

// throttleClock is the injected clock: time moves only when a test says.
type throttleClock struct {
	mu sync.Mutex
	t  time.Time
}

func throttleNewClock() *throttleClock {
	return &throttleClock{t: time.Date(2026, 12, 6, 9, 0, 0, 0, time.UTC)}
}

func (c *throttleClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *throttleClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// throttleForEachStore runs f on a ThrottleMemory and on a ThrottleRedis in
// the real Redis, whose keys are deleted afterwards.
func throttleForEachStore(t *testing.T, f func(t *testing.T, s ThrottleStore)) {
	t.Run("memory", func(t *testing.T) {
		m := NewThrottleMemory(10_000)
		t.Cleanup(m.Close)
		f(t, m)
	})
	t.Run("redis", func(t *testing.T) {
		f(t, throttleTestRedis(t))
	})
}

func throttleTestRedis(t *testing.T) *ThrottleRedis {
	t.Helper()
	opts, err := redis.ParseURL(testservice.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	r := NewThrottleRedis(c)
	r.prefix = ThrottleRedisPrefix + "test:" + rand.Text() + ":"
	t.Cleanup(func() {
		ctx := context.Background()
		for _, k := range c.Keys(ctx, r.prefix+"*").Val() {
			c.Del(ctx, k)
		}
		c.Close()
	})
	return r
}

func TestThrottlePolicyDelay(t *testing.T) {
	p := ThrottleDefaults().Account
	tests := []struct {
		n    int
		want time.Duration
	}{
		{0, 0}, {1, 0}, {4, 0},
		{5, time.Second}, {6, 2 * time.Second}, {7, 4 * time.Second},
		{14, 512 * time.Second}, {15, 15 * time.Minute}, {16, 15 * time.Minute},
		{100_000, 15 * time.Minute}, // no overflow
	}
	for _, tt := range tests {
		if got := p.Delay(tt.n); got != tt.want {
			t.Errorf("Delay(%d) = %v, want %v", tt.n, got, tt.want)
		}
	}
}

func TestThrottlePolicyValidate(t *testing.T) {
	d := ThrottleDefaults()
	tests := []struct {
		p    ThrottlePolicy
		want bool
	}{
		{d.Account, true},
		{d.Address, true},
		{ThrottlePolicy{Free: 0, Base: time.Second, Cap: time.Minute, Forget: time.Hour}, false},
		{ThrottlePolicy{Free: 1, Base: 0, Cap: time.Minute, Forget: time.Hour}, false},
		{ThrottlePolicy{Free: 1, Base: time.Minute, Cap: time.Second, Forget: time.Hour}, false},
		{ThrottlePolicy{Free: 1, Base: time.Second, Cap: time.Hour, Forget: time.Minute}, false},
	}
	for _, tt := range tests {
		if err := tt.p.Validate(); (err == nil) != tt.want {
			t.Errorf("ThrottlePolicy(%+v).Validate() = %v, want valid %v", tt.p, err, tt.want)
		}
	}
	if _, err := NewThrottle(NewThrottleMemory(1), ThrottleConfig{Account: d.Account}); err == nil {
		t.Errorf("NewThrottle(no address policy) = nil error, want one")
	}
	short := d
	short.DeviceKey = make([]byte, 16)
	if _, err := NewThrottle(NewThrottleMemory(1), short); err == nil {
		t.Errorf("NewThrottle(16-byte device key) = nil error, want one")
	}
}

// TestThrottleStoreDelays walks one key through its whole life on each
// store: free attempts, doubling waits, the cap, and forgetting.
func TestThrottleStoreDelays(t *testing.T) {
	p := ThrottlePolicy{Free: 3, Base: time.Second, Cap: 8 * time.Second, Forget: time.Minute}
	steps := []struct {
		advance  time.Duration
		wantTake time.Duration // 0: charged; else refused with this wait
		wantWait time.Duration // Wait right after
	}{
		{0, 0, 0},
		{0, 0, 0},
		{0, 0, time.Second}, // the third attempt sets off the first wait
		{0, time.Second, time.Second},
		{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}, // refused: not prolonged
		{500 * time.Millisecond, 0, 2 * time.Second},
		{2 * time.Second, 0, 4 * time.Second},
		{4 * time.Second, 0, 8 * time.Second},
		{8 * time.Second, 0, 8 * time.Second}, // capped
		{8 * time.Second, 0, 8 * time.Second},
		{time.Minute, 0, 0}, // forgotten after a quiet Forget: free again
	}
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		ctx := context.Background()
		clock := throttleNewClock()
		for i, st := range steps {
			clock.Advance(st.advance)
			got, err := s.Take(ctx, "k", clock.Now(), p)
			if err != nil {
				t.Fatalf("Take #%d error: %v", i+1, err)
			}
			if got != st.wantTake {
				t.Errorf("Take #%d (after +%v) = %v, want %v", i+1, st.advance, got, st.wantTake)
			}
			if w, err := s.Wait(ctx, "k", clock.Now()); err != nil || w != st.wantWait {
				t.Errorf("Wait after Take #%d = %v, %v, want %v", i+1, w, err, st.wantWait)
			}
		}
		if w, err := s.Wait(ctx, "absent", clock.Now()); err != nil || w != 0 {
			t.Errorf("Wait(absent key) = %v, %v, want 0", w, err)
		}
	})
}

func TestThrottleStoreRefundReset(t *testing.T) {
	p := ThrottlePolicy{Free: 3, Base: time.Second, Cap: 8 * time.Second, Forget: time.Minute}
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		ctx := context.Background()
		clock := throttleNewClock()
		for range 3 {
			s.Take(ctx, "k", clock.Now(), p)
		}
		if err := s.Refund(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		// The wait the third attempt set off stays...
		if w, _ := s.Wait(ctx, "k", clock.Now()); w != time.Second {
			t.Errorf("Wait after Refund = %v, want 1s (a refund leaves the wait)", w)
		}
		// ...but the count went back to 2, so the next attempt is the third
		// again: a 1 s wait, not 2 s.
		clock.Advance(time.Second)
		s.Take(ctx, "k", clock.Now(), p)
		if w, _ := s.Wait(ctx, "k", clock.Now()); w != time.Second {
			t.Errorf("Wait after Refund and Take = %v, want 1s", w)
		}

		if err := s.Reset(ctx, "k"); err != nil {
			t.Fatal(err)
		}
		if w, _ := s.Wait(ctx, "k", clock.Now()); w != 0 {
			t.Errorf("Wait after Reset = %v, want 0", w)
		}
		for i := range 3 {
			if w, _ := s.Take(ctx, "k", clock.Now(), p); w != 0 {
				t.Errorf("Take #%d after Reset = %v, want 0 (free again)", i+1, w)
			}
		}

		// Refunds never take the count below zero: with Free 1, one
		// attempt after three refunds of one charge still sets off a wait.
		one := ThrottlePolicy{Free: 1, Base: time.Second, Cap: time.Second, Forget: time.Minute}
		s.Take(ctx, "z", clock.Now(), one)
		for range 3 {
			s.Refund(ctx, "z")
		}
		clock.Advance(time.Second)
		s.Take(ctx, "z", clock.Now(), one)
		if w, _ := s.Wait(ctx, "z", clock.Now()); w != time.Second {
			t.Errorf("Wait after 1 Take, 3 Refunds, 1 Take = %v, want 1s", w)
		}
		if err := s.Refund(ctx, "absent"); err != nil {
			t.Errorf("Refund(absent key) = %v, want nil", err)
		}
	})
}

// TestThrottleStoreConcurrentTakes fires attempts at once: exactly Free of
// them get through, so parallel requests cannot outrun the count.
func TestThrottleStoreConcurrentTakes(t *testing.T) {
	p := ThrottlePolicy{Free: 5, Base: time.Second, Cap: time.Minute, Forget: time.Hour}
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		now := throttleNewClock().Now()
		var wg sync.WaitGroup
		var mu sync.Mutex
		allowed := 0
		for range 40 {
			wg.Go(func() {
				w, err := s.Take(context.Background(), "k", now, p)
				if err != nil {
					t.Error(err)
				}
				if w == 0 {
					mu.Lock()
					allowed++
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if allowed != p.Free {
			t.Errorf("40 concurrent Takes: %d charged, want %d", allowed, p.Free)
		}
	})
}

var throttleTestKey = bytes.Repeat([]byte{7}, 32)

// throttleTestNew returns a Throttle with the default policies and device
// tokens on store s, and the clock it runs on.
func throttleTestNew(t *testing.T, s ThrottleStore) (*Throttle, *throttleClock) {
	t.Helper()
	clock := throttleNewClock()
	cfg := ThrottleDefaults()
	cfg.DeviceKey = throttleTestKey
	cfg.Now = clock.Now
	th, err := NewThrottle(s, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return th, clock
}

// throttleAllow stops the test unless Begin allows a; what says why it should.
func throttleAllow(t *testing.T, th *Throttle, a ThrottleAttempt, what string) {
	t.Helper()
	if d, err := th.Begin(t.Context(), a); err != nil || !d.Allowed {
		t.Fatalf("Begin(%s) = %+v, %v, want allowed", what, d, err)
	}
}

// throttleFail makes one failed attempt and returns what Failed reported; the
// attempt must be allowed.
func throttleFail(t *testing.T, th *Throttle, a ThrottleAttempt) ThrottleDecision {
	t.Helper()
	throttleAllow(t, th, a, fmt.Sprintf("%+v", a))
	d, err := th.Failed(t.Context(), a)
	if err != nil {
		t.Fatalf("Failed(%+v) error: %v", a, err)
	}
	return d
}

// throttleLockToCap fails on account from a new address each time, waiting
// out each delay, until the account's wait is at the cap; no wait on the way
// may exceed the cap.
func throttleLockToCap(t *testing.T, th *Throttle, clock *throttleClock, account string) {
	t.Helper()
	capWait := th.cfg.Account.Cap
	for i := 1; i <= 40; i++ {
		d := throttleFail(t, th, ThrottleAttempt{Account: account, Address: fmt.Sprintf("198.51.100.%d", i)})
		if d.RetryAfter > capWait {
			t.Fatalf("failure #%d: RetryAfter = %v, more than the cap %v", i, d.RetryAfter, capWait)
		}
		if d.RetryAfter == capWait {
			return
		}
		clock.Advance(d.RetryAfter)
	}
	t.Fatalf("40 failures on %s never reached the cap", account)
}

// TestThrottleGrowingDelay: five free failures, then each failure doubles
// the wait up to 15 minutes, whatever address it comes from; attempts
// during a wait are refused; a success starts the count afresh.
func TestThrottleGrowingDelay(t *testing.T) {
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		ctx := context.Background()
		th, clock := throttleTestNew(t, s)
		attempt := func(i int) ThrottleAttempt {
			return ThrottleAttempt{Account: "alice@example.com", Address: fmt.Sprintf("192.0.2.%d", i)}
		}
		for i := 1; i <= 4; i++ {
			if d := throttleFail(t, th, attempt(i)); !d.Allowed || d.LockedOut || d.RetryAfter != 0 {
				t.Errorf("Failed #%d = %+v, want allowed, no wait", i, d)
			}
		}
		want := time.Second
		if d := throttleFail(t, th, attempt(5)); d.Allowed || !d.LockedOut || d.RetryAfter != want {
			t.Errorf("Failed #5 = %+v, want locked out for %v", d, want)
		}
		for i := 6; want < 15*time.Minute; i++ {
			d, err := th.Begin(ctx, attempt(i))
			if err != nil || d.Allowed || !d.LockedOut || d.RetryAfter != want {
				t.Fatalf("Begin during a %v wait = %+v, %v, want refused, locked out, retry after %v", want, d, err, want)
			}
			clock.Advance(want)
			want = min(2*want, 15*time.Minute)
			if d := throttleFail(t, th, attempt(i)); !d.LockedOut || d.RetryAfter != want {
				t.Errorf("Failed #%d = %+v, want locked out for %v", i, d, want)
			}
		}
		clock.Advance(want)
		a := attempt(99)
		throttleAllow(t, th, a, "after the cap")
		if err := th.Succeeded(ctx, a); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 4; i++ {
			if d := throttleFail(t, th, attempt(i)); d.LockedOut {
				t.Errorf("Failed #%d after a success = %+v, want no lockout (count reset)", i, d)
			}
		}
	})
}

// TestThrottleLockoutNeverOutlastsCap: an attacker who keeps trying while
// the account waits does not prolong the wait; the owner gets in at most
// the cap after the last failure that was actually checked.
func TestThrottleLockoutNeverOutlastsCap(t *testing.T) {
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		ctx := context.Background()
		th, clock := throttleTestNew(t, s)
		throttleLockToCap(t, th, clock, "alice@example.com")
		lockedAt := clock.Now()
		capWait := th.cfg.Account.Cap
		for i := 0; clock.Now().Sub(lockedAt) < capWait; i++ {
			attacker := ThrottleAttempt{Account: "alice@example.com", Address: fmt.Sprintf("203.0.113.%d", i%250)}
			d, err := th.Begin(ctx, attacker)
			left := capWait - clock.Now().Sub(lockedAt)
			if err != nil || d.Allowed || d.RetryAfter != left {
				t.Fatalf("attacker's Begin %v into the wait = %+v, %v, want refused, retry after %v", clock.Now().Sub(lockedAt), d, err, left)
			}
			clock.Advance(10 * time.Second)
		}
		clock.Advance(lockedAt.Add(capWait).Sub(clock.Now())) // exactly the cap
		owner := ThrottleAttempt{Account: "alice@example.com", Address: "192.0.2.1"}
		throttleAllow(t, th, owner, "the owner, at the cap after hammering")
	})
}

// TestThrottleKnownDevice: a browser the owner signed in from keeps working
// while strangers hold the account at its cap; it is throttled on its own,
// and only a live token for this account counts.
func TestThrottleKnownDevice(t *testing.T) {
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		ctx := context.Background()
		th, clock := throttleTestNew(t, s)
		token, err := th.DeviceToken("Alice@Example.com")
		if err != nil || token == "" {
			t.Fatalf("DeviceToken = %q, %v, want a token", token, err)
		}
		bobs, _ := th.DeviceToken("bob@example.com")
		throttleLockToCap(t, th, clock, "alice@example.com")

		owner := ThrottleAttempt{Account: "alice@example.com", Address: "192.0.2.1", DeviceToken: token}
		throttleAllow(t, th, owner, "the owner with a device token, account locked")
		if err := th.Succeeded(ctx, owner); err != nil {
			t.Fatal(err)
		}
		tampered := []byte(token)
		tampered[3] ^= 1
		for name, tok := range map[string]string{
			"no token": "", "bob's token": bobs, "tampered token": string(tampered), "garbage": "x.y",
		} {
			a := ThrottleAttempt{Account: "alice@example.com", Address: "192.0.2.2", DeviceToken: tok}
			if d, err := th.Begin(ctx, a); err != nil || d.Allowed || !d.LockedOut {
				t.Errorf("Begin with %s while locked = %+v, %v, want refused (the owner's success reset only the device)", name, d, err)
			}
		}

		// The device's own bucket is throttled like any other.
		for i := 1; i <= 4; i++ {
			throttleFail(t, th, owner)
		}
		if d := throttleFail(t, th, owner); !d.LockedOut || d.RetryAfter != time.Second {
			t.Errorf("5th failure with the device token = %+v, want locked out 1s", d)
		}

		// An expired token is ignored.
		clock.Advance(th.cfg.DeviceMaxAge + time.Second)
		throttleLockToCap(t, th, clock, "alice@example.com")
		if d, err := th.Begin(ctx, owner); err != nil || d.Allowed {
			t.Errorf("Begin with an expired device token while locked = %+v, %v, want refused", d, err)
		}
	})
}

// TestThrottleAddressSpray: one address failing on many accounts is
// stopped, without touching the accounts it did not try.
func TestThrottleAddressSpray(t *testing.T) {
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		ctx := context.Background()
		th, clock := throttleTestNew(t, s)
		const sprayer = "2001:db8:1:2::/64"
		for i := 1; i <= 20; i++ {
			d := throttleFail(t, th, ThrottleAttempt{Account: fmt.Sprintf("user%d@example.com", i), Address: sprayer})
			if want := i < 20; d.Allowed != want || d.LockedOut {
				t.Errorf("sprayed failure #%d = %+v, want allowed %v, no account lockout", i, d, want)
			}
		}
		fresh := ThrottleAttempt{Account: "carol@example.com", Address: sprayer}
		if d, err := th.Begin(ctx, fresh); err != nil || d.Allowed || d.LockedOut || d.RetryAfter != time.Second {
			t.Errorf("sprayer's 21st Begin = %+v, %v, want refused for 1s by address, no account lockout", d, err)
		}
		other := ThrottleAttempt{Account: "carol@example.com", Address: "192.0.2.9"}
		throttleAllow(t, th, other, "another address on the sprayed-at account")
		clock.Advance(time.Second)
		if d := throttleFail(t, th, fresh); d.RetryAfter != 2*time.Second {
			t.Errorf("sprayer's next failure = %+v, want a 2s wait", d)
		}
	})
}

// TestThrottleAddressCountsFailuresOnly: successes, and attempts an account
// lockout refused, are not charged to the address, so an office behind one
// address is not slowed by its own sign-ins.
func TestThrottleAddressCountsFailuresOnly(t *testing.T) {
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		ctx := context.Background()
		th, _ := throttleTestNew(t, s)
		const office = "192.0.2.0"
		// Five failures lock dave; fifty more tries are refused by the lock.
		dave := ThrottleAttempt{Account: "dave@example.com", Address: office}
		for range 5 {
			throttleFail(t, th, dave)
		}
		for range 50 {
			if d, _ := th.Begin(ctx, dave); d.Allowed || !d.LockedOut {
				t.Fatalf("Begin on locked dave = %+v, want refused by the account", d)
			}
		}
		// Thirty people sign in fine.
		for i := range 30 {
			a := ThrottleAttempt{Account: fmt.Sprintf("staff%d@example.com", i), Address: office}
			if d, err := th.Begin(ctx, a); err != nil || !d.Allowed {
				t.Fatalf("staff Begin #%d = %+v, %v, want allowed", i, d, err)
			}
			if err := th.Succeeded(ctx, a); err != nil {
				t.Fatal(err)
			}
		}
		// 5 failures so far: 14 more are still free.
		for i := 1; i <= 14; i++ {
			d := throttleFail(t, th, ThrottleAttempt{Account: fmt.Sprintf("typo%d@example.com", i), Address: office})
			if !d.Allowed {
				t.Fatalf("office failure #%d = %+v, want allowed (only 5+%d failures charged)", i, d, i)
			}
		}
	})
}

func TestThrottleAccountNameFolded(t *testing.T) {
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		th, _ := throttleTestNew(t, s)
		names := []string{"alice@example.com", "Alice@Example.com", " ALICE@example.COM ", "alice@EXAMPLE.com", "aLiCe@example.com"}
		var d ThrottleDecision
		for i, n := range names {
			d = throttleFail(t, th, ThrottleAttempt{Account: n, Address: fmt.Sprintf("192.0.2.%d", i)})
		}
		if !d.LockedOut {
			t.Errorf("5 failures on one account spelt 5 ways = %+v, want locked out", d)
		}
	})
}

func TestThrottleUnlock(t *testing.T) {
	throttleForEachStore(t, func(t *testing.T, s ThrottleStore) {
		ctx := context.Background()
		th, clock := throttleTestNew(t, s)
		throttleLockToCap(t, th, clock, "erin@example.com")
		a := ThrottleAttempt{Account: "erin@example.com", Address: "192.0.2.1"}
		if d, _ := th.Begin(ctx, a); d.Allowed {
			t.Fatalf("Begin on a locked account = %+v, want refused", d)
		}
		if err := th.Unlock(ctx, "Erin@example.com"); err != nil {
			t.Fatal(err)
		}
		throttleAllow(t, th, a, "after Unlock")
	})
}

func TestThrottleDecisionErr(t *testing.T) {
	tests := []struct {
		d    ThrottleDecision
		want string // "" for no error
	}{
		{ThrottleDecision{Allowed: true}, ""},
		{ThrottleDecision{RetryAfter: 1500 * time.Millisecond, LockedOut: true}, "try again in 2 s"},
		{ThrottleDecision{}, "try again in 1 s"},
	}
	for _, tt := range tests {
		err := tt.d.Err()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%+v.Err() = %v, want nil", tt.d, err)
		case tt.want != "" && (!tiny.IsCode(err, tiny.RateLimited) || !strings.Contains(tiny.ErrorMessageOf(err), tt.want)):
			t.Errorf("%+v.Err() = %v, want rate_limited saying %q", tt.d, err, tt.want)
		}
	}
}

func TestThrottleDeviceTokenDisabled(t *testing.T) {
	cfg := ThrottleDefaults()
	th, err := NewThrottle(NewThrottleMemory(10), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if tok, err := th.DeviceToken("alice@example.com"); tok != "" || err != nil {
		t.Errorf("DeviceToken without a key = %q, %v, want \"\", nil", tok, err)
	}
}

// TestThrottleRedisDown: with Redis unreachable the check errs with code
// unavailable and does not allow.
func TestThrottleRedisDown(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 250 * time.Millisecond})
	defer c.Close()
	th, err := NewThrottle(NewThrottleRedis(c), ThrottleDefaults())
	if err != nil {
		t.Fatal(err)
	}
	d, err := th.Begin(context.Background(), ThrottleAttempt{Account: "a@example.com", Address: "192.0.2.1"})
	if d.Allowed || !tiny.IsCode(err, tiny.Unavailable) {
		t.Errorf("Begin with Redis down = %+v, %v, want not allowed, code unavailable", d, err)
	}
}

// TestThrottleRedisKeys: Redis holds no e-mail or address in its keys, and
// every key expires.
func TestThrottleRedisKeys(t *testing.T) {
	r := throttleTestRedis(t)
	th, _ := throttleTestNew(t, r)
	throttleFail(t, th, ThrottleAttempt{Account: "alice@example.com", Address: "203.0.113.7"})
	ctx := context.Background()
	keys := r.client.Keys(ctx, r.prefix+"*").Val()
	if len(keys) != 2 {
		t.Fatalf("keys after one failure = %q, want 2 (account, address)", keys)
	}
	for _, k := range keys {
		if strings.Contains(k, "alice") || strings.Contains(k, "203.0.113") {
			t.Errorf("Redis key %q holds the account or address", k)
		}
		if ttl := r.client.PTTL(ctx, k).Val(); ttl <= 0 || ttl > 24*time.Hour {
			t.Errorf("PTTL(%q) = %v, want in (0, 24h]", k, ttl)
		}
	}
}
