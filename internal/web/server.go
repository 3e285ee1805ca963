package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"tiny/internal/abuse"
	"tiny/internal/abuse/feed"
	"tiny/internal/accounts"
	"tiny/internal/analytics"
	"tiny/internal/app"
	"tiny/internal/clientaddr"
	"tiny/internal/importer"
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
	// WriteTimeout bounds writing a response (30s), and also the costly
	// work of one request: a bulk create, a password hash.
	WriteTimeout time.Duration
	// IdleTimeout bounds an idle keep-alive connection (120s).
	IdleTimeout time.Duration
	// MaxBodyBytes bounds any request body (16 MiB); each endpoint has a
	// tighter limit of its own.
	MaxBodyBytes int
	// Logger receives request and error logs.
	Logger *slog.Logger
	// TrustedProxies are the proxies in front of tiny, as addresses (/32,
	// /128) and networks. A request from one of them has its client taken
	// from X-Forwarded-For, the rightmost entry that is not one of them
	// (see package clientaddr). Empty: the socket's peer is the client.
	TrustedProxies []netip.Prefix
	// IPv6Prefix is the prefix length an IPv6 client is limited on (64).
	IPv6Prefix int
	// RateLimiter enforces Limits; nil enforces none.
	RateLimiter ratelimit.Limiter
	// Limits are the API's rate limits.
	Limits Limits
	// Collectors are more metrics to serve on /metrics, such as the
	// link-safety ones.
	Collectors []prometheus.Collector
	// Destinations are the moderators' destination blocks; nil: their
	// endpoints answer 503.
	Destinations *abuse.Destinations
	// Accounts authenticates every API request and keeps users, keys and
	// sessions; required.
	Accounts *accounts.Service
	// Feeds reports the state of the blocklist feeds for the admin pages;
	// nil: no feeds.
	Feeds func() []feed.FeedStatus
	// SignIns are the ways of signing in (password, second factor, single
	// sign-on); nil: the sign-in routes are not served.
	SignIns *accounts.SignIns
	// Settings are the effective settings the admin page shows.
	Settings []app.Setting
	// ImportDestinations is where an import from another shortener's API
	// may connect; nil: where links may lead.
	ImportDestinations *tiny.DestinationRule
}

// Server serves tiny over HTTP.
type Server struct {
	cfg   Config
	log   *slog.Logger
	links *shortener.Service
	// accounts says who a request is from and keeps users, keys and
	// sessions.
	accounts *accounts.Service
	// crossOrigin refuses state changes signed in by cookie from other
	// sites.
	crossOrigin *http.CrossOriginProtection
	store       tiny.Store
	clicks      *analytics.Recorder
	metrics     *metrics
	// views renders every page; webApp serves the signed-in ones.
	views  *app.Views
	webApp *app.App
	// imports runs the import jobs this node started.
	imports *importer.Jobs
	limits  *rateLimiter
	// clients decides who the client of a request is (client.go).
	clients clientaddr.Policy
	// agents names a signing-in browser for the list of sessions.
	agents *analytics.AgentNamer
	// interned shares the strings of repeated user agents and referrers
	// between the clicks of the fast path.
	interned *internTable
	// redirectHeaders are the security headers of a fast-path redirect.
	redirectHeaders []fastHeader

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
	clients, err := clientaddr.New(cfg.TrustedProxies, cfg.IPv6Prefix)
	if err != nil {
		return nil, tiny.Errorf(tiny.Invalid, "client addresses: %v", err)
	}
	if cfg.Accounts == nil {
		return nil, tiny.Errorf(tiny.Invalid, "the web server needs the accounts service")
	}
	var base string
	if cfg.BaseURL != nil {
		base = cfg.BaseURL.Scheme + "://" + cfg.BaseURL.Host
	}
	crossOrigin, err := newCrossOriginProtection(base)
	if err != nil {
		return nil, tiny.Errorf(tiny.Invalid, "base URL: %v", err)
	}
	views, err := app.NewViews(base, cfg.Logger)
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:   cfg,
		log:   cfg.Logger,
		links: links,

		accounts:    cfg.Accounts,
		crossOrigin: crossOrigin,
		store:       store,
		clicks:      clicks,
		views:       views,
		now:         time.Now,
		limits:      &rateLimiter{limiter: cfg.RateLimiter, limits: cfg.Limits},

		clients:         clients,
		interned:        newInternTable(),
		agents:          analytics.NewAgentNamer(),
		redirectHeaders: newFastRedirectHeaders(),
		imports:         importer.NewJobs(links, importer.JobsConfig{Logger: cfg.Logger, Destinations: cfg.ImportDestinations}),
	}
	s.webApp, err = app.New(app.Config{
		BaseURL: cfg.BaseURL, Links: links, Accounts: cfg.Accounts, SignIns: cfg.SignIns, Store: store,
		Destinations: cfg.Destinations, Feeds: cfg.Feeds, Views: views, Logger: cfg.Logger, Now: s.now,
		ClearSession: s.clearSessionCookie, LimitReport: s.limitReports, LimitCreates: s.limitCreates, Settings: cfg.Settings,
		Imports: s.imports,
	})
	if err != nil {
		return nil, err
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
		// Leaves the raw request out of parse errors; fasthttpLogger logs
		// none of their text anyway.
		SecureErrorLogMessage: true,
		ErrorHandler:          s.protocolError,
		HeaderReceived:        s.requestConfig,
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
// finish, then cancels the running import jobs and waits for them, or for
// ctx. A cancelled import keeps what it applied and resumes when started
// again.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.ShutdownWithContext(ctx)
	return errors.Join(err, s.imports.Close(ctx))
}

