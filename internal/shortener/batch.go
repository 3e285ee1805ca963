package shortener

import (
	"context"
	"slices"
	"sync"
	"time"

	"tiny/internal/tiny"
)

// createBatcher stores the links of concurrent creates together: group
// commit. A create that finds fewer than flushes batches in flight writes
// at once, alone; the creates that arrive meanwhile queue, and when a batch
// is done the first of them writes the queue, up to max links, in one
// store transaction. Under load a commit (an fsync on PostgreSQL, the WAL
// frames on SQLite) is shared by many links; an idle service waits for
// nobody. Each create still gets its own result: a link whose names are
// taken is left out of the batch with its Conflict, and the others are
// stored.
type createBatcher struct {
	store   tiny.LinkStore
	max     int // most links in one batch
	flushes int // most batches in flight

	mu      sync.Mutex
	queue   []*queuedCreate
	running int
}

// queuedCreate is one create waiting in the queue.
type queuedCreate struct {
	l   *tiny.Link
	err error
	// wake receives the batch this create is to write (then it is the
	// first of it), or nil when another create wrote it and err is its
	// result.
	wake chan []*queuedCreate
}

// createTimeout bounds the write of a batch. The batch holds the links of
// other requests, so it does not end with the writer's request; it ends
// after this.
const createTimeout = 10 * time.Second

// create stores l, whose id and code are set, as tiny.LinkStore.CreateLink
// does, with the links of concurrent creates.
func (b *createBatcher) create(ctx context.Context, l *tiny.Link) error {
	q := &queuedCreate{l: l, wake: make(chan []*queuedCreate, 1)}
	b.mu.Lock()
	b.queue = append(b.queue, q)
	var batch []*queuedCreate
	if b.running < b.flushes {
		// Nothing queues while fewer batches are in flight, so the batch
		// is this create alone.
		b.running++
		batch = b.take()
	}
	b.mu.Unlock()
	if batch == nil {
		if batch = <-q.wake; batch == nil {
			return q.err
		}
	}
	b.write(ctx, batch)
	b.mu.Lock()
	next := b.take()
	if next == nil {
		b.running--
	}
	b.mu.Unlock()
	if next != nil {
		// The first create of the next batch writes it.
		next[0].wake <- next
	}
	return q.err
}

// take removes the next batch from the queue; nil when it is empty. Call
// it with b.mu held.
func (b *createBatcher) take() []*queuedCreate {
	n := min(len(b.queue), b.max)
	if n == 0 {
		return nil
	}
	batch := slices.Clone(b.queue[:n])
	b.queue = slices.Delete(b.queue, 0, n)
	return batch
}

// write stores the links of batch, sets each create's result and wakes
// all but the first, whose caller is writing.
func (b *createBatcher) write(ctx context.Context, batch []*queuedCreate) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), createTimeout)
	defer cancel()
	if len(batch) == 1 {
		batch[0].err = b.store.CreateLink(ctx, batch[0].l)
	} else {
		links := make([]*tiny.Link, len(batch))
		for i, q := range batch {
			links[i] = q.l
		}
		errs, err := b.store.CreateLinks(ctx, links)
		switch {
		case err == nil:
			for i, q := range batch {
				q.err = errs[i]
			}
		case tiny.IsCode(err, tiny.Conflict):
			// A conflict the store's checks did not foresee (such as an id
			// already used) fails the whole batch: each link then on its
			// own, so that only the link at fault fails.
			for _, q := range batch {
				q.err = b.store.CreateLink(ctx, q.l)
			}
		default:
			for _, q := range batch {
				q.err = err
			}
		}
	}
	for _, q := range batch[1:] {
		q.wake <- nil
	}
}
