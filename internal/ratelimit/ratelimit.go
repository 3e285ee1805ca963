// Package ratelimit limits how often a client may create links or call the
// API, per API key or per client IP. Local keeps token buckets in this
// node's memory; Redis shares them across every node of a cluster; FailOpen
// keeps the service up when Redis is not. Callers pick the key: a bucket is
// named by it, so use one key per (action, client), e.g. "create:ip:203.0.113.7".
package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"tiny/internal/tiny"
)

// Limit is a rate: Rate events per Period, with bursts of up to Burst events.
// Burst is also the size of the bucket, so it is what RateLimit-Limit reports.
type Limit struct {
	Rate   int
	Burst  int
	Period time.Duration
}

// ErrInvalidLimit is wrapped by the error of a check with an invalid Limit. It
// is a bug or a bad configuration, never an outage, so FailOpen passes it on.
var ErrInvalidLimit = errors.New("ratelimit: invalid limit")

// Validate reports whether l can be enforced; cmd calls it at start so a bad
// configuration fails there rather than on the first request.
func (l Limit) Validate() error {
	if l.Rate < 1 || l.Burst < 1 || l.Period <= 0 {
		return fmt.Errorf("%w %s: rate and burst must be at least 1 and period positive", ErrInvalidLimit, l)
	}
	return nil
}

// IsZero reports whether l is the zero Limit, which a Result carries when no
// limit was actually checked.
func (l Limit) IsZero() bool { return l == Limit{} }

// String formats l for logs and errors, e.g. "10/1m0s burst 20".
func (l Limit) String() string {
	return fmt.Sprintf("%d/%s burst %d", l.Rate, l.Period, l.Burst)
}

// fillTime is how long an empty bucket takes to fill up: after that long
// idle, a key's state equals a fresh one, so it may be forgotten.
func (l Limit) fillTime() time.Duration {
	return time.Duration(float64(l.Period) * float64(l.Burst) / float64(l.Rate))
}

// Result is the outcome of one check. RetryAfter and ResetAfter feed the
// Retry-After and RateLimit-* headers (see WriteHeaders).
type Result struct {
	// Allowed reports whether the event may happen now; a refused event
	// consumes nothing.
	Allowed bool
	// Limit is the limit checked; zero when none was (FailOpen after an error).
	Limit Limit
	// Remaining is how many more events the bucket allows right now.
	Remaining int
	// RetryAfter is how long until the next event is allowed; 0 when allowed.
	RetryAfter time.Duration
	// ResetAfter is how long until the bucket is full again.
	ResetAfter time.Duration
}

// Limiter checks and counts events against a limit per key.
type Limiter interface {
	// AllowN reports whether n events for key may happen now under l, and
	// counts them if so; n above the burst counts as the burst, so a batch
	// larger than the bucket takes all of it rather than never passing. Its
	// errors are: ErrInvalidLimit (wrapped, code internal) for a limit that
	// fails Validate, and code unavailable when the backing store cannot be
	// reached.
	AllowN(ctx context.Context, key string, l Limit, n int) (Result, error)
}

// Allow is AllowN for one event.
func Allow(ctx context.Context, lim Limiter, key string, l Limit) (Result, error) {
	return lim.AllowN(ctx, key, l, 1)
}

// clampEvents bounds n to 1..burst.
func clampEvents(n int, l Limit) int { return min(max(n, 1), l.Burst) }

// WriteHeaders sets the RateLimit-Limit, RateLimit-Remaining and
// RateLimit-Reset headers of the IETF httpapi draft, and Retry-After when the
// event was refused. Durations are whole seconds rounded up, so a client that
// waits that long is never refused again for lack of time. A Result with a
// zero Limit writes nothing: after a failed check there are no honest numbers.
// (http.Header canonicalises the names to "Ratelimit-…"; header names are
// case-insensitive.)
func (r Result) WriteHeaders(h http.Header) {
	if r.Limit.IsZero() {
		return
	}
	h.Set("RateLimit-Limit", strconv.Itoa(r.Limit.Burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(r.Remaining, 0)))
	h.Set("RateLimit-Reset", strconv.FormatInt(ceilSeconds(r.ResetAfter), 10))
	if !r.Allowed {
		h.Set("Retry-After", strconv.FormatInt(max(ceilSeconds(r.RetryAfter), 1), 10))
	}
}

// Err returns nil for an allowed Result and a rate_limited error for a
// refused one, so handlers can simply return it.
func (r Result) Err() error {
	if r.Allowed {
		return nil
	}
	return tiny.Errorf(tiny.RateLimited, "rate limit exceeded; retry in %d s", max(ceilSeconds(r.RetryAfter), 1))
}

// ceilSeconds rounds d up to whole seconds; negative durations count as 0.
func ceilSeconds(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Second - 1) / time.Second)
}

// unavailable wraps a store error so that it carries code unavailable and
// still matches the cause with errors.Is.
func unavailable(err error) error {
	return fmt.Errorf("%w: %w", tiny.Errorf(tiny.Unavailable, "rate limiter unavailable"), err)
}
