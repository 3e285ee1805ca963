// Package cputime reads the CPU time this process has used, for the
// benchmarks that report CPU per operation beside their rate: CPU does not
// depend on what else a shared machine runs, the rate does.
package cputime

import "time"

// Process returns the user and system CPU time of the whole process (every
// thread), or 0 where the platform does not say.
func Process() time.Duration { return process() }
