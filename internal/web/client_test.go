package web

import (
	"encoding/csv"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"tiny/internal/ratelimit"
)

// TestPerAddressLimitsKeyIPv6OnItsNetwork: ten clients of one /64
// (2001:db8:7:7::1 to ::a, as one subscriber can be) share one bucket of
// each per-address limit, so the limit of 5 refuses the last five. Another
// /64 and an IPv4 client have buckets of their own.
func TestPerAddressLimitsKeyIPv6OnItsNetwork(t *testing.T) {
	five := ratelimit.Limit{Rate: 5, Period: time.Hour, Burst: 5}
	for _, tt := range []struct {
		name   string
		limits Limits
		send   func(e *env, code, client string) response
	}{
		{"reports", Limits{Report: five}, func(e *env, code, client string) response {
			return e.do("POST", "/api/v1/reports", "", map[string]any{"link": code, "reason": "spam"}, "X-Forwarded-For", client)
		}},
		{"API calls", Limits{PerIP: five}, func(e *env, _, client string) response {
			return e.do("GET", "/api/v1/links", e.adminKey, nil, "X-Forwarded-For", client)
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, trustLoopback, func(c *Config) {
				c.RateLimiter = ratelimit.NewLocal(1000)
				c.Limits = tt.limits
			})
			// Created from 127.0.0.1, the proxy, outside the buckets below.
			code := e.create(e.adminKey, map[string]any{"url": "https://example.net/reported"})["code"].(string)
			var accepted, refused int
			for i := 1; i <= 10; i++ {
				switch r := tt.send(e, code, fmt.Sprintf("2001:db8:7:7::%x", i)); r.status {
				case http.StatusTooManyRequests:
					refused++
				case http.StatusOK, http.StatusAccepted:
					accepted++
				default:
					t.Fatalf("request %d = %d %s", i, r.status, r.body)
				}
			}
			if accepted != 5 || refused != 5 {
				t.Errorf("10 %s from 2001:db8:7:7::1..a = %d accepted, %d refused; want 5 and 5 (one /64 is one client)", tt.name, accepted, refused)
			}
			for _, other := range []string{"2001:db8:7:8::1", "203.0.113.7"} {
				if r := tt.send(e, code, other); r.status == http.StatusTooManyRequests {
					t.Errorf("%s from %s = 429, want its own bucket", tt.name, other)
				}
			}
		})
	}
}

// proxiedEnv is a server behind proxies on 10.0.0.0/8, 127.0.0.1 and
// 2001:db8:ffff::/48.
func proxiedEnv(t *testing.T) *env {
	return newEnv(t, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{
			netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("2001:db8:ffff::/48"),
		}
	})
}

// fastRequest is a fasthttp request from peer with the X-Forwarded-For
// header lines given.
func fastRequest(peer *net.TCPAddr, xff ...string) *fasthttp.RequestCtx {
	var req fasthttp.Request
	req.SetRequestURI("/abcdefg")
	for _, line := range xff {
		req.Header.Add("X-Forwarded-For", line)
	}
	ctx := &fasthttp.RequestCtx{}
	ctx.Init(&req, peer, nil)
	return ctx
}

