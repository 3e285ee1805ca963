package web

import (
	"errors"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"
)

// coarseListener hands out connections whose read and write deadlines are
// enforced by one sweeper goroutine every tick, instead of by a runtime timer
// per call.
//
// The HTTP engine moves a connection's deadlines three times per request
// (idle, read, write). With Go's netpoll timers each move costs a timer
// update, which took about 5% of a bare fasthttp server's redirects
// (docs/decisions.md); here it is a store under an uncontended lock. The price is precision: a deadline fires up to one
// tick late, never early. Timeouts are seconds and the tick is a tenth of
// the shortest, so a slow client is cut at 110% of its timeout at most.
type coarseListener struct {
	net.Listener
	tick time.Duration

	mu     sync.Mutex
	conns  map[*coarseConn]struct{}
	closed bool
}

// newCoarseListener wraps ln and starts its sweeper, which runs until the
// listener is closed and its last connection too: a graceful shutdown
// closes the listener first and then waits for the connections, whose
// timeouts must still hold. tick is clamped to [10ms, 1s].
func newCoarseListener(ln net.Listener, tick time.Duration) *coarseListener {
	tick = min(max(tick, 10*time.Millisecond), time.Second)
	l := &coarseListener{Listener: ln, tick: tick, conns: make(map[*coarseConn]struct{})}
	go l.sweep()
	return l
}

// sweepTick is the sweeper period for a server with the given timeouts: a
// tenth of the shortest one that is set.
func sweepTick(timeouts ...time.Duration) time.Duration {
	tick := time.Second
	for _, d := range timeouts {
		if d > 0 {
			tick = min(tick, d/10)
		}
	}
	return tick
}

func (l *coarseListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	cc := &coarseConn{Conn: c, owner: l, peer: peerOf(c)}
	l.mu.Lock()
	if l.closed {
		// Accepted as Close ran: the sweeper may be gone, so it is not served.
		l.mu.Unlock()
		_ = c.Close()
		return nil, net.ErrClosed
	}
	l.conns[cc] = struct{}{}
	l.mu.Unlock()
	return cc, nil
}

func (l *coarseListener) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return l.Listener.Close()
}

func (l *coarseListener) sweep() {
	t := time.NewTicker(l.tick)
	defer t.Stop()
	var conns []*coarseConn
	for now := range t.C {
		var closed bool
		conns, closed = l.sweepOnce(now, conns)
		if closed && len(conns) == 0 {
			return
		}
	}
}

// sweepOnce enforces the deadlines of every connection at now, and reports
// whether the listener was closed when it looked. It takes and returns a
// scratch slice to reuse.
func (l *coarseListener) sweepOnce(now time.Time, conns []*coarseConn) ([]*coarseConn, bool) {
	conns = conns[:0]
	l.mu.Lock()
	for c := range l.conns {
		conns = append(conns, c)
	}
	closed := l.closed
	l.mu.Unlock()
	for _, c := range conns {
		c.enforce(now)
	}
	return conns, closed
}

// coarseConn is a connection of a coarseListener.
type coarseConn struct {
	net.Conn
	owner *coarseListener
	// peer is the remote address, read once: converting the socket's
	// address on every request cost a redirect about 2% of its CPU.
	peer netip.Addr

	mu        sync.Mutex
	deadlines [2]deadline // indexed by reading and writing
	closed    bool
}

const (
	reading = iota
	writing
)

// deadline is one deadline of a coarseConn.
type deadline struct {
	at time.Time // zero: none
	// armed says that the sweeper found the deadline passed and set it on
	// the socket, which fails the pending and every later call until the
	// deadline is moved.
	armed bool
}

func (c *coarseConn) SetDeadline(t time.Time) error {
	if err := c.move(reading, t); err != nil {
		return err
	}
	return c.move(writing, t)
}

func (c *coarseConn) SetReadDeadline(t time.Time) error  { return c.move(reading, t) }
func (c *coarseConn) SetWriteDeadline(t time.Time) error { return c.move(writing, t) }

// move records deadline i, and clears it on the socket if the sweeper had
// set it there.
func (c *coarseConn) move(i int, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := &c.deadlines[i]
	d.at = t
	if !d.armed {
		return nil
	}
	d.armed = false
	return c.setOnSocket(i, time.Time{})
}

// enforce sets on the socket every deadline of c that has passed at now.
func (c *coarseConn) enforce(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	for i := range c.deadlines {
		d := &c.deadlines[i]
		if !d.armed && !d.at.IsZero() && !now.Before(d.at) {
			d.armed = true
			_ = c.setOnSocket(i, d.at)
		}
	}
}

func (c *coarseConn) setOnSocket(i int, t time.Time) error {
	if i == reading {
		return c.Conn.SetReadDeadline(t)
	}
	return c.Conn.SetWriteDeadline(t)
}

func (c *coarseConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.owner.mu.Lock()
	delete(c.owner.conns, c)
	c.owner.mu.Unlock()
	return c.Conn.Close()
}

// SyscallConn reaches the socket under c, which costlyContext polls to
// see whether the client hung up.
func (c *coarseConn) SyscallConn() (syscall.RawConn, error) {
	sc, ok := c.Conn.(syscall.Conn)
	if !ok {
		return nil, errors.ErrUnsupported
	}
	return sc.SyscallConn()
}
