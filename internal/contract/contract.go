// Package contract checks HTTP exchanges with the tiny server against the
// OpenAPI document in package api, so that the document and the server cannot
// drift apart unnoticed.
//
// A Checker wraps the http.RoundTripper of a test's client. For every round
// trip it finds the operation in the spec, validates the request, sends it,
// and validates the response: status, required headers and body. Every
// mismatch, and every request to an endpoint the spec does not describe, is
// reported with t.Errorf. The Checker also records which operations were
// exercised, so a test can require that every operation was hit at least
// once (Unexercised).
//
//	c := contract.New(t)
//	client := c.Client(srv.Client().Transport)
//	resp, err := client.Post(srv.URL+"/api/v1/links", "application/json", body)
//	...
//	if missing := c.Unexercised(); len(missing) > 0 {
//		t.Errorf("operations never exercised: %v", missing)
//	}
//
// Authentication is the server's business, not the contract's: requests are
// validated as if their credentials were accepted, so tests of 401 answers
// work unchanged. Tests that send deliberately malformed requests (bad JSON,
// unknown fields, out-of-range parameters) wrap them with
// SkipRequestValidation; their responses are still validated, since the
// server must answer them with a documented error.
package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"tiny/api"
)

// Load parses the spec embedded in package api and validates it as an
// OpenAPI document.
func Load() (*openapi3.T, error) {
	return load(api.Spec)
}

func load(spec []byte) (*openapi3.T, error) {
	loader := openapi3.NewLoader()
	loader.Context = context.Background()
	doc, err := loader.LoadFromData(spec)
	if err != nil {
		return nil, fmt.Errorf("contract: load spec: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("contract: invalid spec: %w", err)
	}
	return doc, nil
}

// Checker validates requests and responses against the spec and records the
// operations they exercised. It is safe for concurrent use.
type Checker struct {
	t      testing.TB
	router routers.Router
	opts   *openapi3filter.Options
	ops    []string // every operation of the spec, "METHOD /path", sorted

	mu   sync.Mutex
	hits map[string]int
}

// New returns a Checker for the spec in package api that reports mismatches
// to t. It stops the test with t.Fatalf if the spec does not load.
func New(t testing.TB) *Checker {
	t.Helper()
	c, err := newChecker(t, api.Spec)
	if err != nil {
		t.Fatalf("%v", err)
	}
	return c
}

func newChecker(t testing.TB, spec []byte) (*Checker, error) {
	doc, err := load(spec)
	if err != nil {
		return nil, err
	}
	// Match requests whatever host the test server listens on: the spec's
	// server URLs describe deployments, not the test.
	doc.Servers = openapi3.Servers{{URL: "/"}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("contract: build router: %w", err)
	}
	c := &Checker{
		t:      t,
		router: router,
		opts: &openapi3filter.Options{
			// The server checks credentials; the contract only checks shapes.
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
			// Never rewrite the request with the spec's defaults: the
			// server must apply them itself.
			SkipSettingDefaults:   true,
			IncludeResponseStatus: true,
			MultiError:            true,
			SchemaValidationOptions: []openapi3.SchemaValidationOption{
				openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(validateURI)),
				// Report where and why, without dumping the whole schema.
				openapi3.DisableSchemaErrorDetails(),
			},
		},
		hits: make(map[string]int),
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			c.ops = append(c.ops, method+" "+path)
		}
	}
	slices.Sort(c.ops)
	return c, nil
}

// validateURI checks format "uri": an absolute URI, which RFC 3986 says
// starts with a scheme. Non-ASCII characters are let through, since a
// destination may keep them in its query.
func validateURI(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme == "" {
		return errors.New("not an absolute URI")
	}
	return nil
}

// NewTransport returns a RoundTripper that sends requests with base
// (http.DefaultTransport when nil) and checks them and their responses
// against the spec, reporting mismatches to t. It is New(t).Transport(base)
// for tests that do not look at coverage.
func NewTransport(t testing.TB, base http.RoundTripper) http.RoundTripper {
	t.Helper()
	return New(t).Transport(base)
}

// Transport returns a RoundTripper that sends requests with base
// (http.DefaultTransport when nil) and checks them and their responses
// against the spec.
//
// Every request that goes through it must be one the spec describes: a
// client that follows redirects would send the next hop, to the link's
// destination, through it too. Use Client, which does not follow them, or
// set CheckRedirect yourself.
func (c *Checker) Transport(base http.RoundTripper) http.RoundTripper {
	if base == nil {
		base = http.DefaultTransport
	}
	return &transport{c: c, base: base}
}

