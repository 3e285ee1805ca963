package cputime

import "testing"

func TestProcessGrowsWithWork(t *testing.T) {
	before := Process()
	x := 0
	for i := range 200_000_000 {
		x ^= i
	}
	if after := Process(); after <= before {
		t.Fatalf("CPU time %v after a busy loop (x=%d), %v before: want more", after, x, before)
	}
}
