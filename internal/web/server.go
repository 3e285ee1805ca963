package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"tiny/internal/analytics"
	"tiny/internal/ratelimit"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// Config is what the web front needs to know. Zero durations and sizes take
// the defaults noted.
type Config struct {
	// BaseURL is the public address short links are built on.
	BaseURL *url.URL
	// ReadTimeout bounds reading a whole request, headers and body (30s);
	// it is what stops slowloris clients.
	ReadTimeout time.Duration
	// WriteTimeout bounds writing a response (30s).
	WriteTimeout time.Duration
	// IdleTimeout bounds an idle keep-alive connection (120s).
	IdleTimeout time.Duration
	// MaxBodyBytes bounds any request body (16 MiB); each endpoint has a
	// tighter limit of its own.
	MaxBodyBytes int
	// Logger receives request and error logs.
	Logger *slog.Logger
	// TrustProxy makes the client address come from X-Forwarded-For; set it
	// only behind a proxy that sets that header.
	TrustProxy bool
	// RateLimiter enforces Limits; nil enforces none.
	RateLimiter ratelimit.Limiter
	// Limits are the API's rate limits.
	Limits Limits
	// Collectors are more metrics to serve on /metrics, such as the
	// link-safety ones.
	Collectors []prometheus.Collector
}

// Server serves tiny over HTTP.
type Server struct {
	cfg     Config
	log     *slog.Logger
	links   *shortener.Service
	store   tiny.Store
	clicks  *analytics.Recorder
	metrics *metrics
	pages   *template.Template
	limits  *rateLimiter
	// interned shares the strings of repeated user agents and referrers
	// between the clicks of the fast path.
	interned *internTable

	handler http.Handler            // the ServeMux with its middleware
	slow    fasthttp.RequestHandler // handler, mounted on fasthttp
	http    *fasthttp.Server
	now     func() time.Time
}

// NewServer builds the server and parses its templates; a missing or broken
// template fails here, at start.
func NewServer(cfg Config, links *shortener.Service, store tiny.Store, clicks *analytics.Recorder) (*Server, error) {
	if cfg.ReadTimeout <= 0 {
		cfg.ReadTimeout = 30 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 30 * time.Second
	}
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 120 * time.Second
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 16 << 20
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	pages, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:    cfg,
		log:    cfg.Logger,
		links:  links,
		store:  store,
		clicks: clicks,
		pages:  pages,
		now:    time.Now,
		limits: &rateLimiter{limiter: cfg.RateLimiter, limits: cfg.Limits},

		interned: newInternTable(),
	}
	s.metrics = newMetrics(links, clicks, s.limits)
	s.metrics.registry.MustRegister(cfg.Collectors...)
	s.handler = s.observe(securityHeaders(s.routes()))
	s.slow = oneContentType(fasthttpadaptor.NewFastHTTPHandler(detach(s.handler)))
	s.http = &fasthttp.Server{
		Handler:               s.serveFast,
		Name:                  "tiny",
		ReadTimeout:           cfg.ReadTimeout,
		WriteTimeout:          cfg.WriteTimeout,
		IdleTimeout:           cfg.IdleTimeout,
		MaxRequestBodySize:    cfg.MaxBodyBytes,
		NoDefaultServerHeader: true,
		NoDefaultContentType:  true,
		CloseOnShutdown:       true,
		Logger:                fasthttpLogger{cfg.Logger},
		ErrorHandler:          s.protocolError,
	}
	return s, nil
}

// Handler returns the net/http side of the server: everything but the
// redirect fast path, which answers the same way for the requests it takes.
func (s *Server) Handler() http.Handler { return s.handler }

// Serve accepts connections on ln until Shutdown. The connections' timeouts
// are kept by a coarseListener, which is cheaper per request than a timer
// per deadline.
func (s *Server) Serve(ln net.Listener) error {
	tick := sweepTick(s.cfg.ReadTimeout, s.cfg.WriteTimeout, s.cfg.IdleTimeout)
	return s.http.Serve(newCoarseListener(ln, tick))
}

// Shutdown stops accepting connections and waits for in-flight requests to
// finish, or for ctx.
func (s *Server) Shutdown(ctx context.Context) error { return s.http.ShutdownWithContext(ctx) }

// shortURL is the public address of a link.
func (s *Server) shortURL(l *tiny.Link) string {
	return s.cfg.BaseURL.JoinPath(l.ShortName()).String()
}

// protocolError answers a request that fasthttp could not read, with the
// same JSON error shape as every other error.
func (s *Server) protocolError(ctx *fasthttp.RequestCtx, err error) {
	var body errorBody
	status := fasthttp.StatusBadRequest
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		status = fasthttp.StatusRequestEntityTooLarge
		body.Error = errorDetail{Code: tiny.TooLarge, Message: fmt.Sprintf("the request body must be at most %d bytes", s.cfg.MaxBodyBytes)}
	default:
		body.Error = errorDetail{Code: tiny.Invalid, Message: "the request could not be read as HTTP"}
	}
	b, _ := json.Marshal(body)
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
	ctx.SetConnectionClose()
}

type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Warn("http server", "msg", fmt.Sprintf(format, args...))
}
