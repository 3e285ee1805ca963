package postgres

import (
	"context"
	"errors"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// TestDecidePublishesChange has node B listen while node A blocks a link
// by a moderator's decision and another by the system's: B hears of each,
// so neither keeps redirecting from B's cache.
func TestDecidePublishesChange(t *testing.T) {
	dsn := newSchema(t)
	app := randomName("tiny_test_b_")
	a := openDSN(t, dsn)
	b := openDSN(t, withParams(t, dsn, "application_name", app))
	ctx, cancel := context.WithCancel(t.Context())
	changed := make(chan []string, 100)
	done := make(chan error, 1)
	go func() { done <- b.ListenChanges(ctx, func(names []string) { changed <- names }, func() {}) }()
	defer func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("ListenChanges() after cancel = %v, want context.Canceled", err)
		}
	}()
	listenerPID(t, a, app)

	withAlias := &tiny.Link{ID: 1, Code: "ddddddd", Alias: "decided", URL: "https://example.com/a", Redirect: 302,
		Status: tiny.StatusFlagged, Safety: tiny.Safety{Score: 0.5, Auto: tiny.StatusFlagged, Review: tiny.ReviewFlagged}}
	plain := &tiny.Link{ID: 2, Code: "eeeeeee", URL: "https://example.com/b", Redirect: 302, Status: tiny.StatusActive}
	for _, tt := range []struct {
		l     *tiny.Link
		names []string
	}{{withAlias, []string{"ddddddd", "decided"}}, {plain, []string{"eeeeeee"}}} {
		if err := a.CreateLink(ctx, tt.l); err != nil {
			t.Fatalf("CreateLink(%d) = %v, want nil", tt.l.ID, err)
		}
		expectChange(t, changed, "create", time.Now(), tt.names...)
	}

	for _, tt := range []struct {
		d     tiny.Decision
		names []string
	}{
		{tiny.Decision{LinkID: withAlias.ID, Status: tiny.StatusBlocked, ActorID: 7, Reason: "phishing"}, []string{"ddddddd", "decided"}},
		{tiny.Decision{LinkID: plain.ID, Status: tiny.StatusBlocked, ActorID: tiny.SystemActor, Reason: "feed", Score: 1}, []string{"eeeeeee"}},
	} {
		start := time.Now()
		if _, err := a.Decide(ctx, tt.d); err != nil {
			t.Fatalf("Decide(%+v) = %v, want nil", tt.d, err)
		}
		t.Logf("B heard of the block %v after Decide began on A", expectChange(t, changed, "block", start, tt.names...))
		// The notification comes at commit: B reads the link blocked.
		if got, err := b.LinkByID(ctx, tt.d.LinkID); err != nil || got.Status != tiny.StatusBlocked {
			t.Errorf("LinkByID(%d) on B after the notification = %v, %v; want it blocked", tt.d.LinkID, got, err)
		}
	}
}
