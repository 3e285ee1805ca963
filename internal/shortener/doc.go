// Package shortener holds tiny's use cases on top of a tiny.Store: creating,
// reading, editing and deleting links for their owners, and resolving a
// short name to a redirect target through the in-process cache. Web
// handlers and the CLI call it; it knows nothing of HTTP.
package shortener
