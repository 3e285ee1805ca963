package clickpipe

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
)

// activity reports the CPU time the threads of process pid have had, in
// nanoseconds, and whether one of them is runnable (running, or waiting for
// a CPU). A child at the lowest priority on a saturated node is runnable
// while it waits its turn; a hung one is neither runnable nor gaining CPU.
func activity(pid int) (cpuNanos int64, runnable bool, err error) {
	dir := filepath.Join("/proc", strconv.Itoa(pid), "task")
	tasks, err := os.ReadDir(dir)
	if err != nil {
		return 0, false, err
	}
	for _, t := range tasks {
		// schedstat: nanoseconds on a CPU, then waiting for one, then slices.
		if b, err := os.ReadFile(filepath.Join(dir, t.Name(), "schedstat")); err == nil {
			if f := bytes.Fields(b); len(f) > 0 {
				n, _ := strconv.ParseInt(string(f[0]), 10, 64)
				cpuNanos += n
			}
		}
		// stat: "tid (comm) S ...", where comm may hold spaces and
		// parentheses, so the state is the field after the last ')'.
		if b, err := os.ReadFile(filepath.Join(dir, t.Name(), "stat")); err == nil {
			if i := bytes.LastIndexByte(b, ')'); i >= 0 && i+2 < len(b) && b[i+2] == 'R' {
				runnable = true
			}
		}
	}
	return cpuNanos, runnable, nil
}
