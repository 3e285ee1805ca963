package sqlite

import (
	"context"
	"sync"

	"tiny/internal/tiny"
)

// accountFeed delivers account changes to the listeners of this process.
// The SQLite store is one node, so nothing else needs to hear of them; a
// change made by another process on the same file (a CLI command) is not
// seen, and caches bound how long it goes unnoticed by their TTL.
type accountFeed struct {
	mu        sync.Mutex
	listeners map[int]func([]tiny.AccountChange)
	next      int
}

// publish calls every listener with changes, on the caller's goroutine,
// after the change committed.
func (f *accountFeed) publish(changes ...tiny.AccountChange) {
	if len(changes) == 0 {
		return
	}
	f.mu.Lock()
	listeners := make([]func([]tiny.AccountChange), 0, len(f.listeners))
	for _, l := range f.listeners {
		listeners = append(listeners, l)
	}
	f.mu.Unlock()
	for _, l := range listeners {
		l(changes)
	}
}

// ListenAccountChanges calls changed with every account change made through
// this store, on the goroutine that made it, until ctx ends, and returns
// ctx's error. changed must not block. It calls resync once, when changed is
// in place: a change made before then (the process serves before this
// listener starts) reached nobody. Nothing is missed after that.
func (db *DB) ListenAccountChanges(ctx context.Context, changed func([]tiny.AccountChange), resync func()) error {
	f := &db.accounts
	f.mu.Lock()
	if f.listeners == nil {
		f.listeners = map[int]func([]tiny.AccountChange){}
	}
	id := f.next
	f.next++
	f.listeners[id] = changed
	f.mu.Unlock()
	resync()
	<-ctx.Done()
	f.mu.Lock()
	delete(f.listeners, id)
	f.mu.Unlock()
	return ctx.Err()
}
