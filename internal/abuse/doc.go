// Package abuse is tiny's link-safety check: it scores every new
// destination from the moderators' destination blocks (Destinations),
// blocklist feeds (package feed), Google Safe Browsing's lists when a key
// is set (package safebrowsing, a ThreatList), the URL model and its
// heuristics (package urlscore) and the creator's history, decides whether
// to create it, flag it for review or refuse it, rescans existing links
// when a feed, a threat list or the destination blocks change, and
// measures how often its decisions are overturned. Package follow looks
// past the destination as written: its redirect chain and its landing
// page, in the background.
package abuse
