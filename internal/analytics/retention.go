package analytics

import (
	"context"
	"log/slog"
	"time"
)

// RawClickDeleter is the part of the store that retention needs.
type RawClickDeleter interface {
	DeleteClicksBefore(ctx context.Context, t time.Time) (int64, error)
}

// KeepRawClicks deletes raw click events older than keep, now and then
// every interval, until ctx ends. The rollups that statistics read are
// kept, so statistics outlive the raw events. keep <= 0 keeps everything.
func KeepRawClicks(ctx context.Context, store RawClickDeleter, keep, interval time.Duration, logger *slog.Logger) {
	if keep <= 0 {
		return
	}
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		cutoff := time.Now().Add(-keep)
		runCtx, cancel := context.WithTimeout(ctx, 10*time.Minute)
		n, err := store.DeleteClicksBefore(runCtx, cutoff)
		cancel()
		switch {
		case err != nil && ctx.Err() == nil:
			logger.Warn("deleting old raw clicks failed; will retry", "err", err)
		case n > 0:
			logger.Info("deleted old raw clicks", "clicks", n, "before", cutoff.UTC().Format(time.RFC3339))
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}
