package web

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// coarsePair returns the server side of a connection accepted by a
// coarseListener with the given tick, the client side, and the listener.
func coarsePair(t *testing.T, tick time.Duration) (server, client net.Conn, cl *coarseListener) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl = newCoarseListener(ln, tick)
	t.Cleanup(func() { cl.Close() })
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = cl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server, client, cl
}

func TestCoarseReadDeadlineFiresLateNeverEarly(t *testing.T) {
	server, _, _ := coarsePair(t, 20*time.Millisecond)
	const timeout = 100 * time.Millisecond
	start := time.Now()
	if err := server.SetReadDeadline(start.Add(timeout)); err != nil {
		t.Fatal(err)
	}
	_, err := server.Read(make([]byte, 1))
	waited := time.Since(start)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read past the deadline = %v, want a deadline error", err)
	}
	if waited < timeout {
		t.Errorf("the deadline fired after %v, before the %v asked for", waited, timeout)
	}
	if waited > 2*time.Second {
		t.Errorf("the deadline fired after %v, want about %v", waited, timeout)
	}
}

// A deadline the sweeper has set on the socket stops failing calls once it
// is moved, as net.Conn's does.
func TestCoarseDeadlineMovedAfterFiring(t *testing.T) {
	server, client, _ := coarsePair(t, 10*time.Millisecond)
	if err := server.SetReadDeadline(time.Now().Add(-time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := server.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("Read with a passed deadline = %v, want a deadline error", err)
	}
	if err := server.SetReadDeadline(time.Time{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(server, b); err != nil || b[0] != 'x' {
		t.Fatalf("Read after clearing the deadline = %q, %v; want \"x\"", b, err)
	}
}

// A client that never reads fills the socket buffers; the write deadline
// must then cut the blocked write.
func TestCoarseWriteDeadlineFires(t *testing.T) {
	server, _, _ := coarsePair(t, 20*time.Millisecond)
	if err := server.SetWriteDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<20)
	done := make(chan error, 1)
	go func() {
		for {
			if _, err := server.Write(chunk); err != nil {
				done <- err
				return
			}
		}
	}()
	wantDeadlineError(t, done, "a blocked Write to a client that never reads")
}

// wantDeadlineError waits for the error of a call that a deadline must cut.
func wantDeadlineError(t *testing.T, done <-chan error, call string) {
	t.Helper()
	select {
	case err := <-done:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%s = %v, want a deadline error", call, err)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("%s was not cut by its deadline", call)
	}
}

func TestSweepTick(t *testing.T) {
	for _, tc := range []struct {
		timeouts []time.Duration
		want     time.Duration
	}{
		{nil, time.Second},
		{[]time.Duration{30 * time.Second, 0, 120 * time.Second}, time.Second},
		{[]time.Duration{300 * time.Millisecond, 30 * time.Second}, 30 * time.Millisecond},
	} {
		if got := sweepTick(tc.timeouts...); got != tc.want {
			t.Errorf("sweepTick(%v) = %v, want %v", tc.timeouts, got, tc.want)
		}
	}
}

// BenchmarkSweep10k is one sweep over 10,000 open connections whose
// deadlines have not passed: the sweeper's cost per tick on a busy node.
func BenchmarkSweep10k(b *testing.B) {
	l := &coarseListener{conns: make(map[*coarseConn]struct{})}
	future := time.Now().Add(time.Hour)
	for range 10_000 {
		c := &coarseConn{owner: l}
		c.deadlines[reading].at = future
		c.deadlines[writing].at = future
		l.conns[c] = struct{}{}
	}
	var scratch []*coarseConn
	for b.Loop() {
		scratch, _ = l.sweepOnce(time.Now(), scratch)
	}
}

// A graceful shutdown closes the listener and then waits for the open
// connections: their deadlines must still fire.
func TestCoarseDeadlinesOutliveTheListener(t *testing.T) {
	server, _, cl := coarsePair(t, 10*time.Millisecond)
	if err := cl.Close(); err != nil {
		t.Fatal(err)
	}
	if err := server.SetReadDeadline(time.Now().Add(50 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := server.Read(make([]byte, 1)); done <- err }()
	wantDeadlineError(t, done, "a Read after the listener closed")
}

// The peer read once at Accept is the client's address, as the socket
// reports it.
func TestCoarseConnKnowsItsPeer(t *testing.T) {
	server, client, _ := coarsePair(t, 20*time.Millisecond)
	want := client.LocalAddr().(*net.TCPAddr).AddrPort().Addr()
	got := server.(*coarseConn).peer
	if got != want || !got.IsValid() {
		t.Fatalf("peer = %v, want %v", got, want)
	}
	if p := peerOf(server); p != want {
		t.Fatalf("peerOf(conn) = %v, want %v", p, want)
	}
	if p := peerOf(nil); p.IsValid() {
		t.Fatalf("peerOf(nil) = %v, want the zero address", p)
	}
}
