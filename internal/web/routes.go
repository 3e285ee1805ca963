package web

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"tiny/api"
	"tiny/internal/app"
)

// redirectRoute is the route label of short-code requests.
const redirectRoute = "/{code}"

// redirectRouteLabel is the route label of redirects in metrics, the same
// on the fast path as on the ServeMux.
const redirectRouteLabel = "GET " + redirectRoute

// Body limits per endpoint.
const (
	linkBodyLimit = 64 << 10
	bulkBodyLimit = 12 << 20
	keyBodyLimit  = 4 << 10
)

// routes is the one list of every route. Everything that is not a short
// code lives under a reserved word, so no route overlaps with a code.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	// API calls are limited per client address, then authenticated, then
	// limited per key.
	auth := func(h http.Handler) http.Handler { return s.limitByIP(s.authenticate(s.limitByKey(h))) }

	mux.Handle("GET /static/", http.StripPrefix("/static/", app.Assets()))
	mux.Handle("GET /healthz", s.wrap(s.healthz))
	mux.Handle("GET /readyz", s.wrap(s.readyz))
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{}))
	mux.Handle("GET /api/openapi.yaml", http.HandlerFunc(serveSpec))

	mux.Handle("POST /api/v1/links", auth(s.wrap(s.createLink)))
	mux.Handle("GET /api/v1/links", auth(s.wrap(s.listLinks)))
	mux.Handle("POST /api/v1/links/bulk", auth(s.wrap(s.bulkCreateLinks)))
	mux.Handle("GET /api/v1/export", auth(s.wrap(s.exportLinks)))
	mux.Handle("GET /api/v1/links/{code}", auth(s.wrap(s.getLink)))
	mux.Handle("PATCH /api/v1/links/{code}", auth(s.wrap(s.updateLink)))
	mux.Handle("DELETE /api/v1/links/{code}", auth(s.wrap(s.deleteLink)))
	mux.Handle("GET /api/v1/links/{code}/stats", auth(s.wrap(s.linkStats)))
	mux.Handle("GET /api/v1/links/{code}/qr", auth(s.wrap(s.linkQR)))
	mux.Handle("GET /api/v1/links/{code}/clicks.csv", auth(s.wrap(s.clicksCSV)))
	mux.Handle("GET /api/v1/stats", auth(s.wrap(s.instanceStats)))
	mux.Handle("POST /api/v1/keys", auth(s.wrap(s.createKey)))
	mux.Handle("GET /api/v1/keys", auth(s.wrap(s.listKeys)))
	mux.Handle("DELETE /api/v1/keys/{id}", auth(s.wrap(s.deleteKey)))
	mux.Handle("GET /api/v1/users", auth(s.wrap(s.listUsers)))
	mux.Handle("POST /api/v1/users", auth(s.wrap(s.createUser)))
	mux.Handle("GET /api/v1/users/{id}", auth(s.wrap(s.getUser)))
	mux.Handle("PATCH /api/v1/users/{id}", auth(s.wrap(s.updateUser)))
	mux.Handle("DELETE /api/v1/users/{id}", auth(s.wrap(s.deleteUser)))
	mux.Handle("GET /api/v1/account", auth(s.wrap(s.getAccount)))
	mux.Handle("PATCH /api/v1/account", auth(s.wrap(s.updateAccount)))
	mux.Handle("POST /api/v1/account/password", auth(s.wrap(s.changePassword)))
	mux.Handle("GET /api/v1/account/sessions", auth(s.wrap(s.listSessions)))
	mux.Handle("DELETE /api/v1/account/sessions/{id}", auth(s.wrap(s.endSession)))
	mux.Handle("POST /api/v1/links/{code}/appeal", auth(s.wrap(s.appeal)))
	mux.Handle("POST /api/v1/reports", s.limitByIP(s.wrap(s.report)))
	mux.Handle("GET /api/v1/moderation/queue", auth(s.wrap(s.reviewQueue)))
	mux.Handle("POST /api/v1/moderation/links/{code}", auth(s.wrap(s.decide)))
	mux.Handle("GET /api/v1/moderation/audit", auth(s.wrap(s.auditLog)))
	mux.Handle("GET /api/v1/moderation/quality", auth(s.wrap(s.moderationQuality)))
	mux.Handle("POST /api/v1/moderation/destinations", auth(s.wrap(s.blockDestination)))
	mux.Handle("GET /api/v1/moderation/destinations", auth(s.wrap(s.listDestinationBlocks)))
	mux.Handle("DELETE /api/v1/moderation/destinations/{id}", auth(s.wrap(s.removeDestinationBlock)))
	// Import jobs (api_imports.go).
	mux.Handle("POST /api/v1/imports", auth(s.wrap(s.createImport)))
	mux.Handle("GET /api/v1/imports", auth(s.wrap(s.listImports)))
	mux.Handle("GET /api/v1/imports/{id}", auth(s.wrap(s.getImport)))
	mux.Handle("DELETE /api/v1/imports/{id}", auth(s.wrap(s.cancelImport)))
	s.signinRoutes(mux)
	// The web app's pages: / and /app/ (internal/app/routes.go).
	s.webApp.Routes(mux, func(h http.Handler) http.Handler { return s.limitByIP(s.identify(h)) })
	mux.Handle("/api/", s.wrap(apiNotFound))

	mux.Handle("GET "+redirectRoute, s.wrap(s.visit))
	mux.Handle("POST "+redirectRoute, s.wrap(s.unlock))
	return mux
}

func serveSpec(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/yaml")
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(api.Spec)
}
