package web

import (
	"bytes"
	jsonv1 "encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/valyala/fasthttp"

	"tiny/internal/tiny"
)

// decodeJSON reads one JSON value from the body into v, refusing other
// media types, unknown fields, trailing data and bodies over limit bytes,
// with errors that name the offending field. A body is read one way only,
// so that a filter in front of tiny cannot read it another: UTF-8, each
// name once and in its exact case. The JSON v2 decoder (the module of
// encoding/json/v2) refuses the rest by default; docs/decisions.md says
// why it was chosen.
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, limit int64) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		return jsonError(err, limit)
	}
	if i := invalidUTF8At(body); i >= 0 {
		return tiny.Errorf(tiny.Invalid, "the request body must be UTF-8; byte %d is not", i)
	}
	if len(bytes.Trim(body, " \t\r\n")) == 0 {
		return tiny.Errorf(tiny.Invalid, "the request body is empty; send a JSON object")
	}
	if err := json.Unmarshal(body, v, json.RejectUnknownMembers(true)); err != nil {
		if trailingData(body) {
			return tiny.Errorf(tiny.Invalid, "the request body must hold a single JSON value")
		}
		return jsonError(err, limit)
	}
	return nil
}

// trailingData reports whether body is one JSON value followed by more.
func trailingData(body []byte) bool {
	dec := jsontext.NewDecoder(bytes.NewReader(body))
	if _, err := dec.ReadValue(); err != nil {
		return false
	}
	_, err := dec.ReadToken()
	return !errors.Is(err, io.EOF)
}

// requireJSON refuses a body that is not declared application/json (any
// parameters, but a charset only of UTF-8), and a request that declares
// more than one media type.
func requireJSON(r *http.Request) error {
	types := r.Header.Values("Content-Type")
	if len(types) == 0 {
		return tiny.Errorf(tiny.Unsupported, "send the body with Content-Type: application/json")
	}
	if len(types) > 1 {
		return tiny.Errorf(tiny.Unsupported, "send one Content-Type header, application/json")
	}
	mt, params, err := mime.ParseMediaType(types[0])
	if err != nil || mt != "application/json" {
		return tiny.Errorf(tiny.Unsupported, "Content-Type %q is not accepted; send application/json", truncate(types[0], 50))
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return tiny.Errorf(tiny.Unsupported, "charset %q is not accepted; JSON bodies are UTF-8", truncate(cs, 20))
	}
	return nil
}

// oneContentType refuses, before the net/http side sees it, a request that
// carries its Content-Type header more than once: fasthttp keeps the last
// silently, while a filter in front may have read the first.
func oneContentType(next fasthttp.RequestHandler) fasthttp.RequestHandler {
	return func(ctx *fasthttp.RequestCtx) {
		if len(ctx.Request.Header.ContentType()) == 0 || headerCount(ctx.Request.Header.RawHeaders(), "Content-Type") < 2 {
			next(ctx)
			return
		}
		b, _ := jsonv1.Marshal(errorBody{errorDetail{Code: tiny.Unsupported, Message: "send one Content-Type header, application/json"}})
		ctx.SetStatusCode(tiny.HTTPStatus(tiny.Unsupported))
		ctx.SetContentType("application/json")
		ctx.SetBody(b)
	}
}

// headerCount is how many lines of a raw header block set the header name.
func headerCount(raw []byte, name string) int {
	n := 0
	for line := range bytes.Lines(raw) {
		if k, _, ok := bytes.Cut(line, []byte(":")); ok && bytes.EqualFold(k, []byte(name)) {
			n++
		}
	}
	return n
}

// truncate shortens a header value to show it in a message.
func truncate(s string, n int) string {
	if len(s) > n {
		s = s[:n]
	}
	return strings.ToValidUTF8(s, "?")
}

// invalidUTF8At returns the offset of the first byte of b that is not
// UTF-8, or -1.
func invalidUTF8At(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			return i
		}
		i += n
	}
	return -1
}

