package ratelimit

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"time"
)

// failOpenLogEvery bounds logging during an outage: one line per interval,
// with the number of failures it stands for.
const failOpenLogEvery = 10 * time.Second

// FailOpenLimiter wraps a Limiter and allows a request whenever the wrapped
// one fails: a Redis outage should cost the cluster its rate limits, not its
// availability. Failures are logged, at most once per 10 s, and counted.
type FailOpenLimiter struct {
	next     Limiter
	logger   *slog.Logger
	logEvery time.Duration // a field so tests can shorten it

	failures   atomic.Uint64
	suppressed atomic.Uint64 // failures not logged since the last log line
	lastLog    atomic.Int64  // unix nanoseconds of the last log line
}

// FailOpen returns a FailOpenLimiter around l that logs to logger. Both must
// be non-nil: a nil logger would only show during an outage.
func FailOpen(l Limiter, logger *slog.Logger) *FailOpenLimiter {
	if l == nil || logger == nil {
		panic("ratelimit: FailOpen needs a limiter and a logger")
	}
	return &FailOpenLimiter{next: l, logger: logger, logEvery: failOpenLogEvery}
}

// Allow counts one event; see AllowN.
func (f *FailOpenLimiter) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	return f.AllowN(ctx, key, l, 1)
}

// AllowN implements Limiter. When the wrapped limiter fails it returns
// Allowed with a zero Limit (so WriteHeaders writes no made-up numbers) and
// no error. The one error it returns is ErrInvalidLimit: that is a bug to
// fix, not an outage to ride out. A check abandoned because the client went
// away (ctx canceled) is allowed but neither counted nor logged.
func (f *FailOpenLimiter) AllowN(ctx context.Context, key string, l Limit, n int) (Result, error) {
	res, err := f.next.AllowN(ctx, key, l, n)
	if err == nil || errors.Is(err, ErrInvalidLimit) {
		return res, err
	}
	if errors.Is(ctx.Err(), context.Canceled) {
		return Result{Allowed: true}, nil
	}
	total := f.failures.Add(1)
	now := time.Now().UnixNano()
	last := f.lastLog.Load()
	if (last == 0 || now-last >= int64(f.logEvery)) && f.lastLog.CompareAndSwap(last, now) {
		// The key is not logged: it may hold an API key id or a client IP.
		f.logger.Warn("rate limiter failed; allowing requests unlimited",
			"err", err, "failures_total", total, "suppressed", f.suppressed.Swap(0))
	} else {
		f.suppressed.Add(1)
	}
	return Result{Allowed: true}, nil
}

// Failures returns how many checks have failed open since start; export it
// as a Prometheus counter (e.g. with prometheus.NewCounterFunc).
func (f *FailOpenLimiter) Failures() uint64 { return f.failures.Load() }
