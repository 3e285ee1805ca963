package nice

import (
	"runtime"

	"golang.org/x/sys/unix"
)

// Lowest pins the calling goroutine to its OS thread and puts that thread
// in the kernel's SCHED_IDLE class (falling back to nice 19), so the
// kernel runs it only on CPU time that nothing else wants: on a saturated
// node, redirects and the load balancer's health checks come first, and
// the background work takes what is left. On an idle node it runs at full
// speed. The goroutine should end without unlocking, so that the thread
// ends with it rather than serving other goroutines at this priority. It
// reports whether the priority was lowered.
func Lowest() bool {
	runtime.LockOSThread()
	tid := unix.Gettid()
	// SCHED_IDLE is below every nice level, and, unlike nice 19, a thread
	// that sleeps between batches gets no wake-up advantage from it.
	attr := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}
	if unix.SchedSetAttr(tid, attr, 0) == nil {
		return true
	}
	// setpriority(PRIO_PROCESS, tid) sets one thread's nice value on Linux.
	return unix.Setpriority(unix.PRIO_PROCESS, tid, 19) == nil
}
