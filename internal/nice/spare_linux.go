package nice

import (
	"bytes"
	"os"
	"strconv"
)

// IdleMeter measures the share of the machine's CPU time that nothing
// wanted: idle, or idle waiting for I/O, over all CPUs, from /proc/stat.
// Not safe for concurrent use.
type IdleMeter struct {
	idle, total uint64 // at the last Sample
}

// Sample returns the idle share of the CPU time since the last Sample (or
// since boot, the first time); ok is false where it cannot be read.
func (m *IdleMeter) Sample() (share float64, ok bool) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, false
	}
	idle, total, ok := parseCPULine(b)
	if !ok {
		return 0, false
	}
	last := *m
	m.idle, m.total = idle, total
	if total <= last.total || idle < last.idle {
		return 0, false // no tick since, or counters that went back
	}
	return float64(idle-last.idle) / float64(total-last.total), true
}

// parseCPULine reads the first line of /proc/stat, "cpu  user nice system
// idle iowait irq softirq steal guest guest_nice", in clock ticks. Guest
// time is already in user and nice, so the total is the first eight.
func parseCPULine(stat []byte) (idle, total uint64, ok bool) {
	line, _, _ := bytes.Cut(stat, []byte{'\n'})
	f := bytes.Fields(line)
	if len(f) < 9 || string(f[0]) != "cpu" {
		return 0, 0, false
	}
	for i := 1; i <= 8; i++ {
		n, err := strconv.ParseUint(string(f[i]), 10, 64)
		if err != nil {
			return 0, 0, false
		}
		total += n
		if i == 4 || i == 5 {
			idle += n
		}
	}
	return idle, total, true
}
