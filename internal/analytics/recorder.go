package analytics

import (
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"sync/atomic"
	"time"

	"tiny/internal/nice"
	"tiny/internal/tiny"
)

// Click is one visit of a short link, as the redirect hands it over. The IP
// lives only in memory, for the enrichment that needs it; it is never
// written anywhere.
type Click struct {
	LinkID    int64
	At        time.Time
	IP        netip.Addr
	UserAgent string
	Referrer  string
	// Counted is true when the redirect already counted the click exactly
	// in the store (links with a click limit), so the worker must not add it
	// to the counter again.
	Counted bool
}

// ClickWriter is the part of the store the recorder writes to.
type ClickWriter interface {
	RecordClicks(ctx context.Context, events []tiny.ClickEvent) error
}

// Config tunes a Recorder. Zero values take the defaults noted.
type Config struct {
	QueueSize     int           // clicks held in memory at most (65,536)
	BatchSize     int           // clicks per write at most (10,000)
	FlushInterval time.Duration // longest a click waits for its batch (1s)
	Logger        *slog.Logger
	// Enricher turns clicks into anonymised events; required. The worker
	// is its only user.
	Enricher *Enricher
	// RotateEvery is how often the visitor secrets of past days are
	// destroyed, even on days without clicks (1h).
	RotateEvery time.Duration
	// Off turns click capture off: Record does nothing. It exists to
	// measure what capture costs a redirect.
	Off bool
	// OverloadRest is how many times the duration of a batch the worker
	// rests after it while the queue overflows (9, so a tenth of a core at
	// most; negative: never rest).
	OverloadRest int
	// LowPriority runs the worker on an OS thread of the lowest priority,
	// so it uses only CPU time the redirects leave (Linux).
	LowPriority bool
	// WriteTimeout is how long the store may take over a batch before the
	// batch counts as failed (10s; negative: no limit, for a writer that
	// tells a slow write from a hung one itself, as the click writer
	// process does: a write it abandons loses its batch).
	WriteTimeout time.Duration
}

// Recorder queues clicks and writes them in batches. Record never blocks:
// when the queue is full the click is dropped and counted. A crash loses at
// most the clicks still queued, which is one FlushInterval of traffic.
type Recorder struct {
	queue  chan Click
	store  ClickWriter
	cfg    Config
	stop   chan struct{}
	done   chan struct{}
	closed atomic.Bool

	enqueued, dropped, written, failed atomic.Uint64
	droppedSeen                        uint64 // dropped at the last batch; the worker's own
	onBatch                            atomic.Pointer[func(n int, d time.Duration)]
	lastBatch                          atomic.Int64 // nanoseconds the last write took
	// yielder lets redirects in between the enrichments of a batch, which
	// are Go code that would otherwise hold a P for the whole batch.
	yielder *nice.Yielder
	// idleShare is the idle share of the machine's CPU time since its last
	// call (nice.IdleMeter); the worker's.
	idleShare func() (share float64, ok bool)
	// events is the worker's enriched batch, reused from batch to batch:
	// the store keeps nothing of it.
	events []tiny.ClickEvent
}

