// Package analytics takes clicks off the redirect path: the redirect hands
// each click to a bounded queue without blocking, and a worker writes them
// to the store in batches, by count or by time. On the way out it shapes
// what is read back: StatsQuery is the one query of a range of clicks, and
// reports (report.go) are the one reading of a statistics request and its
// series in a time zone, shared by the API and the web app.
package analytics
