//go:build !linux

package nice

// Lowest does nothing where a thread's priority cannot be set alone.
func Lowest() bool { return false }

// LowestProcess does nothing where a thread's priority cannot be set alone.
func LowestProcess() bool { return false }
