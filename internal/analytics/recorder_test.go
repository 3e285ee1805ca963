package analytics

import (
	"context"
	"errors"
	"maps"
	"sync"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// fakeWriter records every RecordClicks call. When block is not nil, each
// call announces itself on entered and waits until block is closed.
type fakeWriter struct {
	mu     sync.Mutex
	writes []map[int64]int64
	err    error

	block   chan struct{}
	entered chan struct{}

	limits []time.Duration // per call, the time left to its deadline; -1 for none
}

// RecordClicks keeps, per call, the clicks that count toward each link's
// counter: human ones the redirect did not count already.
func (w *fakeWriter) RecordClicks(ctx context.Context, events []tiny.ClickEvent) error {
	counts := make(map[int64]int64)
	for _, e := range events {
		if e.Kind == tiny.VisitorHuman && !e.Counted {
			counts[e.LinkID]++
		}
	}
	if w.block != nil {
		select {
		case w.entered <- struct{}{}:
		default:
		}
		<-w.block
	}
	limit := time.Duration(-1)
	if d, ok := ctx.Deadline(); ok {
		limit = time.Until(d)
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.writes = append(w.writes, maps.Clone(counts))
	w.limits = append(w.limits, limit)
	return w.err
}

// snapshot returns the writes so far.
func (w *fakeWriter) snapshot() []map[int64]int64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[int64]int64(nil), w.writes...)
}

// waitWrites waits until at least n writes were made, and fails the test
// after a generous deadline.
func (w *fakeWriter) waitWrites(t *testing.T, n int) []map[int64]int64 {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if got := w.snapshot(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %d writes, got %d", n, len(w.snapshot()))
		}
		time.Sleep(time.Millisecond)
	}
}

// testConfig adds an Enricher with in-memory visitor secrets to c.
func testConfig(t *testing.T, c Config) Config {
	t.Helper()
	e, err := NewEnricher(EnricherConfig{Secrets: NewMemorySecretStore()})
	if err != nil {
		t.Fatal(err)
	}
	c.Enricher = e
	return c
}

func total(m map[int64]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

func closeRecorder(t *testing.T, r *Recorder) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Close(ctx); err != nil {
		t.Fatalf("Close() = %v, want nil", err)
	}
}

const chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"

func TestRecorderFlushesByCount(t *testing.T) {
	w := &fakeWriter{}
	r := NewRecorder(w, testConfig(t, Config{BatchSize: 10, FlushInterval: time.Hour}))
	r.Start()
	for i := 0; i < 25; i++ {
		if !r.Record(Click{LinkID: int64(1 + i%2), UserAgent: chrome}) {
			t.Fatalf("Record() #%d = false, want true", i)
		}
	}
	writes := w.waitWrites(t, 2)
	// The remaining 5 wait for a full batch or the hour-long tick.
	time.Sleep(20 * time.Millisecond)
	if got := w.snapshot(); len(got) != 2 {
		t.Errorf("before Close %d writes, want 2", len(got))
	}
	for i, m := range writes[:2] {
		if total(m) != 10 || m[1] != 5 || m[2] != 5 {
			t.Errorf("write %d = %v, want 10 clicks, 5 on each link", i, m)
		}
	}
	closeRecorder(t, r)
	writes = w.snapshot()
	if len(writes) != 3 || total(writes[2]) != 5 {
		t.Fatalf("after Close writes = %v, want a third write of 5 clicks", writes)
	}
	if want := (map[int64]int64{1: 3, 2: 2}); !maps.Equal(writes[2], want) {
		t.Errorf("last write = %v, want %v", writes[2], want)
	}
	if st := r.Stats(); st.Enqueued != 25 || st.Written != 25 || st.Dropped != 0 || st.Failed != 0 || st.QueueDepth != 0 {
		t.Errorf("Stats() = %+v, want 25 enqueued and written, none dropped or failed, empty queue", st)
	}
}

// TestRecorderWritesBacklogAcrossPolls queues more full batches than the
// worker writes between two looks at its other duties: the rest must
// follow at the next polls, not wait for the (hour-long) flush tick.
func TestRecorderWritesBacklogAcrossPolls(t *testing.T) {
	w := &fakeWriter{}
	r := NewRecorder(w, testConfig(t, Config{QueueSize: 1000, BatchSize: 1, FlushInterval: time.Hour}))
	n := 3*maxBatchesPerPoll + 5
	for i := range n {
		if !r.Record(Click{LinkID: 1, UserAgent: chrome}) {
			t.Fatalf("Record() #%d = false, want true", i)
		}
	}
	r.Start()
	defer closeRecorder(t, r)
	if writes := w.waitWrites(t, n); len(writes) != n {
		t.Errorf("%d writes, want %d batches of one click", len(writes), n)
	}
}

