package follow

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"tiny/internal/abuse"
	"tiny/internal/nice"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// Config configures a Follower.
type Config struct {
	Client  *Client
	Checker *abuse.Checker
	// Links reads the links the follower decides on.
	Links interface {
		LinkByID(ctx context.Context, id int64) (*tiny.Link, error)
		LinkURLs(ctx context.Context, afterID int64, limit int) ([]tiny.LinkURL, error)
	}
	// Block and Flag act on a link on behalf of the system, audited and
	// dropped from every node's cache (shortener.Service.Block and Flag).
	Block, Flag func(ctx context.Context, id int64, score float64, reason string) (*tiny.Link, error)
	// ResolveChains follows the destinations on a shortener or redirector.
	ResolveChains bool
	// ScanPages fetches every destination's landing page and reads its
	// signals; it also follows any redirect it meets.
	ScanPages bool
	// Redirectors are the shorteners and redirectors (NewRedirectors).
	Redirectors *Redirectors
	// ScanEvery is how often active links are followed again (their
	// chains, and with ScanPages their landing pages); 0: never.
	ScanEvery time.Duration
	// QueueSize bounds the links waiting to be followed (1024): more are
	// dropped and counted, never waited for on the create path.
	QueueSize int
	// Workers follow links at once (4): each waits on the network, not
	// the CPU.
	Workers int
	// LowPriority runs the scheduled rescan's reads on the lowest OS
	// priority (Linux).
	LowPriority bool
	Logger      *slog.Logger
}

// Follower follows new links' destinations in the background and follows
// every active link again on a schedule.
type Follower struct {
	cfg   Config
	queue chan job
	stats stats
}

type job struct {
	id     int64
	url    string
	rescan bool // queued by a scheduled rescan, not by a create or edit
}

// New returns a Follower; start it with Run.
func New(cfg Config) *Follower {
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = 1024
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Follower{cfg: cfg, queue: make(chan job, cfg.QueueSize)}
}

// Wants reports whether the follower has anything to do with a
// destination: always when it scans pages, only for shorteners and
// redirectors when it resolves chains.
func (f *Follower) Wants(url string) bool {
	return f.cfg.ScanPages || f.cfg.ResolveChains && f.cfg.Redirectors.Has(url)
}

// Enqueue asks for link l's destination to be followed. It never blocks:
// when the queue is full the link is dropped and counted (the next
// scheduled rescan, if any, takes it up).
func (f *Follower) Enqueue(l *tiny.Link) {
	if !f.Wants(l.URL) {
		return
	}
	select {
	case f.queue <- job{id: l.ID, url: l.URL}:
		f.stats.queued.Add(1)
	default:
		f.stats.dropped.Add(1)
	}
}

// Run follows the queued links and runs the scheduled rescans until ctx
// ends, and returns once every worker has stopped.
func (f *Follower) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for range f.cfg.Workers {
		wg.Go(func() {
			for {
				select {
				case <-ctx.Done():
					return
				case j := <-f.queue:
					f.work(ctx, j)
				}
			}
		})
	}
	if (f.cfg.ScanPages || f.cfg.ResolveChains) && f.cfg.ScanEvery > 0 {
		wg.Go(func() { f.schedule(ctx) })
	}
	wg.Wait()
}

// work follows one queued link, as it is in the store now, and logs what
// failed; the outcome is in the metrics and, when it acted, the audit log.
func (f *Follower) work(ctx context.Context, j job) {
	l, err := f.cfg.Links.LinkByID(ctx, j.id)
	if err == nil && l.URL == j.url && l.DeletedAt == nil && l.Status != tiny.StatusBlocked {
		_, err = f.check(ctx, l, j.rescan)
	}
	if err != nil && ctx.Err() == nil && !tiny.IsCode(err, tiny.NotFound) {
		// The link id, never its URL: a log line is no place for it.
		f.cfg.Logger.Warn("following a link's destination failed", "link_id", j.id, "err", err)
	}
}

// Check follows l's destination now, judges what it finds and acts on the
// link: blocks it, flags it for review, or leaves it. It returns the
// verdict. The landing page of a link that hides its destination (a
// password or a click limit) is never fetched: its destination may be a
// secret that one GET would spend.
func (f *Follower) Check(ctx context.Context, l *tiny.Link) (Verdict, error) {
	return f.check(ctx, l, false)
}

