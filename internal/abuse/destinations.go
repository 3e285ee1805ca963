package abuse

import (
	"cmp"
	"context"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"tiny/internal/tiny"
)

// Blocklist says whether a destination is blocked outright, and why; the
// reason goes to the audit log. A Checker is one (its destination blocks
// and feeds as they are now), and so are Destinations, a DestinationSet and
// a FeedBlocklist.
type Blocklist interface {
	Blocked(url string) (reason string, ok bool)
}

// DestinationSet is a snapshot of the destination blocks, indexed for
// matching. It is immutable and safe for concurrent use; a nil
// *DestinationSet matches nothing.
type DestinationSet struct {
	blocks               []*tiny.DestinationBlock // lowest ID first
	byID                 map[int64]*tiny.DestinationBlock
	urls, hosts, domains map[string]*tiny.DestinationBlock
}

// NewDestinationSet indexes blocks, whose values are normalised
// (tiny.NormalizeDestination).
func NewDestinationSet(blocks []*tiny.DestinationBlock) *DestinationSet {
	s := &DestinationSet{
		blocks:  slices.SortedFunc(slices.Values(blocks), func(a, b *tiny.DestinationBlock) int { return cmp.Compare(a.ID, b.ID) }),
		byID:    map[int64]*tiny.DestinationBlock{},
		urls:    map[string]*tiny.DestinationBlock{},
		hosts:   map[string]*tiny.DestinationBlock{},
		domains: map[string]*tiny.DestinationBlock{},
	}
	for _, b := range s.blocks {
		s.byID[b.ID] = b
		switch b.Kind {
		case tiny.DestinationURL:
			s.urls[b.Value] = b
		case tiny.DestinationHost:
			s.hosts[b.Value] = b
		case tiny.DestinationDomain:
			s.domains[b.Value] = b
		}
	}
	return s
}

// Blocks returns the blocks of the set, lowest ID first.
func (s *DestinationSet) Blocks() []*tiny.DestinationBlock {
	if s == nil {
		return nil
	}
	return s.blocks
}

// Len returns the number of blocks.
func (s *DestinationSet) Len() int { return len(s.Blocks()) }

// has reports whether the set has the block with that id.
func (s *DestinationSet) has(id int64) bool {
	if s == nil {
		return false
	}
	_, ok := s.byID[id]
	return ok
}

// Match returns the block that covers the destination url, if any: a url
// block of exactly url (fragment ignored), a host block of its host, or a
// domain block of its host or a parent domain, in that order.
func (s *DestinationSet) Match(url string) (*tiny.DestinationBlock, bool) {
	if s.Len() == 0 {
		return nil, false // costs nothing while no destination is blocked
	}
	key, host, ok := tiny.DestinationKeys(url)
	if !ok {
		return nil, false
	}
	if b, ok := s.urls[key]; ok {
		return b, true
	}
	if b, ok := s.hosts[host]; ok {
		return b, true
	}
	if len(s.domains) == 0 {
		return nil, false
	}
	if _, err := netip.ParseAddr(host); err == nil {
		return nil, false // an address has no parent domains
	}
	for d := host; ; {
		if b, ok := s.domains[d]; ok {
			return b, true
		}
		i := strings.IndexByte(d, '.')
		if i < 0 {
			return nil, false
		}
		d = d[i+1:]
	}
}

// Blocked implements Blocklist: the reason names the block.
func (s *DestinationSet) Blocked(url string) (string, bool) {
	b, ok := s.Match(url)
	if !ok {
		return "", false
	}
	return b.String(), true
}

// DestinationsConfig configures Destinations.
type DestinationsConfig struct {
	Store tiny.DestinationStore
	// Added is called after the list gains a block, made here or on
	// another node, so the caller rescans the existing links
	// (Rescanner.Changed). It must not block.
	Added  func()
	Logger *slog.Logger
}

// Destinations is the moderators' destination blocklist, kept in the store.
// Every node holds the whole list in memory (Current), which the create
// path reads without touching the store, and reloads it when another node
// changes it (Follow). Removing a block does not unblock the links it
// blocked: each was a decision of its own, and an appeal lifts it.
type Destinations struct {
	cfg DestinationsConfig
	mu  sync.Mutex // serialises replacing cur
	cur atomic.Pointer[DestinationSet]
}

// NewDestinations returns an empty list on cfg.Store; Load fills it.
func NewDestinations(cfg DestinationsConfig) *Destinations {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	d := &Destinations{cfg: cfg}
	d.cur.Store(NewDestinationSet(nil))
	return d
}

// Current returns the blocks as this node knows them now.
func (d *Destinations) Current() *DestinationSet { return d.cur.Load() }

// Blocked implements Blocklist with the current blocks.
func (d *Destinations) Blocked(url string) (string, bool) { return d.Current().Blocked(url) }

// Screen implements shortener.Screener with the destination blocks alone,
// for an instance whose safety check is off: a moderator's block holds
// whatever the operator thinks of the automatic check.
func (d *Destinations) Screen(_ context.Context, _ *tiny.User, url string) (tiny.Screening, error) {
	if reason, ok := d.Blocked(url); ok {
		return tiny.Screening{Status: tiny.StatusBlocked, Score: 1, Reason: reason}, nil
	}
	return tiny.Screening{Status: tiny.StatusActive}, nil
}

