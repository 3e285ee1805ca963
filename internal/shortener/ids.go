package shortener

import (
	"context"
	"sync"

	"tiny/internal/tiny"
)

// idAllocator hands out link ids from blocks leased from the store, so the
// store is touched once per block rather than once per link, and nodes of a
// cluster never collide.
type idAllocator struct {
	store     tiny.LinkStore
	blockSize int64

	mu   sync.Mutex
	next int64 // next id to hand out
	end  int64 // first id past the leased block
}

func (a *idAllocator) Next(ctx context.Context) (int64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.next >= a.end {
		first, err := a.store.LeaseIDs(ctx, a.blockSize)
		if err != nil {
			return 0, err
		}
		a.next, a.end = first, first+a.blockSize
	}
	id := a.next
	a.next++
	return id, nil
}
