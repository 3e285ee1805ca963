package api_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"tiny/api"
	"tiny/internal/tiny"
)

func load(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(api.Spec)
	if err != nil {
		t.Fatalf("LoadFromData(api.Spec) error = %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("Validate() error = %v", err)
	}
	return doc
}

type operation struct {
	method, path string
	op           *openapi3.Operation
}

func (o operation) String() string { return o.method + " " + o.path }

func operations(doc *openapi3.T) []operation {
	var ops []operation
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			ops = append(ops, operation{method, path, op})
		}
	}
	slices.SortFunc(ops, func(a, b operation) int { return strings.Compare(a.String(), b.String()) })
	return ops
}

func TestSpecIsValid(t *testing.T) {
	doc := load(t)
	if doc.OpenAPI != "3.0.3" {
		t.Errorf("openapi = %q, want 3.0.3", doc.OpenAPI)
	}
}

func TestOperationIDs(t *testing.T) {
	seen := map[string]string{}
	for _, o := range operations(load(t)) {
		id := o.op.OperationID
		if id == "" {
			t.Errorf("%s has no operationId", o)
			continue
		}
		if prev, ok := seen[id]; ok {
			t.Errorf("%s and %s share operationId %q", prev, o, id)
		}
		seen[id] = o.String()
	}
}

// publicAPI are the operations under /api/v1/ that anyone may call: a
// visitor who meets an abusive link has no key, and signing in (or out)
// is what gets (or drops) a credential.
var publicAPI = map[string]bool{
	"POST /api/v1/reports":            true,
	"POST /api/v1/auth/signin":        true,
	"POST /api/v1/auth/second-factor": true,
	"POST /api/v1/auth/signout":       true,
}

// TestAPISecurity checks that every operation under /api/v1/ but publicAPI
// takes a bearer key or the session cookie, either one, and that every
// other operation says it takes none (security: []).
func TestAPISecurity(t *testing.T) {
	doc := load(t)
	if len(doc.Security) != 0 {
		t.Errorf("global security = %v, want none: it is set per operation", doc.Security)
	}
	bearer := doc.Components.SecuritySchemes["bearerAuth"]
	if bearer == nil || bearer.Value.Type != "http" || bearer.Value.Scheme != "bearer" {
		t.Fatalf("securitySchemes.bearerAuth = %+v, want http bearer", bearer)
	}
	cookie := doc.Components.SecuritySchemes["cookieAuth"]
	if cookie == nil || cookie.Value.Type != "apiKey" || cookie.Value.In != "cookie" {
		t.Fatalf("securitySchemes.cookieAuth = %+v, want apiKey in cookie", cookie)
	}
	for _, o := range operations(doc) {
		api := strings.HasPrefix(o.path, "/api/v1/") && !publicAPI[o.String()]
		// Each requirement is one way to authenticate; its schemes are
		// joined with "+" (all of them at once).
		var got []string
		if o.op.Security != nil {
			for _, req := range *o.op.Security {
				var names []string
				for name := range req {
					names = append(names, name)
				}
				slices.Sort(names)
				got = append(got, strings.Join(names, "+"))
			}
		}
		slices.Sort(got)
		switch {
		case api && !slices.Equal(got, []string{"bearerAuth", "cookieAuth"}):
			t.Errorf("%s security = %v, want [bearerAuth cookieAuth], either one", o, got)
		case api && o.op.Responses.Value("401") == nil:
			t.Errorf("%s does not document 401", o)
		case api && o.op.Responses.Value("403") == nil:
			t.Errorf("%s does not document 403 (a role or a key's scope short)", o)
		case !api && (o.op.Security == nil || len(got) != 0):
			t.Errorf("%s security = %v, want security: [] (public)", o, got)
		}
	}
}

// TestErrorResponses checks that every JSON error answer is an Error, and
// that every error answer of the JSON API is JSON.
func TestErrorResponses(t *testing.T) {
	for _, o := range operations(load(t)) {
		for status, ref := range o.op.Responses.Map() {
			code, err := strconv.Atoi(status)
			if err != nil {
				t.Errorf("%s has response %q, want numeric statuses only", o, status)
				continue
			}
			if code < 400 {
				continue
			}
			mt := ref.Value.Content["application/json"]
			if mt == nil {
				if strings.HasPrefix(o.path, "/api/") || o.path == "/readyz" {
					t.Errorf("%s %d has no application/json content, want the Error schema", o, code)
				}
				continue
			}
			if mt.Schema == nil || mt.Schema.Ref != "#/components/schemas/Error" {
				t.Errorf("%s %d JSON schema = %v, want #/components/schemas/Error", o, code, mt.Schema)
			}
		}
	}
}

// TestJSONBodiesDocument415 checks that every operation that takes a JSON
// body documents the refusal of any other media type.
func TestJSONBodiesDocument415(t *testing.T) {
	for _, o := range operations(load(t)) {
		if o.op.RequestBody == nil || o.op.RequestBody.Value.Content["application/json"] == nil {
			continue
		}
		ref := o.op.Responses.Value("415")
		if ref == nil || ref.Ref != "#/components/responses/Unsupported" {
			t.Errorf("%s takes a JSON body but does not document 415 Unsupported", o)
		}
	}
}

