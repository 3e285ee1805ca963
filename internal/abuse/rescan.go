package abuse

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"tiny/internal/nice"
	"tiny/internal/tiny"
)

// RescanConfig configures a Rescanner.
type RescanConfig struct {
	// Links pages through the existing links.
	Links interface {
		LinkURLs(ctx context.Context, afterID int64, limit int) ([]tiny.LinkURL, error)
	}
	// Block blocks a link on behalf of the system and drops it from every
	// node's cache (shortener.Service.Block).
	Block func(ctx context.Context, id int64, score float64, reason string) (*tiny.Link, error)
	// BatchSize is how many links are read at a time (1000).
	BatchSize int
	// Rest is how many times as long as a batch took the rescan rests
	// after it (4), so it uses at most a fifth of a core; negative: never.
	Rest int
	// LowPriority runs rescans on an OS thread of the lowest priority, so
	// they use only CPU time the redirects leave (Linux).
	LowPriority bool
	Logger      *slog.Logger
}

// Rescanner checks every existing link against the blocklists (feeds and
// destination blocks) when they change, in bounded batches, and blocks the
// links that now match. At most one rescan runs at a time; a change during
// a rescan restarts it with the newest lists.
type Rescanner struct {
	cfg     RescanConfig
	pending chan Blocklist

	scanned, blocked, runs atomic.Int64
	lastDuration           atomic.Int64 // nanoseconds
}

// NewRescanner returns a Rescanner; start it with Run.
func NewRescanner(cfg RescanConfig) *Rescanner {
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1000
	}
	if cfg.Rest == 0 {
		cfg.Rest = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Rescanner{cfg: cfg, pending: make(chan Blocklist, 1)}
}

// Changed asks for a rescan against b (a Checker: whatever blocks outright
// when the rescan runs). It never blocks: a rescan that has not started yet
// is replaced by this one.
func (r *Rescanner) Changed(b Blocklist) {
	for {
		select {
		case r.pending <- b:
			return
		default:
		}
		select {
		case <-r.pending: // drop the older request
		default:
		}
	}
}

// Run performs the requested rescans until ctx ends.
func (r *Rescanner) Run(ctx context.Context) {
	if r.cfg.LowPriority {
		nice.Lowest()
	}
	for {
		select {
		case <-ctx.Done():
			return
		case b := <-r.pending:
			res, err := r.Rescan(ctx, b)
			if err != nil && ctx.Err() == nil {
				r.cfg.Logger.Error("rescan failed", "err", err, "scanned", res.Scanned, "blocked", res.Blocked)
				continue
			}
			r.cfg.Logger.Info("rescan done", "scanned", res.Scanned, "blocked", res.Blocked, "took", res.Took)
		}
	}
}

// RescanResult is what one rescan did.
type RescanResult struct {
	Scanned int64
	Blocked int64
	Took    time.Duration
}

// Rescan checks every link against b now and blocks the ones that match,
// with b's reason in the audit entry. A newer request (Changed) stops it
// early; Run then starts the next one.
func (r *Rescanner) Rescan(ctx context.Context, b Blocklist) (RescanResult, error) {
	start := time.Now()
	var res RescanResult
	defer func() {
		res.Took = time.Since(start)
		r.runs.Add(1)
		r.lastDuration.Store(int64(res.Took))
	}()
	var after int64
	for {
		if len(r.pending) > 0 {
			return res, nil // superseded; the newer lists rescan everything
		}
		pageStart := time.Now()
		page, err := r.cfg.Links.LinkURLs(ctx, after, r.cfg.BatchSize)
		if err != nil {
			return res, err
		}
		for _, l := range page {
			after = l.ID
			if l.Status == tiny.StatusBlocked {
				continue
			}
			reason, ok := b.Blocked(l.URL)
			if !ok {
				continue
			}
			if _, err := r.cfg.Block(ctx, l.ID, 1, "rescan: "+reason); err != nil && !tiny.IsCode(err, tiny.NotFound) {
				return res, err
			}
			res.Blocked++
			r.blocked.Add(1)
		}
		res.Scanned += int64(len(page))
		r.scanned.Add(int64(len(page)))
		if len(page) < r.cfg.BatchSize {
			return res, nil
		}
		if r.cfg.Rest > 0 {
			select {
			case <-ctx.Done():
				return res, ctx.Err()
			case <-time.After(time.Since(pageStart) * time.Duration(r.cfg.Rest)):
			}
		}
	}
}

// RescanStats are the Rescanner's totals since start, for metrics.
type RescanStats struct {
	Runs, Scanned, Blocked int64
	LastDuration           time.Duration
}

// Stats returns the totals.
func (r *Rescanner) Stats() RescanStats {
	return RescanStats{Runs: r.runs.Load(), Scanned: r.scanned.Load(), Blocked: r.blocked.Load(),
		LastDuration: time.Duration(r.lastDuration.Load())}
}
