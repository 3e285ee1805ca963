//go:build !linux

package web

import (
	"net"
	"time"
)

// watchHangup never calls gone outside Linux: there is no portable way to
// see a hang-up without reading. Costly work is still bounded by its time
// budget.
func watchHangup(net.Conn, time.Duration, func()) (stop func()) { return func() {} }
