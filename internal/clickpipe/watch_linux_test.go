package clickpipe

import (
	"context"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"tiny/internal/tiny"
)

// shortStall makes a child hung after d of no sign of work, for one test.
func shortStall(t *testing.T, d time.Duration) {
	old := stallTimeout
	stallTimeout = d
	t.Cleanup(func() { stallTimeout = old })
}

// A child that stops working is killed without any deadline from the
// caller: no thread of a stopped process runs or waits to run.
func TestWriterKillsAChildThatStopsWorking(t *testing.T) {
	shortStall(t, 300*time.Millisecond)
	path, id := newStore(t)
	w := startChild(t, path)
	defer w.Close(context.Background())
	w.child.cmd.Process.Signal(stopSignal)
	start := time.Now()
	err := w.RecordClicks(context.Background(), sampleEvents(id, 5, time.Now()))
	if tiny.ErrorCodeOf(err) != tiny.Unavailable {
		t.Fatalf("err %v, want Unavailable", err)
	}
	if took := time.Since(start); took < stallTimeout || took > 10*stallTimeout {
		t.Errorf("the stopped child was given up after %v, want about %v", took, stallTimeout)
	}
	if w.child != nil {
		t.Error("the stopped child was kept")
	}
}

// A child starved of CPU, as the lowest-priority click writer is on a
// saturated node, is not hung: its batch is written however long it takes,
// and the child stays. The child's threads go into SCHED_IDLE on CPU 0
// beside a busy loop at normal priority on the same CPU.
func TestWriterWaitsForAStarvedChild(t *testing.T) {
	shortStall(t, 200*time.Millisecond)
	path, id := newStore(t)
	w := startChild(t, path)
	defer w.Close(context.Background())
	first := w.child

	var cpu0 unix.CPUSet
	cpu0.Set(0)
	hog := exec.Command("sh", "-c", "while :; do :; done")
	if err := hog.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { hog.Process.Kill(); hog.Wait() }()
	if err := unix.SchedSetaffinity(hog.Process.Pid, &cpu0); err != nil {
		t.Fatalf("pinning the busy loop: %v", err)
	}
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(w.child.cmd.Process.Pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		if err := unix.SchedSetaffinity(tid, &cpu0); err != nil {
			t.Fatalf("pinning the child's thread %d: %v", tid, err)
		}
		if err := unix.SchedSetAttr(tid, &unix.SchedAttr{Size: unix.SizeofSchedAttr, Policy: unix.SCHED_IDLE}, 0); err != nil {
			t.Fatalf("lowering the child's thread %d: %v", tid, err)
		}
	}

	// The test means something only if the child was starved for longer
	// than a silent one may be. How much CPU the kernel leaves an idle-class
	// thread beside a busy one differs between kernels, so a batch that
	// was written too soon is followed by one three times its size.
	var sent int
	for n := 300; ; n *= 3 {
		start := time.Now()
		if err := w.RecordClicks(context.Background(), sampleEvents(id, n, time.Now())); err != nil {
			t.Fatalf("a starved child's batch of %d: %v, want it written", n, err)
		}
		sent += n
		took := time.Since(start)
		if took >= 3*stallTimeout {
			break
		}
		if n >= 8100 {
			t.Fatalf("a batch of %d took %v: the child was not starved (want over %v)", n, took, 3*stallTimeout)
		}
	}
	if w.child != first {
		t.Error("the starved child was replaced")
	}
	if n := storedClicks(t, path, id); n != sent {
		t.Errorf("%d clicks stored, want %d", n, sent)
	}
}
