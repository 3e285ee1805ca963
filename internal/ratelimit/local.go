package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/maypok86/otter/v2"
	"golang.org/x/time/rate"
)

// Local is a Limiter whose buckets live in this node's memory: each node
// enforces the limit on its own, so a cluster of n nodes allows up to n times
// as much. It holds at most maxKeys buckets, so a flood of distinct client
// IPs cannot grow memory without bound.
type Local struct {
	buckets *otter.Cache[localKey, *bucket]
}

// localKey names a bucket by key and limit, so that a key checked under a
// new limit (a configuration change) gets a bucket of its own instead of
// mutating one that other requests are using.
type localKey struct {
	key   string
	limit Limit
}

// bucket serialises its checks: reserve-then-cancel is only exact when no
// other reservation lands in between (x/time/rate restores less otherwise,
// and a refused request would eat a token).
type bucket struct {
	mu  sync.Mutex
	lim *rate.Limiter
}

// forgetMargin covers otter's one-second slack on access expiry (see
// otter.ExpiryCalculator), so a bucket is never forgotten before it is full.
const forgetMargin = time.Second

// NewLocal returns a Local that keeps at most maxKeys buckets (at least 1).
// A bucket idle long enough to be full again is dropped, which changes
// nothing; beyond maxKeys the least useful buckets are evicted early, which
// resets them: the price of a memory bound.
func NewLocal(maxKeys int) *Local {
	return &Local{buckets: otter.Must(&otter.Options[localKey, *bucket]{
		MaximumSize: max(maxKeys, 1),
		ExpiryCalculator: otter.ExpiryAccessingFunc(func(e otter.Entry[localKey, *bucket]) time.Duration {
			return e.Key.limit.fillTime() + forgetMargin
		}),
	})}
}

// Allow counts one event; see AllowN.
func (l *Local) Allow(ctx context.Context, key string, lim Limit) (Result, error) {
	return l.AllowN(ctx, key, lim, 1)
}

// AllowN implements Limiter. It returns an error only for an invalid limit.
func (l *Local) AllowN(_ context.Context, key string, lim Limit, n int) (Result, error) {
	if err := lim.Validate(); err != nil {
		return Result{}, err
	}
	n = clampEvents(n, lim)
	perSecond := rate.Limit(float64(lim.Rate) / lim.Period.Seconds())
	b, _ := l.buckets.ComputeIfAbsent(localKey{key, lim}, func() (*bucket, bool) {
		return &bucket{lim: rate.NewLimiter(perSecond, lim.Burst)}, false
	})

	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now()
	res := Result{Allowed: true, Limit: lim}
	r := b.lim.ReserveN(now, n) // always OK: n <= Burst and no wait cap
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now) // refused events must not consume tokens
		res.Allowed, res.RetryAfter = false, d
	}
	tokens := b.lim.TokensAt(now)
	res.Remaining = max(int(math.Floor(tokens)), 0)
	res.ResetAfter = time.Duration((float64(lim.Burst) - tokens) / float64(perSecond) * float64(time.Second))
	return res, nil
}

// Close stops the cache's background clean-up goroutine. Allow still works
// afterwards; idle buckets are then dropped only as the cache is used.
func (l *Local) Close() {
	l.buckets.StopAllGoroutines()
}
