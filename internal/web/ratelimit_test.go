package web

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tiny/internal/ratelimit"
	"tiny/internal/testservice"
)

func TestRateLimitPerKey(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.RateLimiter = ratelimit.NewLocal(1000)
		c.Limits = Limits{PerKey: ratelimit.Limit{Rate: 1, Burst: 3, Period: time.Hour}}
	})
	for i := 1; i <= 3; i++ {
		r := e.do("GET", "/api/v1/links", e.adminKey, nil)
		if r.status != 200 || r.header.Get("RateLimit-Remaining") != strconv.Itoa(3-i) || r.header.Get("RateLimit-Limit") != "3" {
			t.Errorf("call %d = %d, RateLimit-Remaining %q, want 200 and %d", i, r.status, r.header.Get("RateLimit-Remaining"), 3-i)
		}
	}
	r := e.do("GET", "/api/v1/links", e.adminKey, nil)
	if r.status != 429 || r.errorCode() != "rate_limited" || r.header.Get("Retry-After") == "" || r.header.Get("RateLimit-Reset") == "" {
		t.Errorf("4th call = %d %s Retry-After %q, want 429 rate_limited with Retry-After and RateLimit-Reset", r.status, r.body, r.header.Get("Retry-After"))
	}
	other := e.newKey("other", "user")
	if r := e.do("GET", "/api/v1/links", other, nil); r.status != 200 {
		t.Errorf("another key's first call = %d, want 200 (limits are per key)", r.status)
	}
}

func TestRateLimitCreatesCountBulkItems(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.RateLimiter = ratelimit.NewLocal(1000)
		c.Limits = Limits{Create: ratelimit.Limit{Rate: 1, Burst: 5, Period: time.Hour}}
	})
	items := []map[string]any{{"url": "https://example.com/1"}, {"url": "https://example.com/2"}, {"url": "https://example.com/3"}, {"url": "https://example.com/4"}}
	if r := e.do("POST", "/api/v1/links/bulk", e.adminKey, map[string]any{"links": items}); r.status != 200 {
		t.Fatalf("bulk of 4 = %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v1/links/bulk", e.adminKey, map[string]any{"links": items[:2]}); r.status != 429 {
		t.Errorf("bulk of 2 with 1 create left = %d, want 429", r.status)
	}
	e.create(e.adminKey, map[string]any{"url": "https://example.com/last"})
	if r := e.do("GET", "/api/v1/links", e.adminKey, nil); r.status != 200 {
		t.Errorf("a read after the create limit is spent = %d, want 200", r.status)
	}
}

func TestRateLimitPerIPBeforeAuth(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.RateLimiter = ratelimit.NewLocal(1000)
		c.Limits = Limits{PerIP: ratelimit.Limit{Rate: 1, Burst: 2, Period: time.Hour}}
	})
	statuses := []int{}
	for i := 0; i < 3; i++ {
		statuses = append(statuses, e.doRaw("GET", "/api/v1/links", "tiny_guessing_keys_guessing_keys", nil).status)
	}
	if statuses[0] != 401 || statuses[1] != 401 || statuses[2] != 429 {
		t.Errorf("three calls with a wrong key from one address = %v, want [401 401 429]", statuses)
	}
}

// TestRateLimitRedisFailsOpen points the limiter at a Redis that is not
// there: calls go through, and the failures are counted in /metrics.
func TestRateLimitRedisFailsOpen(t *testing.T) {
	opts, err := ratelimit.RedisOptions("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	limiter := ratelimit.FailOpen(ratelimit.NewRedis(client), slog.New(slog.NewTextHandler(io.Discard, nil)))
	e := newEnv(t, func(c *Config) {
		c.RateLimiter = limiter
		c.Limits = Limits{PerKey: ratelimit.Limit{Rate: 1, Burst: 1, Period: time.Hour}}
	})
	for i := 0; i < 3; i++ {
		if r := e.do("GET", "/api/v1/links", e.adminKey, nil); r.status != 200 {
			t.Errorf("call %d with Redis down = %d, want 200 (fail open)", i, r.status)
		}
	}
	if m := string(e.do("GET", "/metrics", "", nil).body); !containsLine(m, "tiny_ratelimit_failures_total 3") {
		t.Errorf("/metrics does not count 3 rate-limit failures")
	}
}

// TestRateLimitRedisIsShared runs two servers on one Redis: the limit of a
// key is shared, not doubled.
func TestRateLimitRedisIsShared(t *testing.T) {
	opts, err := ratelimit.RedisOptions(testservice.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opts)
	defer client.Close()
	prefix := strconv.FormatInt(time.Now().UnixNano(), 36)
	limits := Limits{PerIP: ratelimit.Limit{Rate: 1, Burst: 4, Period: time.Hour}}
	shared := prefixed{ratelimit.NewRedis(client), prefix}
	a := newEnv(t, func(c *Config) { c.RateLimiter, c.Limits = shared, limits })
	b := newEnv(t, func(c *Config) { c.RateLimiter, c.Limits = shared, limits })
	allowed := 0
	for i := 0; i < 4; i++ {
		for _, e := range []*env{a, b} {
			if e.do("GET", "/api/v1/links", e.adminKey, nil).status == 200 {
				allowed++
			}
		}
	}
	if allowed != 4 {
		t.Errorf("8 calls from one address over two servers allowed %d, want 4 (the shared burst)", allowed)
	}
}

// prefixed keeps one test's buckets apart from other runs on the same Redis.
type prefixed struct {
	ratelimit.Limiter
	prefix string
}

func (p prefixed) AllowN(ctx context.Context, key string, l ratelimit.Limit, n int) (ratelimit.Result, error) {
	return p.Limiter.AllowN(ctx, p.prefix+key, l, n)
}

func containsLine(text, line string) bool {
	return slices.Contains(strings.Split(text, "\n"), line)
}
