package nice

import (
	"os/exec"
	"runtime"
	"testing"
	"time"
)

func TestParseCPULine(t *testing.T) {
	idle, total, ok := parseCPULine([]byte("cpu  100 5 50 800 20 3 2 10 7 0\ncpu0 50 2 25 400 10 1 1 5 3 0\n"))
	if !ok || idle != 820 || total != 990 {
		t.Errorf("parseCPULine = %d idle of %d (ok %v), want 820 of 990", idle, total, ok)
	}
	for _, bad := range []string{"", "intr 1 2 3", "cpu 1 2 3", "cpu  1 2 x 4 5 6 7 8 9 10"} {
		if _, _, ok := parseCPULine([]byte(bad)); ok {
			t.Errorf("parseCPULine(%q) was read", bad)
		}
	}
}

// Busy loops on every CPU leave the machine no idle share to speak of.
func TestIdleMeterSeesABusyMachine(t *testing.T) {
	var m IdleMeter
	if _, ok := m.Sample(); !ok {
		t.Fatal("/proc/stat could not be read")
	}
	var hogs []*exec.Cmd
	for range runtime.NumCPU() {
		hog := exec.Command("sh", "-c", "while :; do :; done")
		if err := hog.Start(); err != nil {
			t.Fatal(err)
		}
		hogs = append(hogs, hog)
	}
	time.Sleep(50 * time.Millisecond)
	m.Sample()
	time.Sleep(500 * time.Millisecond)
	share, ok := m.Sample()
	for _, h := range hogs {
		h.Process.Kill()
		h.Wait()
	}
	if !ok || share > 0.05 {
		t.Errorf("idle share with every CPU busy = %.3f (ok %v), want under 0.05", share, ok)
	}
}
