package web

import (
	"net"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// watchHangup calls gone once c's peer has hung up, looking every period,
// until stop is called; stop returns once the watch has ended. A hang-up
// is POLLRDHUP (or an error) on the socket, which a poll sees without
// reading: the HTTP server does not read while a handler runs, so it would
// not notice. As nginx does, a client that shuts down only its sending
// side counts as gone.
func watchHangup(c net.Conn, period time.Duration, gone func()) (stop func()) {
	sc, ok := c.(syscall.Conn)
	if !ok {
		return func() {}
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return func() {}
	}
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-quit:
				return
			case <-tick.C:
				if hungUp(raw) {
					gone()
					return
				}
			}
		}
	}()
	return func() {
		close(quit)
		<-done
	}
}

// hungUp reports whether the peer of raw has closed its side, or the
// socket is closed or broken.
func hungUp(raw syscall.RawConn) bool {
	gone := false
	err := raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLRDHUP}}
		n, err := unix.Poll(fds, 0)
		gone = err == nil && n > 0 && fds[0].Revents&(unix.POLLRDHUP|unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0
	})
	return gone || err != nil
}
