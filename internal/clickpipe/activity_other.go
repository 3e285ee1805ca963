//go:build !linux

package clickpipe

import "errors"

// activity is unknown where there is no /proc: a child is then taken for
// hung after stallTimeout of silence, busy or not.
func activity(int) (int64, bool, error) { return 0, false, errors.ErrUnsupported }
