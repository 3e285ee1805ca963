package nice

import (
	"context"
	"testing"
	"time"
)

// A Yielder parks only when its slice of work is used up and something
// arrived meanwhile.
func TestYielderParksOnlyWhileWorkArrives(t *testing.T) {
	var arrived uint64
	y := NewYielder(func() uint64 { return arrived })
	y.Yield() // starts the first slice
	for range 5 {
		time.Sleep(yieldEvery + 50*time.Microsecond)
		y.Yield()
	}
	if y.parks != 0 {
		t.Fatalf("parked %d times with nothing arriving, want 0", y.parks)
	}
	for range 5 {
		arrived++
		time.Sleep(yieldEvery + 50*time.Microsecond)
		y.Yield()
	}
	if y.parks != 5 {
		t.Fatalf("parked %d times in 5 used-up slices with arrivals, want 5", y.parks)
	}
	// Within a slice, arrivals or not, it does not park.
	arrived++
	for range 100 {
		y.Yield()
	}
	if y.parks > 6 {
		t.Fatalf("parked %d times within one slice, want at most one more", y.parks-5)
	}
}

// YieldIn reaches the Yielder a context carries, and is harmless without one.
func TestYieldInUsesTheContextsYielder(t *testing.T) {
	YieldIn(context.Background()) // none: must not panic
	var arrived uint64
	y := NewYielder(func() uint64 { return arrived })
	ctx := WithYielder(context.Background(), y)
	YieldIn(ctx) // starts the first slice
	arrived++
	time.Sleep(yieldEvery + 50*time.Microsecond)
	YieldIn(ctx)
	if y.parks != 1 {
		t.Fatalf("parked %d times through the context, want 1", y.parks)
	}
}
