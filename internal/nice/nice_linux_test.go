package nice

import (
	"syscall"
	"testing"
)

func TestLowestLowersOnlyItsThread(t *testing.T) {
	type result struct {
		ok        bool
		nice, tid int
		err       error
	}
	done := make(chan result)
	go func() {
		ok := Lowest()
		tid := syscall.Gettid()
		// The raw syscall answers 20 - nice.
		p, err := syscall.Getpriority(syscall.PRIO_PROCESS, tid)
		done <- result{ok, 20 - p, tid, err}
		// Exiting while locked ends the thread, so no other goroutine
		// inherits its priority.
	}()
	r := <-done
	if !r.ok || r.err != nil || r.nice != 19 {
		t.Fatalf("after Lowest: ok %v, nice %d, err %v; want nice 19", r.ok, r.nice, r.err)
	}
	p, err := syscall.Getpriority(syscall.PRIO_PROCESS, syscall.Gettid())
	if err != nil {
		t.Fatal(err)
	}
	if nice := 20 - p; nice == 19 {
		t.Errorf("this goroutine's thread has nice %d too; only the worker's may", nice)
	}
}
