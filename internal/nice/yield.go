package nice

import (
	"context"
	"time"
)

// yieldEvery is the most work a Yielder lets pass between two pauses, and
// yieldPause how long it parks.
const (
	yieldEvery = 200 * time.Microsecond
	yieldPause = 20 * time.Microsecond
)

// A Yielder lets a long loop of background Go code give way to requests.
// Go runs goroutines on few Ps (one per CPU) and takes a P from a running
// goroutine only after 10 ms; and it polls the sockets of waiting requests
// only when a P has nothing to run, so runtime.Gosched, which leaves the
// yielding goroutine runnable, does not let them in. Parking does. Not safe
// for concurrent use.
type Yielder struct {
	arrivals func() uint64
	next     time.Time
	seen     uint64
	parks    int // how many times it parked, for tests
}

// NewYielder returns a Yielder that pauses only while arrivals (a count of
// requests, or of the work they bring) moves: with nothing arriving there is
// nobody to give way to.
func NewYielder(arrivals func() uint64) *Yielder { return &Yielder{arrivals: arrivals} }

// Yield parks the goroutine for a moment when it has run yieldEvery since it
// last did and something arrived meanwhile. Call it often; it is cheap when
// it does not park.
func (y *Yielder) Yield() {
	now := time.Now()
	if now.Before(y.next) {
		return
	}
	if n := y.arrivals(); n != y.seen {
		y.seen = n
		y.parks++
		time.Sleep(yieldPause)
		now = time.Now()
	}
	y.next = now.Add(yieldEvery)
}

type yielderKey struct{}

// WithYielder returns ctx carrying y, so that code doing long work for the
// caller (encoding the caller's batch, say) gives way as the caller would:
// with YieldIn, on the caller's goroutine.
func WithYielder(ctx context.Context, y *Yielder) context.Context {
	return context.WithValue(ctx, yielderKey{}, y)
}

// YieldIn calls Yield on ctx's Yielder, and does nothing when it has none.
func YieldIn(ctx context.Context) {
	if y, _ := ctx.Value(yielderKey{}).(*Yielder); y != nil {
		y.Yield()
	}
}
