package ratelimit

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"tiny/internal/testservice"
	"tiny/internal/tiny"
)

func TestLimitValidate(t *testing.T) {
	tests := []struct {
		l    Limit
		want bool // valid
	}{
		{Limit{Rate: 10, Burst: 20, Period: time.Minute}, true},
		{Limit{Rate: 1, Burst: 1, Period: time.Nanosecond}, true},
		{Limit{Rate: 0, Burst: 1, Period: time.Second}, false},
		{Limit{Rate: 1, Burst: 0, Period: time.Second}, false},
		{Limit{Rate: 1, Burst: 1, Period: 0}, false},
		{Limit{Rate: -1, Burst: 1, Period: time.Second}, false},
		{Limit{}, false},
	}
	for _, tt := range tests {
		err := tt.l.Validate()
		if got := err == nil; got != tt.want {
			t.Errorf("Limit(%v).Validate() = %v, want valid %v", tt.l, err, tt.want)
		}
		if err != nil && !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("Limit(%v).Validate() = %v, want ErrInvalidLimit", tt.l, err)
		}
	}
}

// Burst 3 and one event per 10 s: refill during the test is negligible, so
// every value is exact except durations, which get a margin.
var slowLimit = Limit{Rate: 6, Burst: 3, Period: time.Minute}

// checkBurst drains a fresh bucket and checks every result; both limiters
// must agree on it.
func checkBurst(t *testing.T, lim Limiter, key string) {
	t.Helper()
	ctx := context.Background()
	interval := slowLimit.Period / time.Duration(slowLimit.Rate) // 10 s
	steps := []struct {
		allowed   bool
		remaining int
		resetMin  time.Duration // ResetAfter in (resetMin, resetMin+interval]
	}{
		{true, 2, 0},
		{true, 1, interval},
		{true, 0, 2 * interval},
		{false, 0, 2 * interval}, // refused: consumes nothing
		{false, 0, 2 * interval},
	}
	for i, s := range steps {
		res, err := Allow(ctx, lim, key, slowLimit)
		if err != nil {
			t.Fatalf("Allow(%q) #%d error: %v", key, i+1, err)
		}
		if res.Allowed != s.allowed || res.Remaining != s.remaining || res.Limit != slowLimit {
			t.Errorf("Allow(%q) #%d = allowed %v remaining %d limit %v, want %v %d %v",
				key, i+1, res.Allowed, res.Remaining, res.Limit, s.allowed, s.remaining, slowLimit)
		}
		if res.ResetAfter <= s.resetMin-time.Second || res.ResetAfter > s.resetMin+interval {
			t.Errorf("Allow(%q) #%d ResetAfter = %v, want in (%v, %v]", key, i+1, res.ResetAfter, s.resetMin, s.resetMin+interval)
		}
		switch {
		case s.allowed && res.RetryAfter != 0:
			t.Errorf("Allow(%q) #%d RetryAfter = %v, want 0", key, i+1, res.RetryAfter)
		case !s.allowed && (res.RetryAfter < interval-time.Second || res.RetryAfter > interval):
			// ≈ 1/rate: the first token was taken a moment ago.
			t.Errorf("Allow(%q) #%d RetryAfter = %v, want ≈ %v", key, i+1, res.RetryAfter, interval)
		}
	}
}

// checkRefill spends a 200 ms bucket, waits as told, and expects a token.
func checkRefill(t *testing.T, lim Limiter, key string) {
	t.Helper()
	ctx := context.Background()
	l := Limit{Rate: 1, Burst: 1, Period: 200 * time.Millisecond}
	if res, err := Allow(ctx, lim, key, l); err != nil || !res.Allowed {
		t.Fatalf("Allow(%q) #1 = %+v, %v, want allowed", key, res, err)
	}
	res, err := Allow(ctx, lim, key, l)
	if err != nil || res.Allowed {
		t.Fatalf("Allow(%q) #2 = %+v, %v, want refused", key, res, err)
	}
	if res.RetryAfter <= 0 || res.RetryAfter > l.Period {
		t.Errorf("Allow(%q) #2 RetryAfter = %v, want in (0, %v]", key, res.RetryAfter, l.Period)
	}
	time.Sleep(res.RetryAfter + 100*time.Millisecond) // a late wake-up only helps
	if res, err := Allow(ctx, lim, key, l); err != nil || !res.Allowed {
		t.Errorf("Allow(%q) after %v = %+v, %v, want allowed", key, res.RetryAfter, res, err)
	}
}

// checkConcurrent fires n checks at once on one key from the given
// limiters and returns how many were allowed.
func checkConcurrent(t *testing.T, lims []Limiter, key string, l Limit, perLimiter int) int {
	t.Helper()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for _, lim := range lims {
		for range perLimiter {
			wg.Go(func() {
				res, err := Allow(context.Background(), lim, key, l)
				if err != nil {
					t.Errorf("Allow(%q) error: %v", key, err)
					return
				}
				if res.Allowed {
					allowed.Add(1)
				}
			})
		}
	}
	wg.Wait()
	return int(allowed.Load())
}

