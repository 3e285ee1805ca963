// Package tiny holds the domain of the tiny URL shortener: links, users,
// their sessions and scoped API keys, the short-code scheme, URL and alias
// validation with the one rule on which hosts a link may lead to
// (DestinationRule), moderators' destination blocks, the error codes every
// layer speaks, and the Store interface that the sqlite and postgres
// packages implement. It imports only the standard library and
// golang.org/x/net (IDNA, the public suffix list), so every other package
// can depend on it and it depends on none of them.
package tiny
