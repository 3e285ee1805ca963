package ratelimit

import (
	"context"
	"time"

	"github.com/go-redis/redis_rate/v10"
	"github.com/redis/go-redis/v9"
)

// KeyPrefix starts the key of every bucket this package names in Redis.
// redis_rate puts its own "rate:" in front, so the stored keys read
// "rate:tiny:rl:<key>".
const KeyPrefix = "tiny:rl:"

// Redis is a Limiter whose buckets live in Redis, so the limit holds across
// the whole cluster. It uses the GCRA of redis_rate: one Lua script per
// check, atomic on the server, timed by the server's clock so node clocks
// do not matter. A bucket's key expires once the bucket is full again.
type Redis struct {
	limiter *redis_rate.Limiter
}

// NewRedis returns a Redis limiter that uses client, which the caller owns
// and closes. Build the client from RedisOptions: with go-redis defaults a
// check against a down server takes about 1.7 s (retries of redials) before
// FailOpen can let the request through.
func NewRedis(client *redis.Client) *Redis {
	return &Redis{limiter: redis_rate.NewLimiter(client)}
}

// Allow counts one event; see AllowN.
func (r *Redis) Allow(ctx context.Context, key string, l Limit) (Result, error) {
	return r.AllowN(ctx, key, l, 1)
}

// AllowN implements Limiter. Its errors: ErrInvalidLimit (wrapped), and code
// unavailable, wrapping the go-redis error, when Redis cannot be reached.
func (r *Redis) AllowN(ctx context.Context, key string, l Limit, n int) (Result, error) {
	if err := l.Validate(); err != nil {
		return Result{}, err
	}
	res, err := r.limiter.AllowN(ctx, KeyPrefix+key, redis_rate.Limit{Rate: l.Rate, Burst: l.Burst, Period: l.Period}, clampEvents(n, l))
	if err != nil {
		return Result{}, unavailable(err)
	}
	out := Result{
		Allowed:    res.Allowed > 0,
		Limit:      l,
		Remaining:  max(res.Remaining, 0),
		ResetAfter: max(res.ResetAfter, 0),
	}
	if !out.Allowed {
		out.RetryAfter = max(res.RetryAfter, 0) // redis_rate reports -1 when allowed
	}
	return out, nil
}

// failFast bounds how long one check may wait on Redis.
const failFast = 250 * time.Millisecond

// RedisOptions parses a redis:// URL into client options for rate limiting.
// A check sits on the path of every request it guards, so a Redis outage
// must fail it fast rather than stall the request: no command retries, one
// dial attempt, and 250 ms timeouts. Timeouts and max_retries given in the
// URL win.
func RedisOptions(url string) (*redis.Options, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, err
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = -1 // a lost check only lets one request through
	}
	o.DialerRetries = 1
	for _, d := range []*time.Duration{&o.DialTimeout, &o.ReadTimeout, &o.WriteTimeout, &o.PoolTimeout} {
		if *d == 0 {
			*d = failFast
		}
	}
	return o, nil
}
