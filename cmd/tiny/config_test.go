package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

// parseServeFlags parses args and the TINY_ environment as `tiny serve`
// does.
func parseServeFlags(args []string) (Config, error) {
	cfg := DefaultConfig()
	fs := pflag.NewFlagSet("tiny serve", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.register(fs)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	return cfg, applyEnv(fs)
}

func TestTrustProxyFlag(t *testing.T) {
	for _, tt := range []struct {
		name string
		args []string
		env  string
		want string // the trusted prefixes, comma-separated
	}{
		{"default: none", nil, "", ""},
		{"one address", []string{"--trust-proxy", "127.0.0.1"}, "", "127.0.0.1/32"},
		{"a list", []string{"--trust-proxy", "10.0.0.0/8,127.0.0.1"}, "", "10.0.0.0/8,127.0.0.1/32"},
		{"repeated, with spaces and IPv6", []string{"--trust-proxy", "10.0.0.0/8", "--trust-proxy=::1, 2001:db8::/32"}, "", "10.0.0.0/8,::1/128,2001:db8::/32"},
		{"host bits dropped", []string{"--trust-proxy", "10.1.2.3/8"}, "", "10.0.0.0/8"},
		{"the environment", nil, "10.0.0.0/8,127.0.0.1", "10.0.0.0/8,127.0.0.1/32"},
		{"the old false", []string{"--trust-proxy=false"}, "", ""},
		{"the old false in the environment", nil, "false", ""},
		{"a flag beats the environment", []string{"--trust-proxy", "::1"}, "10.0.0.0/8", "::1/128"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TINY_TRUST_PROXY", tt.env)
			cfg, err := parseServeFlags(tt.args)
			if err != nil || cfg.TrustProxy.String() != tt.want {
				t.Errorf("serve %q with TINY_TRUST_PROXY=%q: --trust-proxy = %q, %v, want %q", tt.args, tt.env, cfg.TrustProxy.String(), err, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		name string
		args []string
		env  string
		want string // in the error
	}{
		{"the old true", []string{"--trust-proxy=true"}, "", "list the proxies' addresses"},
		{"the old true in the environment", nil, "true", "list the proxies' addresses"},
		{"the old bare flag before another", []string{"--trust-proxy", "--base-url", "https://sho.rt"}, "", "takes the proxies' addresses"},
		{"a host name", []string{"--trust-proxy", "proxy.internal"}, "", "not an address or a CIDR network"},
		{"a zone", []string{"--trust-proxy", "fe80::1%eth0"}, "", "zone"},
		{"a bad network", []string{"--trust-proxy", "10.0.0.0/40"}, "", "not an address or a CIDR network"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("TINY_TRUST_PROXY", tt.env)
			if _, err := parseServeFlags(tt.args); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("serve %q with TINY_TRUST_PROXY=%q = %v, want an error saying %q", tt.args, tt.env, err, tt.want)
			}
		})
	}
}

func TestIPv6PrefixFlag(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want int
	}{
		{nil, 64},
		{[]string{"--ipv6-prefix", "48"}, 48},
		{[]string{"--ipv6-prefix", "/56"}, 56},
		{[]string{"--ipv6-prefix", "32"}, 32},
		{[]string{"--ipv6-prefix", "128"}, 128},
	} {
		if cfg, err := parseServeFlags(tt.args); err != nil || int(cfg.IPv6Prefix) != tt.want {
			t.Errorf("serve %q: --ipv6-prefix = %d, %v, want %d", tt.args, cfg.IPv6Prefix, err, tt.want)
		}
	}
	for _, v := range []string{"0", "31", "129", "-64", "sixty-four", ""} {
		if _, err := parseServeFlags([]string{"--ipv6-prefix", v}); err == nil {
			t.Errorf("serve --ipv6-prefix %q = nil error, want one", v)
		}
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		time.Minute: "1m", 30 * time.Minute: "30m", 10 * time.Second: "10s", time.Hour: "1h",
		90 * time.Minute: "1h30m", 2*time.Hour + 5*time.Second: "2h0m5s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := shortDuration(d); got != want {
			t.Errorf("shortDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

// --click-batch 0 picks the batch by where clicks are written: big through
// the child process, small where a batch would hold a serving P.
func TestClickBatchDefault(t *testing.T) {
	for _, c := range []struct {
		flag  int
		child bool
		want  int
	}{
		{0, true, 50_000},
		{0, false, 10_000},
		{-1, false, 10_000},
		{250, true, 250},
		{250, false, 250},
	} {
		if got := clickBatch(c.flag, c.child); got != c.want {
			t.Errorf("clickBatch(%d, child %v) = %d, want %d", c.flag, c.child, got, c.want)
		}
	}
	if d := DefaultConfig().ClickBatch; d != 0 {
		t.Errorf("default --click-batch = %d, want 0 (chosen by the writer)", d)
	}
}
