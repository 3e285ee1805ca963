// Package analytics takes clicks off the redirect path: the redirect hands
// each click to a bounded queue without blocking, and a worker writes them
// to the store in batches, by count or by time. It also turns the stored
// rollups into reports (report.go): the one reading of a statistics
// request and the series in a time zone that the API and the web app share.
package analytics
