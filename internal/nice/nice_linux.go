package nice

import (
	"os"
	"runtime"
	"strconv"

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
//
// It leaves the main thread alone: ps, top and /proc/PID show the main
// thread's class as the process's, so a lowered one would make the whole
// server look idle-class. On the main thread it returns false, the work
// then runs at normal priority; cmd/tiny keeps its main goroutine on the
// main thread so that this does not happen.
func Lowest() bool {
	runtime.LockOSThread()
	tid := unix.Gettid()
	if tid == unix.Getpid() {
		runtime.UnlockOSThread()
		return false
	}
	// SCHED_IDLE is below every nice level, and, unlike nice 19, a thread
	// that sleeps between batches gets no wake-up advantage from it.
	attr := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}
	if unix.SchedSetAttr(tid, attr, 0) == nil {
		return true
	}
	// setpriority(PRIO_PROCESS, tid) sets one thread's nice value on Linux.
	return unix.Setpriority(unix.PRIO_PROCESS, tid, 19) == nil
}

// LowestProcess puts every thread of the process in the SCHED_IDLE class
// (falling back to nice 19), as Lowest does for one; threads started later
// inherit the class from the thread that starts them. For a process that
// does only background work (the click writer, cmd/tiny click-writer). It
// reports whether every thread was lowered.
func LowestProcess() bool {
	ok := true
	// Twice: a thread the runtime starts during the first pass is caught
	// by the second.
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return false
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			attr := &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}
			if unix.SchedSetAttr(tid, attr, 0) != nil && unix.Setpriority(unix.PRIO_PROCESS, tid, 19) != nil {
				ok = false
			}
		}
	}
	return ok
}
