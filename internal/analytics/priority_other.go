//go:build !linux

package analytics

// lowPriority does nothing where a thread's priority cannot be set alone.
func lowPriority() bool { return false }