// TestFastAndNetHTTPAgreeOnClient asks both sides of the server who the
// client of the same request is: the fast path, and the net/http handler
// the request reaches through the adaptor.
func TestFastAndNetHTTPAgreeOnClient(t *testing.T) {
	e := proxiedEnv(t)
	proxy := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 40000} // 16-byte form: a mapped address
	for _, tt := range []struct {
		name string
		peer *net.TCPAddr
		xff  []string
		want string
	}{
		{"no proxy: the header is ignored", &net.TCPAddr{IP: net.IPv4(198, 51, 100, 9), Port: 1}, []string{"203.0.113.7"}, "198.51.100.9"},
		{"a proxy without a header", proxy, nil, "10.0.0.2"},
		{"a spoofed leftmost entry", proxy, []string{"192.0.2.66, 203.0.113.7"}, "203.0.113.7"},
		{"two lines: the client's own, then the proxy's", proxy, []string{"192.0.2.66", "203.0.113.7"}, "203.0.113.7"},
		{"two lines: the client, then an inner proxy", proxy, []string{"203.0.113.7", "10.0.0.3"}, "203.0.113.7"},
		{"garbage from a proxy", proxy, []string{"203.0.113.7, junk"}, "10.0.0.2"},
		{"an IPv6 client with a port", proxy, []string{"[2001:db8:7:7::1]:4711"}, "2001:db8:7:7::1"},
		{"an IPv6 proxy", &net.TCPAddr{IP: net.ParseIP("2001:db8:ffff::1"), Port: 1}, []string{"192.0.2.66, 2001:db8:7:7::1"}, "2001:db8:7:7::1"},
		{"a zoned peer", &net.TCPAddr{IP: net.ParseIP("fe80::1"), Zone: "eth0", Port: 1}, []string{"203.0.113.7"}, "fe80::1"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := fastRequest(tt.peer, tt.xff...)
			fast := e.server.fastClientIP(ctx)
			var r http.Request
			if err := fasthttpadaptor.ConvertRequest(ctx, &r, true); err != nil {
				t.Fatal(err)
			}
			slow := e.server.clientIP(&r)
			if want := netip.MustParseAddr(tt.want); fast != want || slow != want {
				t.Errorf("client of %v with %q: fast path %v, net/http %v, want %v on both", tt.peer, tt.xff, fast, slow, want)
			}
		})
	}
}

// TestFastClientIPDoesNotAllocate: behind a proxy the fast path reads the
// header on every redirect, and must stay free of allocations.
func TestFastClientIPDoesNotAllocate(t *testing.T) {
	e := proxiedEnv(t)
	ctx := fastRequest(&net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 40000}, "192.0.2.66, 2001:db8:7:7::1", "10.0.0.3")
	if n := testing.AllocsPerRun(100, func() { e.server.fastClientIP(ctx) }); n != 0 {
		t.Errorf("fastClientIP behind a proxy allocates %v times, want 0", n)
	}
}

// TestVisitorsFollowTheClientOnBothPaths visits an active link (the fast
// path) and a click-limited one (net/http) through the proxy on 127.0.0.1,
// with a spoofed leftmost X-Forwarded-For line that changes every time.
// Both links count the same two visitors, with the same hashes: the IPv4
// client, and one IPv6 subscriber on two addresses of a /64.
func TestVisitorsFollowTheClientOnBothPaths(t *testing.T) {
	e := newEnv(t, trustLoopback)
	fast := e.create(e.adminKey, map[string]any{"url": "https://example.com/fast"})["code"].(string)
	slow := e.create(e.adminKey, map[string]any{"url": "https://example.com/slow", "max_clicks": 1000})["code"].(string)
	spoof := 0
	for _, code := range []string{fast, slow} {
		for _, client := range []string{"203.0.113.7", "2001:db8:7:7::1", "203.0.113.7", "2001:db8:7:7::2"} {
			spoof++
			r := e.visit("GET", "/"+code, "User-Agent", firefox,
				"X-Forwarded-For", fmt.Sprintf("192.0.2.%d", spoof), "X-Forwarded-For", client)
			if r.status != http.StatusFound {
				t.Fatalf("GET /%s = %d, want 302", code, r.status)
			}
		}
	}
	e.flushClicks()
	visitors := map[string][]string{}
	for _, code := range []string{fast, slow} {
		st := e.do("GET", "/api/v1/links/"+code+"/stats", e.adminKey, nil).json(t)
		if v := st["totals"].(map[string]any)["unique_visitors"]; v != float64(2) {
			t.Errorf("unique visitors of /%s = %v, want 2 (one IPv4 client, one IPv6 /64)", code, v)
		}
		r := e.do("GET", "/api/v1/links/"+code+"/clicks.csv", e.adminKey, nil)
		rows, err := csv.NewReader(strings.NewReader(string(r.body))).ReadAll()
		if err != nil || len(rows) != 5 {
			t.Fatalf("clicks.csv of /%s = %d rows, %v, want 1 + 4", code, len(rows), err)
		}
		for _, row := range rows[1:] {
			visitors[code] = append(visitors[code], row[2])
		}
		slices.Sort(visitors[code])
		visitors[code] = slices.Compact(visitors[code])
	}
	if !slices.Equal(visitors[fast], visitors[slow]) {
		t.Errorf("visitor hashes: fast path %v, net/http %v, want the same", visitors[fast], visitors[slow])
	}
}