// Load reads the whole list from the store and reports whether it gained
// a block this node did not know of.
func (d *Destinations) Load(ctx context.Context) (gained bool, err error) {
	blocks, err := d.cfg.Store.DestinationBlocks(ctx)
	if err != nil {
		return false, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	old := d.Current()
	for _, b := range blocks {
		if !old.has(b.ID) {
			gained = true
			break
		}
	}
	d.cur.Store(NewDestinationSet(blocks))
	return gained, nil
}

// Follow reloads the list whenever another node changes it, until ctx
// ends, and calls Added when it gained a block. With a store that has no
// feed (tiny.DestinationFeed: the embedded one, which has no other nodes)
// it returns at once.
func (d *Destinations) Follow(ctx context.Context) {
	feed, ok := d.cfg.Store.(tiny.DestinationFeed)
	if !ok {
		return
	}
	err := feed.ListenDestinationBlocks(ctx, func() {
		gained, err := d.Load(ctx)
		if err != nil {
			if ctx.Err() == nil {
				d.cfg.Logger.Error("reloading the destination blocks failed; they are reloaded at the next change", "err", err)
			}
			return
		}
		if gained {
			d.added()
		}
	})
	if err != nil && ctx.Err() == nil {
		d.cfg.Logger.Error("the destination block feed stopped", "err", err)
	}
}

func (d *Destinations) added() {
	if d.cfg.Added != nil {
		d.cfg.Added()
	}
}

// Add blocks the destination value of kind on behalf of moderator, with a
// note for the audit log: new links to it are refused from now on, on this
// node at once and on the others within a second, and Added is called to
// rescan the existing ones. Invalid (field kind or value) when it is not
// a destination of that kind (tiny.NormalizeDestination); Conflict (field
// value) when it is blocked already.
func (d *Destinations) Add(ctx context.Context, moderator *tiny.User, kind tiny.DestinationKind, value, note string) (*tiny.DestinationBlock, error) {
	v, err := tiny.NormalizeDestination(kind, value)
	if err != nil {
		return nil, err
	}
	b := &tiny.DestinationBlock{Kind: kind, Value: v, Note: note, ActorID: moderator.ID}
	if err := d.cfg.Store.AddDestinationBlock(ctx, b); err != nil {
		if tiny.IsCode(err, tiny.Conflict) {
			return nil, tiny.FieldErrorf(tiny.Conflict, "value", "%s %s is blocked already", kind, v)
		}
		return nil, err
	}
	d.replace(func(cur *DestinationSet) []*tiny.DestinationBlock {
		if cur.has(b.ID) {
			return cur.Blocks() // a reload has it already
		}
		return append(slices.Clone(cur.Blocks()), b)
	})
	d.added()
	return b, nil
}

// Enabled reports whether d blocks destinations: a server without
// destination blocks has a nil *Destinations.
func (d *Destinations) Enabled() bool { return d != nil }

// Ensure is Add, except that a destination blocked already is no error:
// it returns the block there is.
func (d *Destinations) Ensure(ctx context.Context, moderator *tiny.User, kind tiny.DestinationKind, value, note string) (*tiny.DestinationBlock, error) {
	b, err := d.Add(ctx, moderator, kind, value, note)
	if !tiny.IsCode(err, tiny.Conflict) {
		return b, err
	}
	v, _ := tiny.NormalizeDestination(kind, value) // Add accepted it
	blocks, lerr := d.List(ctx)
	if lerr != nil {
		return nil, lerr
	}
	for _, b := range blocks {
		if b.Kind == kind && b.Value == v {
			return b, nil
		}
	}
	return nil, err // removed in between: the caller may try again
}

// Remove deletes the block with that id on behalf of moderator. The links
// it blocked stay blocked. NotFound when there is no such block.
func (d *Destinations) Remove(ctx context.Context, moderator *tiny.User, id int64) error {
	if err := d.cfg.Store.RemoveDestinationBlock(ctx, id, moderator.ID); err != nil {
		if tiny.IsCode(err, tiny.NotFound) {
			return tiny.Errorf(tiny.NotFound, "no destination block %d", id)
		}
		return err
	}
	d.replace(func(cur *DestinationSet) []*tiny.DestinationBlock {
		return slices.DeleteFunc(slices.Clone(cur.Blocks()), func(b *tiny.DestinationBlock) bool { return b.ID == id })
	})
	return nil
}

// List returns every block, oldest first, from the store: the list every
// node converges on.
func (d *Destinations) List(ctx context.Context) ([]*tiny.DestinationBlock, error) {
	return d.cfg.Store.DestinationBlocks(ctx)
}

// replace sets the current list to what change makes of the current set
// (which it must not modify), so this node acts on its own change without
// waiting to hear of it.
func (d *Destinations) replace(change func(cur *DestinationSet) []*tiny.DestinationBlock) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.cur.Store(NewDestinationSet(change(d.Current())))
}