func jsonError(err error, limit int64) error {
	var (
		maxErr    *http.MaxBytesError
		syntaxErr *jsontext.SyntacticError
		semErr    *json.SemanticError
		domainErr *tiny.Error
	)
	switch {
	case errors.As(err, &maxErr):
		return tiny.Errorf(tiny.TooLarge, "the request body must be at most %d bytes", limit)
	case errors.Is(err, jsontext.ErrDuplicateName):
		errors.As(err, &syntaxErr)
		name := fieldOf(syntaxErr.JSONPointer)
		return tiny.FieldErrorf(tiny.Invalid, name, "duplicate field %q%s", name, within(syntaxErr.JSONPointer))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return tiny.Errorf(tiny.Invalid, "malformed JSON: the body ends early")
	case errors.As(err, &syntaxErr):
		return tiny.Errorf(tiny.Invalid, "malformed JSON at byte %d", syntaxErr.ByteOffset)
	case errors.As(err, &domainErr):
		return domainErr
	case errors.Is(err, json.ErrUnknownName):
		errors.As(err, &semErr)
		name := semErr.JSONPointer.LastToken()
		if name != strings.ToLower(name) {
			return tiny.FieldErrorf(tiny.Invalid, name, "unknown field %q%s; field names are lower case", name, within(semErr.JSONPointer))
		}
		return tiny.FieldErrorf(tiny.Invalid, name, "unknown field %q%s", name, within(semErr.JSONPointer))
	case errors.As(err, &semErr):
		return typeError(semErr)
	default:
		return tiny.Errorf(tiny.Invalid, "malformed JSON")
	}
}

// typeError explains a value of the wrong type. Optional fields decode
// their value with encoding/json, whose error then names the inner type.
func typeError(e *json.SemanticError) error {
	var timeErr *time.ParseError
	if errors.As(e, &timeErr) {
		return tiny.FieldErrorf(tiny.Invalid, fieldOf(e.JSONPointer), "times must be RFC 3339, like 2030-01-02T15:04:05Z")
	}
	if e.JSONPointer == "" {
		return tiny.Errorf(tiny.Invalid, "the request body must be a JSON object, not %s", kindName(e.JSONKind))
	}
	goType, got := e.GoType, kindName(e.JSONKind)
	var v1Err *jsonv1.UnmarshalTypeError
	if errors.As(e.Err, &v1Err) {
		kind, _, _ := strings.Cut(v1Err.Value, " ")
		goType, got = v1Err.Type, v1KindName(kind)
	}
	name, want := fieldOf(e.JSONPointer), typeName(goType)
	if want == "an integer" && got == "a number" {
		got = "a fraction or a number that large"
	}
	return tiny.FieldErrorf(tiny.Invalid, name, "%s must be %s, not %s", name, want, got)
}

// fieldOf is the field a JSON pointer ends in: the last name, skipping
// array indexes ("/links/3/url" is url, "/tags/0" is tags).
func fieldOf(p jsontext.Pointer) string {
	name := ""
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err != nil {
			name = tok
		}
	}
	return name
}

// within names where a nested field is, for bodies with arrays of objects.
func within(p jsontext.Pointer) string {
	if parent := p.Parent(); parent != "" {
		return " in " + string(parent)
	}
	return ""
}

func kindName(k jsontext.Kind) string {
	switch k {
	case '"':
		return "a string"
	case '0':
		return "a number"
	case '[':
		return "an array"
	case '{':
		return "an object"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "that"
}

// v1KindName names the JSON kinds of encoding/json's errors.
func v1KindName(kind string) string {
	switch kind {
	case "number":
		return "a number"
	case "string":
		return "a string"
	case "array":
		return "an array"
	case "object":
		return "an object"
	case "bool":
		return "a boolean"
	}
	return kind
}

func typeName(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t.Kind() {
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Struct, reflect.Map:
		if t == reflect.TypeFor[time.Time]() {
			return "an RFC 3339 time"
		}
		return "an object"
	case reflect.Pointer:
		return typeName(t.Elem())
	}
	return fmt.Sprintf("a %s", t)
}
