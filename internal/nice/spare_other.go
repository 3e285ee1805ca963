//go:build !linux

package nice

// IdleMeter measures the share of the machine's CPU time that nothing
// wanted; here it cannot.
type IdleMeter struct{}

// Sample reports that the idle share is unknown here.
func (m *IdleMeter) Sample() (share float64, ok bool) { return 0, false }
