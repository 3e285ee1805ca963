package tiny

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
)

// ErrorCode classifies an error for callers. The set is small on purpose:
// each code maps to exactly one HTTP status in HTTPStatus.
type ErrorCode string

// The error codes. Anything that is not an *Error is reported as Internal.
const (
	Invalid      ErrorCode = "invalid"
	NotFound     ErrorCode = "not_found"
	Conflict     ErrorCode = "conflict"
	Gone         ErrorCode = "gone"
	Unsafe       ErrorCode = "unsafe_url" // the safety check refused the destination
	TooLarge     ErrorCode = "too_large"
	Unsupported  ErrorCode = "unsupported_media_type" // a request body that is not JSON
	Unauthorized ErrorCode = "unauthorized"
	Forbidden    ErrorCode = "forbidden"
	RateLimited  ErrorCode = "rate_limited"
	Unavailable  ErrorCode = "unavailable"
	Internal     ErrorCode = "internal"
)

// statusByCode is the one table from error code to HTTP status.
var statusByCode = map[ErrorCode]int{
	Invalid:      http.StatusBadRequest,
	NotFound:     http.StatusNotFound,
	Conflict:     http.StatusConflict,
	Gone:         http.StatusGone,
	Unsafe:       http.StatusUnprocessableEntity,
	TooLarge:     http.StatusRequestEntityTooLarge,
	Unsupported:  http.StatusUnsupportedMediaType,
	Unauthorized: http.StatusUnauthorized,
	Forbidden:    http.StatusForbidden,
	RateLimited:  http.StatusTooManyRequests,
	Unavailable:  http.StatusServiceUnavailable,
	Internal:     http.StatusInternalServerError,
}

// ErrorCodes returns every error code, sorted.
func ErrorCodes() []ErrorCode {
	codes := slices.Collect(maps.Keys(statusByCode))
	slices.Sort(codes)
	return codes
}

// HTTPStatus returns the HTTP status for an error code; unknown codes are 500.
func HTTPStatus(code ErrorCode) int {
	if s, ok := statusByCode[code]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// Error is a domain error: a code, a message that is safe to show to the
// client, and optionally the request field it concerns.
type Error struct {
	Code    ErrorCode
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (field %s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldErrorf returns an *Error about one request field.
func FieldErrorf(code ErrorCode, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCodeOf returns the code of err: its own if it wraps an *Error,
// Internal otherwise, and "" for nil.
func ErrorCodeOf(err error) ErrorCode {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessageOf returns the client-safe message of err. The text of errors
// that are not *Error never leaves the process: it may hold driver details.
func ErrorMessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// ErrorFieldOf returns the request field err concerns, or "".
func ErrorFieldOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Field
	}
	return ""
}

// IsCode reports whether err carries the given code.
func IsCode(err error, code ErrorCode) bool { return ErrorCodeOf(err) == code }