// uploadPaths are the routes that take a file to import, whose body may be
// larger than MaxBodyBytes.
var uploadPaths = map[string]bool{"/api/v1/imports": true, "/app/links/import": true}

// requestConfig lets the uploads of imports through the server's body
// limit, and only them, and only from a caller whose key or session is
// valid: a stranger may not make the server read 64 MiB. Their handlers
// bound the body themselves (importer.UploadBodyLimit).
func (s *Server) requestConfig(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	path, _, _ := strings.Cut(string(h.RequestURI()), "?")
	if string(h.Method()) == http.MethodPost && uploadPaths[path] && s.cfg.MaxBodyBytes < importer.UploadBodyLimit && s.signedInHeader(h) {
		return fasthttp.RequestConfig{MaxRequestBodySize: importer.UploadBodyLimit}
	}
	return fasthttp.RequestConfig{}
}

// signedInHeader reports whether the headers carry a valid API key or
// session, before the body is read. The accounts service caches both, so
// this costs a map lookup for a caller seen lately.
func (s *Server) signedInHeader(h *fasthttp.RequestHeader) bool {
	ctx := context.Background()
	if secret, ok := strings.CutPrefix(string(h.Peek("Authorization")), "Bearer "); ok {
		_, err := s.accounts.AuthenticateKey(ctx, strings.TrimSpace(secret))
		return err == nil
	}
	if token := h.Cookie(s.sessionCookieName()); len(token) > 0 {
		_, err := s.accounts.AuthenticateSession(ctx, string(token))
		return err == nil
	}
	return false
}

// shortURL is the public address of a link.
func (s *Server) shortURL(l *tiny.Link) string {
	return s.cfg.BaseURL.JoinPath(l.ShortName()).String()
}

// protocolError answers a request that fasthttp could not read, with the
// same JSON error shape as every other error, and counts it by its class.
func (s *Server) protocolError(ctx *fasthttp.RequestCtx, err error) {
	class := connErrorClass(err)
	s.metrics.unreadable.WithLabelValues(class).Inc()
	var body errorBody
	status := fasthttp.StatusBadRequest
	switch class {
	case classBodyTooLarge:
		status = fasthttp.StatusRequestEntityTooLarge
		limit := s.cfg.MaxBodyBytes
		if c := s.requestConfig(&ctx.Request.Header); c.MaxRequestBodySize > 0 {
			limit = c.MaxRequestBodySize
		}
		body.Error = errorDetail{Code: tiny.TooLarge, Message: fmt.Sprintf("the request body must be at most %d bytes", limit)}
	case classHeadersTooLarge:
		status = fasthttp.StatusRequestHeaderFieldsTooLarge
		body.Error = errorDetail{Code: tiny.TooLarge, Message: "the request headers are too large"}
	default:
		body.Error = errorDetail{Code: tiny.Invalid, Message: "the request could not be read as HTTP"}
	}
	b, _ := json.Marshal(body)
	ctx.SetStatusCode(status)
	ctx.SetContentType("application/json")
	ctx.SetBody(b)
	ctx.SetConnectionClose()
}

// The classes of connection errors: all that is logged or counted of a
// request fasthttp could not read.
const (
	classMalformed       = "malformed"
	classHeadersTooLarge = "headers_too_large"
	classBodyTooLarge    = "body_too_large"
	classTimeout         = "timeout"
	classConnection      = "connection" // reset, broken pipe, closed
)

func connErrorClass(err error) string {
	var small *fasthttp.ErrSmallBuffer
	var netErr net.Error
	var opErr *net.OpError
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		return classBodyTooLarge
	case errors.As(err, &small) || errors.Is(err, fasthttp.ErrSmallReadBuffer):
		return classHeadersTooLarge
	case errors.As(err, &netErr) && netErr.Timeout():
		return classTimeout
	case errors.As(err, &opErr) || errors.Is(err, net.ErrClosed):
		return classConnection
	default:
		return classMalformed
	}
}

// fasthttpLogger takes the lines fasthttp logs itself. Their arguments hold
// the client's address and, for a request it could not parse, the raw
// request with its Authorization and Cookie headers; none of that may reach
// the log (DESIGN §6.16), so a line keeps only its constant text or, for a
// failed connection, the class of its error.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	if strings.HasPrefix(format, "error when serving connection") {
		var err error
		for _, a := range args {
			if e, ok := a.(error); ok {
				err = e
			}
		}
		// Any client can cause these at will, so they go to debug; the
		// unreadable ones are counted in tiny_http_unreadable_requests_total.
		l.log.Debug("a connection ended with an error", "class", connErrorClass(err))
		return
	}
	// The rest are about the server (failed accepts, connection limits).
	// An accept error names the listener, never a client.
	msg, _, _ := strings.Cut(format, "%")
	msg = strings.TrimRight(msg, " :=(,")
	if msg == "" {
		msg = "a request-scoped error, withheld"
	}
	attrs := []any{"msg", msg}
	if strings.Contains(format, "accepting new connections") && len(args) == 1 {
		attrs = append(attrs, "err", args[0])
	}
	l.log.Warn("http server", attrs...)
}