func newLocal(t *testing.T, maxKeys int) *Local {
	l := NewLocal(maxKeys)
	t.Cleanup(l.Close)
	return l
}

func TestLocalBurst(t *testing.T) {
	checkBurst(t, newLocal(t, 100), "burst")
}

func TestLocalRefill(t *testing.T) {
	checkRefill(t, newLocal(t, 100), "refill")
}

func TestLocalKeysIndependent(t *testing.T) {
	ctx := context.Background()
	lim := newLocal(t, 100)
	one := Limit{Rate: 1, Burst: 1, Period: time.Hour}
	if res, _ := Allow(ctx, lim, "a", one); !res.Allowed {
		t.Fatalf("Allow(a) #1 = refused, want allowed")
	}
	tests := []struct {
		key  string
		l    Limit
		want bool
	}{
		{"a", one, false},                   // spent
		{"b", one, true},                    // another key
		{"a", Limit{2, 1, time.Hour}, true}, // another limit: another bucket
	}
	for _, tt := range tests {
		res, err := Allow(ctx, lim, tt.key, tt.l)
		if err != nil || res.Allowed != tt.want {
			t.Errorf("Allow(%q, %v) = %v, %v, want %v", tt.key, tt.l, res.Allowed, err, tt.want)
		}
	}
}

func TestLocalConcurrent(t *testing.T) {
	l := Limit{Rate: 1, Burst: 100, Period: time.Hour}
	if got := checkConcurrent(t, []Limiter{newLocal(t, 100)}, "hot", l, 300); got != l.Burst {
		t.Errorf("allowed of 300 concurrent Allow(hot, %v) = %d, want %d", l, got, l.Burst)
	}
}

func TestLocalMemoryBound(t *testing.T) {
	const maxKeys, keys = 1000, 100_000
	lim := newLocal(t, maxKeys)
	l := Limit{Rate: 1, Burst: 1, Period: time.Hour} // never idle long enough to expire
	for i := range keys {
		if _, err := Allow(context.Background(), lim, fmt.Sprintf("ip:%d", i), l); err != nil {
			t.Fatal(err)
		}
	}
	lim.buckets.CleanUp()
	if got := lim.buckets.EstimatedSize(); got > maxKeys {
		t.Errorf("EstimatedSize() after %d keys = %d, want <= %d", keys, got, maxKeys)
	}
}

