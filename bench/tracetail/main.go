// Command tracetail reads a Go execution trace (/debug/pprof/trace) of a
// server under load and says where its latency tail comes from: how long
// goroutines waited to run once runnable, which goroutines held the CPU
// while a request waited longest, and how long the collector's marks ran.
// bench/tail.sh captures the traces and runs it.
//
//	go run ./bench/tracetail [-wait 2ms] [-slice 1ms] trace.out
//
// Goroutines are named by the function they were started with (for those
// started before the trace, the outermost frame of a stack seen), so that
// a request's goroutine reads as fasthttp's and the click writer's as
// analytics.(*Recorder).run. It prints Markdown.
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

func main() {
	waitMin := flag.Duration("wait", 2*time.Millisecond, "a wait to run at least this long is a long wait")
	sliceMin := flag.Duration("slice", time.Millisecond, "a run at least this long is listed")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: tracetail [-wait D] [-slice D] trace.out")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fmt.Fprintln(os.Stderr, "tracetail:", err)
		os.Exit(1)
	}
	defer f.Close()
	r, err := analyze(f)
	if err != nil {
		fmt.Fprintln(os.Stderr, "tracetail:", err)
		os.Exit(1)
	}
	r.print(os.Stdout, *waitMin, *sliceMin)
}

// run is one stretch of a goroutine on a P.
type run struct {
	g          trace.GoID
	start, end trace.Time
}

// report is what analyze gathers from a trace.
type report struct {
	span  time.Duration
	waits []time.Duration // runnable to running, every one
	long  []run           // the waits themselves, [became runnable, ran]
	runs  []run
	names map[trace.GoID]string
	marks []time.Duration // GC concurrent mark phases
	stws  []time.Duration // stop-the-world pauses
}

// analyze reads the trace in r.
func analyze(in io.Reader) (*report, error) {
	tr, err := trace.NewReader(in)
	if err != nil {
		return nil, err
	}
	rep := &report{names: map[trace.GoID]string{}}
	running := map[trace.GoID]trace.Time{}
	runnable := map[trace.GoID]trace.Time{}
	ranges := map[string]trace.Time{}
	var first, last trace.Time
	for {
		ev, err := tr.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		now := ev.Time()
		if first == 0 {
			first = now
		}
		last = now
		switch ev.Kind() {
		case trace.EventRangeBegin:
			ranges[ev.Range().Name] = now
		case trace.EventRangeEnd:
			name := ev.Range().Name
			if began, ok := ranges[name]; ok {
				delete(ranges, name)
				switch {
				case name == "GC concurrent mark phase":
					rep.marks = append(rep.marks, now.Sub(began))
				case strings.HasPrefix(name, "stop-the-world"):
					rep.stws = append(rep.stws, now.Sub(began))
				}
			}
		case trace.EventStateTransition:
			st := ev.StateTransition()
			if st.Resource.Kind != trace.ResourceGoroutine {
				continue
			}
			g := st.Resource.Goroutine()
			from, to := st.Goroutine()
			if _, named := rep.names[g]; !named {
				if name := outermost(st.Stack); name != "" {
					rep.names[g] = name
				} else if from != trace.GoNotExist {
					if name := outermost(ev.Stack()); name != "" && ev.Goroutine() == g {
						rep.names[g] = name
					}
				}
			}
			switch {
			case to == trace.GoRunning:
				running[g] = now
				if t, ok := runnable[g]; ok {
					rep.waits = append(rep.waits, now.Sub(t))
					rep.long = append(rep.long, run{g, t, now})
					delete(runnable, g)
				}
			case from == trace.GoRunning:
				if t, ok := running[g]; ok {
					rep.runs = append(rep.runs, run{g, t, now})
					delete(running, g)
				}
			}
			if to == trace.GoRunnable {
				runnable[g] = now
			}
		}
	}
	rep.span = last.Sub(first)
	return rep, nil
}

// outermost names the function a stack started in: its last frame.
func outermost(s trace.Stack) string {
	name := ""
	for f := range s.Frames() {
		name = f.Func
	}
	return name
}

func (r *report) name(g trace.GoID) string {
	if n, ok := r.names[g]; ok {
		return n
	}
	return "(unknown)"
}