// NewRecorder returns a Recorder writing to store. Call Start to run it.
func NewRecorder(store ClickWriter, cfg Config) *Recorder {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1 << 16
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 10_000
	}
	if cfg.FlushInterval <= 0 {
		cfg.FlushInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.RotateEvery <= 0 {
		cfg.RotateEvery = time.Hour
	}
	if cfg.OverloadRest == 0 {
		cfg.OverloadRest = 9
	}
	if cfg.WriteTimeout == 0 {
		cfg.WriteTimeout = 10 * time.Second
	}
	r := &Recorder{
		queue: make(chan Click, cfg.QueueSize),
		store: store,
		cfg:   cfg,
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	r.yielder = nice.NewYielder(func() uint64 { return r.enqueued.Load() + r.dropped.Load() })
	r.idleShare = new(nice.IdleMeter).Sample
	return r
}

// ObserveBatches makes the worker report the size and write time of every
// batch, for metrics.
func (r *Recorder) ObserveBatches(f func(n int, d time.Duration)) { r.onBatch.Store(&f) }

// Record queues a click without blocking. It reports false when the click
// was dropped because the queue is full or the recorder is closed.
func (r *Recorder) Record(c Click) bool {
	if r.cfg.Off {
		return false
	}
	if r.closed.Load() {
		r.dropped.Add(1)
		return false
	}
	select {
	case r.queue <- c:
		r.enqueued.Add(1)
		return true
	default:
		r.dropped.Add(1)
		return false
	}
}

// DropIfFull reports whether a click arriving now would be dropped, and
// counts it as dropped if so. A caller can then skip building a click that
// Record would throw away, which under overload, when the queue stays full,
// is most of them.
func (r *Recorder) DropIfFull() bool {
	if r.cfg.Off {
		return true
	}
	if r.closed.Load() || len(r.queue) == cap(r.queue) {
		r.dropped.Add(1)
		return true
	}
	return false
}

// Start runs the worker until Close.
func (r *Recorder) Start() { go r.run() }

// Close stops accepting clicks, writes every queued one and waits for the
// worker, or for ctx.
func (r *Recorder) Close(ctx context.Context) error {
	if r.closed.Swap(true) {
		return nil
	}
	close(r.stop)
	select {
	case <-r.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// pollEvery is how often the worker looks for queued clicks. The worker
// never waits on the queue itself: a receive that wakes it would hand each
// click from the redirect's thread to the worker's locked, low-priority one,
// a futex wake-up and two context switches per click below saturation,
// which cost more than writing the click. Polling costs a wake-up per
// interval instead, and the queue holds far more than an interval's clicks
// (65,536 by default: 6.5 million a second).
const pollEvery = 10 * time.Millisecond

// maxBatchesPerPoll bounds the full batches written between two looks at
// the worker's other duties (the flush tick, rotation, Close).
const maxBatchesPerPoll = 64

func (r *Recorder) run() {
	defer close(r.done)
	if r.cfg.LowPriority {
		nice.Lowest()
	}
	ticker := time.NewTicker(r.cfg.FlushInterval)
	defer ticker.Stop()
	poll := time.NewTicker(min(pollEvery, r.cfg.FlushInterval))
	defer poll.Stop()
	rotate := time.NewTicker(r.cfg.RotateEvery)
	defer rotate.Stop()
	batch := make([]Click, 0, r.cfg.BatchSize)
	for {
		select {
		case <-rotate.C:
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			if err := r.cfg.Enricher.Rotate(ctx); err != nil {
				r.cfg.Logger.Warn("destroying old visitor secrets failed; will retry", "err", err)
			}
			cancel()
		case <-poll.C:
			// Full batches are written at once, as long as the queue
			// fills them (a bounded number, so the other cases are seen
			// under sustained load); the rest waits for the flush tick.
			batch = r.drain(batch)
			for range maxBatchesPerPoll {
				if len(batch) < r.cfg.BatchSize {
					break
				}
				batch = r.flush(batch)
				if r.yieldUnderOverload() {
					break // stopping
				}
				batch = r.drain(batch)
			}
		case <-ticker.C:
			batch = r.flush(r.drain(batch))
			r.yieldUnderOverload()
		case <-r.stop:
			for {
				batch = r.drain(batch)
				if len(batch) < r.cfg.BatchSize {
					r.flush(batch)
					return
				}
				batch = r.flush(batch)
			}
		}
	}
}

// drain moves queued clicks into batch until it is full or the queue is
// empty. A full queue is tens of thousands of clicks, milliseconds of
// receives, so it gives way to redirects as it goes.
func (r *Recorder) drain(batch []Click) []Click {
	for len(batch) < r.cfg.BatchSize {
		if len(batch)%256 == 255 {
			r.yielder.Yield()
		}
		select {
		case c := <-r.queue:
			batch = append(batch, c)
		default:
			return batch
		}
	}
	return batch
}

// restStep is how often a rest under overload looks whether the machine
// has CPU to spare, and spareShare the idle share of its CPU time over a
// step that ends the rest.
const (
	restStep   = 100 * time.Millisecond
	spareShare = 0.10
)

// yieldUnderOverload rests the worker after a batch while clicks are being
// dropped and the machine has no CPU to spare. Then redirects come first:
// resting nine times as long as the batch took caps the worker at a tenth
// of a core, leaving the rest to the requests. Drops alone do not mean the
// node is saturated: a writer that falls behind on a node with CPU to spare
// (the click writer process, over a file of ten million links) drops too,
// and resting makes it drop more, even after the load is gone. So the rest
// ends once a tenth of the machine's CPU time goes unused over a step.
// Without drops it never rests, so a node that keeps up records every
// click. It reports true when it was interrupted by Close.
func (r *Recorder) yieldUnderOverload() (stopping bool) {
	dropped := r.dropped.Load()
	overloaded := dropped > r.droppedSeen
	r.droppedSeen = dropped
	if !overloaded || r.cfg.OverloadRest <= 0 {
		return false
	}
	end := time.Now().Add(time.Duration(r.lastBatch.Load()) * time.Duration(r.cfg.OverloadRest))
	for !r.spareCPU() {
		left := time.Until(end)
		if left <= 0 {
			return false
		}
		select {
		case <-time.After(min(left, restStep)):
		case <-r.stop:
			return true
		}
	}
	return false
}

// spareCPU reports whether the machine left at least spareShare of its CPU
// time idle since the last look. Where that cannot be read, it reports
// false, and a rest runs its course.
func (r *Recorder) spareCPU() bool {
	share, ok := r.idleShare()
	return ok && share >= spareShare
}

// flush enriches a batch, writes it in one store call and returns the
// emptied slice. The IP addresses die here, with the batch.
func (r *Recorder) flush(batch []Click) []Click {
	if len(batch) == 0 {
		return batch
	}
	// The rest under overload is proportional to took, so it counts the
	// enrichment too: the whole of the worker's time on the batch. Its
	// first look at the machine's idle CPU covers the batch.
	start := time.Now()
	r.idleShare()
	events := slices.Grow(r.events[:0], len(batch))[:len(batch)]
	r.events = events
	for i, c := range batch {
		if i%64 == 63 {
			r.yielder.Yield()
		}
		events[i] = r.cfg.Enricher.Enrich(c)
		batch[i] = Click{}
	}
	// The writer's own work on the batch (the click writer process's
	// encoding) gives way to redirects as the enrichment above does.
	ctx := nice.WithYielder(context.Background(), r.yielder)
	if r.cfg.WriteTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.WriteTimeout)
		defer cancel()
	}
	err := r.store.RecordClicks(ctx, events)
	took := time.Since(start)
	r.lastBatch.Store(int64(took))
	if f := r.onBatch.Load(); f != nil {
		(*f)(len(batch), took)
	}
	if err != nil {
		r.failed.Add(uint64(len(batch)))
		r.cfg.Logger.Error("writing clicks failed", "clicks", len(batch), "code", tiny.ErrorCodeOf(err), "err", err)
	} else {
		r.written.Add(uint64(len(batch)))
	}
	return batch[:0]
}

// Stats is a snapshot of the recorder's counters.
type Stats struct {
	Enqueued, Dropped, Written, Failed uint64
	QueueDepth                         int
	LastBatch                          time.Duration
}

// Stats returns the recorder's counters.
func (r *Recorder) Stats() Stats {
	return Stats{
		Enqueued:   r.enqueued.Load(),
		Dropped:    r.dropped.Load(),
		Written:    r.written.Load(),
		Failed:     r.failed.Load(),
		QueueDepth: len(r.queue),
		LastBatch:  time.Duration(r.lastBatch.Load()),
	}
}
