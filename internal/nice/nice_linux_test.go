package nice

import (
	"testing"

	"golang.org/x/sys/unix"
)

func TestLowestLowersOnlyItsThread(t *testing.T) {
	type result struct {
		ok     bool
		policy uint32
		err    error
	}
	done := make(chan result)
	go func() {
		ok := Lowest()
		attr, err := unix.SchedGetAttr(unix.Gettid(), 0)
		r := result{ok: ok, err: err}
		if err == nil {
			r.policy = attr.Policy
		}
		done <- r
		// Exiting while locked ends the thread, so no other goroutine
		// inherits its priority.
	}()
	r := <-done
	if !r.ok || r.err != nil || r.policy != unix.SCHED_IDLE {
		t.Fatalf("after Lowest: ok %v, policy %d, err %v; want SCHED_IDLE (%d)", r.ok, r.policy, r.err, unix.SCHED_IDLE)
	}
	attr, err := unix.SchedGetAttr(unix.Gettid(), 0)
	if err != nil {
		t.Fatal(err)
	}
	if attr.Policy == unix.SCHED_IDLE {
		t.Error("this goroutine's thread is SCHED_IDLE too; only the one that called Lowest may be")
	}
}
