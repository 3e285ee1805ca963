// Package api holds the contract of tiny's HTTP interface: the OpenAPI 3.0.3
// document that the server serves at /api/openapi.yaml and that the tests
// check every request and response against (see internal/contract).
package api

import _ "embed"

// Spec is the OpenAPI 3.0.3 document of the HTTP API, in YAML, exactly as
// api/openapi.yaml holds it. Callers must not modify it.
//
//go:embed openapi.yaml
var Spec []byte
