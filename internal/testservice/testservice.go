// Package testservice gives tests the servers this machine runs: PostgreSQL
// and Redis. A test that needs a server that is not reachable skips and says
// how to enable it; when TINY_REQUIRE_SERVICES=1 (CI sets it) the test fails
// instead, so CI can never pass by skipping.
package testservice

import (
	"net"
	"net/url"
	"os"
	"testing"
	"time"
)

// Defaults match the servers this project's machines start.
const (
	defaultPostgres = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	defaultRedis    = "redis://127.0.0.1:6379/0"
)

// PostgresURL returns the URL of the test database (TINY_TEST_POSTGRES, or
// the local server's database "test").
func PostgresURL(t testing.TB) string {
	t.Helper()
	return require(t, "TINY_TEST_POSTGRES", defaultPostgres, "PostgreSQL",
		"start it with: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start")
}

// RedisURL returns the URL of the test Redis (TINY_TEST_REDIS, or the local
// server).
func RedisURL(t testing.TB) string {
	t.Helper()
	return require(t, "TINY_TEST_REDIS", defaultRedis, "Redis",
		`start it with: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no`)
}

// Required reports whether missing servers fail tests rather than skip them.
func Required() bool { return os.Getenv("TINY_REQUIRE_SERVICES") == "1" }

func require(t testing.TB, env, def, name, howto string) string {
	t.Helper()
	raw := os.Getenv(env)
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("%s=%q is not a URL: %v", env, raw, err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 2*time.Second)
	if err != nil {
		msg := name + " is not reachable at " + u.Host + " (" + err.Error() + "); " + howto + ", or set " + env
		if Required() {
			t.Fatalf("TINY_REQUIRE_SERVICES=1 and %s", msg)
		}
		t.Skip(msg)
	}
	conn.Close()
	return raw
}

// NginxPath returns the path of the nginx binary (Debian's nginx-light or
// nginx package), skipping or failing like the servers when it is missing.
func NginxPath(t testing.TB) string {
	t.Helper()
	for _, p := range []string{"/usr/sbin/nginx", "/usr/bin/nginx"} {
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	msg := "nginx is not installed; install it with: apt-get install -y nginx-light"
	if Required() {
		t.Fatalf("TINY_REQUIRE_SERVICES=1 and %s", msg)
	}
	t.Skip(msg)
	return ""
}
