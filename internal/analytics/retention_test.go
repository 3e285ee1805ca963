package analytics

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"
)

type fakeDeleter struct {
	mu      sync.Mutex
	cutoffs []time.Time
}

func (f *fakeDeleter) DeleteClicksBefore(_ context.Context, t time.Time) (int64, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.cutoffs = append(f.cutoffs, t)
	return 1, nil
}

func (f *fakeDeleter) calls() []time.Time {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Time(nil), f.cutoffs...)
}

// TestKeepRawClicks checks that retention runs at once and then on every
// tick, each time cutting at now minus the retention, and stops with ctx.
func TestKeepRawClicks(t *testing.T) {
	d := &fakeDeleter{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	start := time.Now()
	go func() {
		KeepRawClicks(ctx, d, 48*time.Hour, 20*time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	for len(d.calls()) < 3 {
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	for i, c := range d.calls() {
		age := start.Sub(c)
		if age < 48*time.Hour-time.Minute || age > 48*time.Hour+time.Minute {
			t.Errorf("run %d cut at %v before the start, want 48h", i, age)
		}
	}
	if n := len(d.calls()); n > 3+1 {
		t.Errorf("retention ran %d times after being stopped", n)
	}
	noop := &fakeDeleter{}
	KeepRawClicks(context.Background(), noop, 0, time.Millisecond, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if len(noop.calls()) != 0 {
		t.Errorf("retention 0 deleted clicks, want it to keep everything")
	}
}
