package main

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"tiny/internal/testservice"
)

// TestClusterRateLimitsThroughRedis runs two nodes with --redis: one API
// key's limit is shared by both, and refusals carry Retry-After and the
// RateLimit headers.
func TestClusterRateLimitsThroughRedis(t *testing.T) {
	redisURL := isolatedRedis(t)
	nodes := startCluster(t, 2, clusterDatabase(t), "--redis", redisURL, "--rate-key", "5/1h:5")
	var ok, limited int
	for i := 0; i < 10; i++ {
		req := nodes[i%2].addr
		resp := apiResponse(t, "GET", req, "/api/v1/links")
		switch resp.StatusCode {
		case 200:
			ok++
		case 429:
			limited++
			if resp.Header.Get("Retry-After") == "" || resp.Header.Get("RateLimit-Limit") != "5" || resp.Header.Get("RateLimit-Remaining") != "0" {
				t.Errorf("429 headers = %v, want Retry-After, RateLimit-Limit 5, RateLimit-Remaining 0", resp.Header)
			}
		}
	}
	if ok != 5 || limited != 5 {
		t.Errorf("10 calls of one key over 2 nodes sharing Redis = %d ok, %d limited; want 5 and 5", ok, limited)
	}
}

// TestRateLimitsFailOpenWithoutRedis points --redis at a port where nothing
// listens: API calls still succeed, and /metrics counts the failures.
func TestRateLimitsFailOpenWithoutRedis(t *testing.T) {
	dir := t.TempDir()
	p := startTinyWith(t, freeAddr(t), []string{"--database", dir + "/tiny.db", "--redis", "redis://127.0.0.1:1/0", "--rate-key", "1/1h:1"},
		"TINY_INITIAL_API_KEY="+testKey)
	for i := 0; i < 3; i++ {
		if resp := apiResponse(t, "GET", p.addr, "/api/v1/links"); resp.StatusCode != 200 {
			t.Errorf("call %d with Redis down = %d, want 200", i, resp.StatusCode)
		}
	}
	_, metrics := apiCall(t, "GET", p.addr, "/metrics", "")
	if !strings.Contains(metrics, "tiny_ratelimit_failures_total") || strings.Contains(metrics, "tiny_ratelimit_failures_total 0\n") {
		t.Errorf("/metrics does not count the failed rate-limit checks")
	}
}

// isolatedRedis returns the URL of a Redis database that this test empties
// first, so limits left by an earlier run cannot leak in.
func isolatedRedis(t *testing.T) string {
	t.Helper()
	u, err := url.Parse(testservice.RedisURL(t))
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/13"
	opts, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	defer c.Close()
	if err := c.FlushDB(context.Background()).Err(); err != nil {
		t.Fatal(err)
	}
	return u.String()
}
