// Package nice runs background work at the lowest OS scheduling priority,
// so that it uses only CPU time the requests leave: the click writer and
// the blocklist rescans of a saturated node give way to redirects.
package nice