func TestRecorderFlushesByTime(t *testing.T) {
	w := &fakeWriter{}
	r := NewRecorder(w, testConfig(t, Config{BatchSize: 1000, FlushInterval: 20 * time.Millisecond}))
	r.Start()
	defer closeRecorder(t, r)
	for i := 0; i < 3; i++ {
		r.Record(Click{LinkID: 7, UserAgent: chrome})
	}
	// Far fewer than BatchSize: only the ticker can write them.
	writes := w.waitWrites(t, 1)
	var sum int64
	for _, m := range writes {
		sum += m[7]
	}
	if sum != 3 {
		t.Errorf("writes before Close = %v, want 3 clicks on link 7", writes)
	}
	if st := r.Stats(); st.Written != 3 {
		t.Errorf("Stats().Written = %d, want 3", st.Written)
	}
}

// TestRecorderDropsWhenFull blocks the writer so the queue fills up: Record
// must return at once and count what it drops.
func TestRecorderDropsWhenFull(t *testing.T) {
	w := &fakeWriter{block: make(chan struct{}), entered: make(chan struct{}, 1)}
	r := NewRecorder(w, testConfig(t, Config{QueueSize: 4, BatchSize: 1, FlushInterval: time.Hour}))
	r.Start()
	released := false
	release := func() {
		if !released {
			released = true
			close(w.block)
		}
	}
	defer release()

	r.Record(Click{LinkID: 1, UserAgent: chrome})
	select {
	case <-w.entered:
	case <-time.After(10 * time.Second):
		t.Fatal("the worker never wrote the first click")
	}
	// The worker is stuck in RecordClicks and the queue is empty.
	accepted := make(chan int, 1)
	go func() {
		n := 0
		for i := 0; i < 100; i++ {
			if r.Record(Click{LinkID: 1, UserAgent: chrome}) {
				n++
			}
		}
		accepted <- n
	}()
	var n int
	select {
	case n = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("Record blocked while the writer was stuck")
	}
	if n != 4 {
		t.Errorf("Record() accepted %d of 100 clicks with a full queue of 4, want 4", n)
	}
	st := r.Stats()
	if st.Dropped != 96 || st.Enqueued != 5 || st.QueueDepth != 4 || st.Written != 0 {
		t.Errorf("Stats() with the writer stuck = %+v, want 96 dropped, 5 enqueued, 4 queued, 0 written", st)
	}

	release()
	closeRecorder(t, r)
	if st := r.Stats(); st.Written != 5 || st.QueueDepth != 0 {
		t.Errorf("Stats() after Close = %+v, want the 5 accepted clicks written", st)
	}
	var sum int64
	for _, m := range w.snapshot() {
		sum += total(m)
	}
	if sum != 5 {
		t.Errorf("clicks written = %d, want 5", sum)
	}
}

func TestRecorderCloseFlushesAndIsIdempotent(t *testing.T) {
	w := &fakeWriter{}
	r := NewRecorder(w, testConfig(t, Config{BatchSize: 1000, FlushInterval: time.Hour}))
	r.Start()
	for i := 0; i < 7; i++ {
		r.Record(Click{LinkID: 3, UserAgent: chrome})
	}
	closeRecorder(t, r)
	writes := w.snapshot()
	if len(writes) != 1 || writes[0][3] != 7 {
		t.Fatalf("writes after Close = %v, want one write of 7 clicks on link 3", writes)
	}
	closeRecorder(t, r)
	if got := len(w.snapshot()); got != 1 {
		t.Errorf("a second Close() wrote again: %d writes, want 1", got)
	}
	if r.Record(Click{LinkID: 3, UserAgent: chrome}) {
		t.Errorf("Record() after Close = true, want false")
	}
	if st := r.Stats(); st.Dropped != 1 || st.Enqueued != 7 || st.Written != 7 {
		t.Errorf("Stats() after Close and a late Record = %+v, want 7 enqueued and written, 1 dropped", st)
	}
}

