//go:build !linux

package nice

import "time"

// Lowest does nothing where a thread's priority cannot be set alone.
func Lowest() bool { return false }

// LowestProcess does nothing where a thread's priority cannot be set alone.
func LowestProcess() bool { return false }

// ThreadCPU is unknown here: ok is false.
func ThreadCPU() (time.Duration, bool) { return 0, false }