// TestObjectsAreStrict checks that every object schema with properties
// forbids additional ones, so that the contract tests catch fields the
// server adds without documenting them.
func TestObjectsAreStrict(t *testing.T) {
	doc := load(t)
	seen := map[*openapi3.Schema]bool{}
	var walk func(where string, ref *openapi3.SchemaRef)
	walk = func(where string, ref *openapi3.SchemaRef) {
		if ref == nil || ref.Value == nil || seen[ref.Value] {
			return
		}
		s := ref.Value
		seen[s] = true
		if len(s.Properties) > 0 {
			if ap := s.AdditionalProperties; ap.Has == nil || *ap.Has || ap.Schema != nil {
				t.Errorf("%s: object schema does not set additionalProperties: false", where)
			}
		}
		for name, p := range s.Properties {
			walk(where+"."+name, p)
		}
		walk(where+"[]", s.Items)
		for i, sub := range slices.Concat(s.OneOf, s.AnyOf, s.AllOf) {
			walk(fmt.Sprintf("%s/%d", where, i), sub)
		}
	}
	for name, ref := range doc.Components.Schemas {
		walk("#/components/schemas/"+name, ref)
	}
	for _, o := range operations(doc) {
		if rb := o.op.RequestBody; rb != nil {
			for mime, mt := range rb.Value.Content {
				walk(fmt.Sprintf("%s request %s", o, mime), mt.Schema)
			}
		}
		for status, ref := range o.op.Responses.Map() {
			for mime, mt := range ref.Value.Content {
				walk(fmt.Sprintf("%s %s %s", o, status, mime), mt.Schema)
			}
		}
	}
}

func prop(t *testing.T, doc *openapi3.T, schema, name string) *openapi3.Schema {
	t.Helper()
	s := doc.Components.Schemas[schema]
	if s == nil {
		t.Fatalf("no schema %s", schema)
	}
	p := s.Value.Properties[name]
	if p == nil {
		t.Fatalf("schema %s has no property %s", schema, name)
	}
	return p.Value
}

// show prints the value a schema limit points to, or "none".
func show[T any](p *T) string {
	if p == nil {
		return "none"
	}
	return fmt.Sprint(*p)
}

func strs(vs []any) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = fmt.Sprint(v)
	}
	slices.Sort(out)
	return out
}

// TestDomainDrift checks the limits and enums of the spec against the
// constants of the domain package they come from.
func TestDomainDrift(t *testing.T) {
	doc := load(t)

	codes := []string{}
	for _, c := range tiny.ErrorCodes() {
		codes = append(codes, string(c))
	}
	if got := strs(prop(t, doc, "ErrorBody", "code").Enum); !slices.Equal(got, codes) {
		t.Errorf("ErrorBody.code enum = %v, want %v", got, codes)
	}

	for _, schema := range []string{"LinkCreate", "LinkUpdate", "Link"} {
		if got := prop(t, doc, schema, "url").MaxLength; got == nil || *got != tiny.MaxURLLength {
			t.Errorf("%s.url maxLength = %s, want %d", schema, show(got), tiny.MaxURLLength)
		}
		if got := prop(t, doc, schema, "cache_seconds").Max; got == nil || *got != tiny.MaxCacheSeconds {
			t.Errorf("%s.cache_seconds maximum = %s, want %d", schema, show(got), tiny.MaxCacheSeconds)
		}
		redirects := prop(t, doc, schema, "redirect").Enum
		for _, v := range redirects {
			if f, ok := v.(float64); !ok || !tiny.IsValidRedirect(int(f)) {
				t.Errorf("%s.redirect enum has %v, which tiny.IsValidRedirect refuses", schema, v)
			}
		}
		if len(redirects) != 4 {
			t.Errorf("%s.redirect enum = %v, want the 4 redirect statuses", schema, redirects)
		}
	}
	if got := prop(t, doc, "LinkCreate", "redirect").Default; got != float64(tiny.DefaultRedirect) {
		t.Errorf("LinkCreate.redirect default = %v, want %d", got, tiny.DefaultRedirect)
	}
	aliasPattern := fmt.Sprintf("^[A-Za-z0-9_-]{1,%d}$", tiny.MaxAliasLength)
	for _, p := range []*openapi3.Schema{prop(t, doc, "LinkCreate", "alias"), prop(t, doc, "Link", "alias"), doc.Components.Parameters["LinkCode"].Value.Schema.Value} {
		if p.Pattern != aliasPattern {
			t.Errorf("alias pattern = %q, want %q", p.Pattern, aliasPattern)
		}
	}
	code := prop(t, doc, "Link", "code")
	if code.MinLength != tiny.CodeLength || code.MaxLength == nil || *code.MaxLength != tiny.CodeLength {
		t.Errorf("Link.code length = %d..%s, want %d", code.MinLength, show(code.MaxLength), tiny.CodeLength)
	}
	statuses := []string{string(tiny.StatusActive), string(tiny.StatusBlocked), string(tiny.StatusFlagged)}
	if got := strs(prop(t, doc, "Link", "status").Enum); !slices.Equal(got, statuses) {
		t.Errorf("Link.status enum = %v, want %v", got, statuses)
	}
	var roles []string
	for _, r := range tiny.Roles() {
		roles = append(roles, string(r))
	}
	slices.Sort(roles) // as strs returns them
	for _, schema := range []string{"APIKey", "APIKeyCreated"} {
		if got := strs(prop(t, doc, schema, "role").Enum); !slices.Equal(got, roles) {
			t.Errorf("%s.role enum = %v, want %v", schema, got, roles)
		}
	}
	// A key's creator may choose admin or member, or member by its former
	// name, which tiny.Role reads as member.
	for _, r := range strs(prop(t, doc, "APIKeyCreate", "role").Enum) {
		var role tiny.Role
		if err := role.UnmarshalText([]byte(r)); err != nil || !role.Valid() {
			t.Errorf("APIKeyCreate.role enum has %q, which is not a role", r)
		}
	}
}
