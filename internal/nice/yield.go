package nice

import (
	"context"
	"runtime"
	"time"
)

// yieldEvery is the longest a low-priority goroutine holds its P between
// yields. It bounds what a redirect waits for the P behind background work
// when Go has a single P (a node pinned to one CPU): without yields, Go
// takes the P back only after 10 ms.
const yieldEvery = 200 * time.Microsecond

// Yielder gives a goroutine's P back to the others now and then. The
// kernel already runs a Lowest thread last, but a goroutine on it that
// holds one of Go's Ps keeps the goroutines waiting for that P from
// running however the kernel ranks the threads. A yield costs two thread
// switches (a locked goroutine hands its P over and gets it back), so it
// is taken only once yieldEvery has passed. The zero Yielder never
// yields; one Yielder serves one goroutine.
type Yielder struct {
	on   bool
	last time.Time
}

// NewYielder returns a Yielder that yields.
func NewYielder() *Yielder { return &Yielder{on: true, last: time.Now()} }

// Maybe yields if yieldEvery has passed since the last yield.
func (y *Yielder) Maybe() {
	if y == nil || !y.on {
		return
	}
	if now := time.Now(); now.Sub(y.last) >= yieldEvery {
		runtime.Gosched()
		y.last = time.Now()
	}
}

type yielderKey struct{}

// WithYielder returns ctx carrying y, for the code a background goroutine
// calls (a store writing its batch) to yield through.
func WithYielder(ctx context.Context, y *Yielder) context.Context {
	return context.WithValue(ctx, yielderKey{}, y)
}

// MaybeYield yields through the Yielder ctx carries, if any.
func MaybeYield(ctx context.Context) {
	if y, ok := ctx.Value(yielderKey{}).(*Yielder); ok {
		y.Maybe()
	}
}
