package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"tiny/internal/app"

	"tiny/internal/tiny"
)

// handlerFunc is a handler that returns its error; wrap turns it into an
// http.Handler that renders the error once, as JSON or HTML.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// errorBody is the JSON shape of every API error.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    tiny.ErrorCode `json:"code"`
	Message string         `json:"message"`
	Field   string         `json:"field,omitempty"`
}

func detailOf(err error) errorDetail {
	return errorDetail{Code: tiny.ErrorCodeOf(err), Message: tiny.ErrorMessageOf(err), Field: tiny.ErrorFieldOf(err)}
}

func (s *Server) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.renderError(w, r, err)
		}
	})
}

// renderError writes err with the status of its code. The text of internal
// errors is logged, never sent.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, err error) {
	code := tiny.ErrorCodeOf(err)
	status := tiny.HTTPStatus(code)
	if code == tiny.Internal {
		s.log.ErrorContext(r.Context(), "request failed", "request_id", requestID(r.Context()), "err", err)
	}
	if code == tiny.Unavailable {
		w.Header().Set("Retry-After", "5")
	}
	if code == tiny.Unauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="tiny"`)
	}
	if wantsHTML(r) {
		s.renderPage(w, r, status, "error.html", &app.ErrorView{Page: app.Page{Title: http.StatusText(status)}, Status: status, Message: tiny.ErrorMessageOf(err)})
		return
	}
	writeJSON(w, status, errorBody{detailOf(err)})
}

// wantsHTML reports whether the client is a browser rather than an API
// client: API paths always get JSON.
func wantsHTML(r *http.Request) bool {
	if strings.HasPrefix(r.URL.Path, "/api/") {
		return false
	}
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		slog.Debug("writing a JSON response failed", "err", err)
	}
}

// intParam reads an integer query parameter within [lo, hi].
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, tiny.FieldErrorf(tiny.Invalid, name, "%s must be an integer from %d to %d", name, lo, hi)
	}
	return n, nil
}

// choiceParam reads a query parameter that takes one of choices, the
// first being the default.
func choiceParam(r *http.Request, name string, choices ...string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return choices[0], nil
	}
	if !slices.Contains(choices, v) {
		return "", tiny.FieldErrorf(tiny.Invalid, name, "%s must be %s", name, strings.Join(choices, " or "))
	}
	return v, nil
}
