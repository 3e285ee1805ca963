package main

import (
	"bytes"
	"runtime"
	"runtime/trace"
	"strings"
	"testing"
	"time"
)

// spin keeps its P busy for d without a pause.
func spin(d time.Duration) {
	for start := time.Now(); time.Since(start) < d; {
	}
}

// hog runs spin in bursts; being its own function, it names the goroutine.
func hog(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		default:
			spin(20 * time.Millisecond)
			time.Sleep(time.Millisecond)
		}
	}
}

// ticker wakes every 200 µs and does a moment's work: a request's
// goroutine, which waits whenever hog holds the only P.
func ticker(stop <-chan struct{}) {
	for {
		select {
		case <-stop:
			return
		case <-time.After(200 * time.Microsecond):
		}
	}
}

// A goroutine that keeps the only P busy is named as what ran while the
// others waited, and its long runs are listed.
func TestBlamesTheGoroutineHoldingTheP(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(1))
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	go hog(stop)
	go ticker(stop)
	time.Sleep(300 * time.Millisecond)
	close(stop)
	trace.Stop()

	rep, err := analyze(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.print(&out, 2*time.Millisecond, time.Millisecond)
	got := out.String()
	t.Log(got)
	// The first row of each table is the largest: the hog.
	for _, table := range []string{"What ran meanwhile", "Runs of 1ms or more"} {
		i := strings.Index(got, table)
		if i < 0 {
			t.Fatalf("no %q table", table)
		}
		rows := strings.Split(got[i:], "\n")
		if len(rows) < 5 || !strings.Contains(rows[4], "tracetail.hog") {
			t.Errorf("%s: first row %q, want the hog", table, rows[min(4, len(rows)-1)])
		}
	}
	if len(rep.waits) == 0 || rep.span < 250*time.Millisecond {
		t.Errorf("read %d waits over %v; want many over ~300ms", len(rep.waits), rep.span)
	}
}
