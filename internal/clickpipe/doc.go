// Package clickpipe writes click batches through a child process: the
// parent's click recorder hands each batch to a Writer, which sends it down
// the child's stdin and waits for its answer on the child's stdout; the
// child (Serve) writes the batch to the store.
//
// It exists for the SQLite store, whose writes run as Go code: in the
// serving process they hold one of Go's Ps for milliseconds at a time, and
// every redirect waiting for that P waits with them (bench/tail.sh). In a
// process of its own, at the lowest OS priority (nice.LowestProcess), the
// writer runs only on CPU time the redirects leave, and the kernel, not Go's
// scheduler, takes the CPU back the moment a request arrives.
//
// The wire format is length-prefixed binary frames, one a batch: a batch is
// a count and the events' fields as varints and length-prefixed strings; an
// answer is empty for a written batch, else the error's code and message.
package clickpipe
