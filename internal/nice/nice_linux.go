package nice

import (
	"runtime"
	"syscall"
)

// Lowest pins the calling goroutine to its OS thread and gives that
// thread the lowest scheduling priority (nice 19), so the kernel runs it
// only on CPU time that nothing else wants: on a saturated node, redirects
// and the load balancer's health checks come first, and the background
// work takes what is left. On an idle node it runs at full speed. The
// goroutine should end without unlocking, so that the thread ends with it
// rather than serving other goroutines at this priority. It reports
// whether the priority was lowered.
func Lowest() bool {
	runtime.LockOSThread()
	// setpriority(PRIO_PROCESS, tid) sets one thread's nice value on Linux.
	err := syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19)
	return err == nil
}