// Client returns an http.Client that sends requests through
// c.Transport(base) and does not follow redirects, so that a test sees each
// redirect and its headers itself.
func (c *Checker) Client(base http.RoundTripper) *http.Client {
	return &http.Client{
		Transport: c.Transport(base),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// Operations returns every operation of the spec as "METHOD /path", with
// the path as the spec writes it (e.g. "GET /api/v1/links/{code}"), sorted.
func (c *Checker) Operations() []string {
	return slices.Clone(c.ops)
}

// Unexercised returns the operations of the spec, as Operations writes
// them, that no request through c has reached yet, sorted.
func (c *Checker) Unexercised() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for _, op := range c.ops {
		if c.hits[op] == 0 {
			out = append(out, op)
		}
	}
	return out
}

type skipRequestKey struct{}

// SkipRequestValidation returns a copy of req whose request the Checker does
// not validate; its response is validated as usual. Use it for requests that
// break the spec on purpose, to test that the server refuses them with a
// documented error. The request must still go to a documented operation.
func SkipRequestValidation(req *http.Request) *http.Request {
	return req.WithContext(context.WithValue(req.Context(), skipRequestKey{}, true))
}

func skipsRequestValidation(req *http.Request) bool {
	skip, _ := req.Context().Value(skipRequestKey{}).(bool)
	return skip
}

type transport struct {
	c    *Checker
	base http.RoundTripper
}

// RoundTrip implements http.RoundTripper. It never changes req: it validates
// a copy and sends another.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		body, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("contract: read request body: %w", err)
		}
	}
	withBody := func(r *http.Request) *http.Request {
		r = r.Clone(r.Context())
		if body == nil { // req.Body is nil or http.NoBody
			return r
		}
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.Body, _ = r.GetBody()
		return r
	}

	route, params, routeErr := tr.c.router.FindRoute(req)
	var input *openapi3filter.RequestValidationInput
	var reqErr error
	if routeErr == nil {
		tr.c.hit(route)
		input = &openapi3filter.RequestValidationInput{
			Request:    withBody(req),
			PathParams: params,
			Route:      route,
			Options:    tr.c.opts,
		}
		if !skipsRequestValidation(req) {
			reqErr = openapi3filter.ValidateRequest(req.Context(), input)
		}
	}

	resp, err := tr.base.RoundTrip(withBody(req))
	if err != nil {
		return resp, err
	}

	switch {
	case errors.Is(routeErr, routers.ErrMethodNotAllowed):
		tr.c.report(req, resp.StatusCode, "undocumented method: the spec has no %s operation on this path", req.Method)
		return resp, nil
	case routeErr != nil:
		tr.c.report(req, resp.StatusCode, "undocumented endpoint: %v", routeErr)
		return resp, nil
	}
	if reqErr != nil {
		tr.c.report(req, resp.StatusCode, "request does not match the spec: %v", reqErr)
	}

	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err != nil {
		tr.c.report(req, resp.StatusCode, "read response body: %v", err)
		return resp, nil
	}
	if err := tr.c.validateResponse(input, resp, respBody); err != nil {
		tr.c.report(req, resp.StatusCode, "response does not match the spec: %v", err)
	}
	return resp, nil
}

func (c *Checker) hit(route *routers.Route) {
	c.mu.Lock()
	c.hits[route.Method+" "+route.Path]++
	c.mu.Unlock()
}

func (c *Checker) report(req *http.Request, status int, format string, args ...any) {
	c.t.Errorf("contract: %s %s → %d: %s", req.Method, req.URL.RequestURI(), status, fmt.Sprintf(format, args...))
}

// validateResponse checks resp against the operation input was routed to.
func (c *Checker) validateResponse(input *openapi3filter.RequestValidationInput, resp *http.Response, body []byte) error {
	// openapi3filter does not look at the answers to HEAD, nor at 301, 304,
	// 307 and 308: check at least that their status is documented and that
	// their required headers are there.
	switch {
	case input.Request.Method == http.MethodHead,
		resp.StatusCode == http.StatusMovedPermanently,
		resp.StatusCode == http.StatusNotModified,
		resp.StatusCode == http.StatusTemporaryRedirect,
		resp.StatusCode == http.StatusPermanentRedirect:
		return checkStatusAndHeaders(input.Route.Operation, resp)
	}
	rvi := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input,
		Status:                 resp.StatusCode,
		Header:                 resp.Header,
		Options:                c.opts,
	}
	rvi.SetBodyBytes(body)
	return openapi3filter.ValidateResponse(input.Request.Context(), rvi)
}

func checkStatusAndHeaders(op *openapi3.Operation, resp *http.Response) error {
	ref := op.Responses.Status(resp.StatusCode)
	if ref == nil {
		ref = op.Responses.Default()
	}
	if ref == nil || ref.Value == nil {
		return errors.New("status is not supported")
	}
	var missing []string
	for name, h := range ref.Value.Headers {
		if h.Value != nil && h.Value.Required && resp.Header.Get(name) == "" {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return fmt.Errorf("required response headers missing: %s", strings.Join(missing, ", "))
	}
	return nil
}

// The JSON-lines export (GET /api/v1/export) has no decoder in
// openapi3filter; this one checks every line is a JSON value and hands
// the body on as the string the spec declares.
func init() {
	openapi3filter.RegisterBodyDecoder("application/jsonl", decodeJSONLines)
}

func decodeJSONLines(body io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
	b, err := io.ReadAll(body)
	if err != nil {
		return nil, err
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n")) {
		if len(b) > 0 && !json.Valid(line) {
			return nil, fmt.Errorf("line %d is not JSON", i+1)
		}
	}
	return string(b), nil
}
