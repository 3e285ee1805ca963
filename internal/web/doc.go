// Package web is tiny's HTTP front: the redirect fast path on fasthttp, and
// the JSON API, pages and operations endpoints as plain net/http handlers
// on one ServeMux, mounted behind it. The route list is in routes.go.
//
// Who the client is (behind trusted proxies too) is asked of client.go on
// every path: clientIP for an address, clientKey for a per-address limit.
package web