// check is Check; on a rescan, a chain that failed for a reason that may
// pass (Chain.Transient) is no finding, so that a shortener's outage does
// not send every link to it to review at once.
func (f *Follower) check(ctx context.Context, l *tiny.Link, rescan bool) (Verdict, error) {
	mustResolve := f.cfg.Redirectors.Has(l.URL)
	scanPage := f.cfg.ScanPages && !shortener.HidesDestination(l)
	if !scanPage && !(f.cfg.ResolveChains && mustResolve) {
		return Verdict{Status: tiny.StatusActive}, nil
	}
	ch := f.cfg.Client.Follow(ctx, l.URL, scanPage, f.cfg.Redirectors)
	f.stats.count(ch)
	v, err := judge(ctx, f.cfg.Checker, ch, mustResolve)
	if err != nil {
		return v, err
	}
	if ch.Err != nil && (!mustResolve && !ch.Redirected() || rescan && ch.Transient()) {
		// A page that could not be fetched is no finding: sites go down.
		return Verdict{Status: tiny.StatusActive}, nil
	}
	return v, f.act(ctx, l.ID, v)
}

// act applies v to link id as it is now in the store.
func (f *Follower) act(ctx context.Context, id int64, v Verdict) error {
	if v.Status == tiny.StatusActive {
		return nil
	}
	l, err := f.cfg.Links.LinkByID(ctx, id)
	if tiny.IsCode(err, tiny.NotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if l.DeletedAt != nil || l.Status == tiny.StatusBlocked {
		return nil
	}
	switch v.Status {
	case tiny.StatusBlocked:
		_, err = f.cfg.Block(ctx, id, v.Score, v.Reason)
		if err == nil {
			f.stats.blocked.Add(1)
		}
	case tiny.StatusFlagged:
		if l.Status == tiny.StatusFlagged {
			return nil // in the queue already
		}
		if l.Safety.Auto == tiny.StatusFlagged && l.Safety.Reason == v.Reason {
			return nil // a moderator approved this very finding
		}
		_, err = f.cfg.Flag(ctx, id, v.Score, v.Reason)
		if err == nil {
			f.stats.flagged.Add(1)
		}
	}
	if tiny.IsCode(err, tiny.NotFound) || tiny.IsCode(err, tiny.Conflict) {
		return nil // deleted or blocked in between
	}
	return err
}

// scanBatch is how many links a scheduled rescan reads at a time.
const scanBatch = 500

// schedule follows the active links again every ScanEvery.
func (f *Follower) schedule(ctx context.Context) {
	if f.cfg.LowPriority {
		nice.Lowest()
	}
	t := time.NewTicker(f.cfg.ScanEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := f.Rescan(ctx)
		if err != nil && ctx.Err() == nil {
			f.cfg.Logger.Error("the scheduled rescan of destinations failed", "err", err, "queued", n)
			continue
		}
		f.cfg.Logger.Debug("scheduled rescan of destinations queued", "links", n)
	}
}

// Rescan queues every active link the follower Wants for a fresh look
// (its chain, its landing page), waiting for room in the queue, so the rescan goes at the pace of the
// workers and leaves room for new links between pages. It returns how
// many links it queued.
func (f *Follower) Rescan(ctx context.Context) (int64, error) {
	f.stats.rescans.Add(1)
	var n, after int64
	for {
		page, err := f.cfg.Links.LinkURLs(ctx, after, scanBatch)
		if err != nil {
			return n, err
		}
		for _, l := range page {
			after = l.ID
			if l.Status != tiny.StatusActive || !f.Wants(l.URL) {
				continue
			}
			// Leave half the queue to new links.
			for len(f.queue) > cap(f.queue)/2 {
				select {
				case <-ctx.Done():
					return n, ctx.Err()
				case <-time.After(50 * time.Millisecond):
				}
			}
			select {
			case <-ctx.Done():
				return n, ctx.Err()
			case f.queue <- job{id: l.ID, url: l.URL, rescan: true}:
				n++
				f.stats.rescanned.Add(1)
			}
		}
		if len(page) < scanBatch {
			return n, nil
		}
	}
}

// stats are the follower's counters, for metrics.
type stats struct {
	queued, dropped, rescans, rescanned atomic.Int64
	chains, hops, unresolved, refused   atomic.Int64
	pages, blocked, flagged             atomic.Int64
	signals                             sync.Map // signal kind → *atomic.Int64
}

func (s *stats) count(ch *Chain) {
	s.chains.Add(1)
	s.hops.Add(int64(len(ch.Hops) - 1))
	if ch.Err != nil {
		s.unresolved.Add(1)
		if _, ok := refused(ch.Err); ok {
			s.refused.Add(1)
		}
	}
	if ch.Page == nil {
		return
	}
	s.pages.Add(1)
	p := ch.Page
	for kind, on := range map[string]bool{"password_field": p.PasswordField, "foreign_form": p.ForeignForm != "",
		"foreign_brand": p.Brand != "", "obfuscated_script": p.ObfuscatedScript} {
		if on {
			c, _ := s.signals.LoadOrStore(kind, new(atomic.Int64))
			c.(*atomic.Int64).Add(1)
		}
	}
}
