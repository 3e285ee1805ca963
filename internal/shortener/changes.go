package shortener

import (
	"context"
	"log/slog"

	"tiny/internal/tiny"
)

// FollowChanges keeps the redirect cache coherent with the other nodes of
// a cluster: when the store publishes changes (tiny.ChangeFeed), each
// changed name is dropped from the cache, and the whole cache is dropped
// when changes may have been missed: once the feed listens (the node
// served before it did) and after the feed reconnects. It runs until ctx
// ends; with a store that has no feed (the embedded one, which has no
// other nodes) it returns at once.
func (s *Service) FollowChanges(ctx context.Context, logger *slog.Logger) {
	feed, ok := s.store.(tiny.ChangeFeed)
	if !ok {
		return
	}
	listened := false
	err := feed.ListenChanges(ctx,
		func(names []string) { s.Invalidate(names...) },
		func() {
			if listened {
				logger.Warn("the change feed reconnected; dropping the whole redirect cache")
			}
			listened = true
			s.cache.InvalidateAll()
		})
	if err != nil && ctx.Err() == nil {
		logger.Error("the change feed stopped", "err", err)
	}
}
