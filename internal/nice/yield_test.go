package nice

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// TestYielderLetsOthersRun runs, with a single P, a busy loop on a locked
// thread that calls MaybeYield: a goroutine started before it must get to
// run before the loop ends, which it lasts well under the 10 ms after
// which Go would preempt it anyway. The zero Yielder must never yield.
func TestYielderLetsOthersRun(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	ranDuringLoop := func(y *Yielder) bool {
		var ran, looping atomic.Bool
		done := make(chan bool)
		looping.Store(true)
		go func() {
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			go func() { ran.Store(looping.Load()) }()
			ctx := WithYielder(context.Background(), y)
			for end := time.Now().Add(3 * time.Millisecond); time.Now().Before(end); {
				MaybeYield(ctx)
			}
			looping.Store(false)
			done <- ran.Load()
		}()
		return <-done
	}
	if !ranDuringLoop(NewYielder()) {
		t.Error("with a Yielder, the other goroutine did not run during the 3 ms loop")
	}
	if ranDuringLoop(&Yielder{}) {
		// Go preempts a goroutine only after 10 ms of its time slice, so
		// this holds unless the machine stalled the loop for that long.
		t.Log("the zero Yielder's loop was preempted (a stalled machine?)")
	}
	var y *Yielder
	y.Maybe() // a nil Yielder does nothing
}
