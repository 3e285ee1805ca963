package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

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
		s.renderPage(w, r, status, "error.html", errorPage{Status: status, Title: http.StatusText(status), Message: tiny.ErrorMessageOf(err)})
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

// decodeJSON reads one JSON value from the body into v, refusing unknown
// fields, trailing data and bodies over limit bytes, with errors that name
// the offending field.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	body := http.MaxBytesReader(w, r.Body, limit)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return jsonError(err, limit)
		}
		return tiny.Errorf(tiny.Invalid, "the request body must hold a single JSON value")
	}
	return nil
}

func jsonError(err error, limit int64) error {
	var (
		syntaxErr *json.SyntaxError
		typeErr   *json.UnmarshalTypeError
		maxErr    *http.MaxBytesError
		domainErr *tiny.Error
		timeErr   *time.ParseError
	)
	switch {
	case errors.As(err, &maxErr):
		return tiny.Errorf(tiny.TooLarge, "the request body must be at most %d bytes", limit)
	case errors.As(err, &syntaxErr):
		return tiny.Errorf(tiny.Invalid, "malformed JSON at byte %d", syntaxErr.Offset)
	case errors.Is(err, io.EOF):
		return tiny.Errorf(tiny.Invalid, "the request body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return tiny.Errorf(tiny.Invalid, "malformed JSON: the body ends early")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return tiny.Errorf(tiny.Invalid, "the request body must be a JSON object, not %s", typeErr.Value)
		}
		return tiny.FieldErrorf(tiny.Invalid, jsonFieldName(field), "%s must be %s, not %s", jsonFieldName(field), jsonTypeName(typeErr.Type.String()), typeErr.Value)
	case errors.As(err, &domainErr):
		return domainErr
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// encoding/json has no typed error for unknown fields.
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return tiny.FieldErrorf(tiny.Invalid, name, "unknown field %q", name)
	case errors.As(err, &timeErr):
		return tiny.Errorf(tiny.Invalid, "times must be RFC 3339, like 2030-01-02T15:04:05Z")
	default:
		return tiny.Errorf(tiny.Invalid, "malformed JSON")
	}
}

// jsonFieldName turns encoding/json's dotted Go-side path into the last JSON
// field name, which is what the client wrote.
func jsonFieldName(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		path = path[i+1:]
	}
	return path
}

func jsonTypeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		// Before the element checks: []string is an array, not a string.
		return "an array"
	case strings.Contains(goType, "int"):
		return "an integer"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "a boolean"
	case strings.Contains(goType, "Time"):
		return "an RFC 3339 time"
	default:
		return fmt.Sprintf("a %s", goType)
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