// TestRecorderCloseWritesEveryBatch queues more than a batch before the
// worker runs: Close must write them all, a batch at a time.
func TestRecorderCloseWritesEveryBatch(t *testing.T) {
	w := &fakeWriter{}
	r := NewRecorder(w, testConfig(t, Config{BatchSize: 4, FlushInterval: time.Hour}))
	for i := 0; i < 10; i++ {
		r.Record(Click{LinkID: 1, UserAgent: chrome})
	}
	r.Start()
	closeRecorder(t, r)
	var sizes []int64
	for _, m := range w.snapshot() {
		sizes = append(sizes, total(m))
	}
	if len(sizes) != 3 || sizes[0] != 4 || sizes[1] != 4 || sizes[2] != 2 {
		t.Errorf("write sizes after Close = %v, want [4 4 2]", sizes)
	}
}

func TestRecorderCloseHonoursContext(t *testing.T) {
	w := &fakeWriter{block: make(chan struct{}), entered: make(chan struct{}, 1)}
	r := NewRecorder(w, testConfig(t, Config{BatchSize: 1, FlushInterval: time.Hour}))
	r.Start()
	defer close(w.block)
	r.Record(Click{LinkID: 1, UserAgent: chrome})
	<-w.entered
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	if err := r.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close() with the writer stuck = %v, want %v", err, context.DeadlineExceeded)
	}
}

func TestRecorderCountsOnlyPeople(t *testing.T) {
	w := &fakeWriter{}
	r := NewRecorder(w, testConfig(t, Config{BatchSize: 1000, FlushInterval: time.Hour}))
	r.Start()
	clicks := []Click{
		{LinkID: 1, UserAgent: chrome, Counted: true},
		{LinkID: 1, UserAgent: "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"},
		{LinkID: 1, UserAgent: "WhatsApp/2.23.20.0 A"},
		{LinkID: 2, UserAgent: chrome},
		{LinkID: 2, UserAgent: ""}, // no agent at all: a bot, not a person
		{LinkID: 2, UserAgent: "curl/8.5.0"},
		{LinkID: 3, UserAgent: "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"},
		{LinkID: 4, UserAgent: "curl/8.5.0", Counted: true},
	}
	for _, c := range clicks {
		r.Record(c)
	}
	closeRecorder(t, r)
	got := map[int64]int64{}
	for _, m := range w.snapshot() {
		for id, n := range m {
			got[id] += n
		}
	}
	if want := (map[int64]int64{2: 1}); !maps.Equal(got, want) {
		t.Errorf("counts written = %v, want %v", got, want)
	}
	if st := r.Stats(); st.Written != uint64(len(clicks)) {
		t.Errorf("Stats().Written = %d, want %d: skipped clicks are handled, not lost", st.Written, len(clicks))
	}
}

func TestRecorderCountsFailedWrites(t *testing.T) {
	w := &fakeWriter{err: errors.New("disk full")}
	r := NewRecorder(w, testConfig(t, Config{BatchSize: 2, FlushInterval: time.Hour}))
	r.Start()
	for i := 0; i < 5; i++ {
		r.Record(Click{LinkID: 1, UserAgent: chrome})
	}
	closeRecorder(t, r)
	st := r.Stats()
	if st.Failed != 5 || st.Written != 0 || st.Enqueued != 5 {
		t.Errorf("Stats() with a failing writer = %+v, want 5 failed, 0 written, 5 enqueued", st)
	}
	if st.LastBatch <= 0 {
		t.Errorf("Stats().LastBatch = %v, want the duration of the last write", st.LastBatch)
	}
}

// A write gets WriteTimeout (10 s by default) before it counts as failed;
// with a negative one it gets no deadline at all, for a writer that tells a
// slow write from a hung one itself.
func TestRecorderWriteTimeout(t *testing.T) {
	for _, tc := range []struct {
		timeout  time.Duration
		min, max time.Duration
	}{
		{0, 9 * time.Second, 10 * time.Second},
		{time.Minute, 59 * time.Second, time.Minute},
		{-1, -1, -1},
	} {
		w := &fakeWriter{}
		r := NewRecorder(w, testConfig(t, Config{BatchSize: 1, FlushInterval: time.Hour, WriteTimeout: tc.timeout}))
		r.Start()
		r.Record(Click{LinkID: 1, UserAgent: chrome})
		w.waitWrites(t, 1)
		closeRecorder(t, r)
		w.mu.Lock()
		limit := w.limits[0]
		w.mu.Unlock()
		if limit < tc.min || limit > tc.max {
			t.Errorf("WriteTimeout %v: the write had %v left to its deadline (-1: none), want %v to %v", tc.timeout, limit, tc.min, tc.max)
		}
	}
}

