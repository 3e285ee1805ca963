package shortener_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// TestPasswordWorkersBoundBcrypt holds every bcrypt call that got a worker
// until the other callers have given up: no more than PasswordWorkers hashes
// and checks run at once, and the callers left waiting are refused as
// Unavailable after PasswordWait rather than queued for ever.
func TestPasswordWorkersBoundBcrypt(t *testing.T) {
	ctx := context.Background()
	store := openStore(t)
	const workers, callers = 2, 8
	svc := newService(t, store, shortener.Config{PasswordWorkers: workers, PasswordWait: 50 * time.Millisecond})
	owner := newUser(t, store, "alice", tiny.RoleUser)
	locked := create(t, svc, owner, shortener.CreateInput{URL: "https://example.com/locked", Password: "pw"})

	var running, most atomic.Int64
	release := make(chan struct{})
	released := false
	releaseAll := func() {
		if !released {
			released = true
			close(release)
		}
	}
	defer releaseAll()
	shortener.WrapBcrypt(svc, func() {
		n := running.Add(1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		<-release
		running.Add(-1)
	})

	errs := make(chan error, callers)
	for i := range callers {
		go func() {
			var err error
			if i%2 == 0 { // hashes
				_, err = svc.Create(ctx, accounts.As(owner), shortener.CreateInput{URL: "https://example.com/new", Password: "pw"})
			} else { // checks
				_, err = svc.CheckPassword(ctx, locked, "pw")
			}
			errs <- err
		}()
	}
	next := func() error {
		t.Helper()
		select {
		case err := <-errs:
			return err
		case <-time.After(10 * time.Second):
			t.Fatalf("no caller returned in 10s with %d bcrypt calls running, want %d running and the rest refused", running.Load(), workers)
			return nil
		}
	}
	for range callers - workers {
		if err := next(); !tiny.IsCode(err, tiny.Unavailable) {
			t.Errorf("a password call with every worker busy = %v, want unavailable", err)
		}
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := svc.CheckPassword(cancelled, locked, "pw"); !errors.Is(err, context.Canceled) || !tiny.IsCode(err, tiny.Unavailable) {
		t.Errorf("CheckPassword(cancelled context) with every worker busy = %v, want unavailable wrapping context.Canceled", err)
	}
	releaseAll()
	for range workers {
		if err := next(); err != nil {
			t.Errorf("a password call that got a worker = %v, want success", err)
		}
	}
	if got := most.Load(); got != workers {
		t.Errorf("bcrypt calls running at once = %d, want %d (PasswordWorkers)", got, workers)
	}
}
