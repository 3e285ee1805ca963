package web

import (
	"net"
	"net/http"
	"net/netip"
	"unsafe"

	"github.com/valyala/fasthttp"
)

// Who is asking: every path asks these, and they all ask s.clients, so the
// fast path, the API, the pages, the rate limits and the visitor hashes
// agree on the client (see package clientaddr).

// clientIP is the client address of a net/http request.
func (s *Server) clientIP(r *http.Request) netip.Addr {
	return s.clients.Client(peerAddr(r), r.Header["X-Forwarded-For"])
}

// clientKey names the client of r in a per-address limit: its IPv4 address,
// or its IPv6 network (/64 unless configured). Every per-address limit
// keys on it, so that one subscriber's /64 is one client.
func (s *Server) clientKey(r *http.Request) string {
	return s.clients.KeyString(s.clientIP(r))
}

// fastClientIP is clientIP for a fasthttp request, without allocating.
func (s *Server) fastClientIP(ctx *fasthttp.RequestCtx) netip.Addr {
	peer := remoteAddr(ctx)
	var lines []string
	if s.clients.Trusts(peer) { // the header is read only when it counts
		// A few lines fit on the stack; the strings alias the request
		// buffer and live only for the call.
		var buf [4]string
		lines = buf[:0]
		for _, v := range ctx.Request.Header.PeekAll(fasthttp.HeaderXForwardedFor) {
			lines = append(lines, unsafe.String(unsafe.SliceData(v), len(v)))
		}
	}
	return s.clients.Client(peer, lines)
}

// remoteAddr returns the peer of a fasthttp request without allocating.
func remoteAddr(ctx *fasthttp.RequestCtx) netip.Addr {
	if c, ok := ctx.Conn().(*coarseConn); ok {
		return c.peer
	}
	return peerOf(ctx.Conn())
}

// peerOf returns the remote address of a TCP connection (zero for others).
func peerOf(c net.Conn) netip.Addr {
	if c == nil {
		return netip.Addr{}
	}
	if a, ok := c.RemoteAddr().(*net.TCPAddr); ok {
		return a.AddrPort().Addr()
	}
	return netip.Addr{}
}

// peerAddr returns the peer of a net/http request.
func peerAddr(r *http.Request) netip.Addr {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr()
	}
	a, _ := netip.ParseAddr(r.RemoteAddr)
	return a
}
