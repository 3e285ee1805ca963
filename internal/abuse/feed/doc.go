// Package feed implements blocklist feeds: parsing the common formats
// (domain lists, URL lists, hosts files, AdBlock "||domain^" rules),
// matching URLs against them, and loading and reloading them from files
// or over HTTP.
//
// A feed parses into an immutable List; a Set combines the Lists of all
// configured feeds and answers Match. A Watcher owns the Sources, reloads
// them on a schedule and publishes a new Set only when some feed's content
// actually changed, so callers can rescan existing links on that signal.
package feed
