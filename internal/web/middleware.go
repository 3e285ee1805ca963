package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/valyala/fasthttp"

	"tiny/internal/tiny"
)

type contextKey int

const (
	requestIDKey contextKey = iota
	connKey                 // the request's net.Conn, for costlyContext
)

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// validRequestID accepts a caller's X-Request-Id only when it is short and
// plain, so it can be logged and echoed safely.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

func newRequestID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// statusRecorder remembers the status a handler wrote.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// observe gives each request an id, recovers panics, logs the request
// (never the client address) and counts it by route and status.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get("X-Request-Id")
		if !validRequestID(id) {
			id = newRequestID()
		}
		w.Header().Set("X-Request-Id", id)
		r = r.WithContext(context.WithValue(r.Context(), requestIDKey, id))
		rec := &statusRecorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					panic(p)
				}
				s.log.Error("handler panicked", "request_id", id, "panic", p)
				if rec.status == 0 {
					s.renderError(rec, r, tiny.Errorf(tiny.Internal, "panic"))
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.metrics.requests.WithLabelValues(route, strconv.Itoa(status)).Inc()
			s.log.Info("request", "request_id", id, "method", r.Method, "route", route,
				"status", status, "duration_ms", float64(time.Since(start).Microseconds())/1000)
		}()
		next.ServeHTTP(rec, r)
	})
}

// pageSecurityHeaders are the headers every page and API answer carries.
// A redirect swaps them for redirectSecurityHeaders.
func pageSecurityHeaders() []securityHeader {
	return []securityHeader{
		{"X-Content-Type-Options", "nosniff"},
		{"Referrer-Policy", "no-referrer"},
		{"X-Frame-Options", "DENY"},
		{"Content-Security-Policy", "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'"},
	}
}

// securityHeaders sets pageSecurityHeaders on every answer.
func securityHeaders(next http.Handler) http.Handler {
	set := pageSecurityHeaders()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		for _, sh := range set {
			h.Set(sh.key, sh.value)
		}
		next.ServeHTTP(w, r)
	})
}

// detach cuts a request that came through fasthttpadaptor loose from
// fasthttp. It copies every string, which the adaptor builds over fasthttp's
// buffers that are reused once the request ends, so anything kept longer (a
// cache key, a queued click) would later change under our feet. And it
// keeps the context from being cancelled by the start of a shutdown, and
// puts the connection in it for costlyContext.
func detach(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		r.Method = strings.Clone(r.Method)
		r.Proto = strings.Clone(r.Proto)
		r.Host = strings.Clone(r.Host)
		r.RequestURI = strings.Clone(r.RequestURI)
		if u, err := url.ParseRequestURI(r.RequestURI); err == nil {
			r.URL = u
		} else {
			r.URL = cloneURL(r.URL)
		}
		h := make(http.Header, len(r.Header))
		for k, vs := range r.Header {
			cv := make([]string, len(vs))
			for i, v := range vs {
				cv[i] = strings.Clone(v)
			}
			h[strings.Clone(k)] = cv
		}
		r.Header = h
		// fasthttp cancels every request context when shutdown begins; a
		// graceful shutdown lets in-flight requests finish instead. Costly
		// work ends when its client hangs up, which it sees on the conn.
		ctx := context.WithoutCancel(r.Context())
		if fc, ok := r.Context().(*fasthttp.RequestCtx); ok {
			ctx = context.WithValue(ctx, connKey, fc.Conn())
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func cloneURL(u *url.URL) *url.URL {
	c := *u
	c.Scheme, c.Opaque, c.Host = strings.Clone(u.Scheme), strings.Clone(u.Opaque), strings.Clone(u.Host)
	c.Path, c.RawPath, c.RawQuery, c.Fragment = strings.Clone(u.Path), strings.Clone(u.RawPath), strings.Clone(u.RawQuery), strings.Clone(u.Fragment)
	c.User = nil
	return &c
}
