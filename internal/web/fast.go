package web

import (
	"context"
	"strings"
	"time"
	"unsafe"

	"github.com/valyala/fasthttp"

	"tiny/internal/analytics"
	"tiny/internal/tiny"
)

// serveFast is the fasthttp entry point. It answers GET and HEAD of an
// active short link itself — the request this product exists for — and
// hands everything else to the net/http handler.
func (s *Server) serveFast(ctx *fasthttp.RequestCtx) {
	if !ctx.IsGet() && !ctx.IsHead() {
		s.slow(ctx)
		return
	}
	path := ctx.Path()
	if len(path) < 2 || path[0] != '/' {
		s.slow(ctx)
		return
	}
	// fasthttp reads the clock when the request has been read; reading it
	// again here would cost a tenth of this handler.
	start := ctx.Time()
	// name aliases the request buffer: it is only used for a cache lookup,
	// which does not keep it. A miss copies it before loading.
	name := unsafe.String(&path[1], len(path)-1)
	// A cached name is a link: reserved words never become links, so they
	// are checked only on a miss.
	t, ok := s.links.Cached(name)
	if !ok {
		if !tiny.IsCodeSyntax(name) || tiny.IsReserved(name) {
			s.slow(ctx)
			return
		}
		var err error
		t, err = s.links.ResolveMissed(context.WithoutCancel(ctx), strings.Clone(name))
		if err != nil {
			s.slow(ctx) // renders 404 or 503 from the same lookup rules
			return
		}
	}
	now := start
	if !t.Fast || t.Expired(now) {
		s.slow(ctx)
		return
	}
	status := t.Redirect()
	h := &ctx.Response.Header
	ctx.SetStatusCode(status)
	query := ""
	if t.ForwardsQuery() {
		query = string(ctx.URI().QueryString())
	}
	// The keys are canonical already, so SetCanonical spares the copy and
	// normalization of each that Set makes.
	h.SetCanonical(headerLocation, bytesOf(t.Location(query)))
	h.SetCanonical(headerCacheControl, bytesOf(t.CacheControl(now)))
	s.setFastRedirectHeaders(h)
	if !s.clicks.DropIfFull() {
		s.clicks.Record(analytics.Click{
			LinkID:    t.ID(),
			At:        now,
			IP:        s.fastClientIP(ctx),
			UserAgent: s.interned.get(ctx.Request.Header.UserAgent()),
			Referrer:  s.interned.get(ctx.Request.Header.Referer()),
		})
	}
	s.metrics.fastRequests[status].Inc()
	s.metrics.redirect.Observe(time.Since(start).Seconds())
}

var (
	headerLocation     = []byte(fasthttp.HeaderLocation)
	headerCacheControl = []byte(fasthttp.HeaderCacheControl)
)

// bytesOf returns the bytes of s without copying them. fasthttp copies a
// header value it is given, and never writes to it.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }
