// Package importer brings links over from other shorteners (Bitly, Shlink,
// YOURLS, Kutt) and from CSV files of tiny's own columns, so that the short
// links people already shared keep working once their domain points at
// tiny.
//
// Each format is a Reader, in a file of its own, that turns a file or an
// API into a stream of Records. Run applies the stream through the link
// service (shortener.Service.Import), in batches: every foreign slug
// becomes an alias, every destination is screened, and each batch commits
// with its job's checkpoint, so an import can be stopped or crash at any
// point and be run again without adding anything twice.
package importer