func quantile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	return d[min(len(d)-1, int(float64(len(d))*q))]
}

func (r *report) print(w io.Writer, waitMin, sliceMin time.Duration) {
	slices.Sort(r.waits)
	fmt.Fprintf(w, "Trace of %v.\n\n", r.span.Round(time.Millisecond))
	fmt.Fprintf(w, "| goroutine waits to run (runnable → running) | n | p50 | p99 | p99.9 | max |\n|---|---:|---:|---:|---:|---:|\n")
	fmt.Fprintf(w, "| all goroutines | %d | %v | %v | %v | %v |\n\n", len(r.waits),
		quantile(r.waits, 0.5).Round(time.Microsecond), quantile(r.waits, 0.99).Round(time.Microsecond),
		quantile(r.waits, 0.999).Round(time.Microsecond), quantile(r.waits, 1).Round(time.Microsecond))

	// Who ran while the long waits waited: the overlap of every run with
	// every long wait, by the running goroutine's name.
	slices.SortFunc(r.runs, func(a, b run) int { return cmp.Compare(a.start, b.start) })
	blame := map[string]time.Duration{}
	var waited time.Duration
	nLong := 0
	for _, lw := range r.long {
		if lw.end.Sub(lw.start) < waitMin {
			continue
		}
		nLong++
		waited += lw.end.Sub(lw.start)
		// Runs are sorted by start; those starting after the wait ended
		// cannot overlap it.
		end, _ := slices.BinarySearchFunc(r.runs, lw.end, func(a run, t trace.Time) int { return cmp.Compare(a.start, t) })
		for _, ru := range r.runs[:end] {
			if ru.end <= lw.start || ru.g == lw.g {
				continue
			}
			blame[r.name(ru.g)] += min(ru.end, lw.end).Sub(max(ru.start, lw.start))
		}
	}
	fmt.Fprintf(w, "%d waits of %v or more, %v in all. What ran meanwhile (time on a P overlapping those waits, by goroutine):\n\n", nLong, waitMin, waited.Round(time.Microsecond))
	fmt.Fprintf(w, "| goroutine started in | time running during long waits | share |\n|---|---:|---:|\n")
	var total time.Duration
	for _, d := range blame {
		total += d
	}
	for _, name := range sortedByValue(blame) {
		fmt.Fprintf(w, "| `%s` | %v | %.1f%% |\n", name, blame[name].Round(time.Microsecond), 100*float64(blame[name])/float64(max(total, 1)))
	}

	// Long runs by goroutine: who keeps a P long enough to hold others.
	type stat struct {
		n          int
		total, max time.Duration
	}
	long := map[string]*stat{}
	for _, ru := range r.runs {
		d := ru.end.Sub(ru.start)
		if d < sliceMin {
			continue
		}
		s := long[r.name(ru.g)]
		if s == nil {
			s = &stat{}
			long[r.name(ru.g)] = s
		}
		s.n++
		s.total += d
		s.max = max(s.max, d)
	}
	totals := map[string]time.Duration{}
	for name, s := range long {
		totals[name] = s.total
	}
	fmt.Fprintf(w, "\nRuns of %v or more on a P without a pause:\n\n", sliceMin)
	fmt.Fprintf(w, "| goroutine started in | runs | total | longest |\n|---|---:|---:|---:|\n")
	for _, name := range sortedByValue(totals) {
		s := long[name]
		fmt.Fprintf(w, "| `%s` | %d | %v | %v |\n", name, s.n, s.total.Round(time.Microsecond), s.max.Round(time.Microsecond))
	}

	slices.Sort(r.marks)
	slices.Sort(r.stws)
	fmt.Fprintf(w, "\nGC: %d concurrent mark phases (median %v, longest %v); %d stop-the-world pauses (longest %v).\n",
		len(r.marks), quantile(r.marks, 0.5).Round(time.Microsecond), quantile(r.marks, 1).Round(time.Microsecond),
		len(r.stws), quantile(r.stws, 1).Round(time.Microsecond))
}

// sortedByValue returns m's keys, largest value first.
func sortedByValue(m map[string]time.Duration) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		if c := cmp.Compare(m[b], m[a]); c != 0 {
			return c
		}
		return strings.Compare(a, b)
	})
	return keys
}
