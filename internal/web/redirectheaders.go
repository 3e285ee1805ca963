package web

import (
	"net/http"

	"github.com/valyala/fasthttp"
)

// securityHeader is one header of a fixed security set, its key canonical.
type securityHeader struct{ key, value string }

// redirectSecurityHeaders are the security headers of every redirect, the
// same on the fast path and the net/http one (docs/decisions.md, "Security
// headers of a redirect"). A redirect is never rendered, so the page
// headers (CSP, X-Frame-Options, nosniff) do nothing on it. Referrer-Policy
// does: it replaces, for the hop to the destination, the policy of the page
// the link was clicked on. It can only cap what that page lets through, and
// this one caps it at the page's origin, and nothing from HTTPS to HTTP.
func redirectSecurityHeaders() []securityHeader {
	return []securityHeader{
		{"Referrer-Policy", "strict-origin-when-cross-origin"},
	}
}

// setRedirectHeaders turns the page headers securityHeaders set on a
// net/http answer into those of a redirect.
func setRedirectHeaders(h http.Header) {
	for _, sh := range pageSecurityHeaders() {
		h.Del(sh.key)
	}
	for _, sh := range redirectSecurityHeaders() {
		h.Set(sh.key, sh.value)
	}
}

// fastHeader is a header of the fast path, as bytes fasthttp copies from.
type fastHeader struct{ key, value []byte }

// newFastRedirectHeaders converts redirectSecurityHeaders once, at start,
// so a fast-path redirect sets them without converting or allocating.
func newFastRedirectHeaders() []fastHeader {
	set := redirectSecurityHeaders()
	out := make([]fastHeader, len(set))
	for i, sh := range set {
		out[i] = fastHeader{[]byte(sh.key), []byte(sh.value)}
	}
	return out
}

// setFastRedirectHeaders sets the redirect security headers on a fast-path
// answer. The keys are canonical, so SetCanonical spares their copy.
func (s *Server) setFastRedirectHeaders(h *fasthttp.ResponseHeader) {
	for _, fh := range s.redirectHeaders {
		h.SetCanonical(fh.key, fh.value)
	}
}