func TestRecorderStatsBeforeStart(t *testing.T) {
	r := NewRecorder(&fakeWriter{}, testConfig(t, Config{QueueSize: 8}))
	for i := 0; i < 3; i++ {
		r.Record(Click{LinkID: 1, UserAgent: chrome})
	}
	want := Stats{Enqueued: 3, QueueDepth: 3}
	if st := r.Stats(); st != want {
		t.Errorf("Stats() = %+v, want %+v", st, want)
	}
}

func TestRecorderDropIfFull(t *testing.T) {
	r := NewRecorder(&fakeWriter{}, testConfig(t, Config{QueueSize: 2}))
	for i := 0; i < 2; i++ {
		if r.DropIfFull() {
			t.Fatalf("DropIfFull() = true with %d of 2 queued", i)
		}
		r.Record(Click{LinkID: 1, UserAgent: chrome})
	}
	for i := 0; i < 3; i++ {
		if !r.DropIfFull() {
			t.Fatal("DropIfFull() = false with the queue full")
		}
	}
	if st := r.Stats(); st.Dropped != 3 || st.Enqueued != 2 {
		t.Errorf("Stats() = %+v, want the 3 skipped clicks counted as dropped", st)
	}

	r.Start()
	closeRecorder(t, r)
	if !r.DropIfFull() {
		t.Error("DropIfFull() = false after Close")
	}
	if st := r.Stats(); st.Dropped != 4 {
		t.Errorf("dropped after Close = %d, want 4", st.Dropped)
	}

	off := NewRecorder(&fakeWriter{}, testConfig(t, Config{Off: true}))
	if !off.DropIfFull() || off.Stats().Dropped != 0 {
		t.Errorf("with capture off: DropIfFull() must be true and count nothing, stats %+v", off.Stats())
	}
}

// pacedWriter takes each batch with work, and records when each write
// began and ended.
type pacedWriter struct {
	work         func()
	mu           sync.Mutex
	starts, ends []time.Time
}

func (w *pacedWriter) RecordClicks(context.Context, []tiny.ClickEvent) error {
	w.mu.Lock()
	w.starts = append(w.starts, time.Now())
	w.mu.Unlock()
	w.work()
	w.mu.Lock()
	w.ends = append(w.ends, time.Now())
	w.mu.Unlock()
	return nil
}

// rest returns how long the worker waited between the end of write 2 and
// the start of write 3, while clicks keep coming and being dropped.
func (w *pacedWriter) rest(t *testing.T, r *Recorder) time.Duration {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		for range 16 {
			r.Record(Click{LinkID: 1, UserAgent: chrome})
		}
		w.mu.Lock()
		if len(w.starts) >= 3 {
			d := w.starts[2].Sub(w.ends[1])
			w.mu.Unlock()
			return d
		}
		w.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	t.Fatal("the worker did not write 3 batches in 20s")
	return 0
}

// Under overload the worker rests nine times as long as a batch took, while
// the machine has no CPU to spare; once a tenth of it goes unused, it
// writes again, and where that is unknown the rest runs its course.
func TestRecorderRestsOnlyWhileTheMachineIsBusy(t *testing.T) {
	for _, tc := range []struct {
		name     string
		idle     float64
		known    bool
		min, max time.Duration
	}{
		{"busy", 0.02, true, 2 * time.Second, 4 * time.Second},
		{"unknown", 0, false, 2 * time.Second, 4 * time.Second},
		{"spare CPU", 0.30, true, 0, 250 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := &pacedWriter{work: func() { time.Sleep(300 * time.Millisecond) }}
			r := NewRecorder(w, testConfig(t, Config{QueueSize: 4, BatchSize: 4, FlushInterval: time.Hour}))
			r.idleShare = func() (float64, bool) { return tc.idle, tc.known }
			r.Start()
			defer closeRecorder(t, r)
			if d := w.rest(t, r); d < tc.min || d > tc.max {
				t.Errorf("after a 300ms batch with clicks dropped, the worker rested %v, want %v to %v", d, tc.min, tc.max)
			}
			if r.Stats().Dropped == 0 {
				t.Error("no click was dropped: the test needs an overloaded worker")
			}
		})
	}
}
