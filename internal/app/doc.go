// Package app is tiny's web app: the pages a person uses, server-rendered
// from embedded html/template views, with the stylesheet, a little
// JavaScript and the vendored front-end libraries (assets/vendor, refreshed
// by assets/vendor/refresh.sh).
//
// It sits beside the JSON API in package web and shares its services
// (shortener, accounts, the store behind the policy), not its handlers.
// Package web mounts it: Views renders every page, the visitors' pages of
// the redirect path included, and App serves the signed-in pages under
// /app/ (routes.go is their list). The core flows work without JavaScript;
// every form that changes state carries the session's CSRF token and
// passes the cross-origin check.
package app
