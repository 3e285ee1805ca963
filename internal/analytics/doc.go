// Package analytics takes clicks off the redirect path: the redirect hands
// each click to a bounded queue without blocking, and a worker writes them
// to the store in batches, by count or by time.
package analytics
