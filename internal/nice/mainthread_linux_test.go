package nice

import (
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// The test binary's main goroutine keeps the main thread, as cmd/tiny's
// does, so TestMain runs on it.
func init() { runtime.LockOSThread() }

// onMain is what Lowest did when called on the main thread.
var onMain struct {
	lowered, wasMain bool
	policy           uint32
	err              error
}

func TestMain(m *testing.M) {
	onMain.wasMain = unix.Gettid() == unix.Getpid()
	onMain.lowered = Lowest()
	attr, err := unix.SchedGetAttr(0, 0)
	onMain.err = err
	if err == nil {
		onMain.policy = attr.Policy
	}
	os.Exit(m.Run())
}

// Lowest refuses the main thread, whose class ps and top show as the
// process's.
func TestLowestSparesTheMainThread(t *testing.T) {
	if !onMain.wasMain {
		t.Fatal("TestMain did not run on the main thread; the test cannot tell")
	}
	if onMain.lowered || onMain.err != nil || onMain.policy == unix.SCHED_IDLE {
		t.Fatalf("Lowest on the main thread: lowered %v, policy %d, err %v; want it left alone",
			onMain.lowered, onMain.policy, onMain.err)
	}
}
