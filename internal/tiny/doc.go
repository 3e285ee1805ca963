// Package tiny holds the domain of the tiny URL shortener: links, users,
// their sessions and scoped API keys, the short-code scheme, URL and alias
// validation, the error codes every layer speaks, and the Store interface
// that the sqlite and postgres packages implement. It imports only the
// standard library, so every other package can depend on it and it depends
// on none of them.
package tiny
