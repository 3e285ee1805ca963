// Package abuse is tiny's link-safety check: it scores every new
// destination from blocklist feeds (package feed), the URL model and its
// heuristics (package urlscore) and the creator's history, decides whether
// to create it, flag it for review or refuse it, rescans existing links when
// a feed changes, and measures how often its decisions are overturned.
package abuse
