package web

import (
	"net"
	"net/netip"
	"testing"

	"github.com/valyala/fasthttp"
)

// BenchmarkRedirectCached measures the fast path for a cached link, with
// metrics and click capture on, as a real request sees it: a user agent and
// a referrer that the click keeps. The target is at most 3 allocations.
func BenchmarkRedirectCached(b *testing.B) {
	benchmarkRedirect(b, newEnv(b), &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40000}, nil)
}

// BenchmarkRedirectCachedBehindProxy is BenchmarkRedirectCached from a
// trusted proxy, whose X-Forwarded-For lines name the client.
func BenchmarkRedirectCachedBehindProxy(b *testing.B) {
	e := newEnv(b, func(c *Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")} })
	benchmarkRedirect(b, e, &net.TCPAddr{IP: net.IPv4(10, 0, 0, 2), Port: 40000}, nil, "192.0.2.66, 2001:db8:7:7::1", "10.0.0.3")
}

// BenchmarkRedirectMiss is BenchmarkRedirectCached with the link dropped
// from the cache before every visit: the whole cache miss (the store read
// under its deadline, the cache fill) on a plain link. Against
// BenchmarkRedirectCached in the same run it is what a cold request costs
// at ten million links, where a third of the requests miss.
func BenchmarkRedirectMiss(b *testing.B) {
	e := newEnv(b)
	benchmarkRedirect(b, e, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40000}, func(code string) { e.links.Invalidate(code) })
}

// benchmarkRedirect serves one link's redirect from peer in a loop, with
// before (if set) called with its code ahead of each visit.
func benchmarkRedirect(b *testing.B, e *env, peer net.Addr, before func(code string), xff ...string) {
	l := e.create(e.adminKey, map[string]any{"url": "https://example.com/some/long/destination?with=query"})
	code := l["code"].(string)
	uri := "/" + code
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	ctx.Init(&req, peer, nil)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.SetUserAgent("Mozilla/5.0 (X11; Linux x86_64; rv:130.0) Gecko/20100101 Firefox/130.0")
	ctx.Request.Header.SetReferer("https://news.example.org/item?id=1")
	for _, line := range xff {
		ctx.Request.Header.Add("X-Forwarded-For", line)
	}
	e.server.serveFast(&ctx) // the first visit fills the cache
	if ctx.Response.StatusCode() != 302 {
		b.Fatalf("warm-up status = %d, want 302", ctx.Response.StatusCode())
	}
	b.ReportAllocs()
	for b.Loop() {
		if before != nil {
			before(code)
		}
		ctx.Response.Reset()
		e.server.serveFast(&ctx)
	}
	b.StopTimer()
	if got := string(ctx.Response.Header.Peek("Location")); got != l["url"] {
		b.Fatalf("Location = %q, want %q", got, l["url"])
	}
}

// BenchmarkRedirectMapBaseline is the same request answered by the least a
// fasthttp handler can do: a map lookup and a 302. It is the yardstick for
// BenchmarkRedirectCached in the same run.
func BenchmarkRedirectMapBaseline(b *testing.B) {
	links := map[string]string{"/Ab3dE9x": "https://example.com/some/long/destination?with=query"}
	handler := func(ctx *fasthttp.RequestCtx) {
		if dest, ok := links[string(ctx.Path())]; ok {
			ctx.SetStatusCode(302)
			ctx.Response.Header.Set("Location", dest)
			return
		}
		ctx.SetStatusCode(404)
	}
	var ctx fasthttp.RequestCtx
	var req fasthttp.Request
	ctx.Init(&req, &net.TCPAddr{IP: net.IPv4(192, 0, 2, 7), Port: 40000}, nil)
	ctx.Request.SetRequestURI("/Ab3dE9x")
	b.ReportAllocs()
	for b.Loop() {
		ctx.Response.Reset()
		handler(&ctx)
	}
}
