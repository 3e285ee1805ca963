package postgres

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// TestDestinationFeed has node B follow the destination blocks while node
// A adds and removes one: after each, within a second, B is called and
// reads the list as changed. When A kills B's listener connection, B is
// called again once it listens again, and hears later changes.
func TestDestinationFeed(t *testing.T) {
	dsn := newSchema(t)
	app := randomName("tiny_test_b_")
	a := openDSN(t, dsn)
	b := openDSN(t, withParams(t, dsn, "application_name", app))
	ctx, cancel := context.WithCancel(t.Context())
	changed := make(chan struct{}, 100)
	done := make(chan error, 1)
	go func() { done <- b.ListenDestinationBlocks(ctx, func() { changed <- struct{}{} }) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("ListenDestinationBlocks() after cancel = %v, want context.Canceled", err)
		}
	}()
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("ListenDestinationBlocks did not call changed once it listened")
	}
	pid := listenerPIDOf(t, a, app, "destination feed")

	// expect waits for a call after which B reads ids; calls from other
	// tests' schemas (the channel is per database) are skipped.
	expect := func(what string, start time.Time, ids ...int64) {
		t.Helper()
		timeout := time.After(time.Second)
		for {
			select {
			case <-changed:
				blocks, err := b.DestinationBlocks(ctx)
				if err != nil {
					t.Fatalf("DestinationBlocks() on B = %v", err)
				}
				var got []int64
				for _, bl := range blocks {
					got = append(got, bl.ID)
				}
				if slices.Equal(got, ids) {
					t.Logf("B heard of the %s %v after it began on A", what, time.Since(start))
					return
				}
			case <-timeout:
				t.Fatalf("B was not told of the %s within 1s", what)
			}
		}
	}

	block := &tiny.DestinationBlock{Kind: tiny.DestinationDomain, Value: "evil.example", ActorID: 7}
	start := time.Now()
	if err := a.AddDestinationBlock(ctx, block); err != nil {
		t.Fatalf("AddDestinationBlock() = %v, want nil", err)
	}
	expect("add", start, block.ID)

	terminateBackend(t, a, pid)
	select {
	case <-changed:
	case <-time.After(5 * time.Second):
		t.Fatal("changed was not called within 5s of the listener's connection being killed")
	}
	if again := listenerPIDOf(t, a, app, "destination feed"); again == pid {
		t.Fatalf("B listens on pid %d again, want a new connection", again)
	}

	start = time.Now()
	if err := a.RemoveDestinationBlock(ctx, block.ID, 7); err != nil {
		t.Fatalf("RemoveDestinationBlock() = %v, want nil", err)
	}
	expect("remove", start)
}