// A bucket idle until full is dropped: remembering it would change nothing.
func TestLocalForgetsIdleKeys(t *testing.T) {
	lim := newLocal(t, 100)
	l := Limit{Rate: 1, Burst: 1, Period: 10 * time.Millisecond} // full again 10 ms after use
	for i := range 10 {
		Allow(context.Background(), lim, fmt.Sprint(i), l)
	}
	deadline := time.Now().Add(10 * time.Second) // forgetting takes ~1 s
	for lim.buckets.CleanUp(); lim.buckets.EstimatedSize() > 0; lim.buckets.CleanUp() {
		if time.Now().After(deadline) {
			t.Fatalf("EstimatedSize() 10 s after last use = %d, want 0", lim.buckets.EstimatedSize())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestLocalInvalidLimit(t *testing.T) {
	_, err := newLocal(t, 10).Allow(context.Background(), "k", Limit{})
	if !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("Allow(k, Limit{}) = %v, want ErrInvalidLimit", err)
	}
}

// newRedisClient connects to the test Redis; the keys the test used are
// deleted when it ends.
func newRedisClient(t *testing.T) *redis.Client {
	t.Helper()
	opts, err := RedisOptions(testservice.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return c
}

// testKey returns a key no other test run uses, and deletes its Redis key
// at the end.
func testKey(t *testing.T, c *redis.Client) string {
	key := "test:" + rand.Text() + ":" + t.Name()
	t.Cleanup(func() { c.Del(context.Background(), "rate:"+KeyPrefix+key) })
	return key
}

func TestRedisBurst(t *testing.T) {
	c := newRedisClient(t)
	key := testKey(t, c)
	checkBurst(t, NewRedis(c), key)

	stored := "rate:" + KeyPrefix + key
	if ttl, err := c.TTL(context.Background(), stored).Result(); err != nil || ttl <= 0 {
		t.Errorf("TTL(%q) = %v, %v, want a positive TTL", stored, ttl, err)
	}
}

func TestRedisRefill(t *testing.T) {
	c := newRedisClient(t)
	checkRefill(t, NewRedis(c), testKey(t, c))
}

// Two clients stand for two nodes: together they must allow the burst once,
// not once each.
func TestRedisSharedAcrossNodes(t *testing.T) {
	a, b := newRedisClient(t), newRedisClient(t)
	key := testKey(t, a)
	l := Limit{Rate: 1, Burst: 10, Period: time.Hour}
	if got := checkConcurrent(t, []Limiter{NewRedis(a), NewRedis(b)}, key, l, 15); got != l.Burst {
		t.Errorf("allowed of 2×15 concurrent Allow(%q, %v) on two nodes = %d, want %d", key, l, got, l.Burst)
	}
}

func TestRedisInvalidLimit(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	defer c.Close()
	if _, err := NewRedis(c).Allow(context.Background(), "k", Limit{Rate: 1}); !errors.Is(err, ErrInvalidLimit) {
		t.Errorf("Allow(k, {Rate: 1}) = %v, want ErrInvalidLimit", err)
	}
}

// deadRedis is a Redis limiter whose server is a closed port.
func deadRedis(t *testing.T) *Redis {
	opts, err := RedisOptions("redis://127.0.0.1:1/0")
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	return NewRedis(c)
}

func TestRedisOptions(t *testing.T) {
	tests := []struct {
		url                            string
		retries                        int
		dial, read, write, poolTimeout time.Duration
	}{
		{"redis://127.0.0.1:6379/0", -1, failFast, failFast, failFast, failFast},
		{"redis://127.0.0.1:6379/0?max_retries=2&dial_timeout=2s&read_timeout=1s&write_timeout=3s&pool_timeout=4s",
			2, 2 * time.Second, time.Second, 3 * time.Second, 4 * time.Second},
	}
	for _, tt := range tests {
		o, err := RedisOptions(tt.url)
		if err != nil {
			t.Fatalf("RedisOptions(%q) error: %v", tt.url, err)
		}
		got := fmt.Sprint(o.MaxRetries, o.DialerRetries, o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout)
		want := fmt.Sprint(tt.retries, 1, tt.dial, tt.read, tt.write, tt.poolTimeout)
		if got != want {
			t.Errorf("RedisOptions(%q) retries, dialer retries, timeouts = %s, want %s", tt.url, got, want)
		}
	}
	if _, err := RedisOptions("http://x"); err == nil {
		t.Errorf("RedisOptions(http://x) = nil error, want one")
	}
}

func TestRedisDown(t *testing.T) {
	_, err := deadRedis(t).Allow(context.Background(), "k", slowLimit)
	if code := tiny.ErrorCodeOf(err); code != tiny.Unavailable {
		t.Errorf("Allow(k) with Redis down = %v (code %q), want code %q", err, code, tiny.Unavailable)
	}
}

func TestFailOpen(t *testing.T) {
	var logs bytes.Buffer
	f := FailOpen(deadRedis(t), slog.New(slog.NewTextHandler(&logs, nil)))
	ctx := context.Background()

	// Five failures within the interval: all allowed, one log line.
	for i := range 5 {
		res, err := f.Allow(ctx, "k", slowLimit)
		if err != nil || !res.Allowed || !res.Limit.IsZero() {
			t.Fatalf("Allow(k) #%d with Redis down = %+v, %v, want allowed, zero Limit, no error", i+1, res, err)
		}
		if got := f.Failures(); got != uint64(i+1) {
			t.Errorf("Failures() after %d = %d, want %d", i+1, got, i+1)
		}
	}
	if got := strings.Count(logs.String(), "\n"); got != 1 {
		t.Errorf("log lines after 5 failures in %v = %d, want 1:\n%s", f.logEvery, got, logs.String())
	}

	// Once the interval has passed, the next failure logs what was skipped.
	f.logEvery = time.Nanosecond
	f.Allow(ctx, "k", slowLimit)
	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 || !strings.Contains(lines[1], "suppressed=4") || !strings.Contains(lines[1], "failures_total=6") {
		t.Errorf("log after the interval = %q, want a 2nd line with suppressed=4 failures_total=6", lines)
	}
	if strings.Contains(logs.String(), `"k"`) || strings.Contains(logs.String(), "key=") {
		t.Errorf("log = %q, want no rate-limit key in it", logs.String())
	}
}

// limiterFunc adapts a function to Limiter for tests.
type limiterFunc func(ctx context.Context, key string, l Limit) (Result, error)

func (f limiterFunc) AllowN(ctx context.Context, key string, l Limit, _ int) (Result, error) {
	return f(ctx, key, l)
}

func TestFailOpenPassThrough(t *testing.T) {
	allowed := Result{Allowed: true, Limit: slowLimit, Remaining: 2}
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name         string
		ctx          context.Context
		res          Result
		err          error
		want         Result
		wantErr      error
		wantFailures uint64
	}{
		{"ok", context.Background(), allowed, nil, allowed, nil, 0},
		{"refused", context.Background(), Result{Limit: slowLimit}, nil, Result{Limit: slowLimit}, nil, 0},
		{"invalid limit", context.Background(), Result{}, ErrInvalidLimit, Result{}, ErrInvalidLimit, 0},
		{"client gone", canceled, Result{}, context.Canceled, Result{Allowed: true}, nil, 0},
		{"outage", context.Background(), Result{}, errors.New("boom"), Result{Allowed: true}, nil, 1},
	}
	for _, tt := range tests {
		f := FailOpen(limiterFunc(func(context.Context, string, Limit) (Result, error) { return tt.res, tt.err }),
			slog.New(slog.DiscardHandler))
		got, err := f.Allow(tt.ctx, "k", slowLimit)
		if got != tt.want || !errors.Is(err, tt.wantErr) || (err == nil) != (tt.wantErr == nil) {
			t.Errorf("%s: Allow(k) = %+v, %v, want %+v, %v", tt.name, got, err, tt.want, tt.wantErr)
		}
		if n := f.Failures(); n != tt.wantFailures {
			t.Errorf("%s: Failures() = %d, want %d", tt.name, n, tt.wantFailures)
		}
	}
}

func TestWriteHeaders(t *testing.T) {
	l := Limit{Rate: 10, Burst: 20, Period: time.Minute}
	names := []string{"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"}
	tests := []struct {
		name string
		r    Result
		want []string // values of names, "" for absent
	}{
		{"allowed", Result{Allowed: true, Limit: l, Remaining: 19, ResetAfter: 6 * time.Second}, []string{"20", "19", "6", ""}},
		{"allowed, reset rounds up", Result{Allowed: true, Limit: l, Remaining: 7, ResetAfter: 3*time.Second + time.Nanosecond}, []string{"20", "7", "4", ""}},
		{"full", Result{Allowed: true, Limit: l, Remaining: 20}, []string{"20", "20", "0", ""}},
		{"refused", Result{Limit: l, RetryAfter: 5500 * time.Millisecond, ResetAfter: 2 * time.Minute}, []string{"20", "0", "120", "6"}},
		{"refused, tiny wait", Result{Limit: l, RetryAfter: time.Millisecond, ResetAfter: time.Millisecond}, []string{"20", "0", "1", "1"}},
		{"no limit checked", Result{Allowed: true}, []string{"", "", "", ""}},
	}
	for _, tt := range tests {
		h := http.Header{}
		tt.r.WriteHeaders(h)
		for i, name := range names {
			if got := h.Get(name); got != tt.want[i] {
				t.Errorf("%s: WriteHeaders(%+v) %s = %q, want %q", tt.name, tt.r, name, got, tt.want[i])
			}
		}
		if len(h) != len(slicesNonEmpty(tt.want)) {
			t.Errorf("%s: WriteHeaders(%+v) wrote %v, want only %v", tt.name, tt.r, h, names)
		}
	}
}

func slicesNonEmpty(s []string) []string {
	var out []string
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func TestResultErr(t *testing.T) {
	tests := []struct {
		r    Result
		want tiny.ErrorCode
	}{
		{Result{Allowed: true, Limit: slowLimit}, ""},
		{Result{Limit: slowLimit, RetryAfter: 1500 * time.Millisecond}, tiny.RateLimited},
	}
	for _, tt := range tests {
		if got := tiny.ErrorCodeOf(tt.r.Err()); got != tt.want {
			t.Errorf("Result(%+v).Err() code = %q, want %q", tt.r, got, tt.want)
		}
	}
	if msg := tiny.ErrorMessageOf(tests[1].r.Err()); !strings.Contains(msg, "2 s") {
		t.Errorf("Result(%+v).Err() message = %q, want it to say 2 s", tests[1].r, msg)
	}
}

// TestAllowNCountsBatches checks that a batch takes n tokens, and that a
// batch above the burst takes the whole burst instead of never passing.
func TestAllowNCountsBatches(t *testing.T) {
	l := Limit{Rate: 1, Burst: 10, Period: time.Hour}
	lim := NewLocal(10)
	defer lim.Close()
	ctx := context.Background()
	if res, err := lim.AllowN(ctx, "a", l, 4); err != nil || !res.Allowed || res.Remaining != 6 {
		t.Errorf("AllowN(4) = %+v, %v, want allowed with 6 remaining", res, err)
	}
	if res, _ := lim.AllowN(ctx, "a", l, 7); res.Allowed {
		t.Errorf("AllowN(7) with 6 left = allowed, want refused")
	}
	if res, _ := lim.AllowN(ctx, "b", l, 1000); !res.Allowed || res.Remaining != 0 {
		t.Errorf("AllowN(1000) on a fresh bucket of 10 = %+v, want allowed, taking all 10", res)
	}
}
