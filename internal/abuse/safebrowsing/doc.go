// Package safebrowsing keeps a local copy of Google Safe Browsing's threat
// lists through the v4 Update API and looks destinations up in it.
//
// The lists hold hash prefixes (usually 4 bytes) of the SHA-256 of URL
// expressions. A Client fetches them with threatListUpdates:fetch (raw and
// Rice-coded additions, removals by index, a SHA-256 checksum that resets a
// list on mismatch, the server's minimum wait and an exponential back-off
// on errors) and keeps them in memory. A lookup hashes the destination's
// host-suffix/path-prefix expressions and searches the prefixes in memory;
// only on a prefix hit does it ask fullHashes:find, sending the matching
// prefixes and never the URL, and it caches the answer for the positive
// and negative cache durations the server sets.
//
// The protocol is spoken as JSON over HTTPS with the API key in the
// X-Goog-Api-Key header, so the key never appears in a URL or in an error.
// Package sbtest is a local server that speaks the same protocol, for
// tests.
package safebrowsing
