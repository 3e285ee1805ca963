package shortener

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/maypok86/otter/v2"
	"github.com/maypok86/otter/v2/stats"
	"golang.org/x/crypto/bcrypt"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// Config tunes a Service. Zero values take the defaults noted.
type Config struct {
	// URLPolicy decides which destinations are refused beyond the fixed rules.
	URLPolicy tiny.URLPolicy
	// IDBlockSize is how many ids are leased from the store at a time (1000).
	IDBlockSize int64
	// CacheSize bounds the redirect cache, in links (100,000).
	CacheSize int
	// CacheTTL is how long a resolved link stays cached without an edit (10m).
	CacheTTL time.Duration
	// LookupTimeout bounds the store read behind a cache miss (2s), so a
	// redirect answers 503 rather than hang while the store is unreachable.
	LookupTimeout time.Duration
	// Screener checks every new destination (nil: every link is active).
	Screener Screener
	// Followed, if set, is told of every link stored with a new
	// destination (a create, or an edit of its URL), after the store has
	// it, so the destination can be followed in the background. It must
	// not block: it runs on the create path.
	Followed func(l *tiny.Link)
	// PasswordCost is the bcrypt cost for link passwords (bcrypt.DefaultCost).
	PasswordCost int
	// PasswordWorkers bounds the bcrypt hashes and checks that run at once
	// in the process (half of GOMAXPROCS, at least 1).
	PasswordWorkers int
	// PasswordWait is the longest a hash or check waits for a free worker
	// before it is refused as Unavailable (1s).
	PasswordWait time.Duration
	// CreateBatch is the most links concurrent creates store in one
	// transaction (64; at most 64 keeps a batch's name locks on
	// PostgreSQL under the store's limit for them).
	CreateBatch int
	// CreateFlushes is how many batches of creates may be written at once
	// (1 on a store that writes on one connection, such as SQLite, where a
	// second batch would only wait for the first; 2 otherwise).
	CreateFlushes int
	// Now returns the current time (time.Now).
	Now func() time.Time
}

// Service implements tiny's link use cases.
type Service struct {
	store     tiny.Store
	codec     *tiny.Codec
	ids       *idAllocator
	creates   *createBatcher
	cache     *otter.Cache[string, *Target]
	loader    otter.Loader[string, *Target]
	passwords *passwords
	cfg       Config

	storeErrors atomic.Uint64
	// probeMisses counts the misses of Cached that ResolveMissed then
	// looked up, which the cache's statistics hold twice.
	probeMisses atomic.Uint64
}

// CodeKeySetting is the name under which the short-code key is stored, so
// every node of a cluster encodes ids the same way.
const CodeKeySetting = "code_key"

// New returns a Service on store. It reads (or creates, on the first start)
// the short-code key.
func New(ctx context.Context, store tiny.Store, cfg Config, newKey func() []byte) (*Service, error) {
	if cfg.IDBlockSize <= 0 {
		cfg.IDBlockSize = 1000
	}
	if cfg.CacheSize <= 0 {
		cfg.CacheSize = 100_000
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = 10 * time.Minute
	}
	if cfg.LookupTimeout <= 0 {
		cfg.LookupTimeout = 2 * time.Second
	}
	if cfg.PasswordCost == 0 {
		cfg.PasswordCost = bcrypt.DefaultCost
	}
	if cfg.PasswordWorkers <= 0 {
		cfg.PasswordWorkers = defaultPasswordWorkers()
	}
	if cfg.PasswordWait <= 0 {
		cfg.PasswordWait = time.Second
	}
	if cfg.CreateBatch <= 0 {
		cfg.CreateBatch = 64
	}
	if cfg.CreateFlushes <= 0 {
		cfg.CreateFlushes = 2
		if w, ok := store.(interface{ OneWriter() bool }); ok && w.OneWriter() {
			cfg.CreateFlushes = 1
		}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	key, err := store.Setting(ctx, CodeKeySetting, newKey())
	if err != nil {
		return nil, err
	}
	codec, err := tiny.NewCodec(key)
	if err != nil {
		return nil, err
	}
	s := &Service{
		store:   store,
		codec:   codec,
		ids:     &idAllocator{store: store, blockSize: cfg.IDBlockSize},
		creates: &createBatcher{store: store, max: cfg.CreateBatch, flushes: cfg.CreateFlushes},
		cfg:     cfg,

		passwords: newPasswords(cfg.PasswordCost, cfg.PasswordWorkers, cfg.PasswordWait),
	}
	s.cache, err = otter.New(&otter.Options[string, *Target]{
		MaximumSize:      cfg.CacheSize,
		ExpiryCalculator: otter.ExpiryWriting[string, *Target](cfg.CacheTTL),
		StatsRecorder:    stats.NewCounter(),
	})
	if err != nil {
		return nil, err
	}
	s.loader = otter.LoaderFunc[string, *Target](s.load)
	return s, nil
}

// Codec returns the short-code codec of the instance.
func (s *Service) Codec() *tiny.Codec { return s.codec }

// Stats is a snapshot of the counters the service keeps for metrics.
type Stats struct {
	CacheHits, CacheMisses uint64
	CacheSize              int
	StoreErrors            uint64
}

// Stats returns the service's counters.
func (s *Service) Stats() Stats {
	cs := s.cache.Stats()
	return Stats{
		CacheHits:   cs.Hits,
		CacheMisses: cs.Misses - min(cs.Misses, s.probeMisses.Load()),
		CacheSize:   s.cache.EstimatedSize(),
		StoreErrors: s.storeErrors.Load(),
	}
}

// storeErr counts store failures that are not an expected outcome.
func (s *Service) storeErr(err error) error {
	switch tiny.ErrorCodeOf(err) {
	case tiny.Internal, tiny.Unavailable:
		s.storeErrors.Add(1)
	}
	return err
}

// Create validates in and stores a new link owned by p's user. Forbidden
// when p may not write links. Concurrent creates share a store transaction
// (see createBatcher), each with its own result.
func (s *Service) Create(ctx context.Context, p *accounts.Principal, in CreateInput) (*tiny.Link, error) {
	if err := p.Check(accounts.WriteLinks, accounts.Own(p.User.ID)); err != nil {
		return nil, err
	}
	l, err := s.prepare(ctx, p.User, in)
	if err != nil {
		return nil, err
	}
	if err := s.insert(ctx, l); err != nil {
		return nil, err
	}
	s.followed(l)
	return l, nil
}

// CreateMany is Create for a bulk request: each input is validated and
// screened as by Create, then the links that passed are stored together,
// in one store transaction. errs[i] is the error of ins[i], links[i] its
// link otherwise. err is a failure of the store (or of the password
// workers), after which no link was made. When ctx ends before the links
// are stored, none is: the inputs not refused by then have ctx's error.
func (s *Service) CreateMany(ctx context.Context, p *accounts.Principal, ins []CreateInput) (links []*tiny.Link, errs []error, err error) {
	if err := p.Check(accounts.WriteLinks, accounts.Own(p.User.ID)); err != nil {
		return nil, nil, err
	}
	links, errs = make([]*tiny.Link, len(ins)), make([]error, len(ins))
	var todo []int // the indexes of the links to store
	for i, in := range ins {
		if ctx.Err() != nil {
			return nil, stoppedFrom(errs, i, ctx.Err()), nil
		}
		l, err := s.prepare(ctx, p.User, in)
		if ctx.Err() != nil {
			return nil, stoppedFrom(errs, i, ctx.Err()), nil
		}
		if code := tiny.ErrorCodeOf(err); code == tiny.Internal || code == tiny.Unavailable {
			return nil, nil, err
		}
		if errs[i] = err; err == nil {
			links[i] = l
			todo = append(todo, i)
		}
	}
	for len(todo) > 0 {
		batch := make([]*tiny.Link, len(todo))
		for j, i := range todo {
			if err := s.nextID(ctx, links[i]); err != nil {
				return nil, nil, err
			}
			batch[j] = links[i]
		}
		results, err := s.store.CreateLinks(ctx, batch)
		if tiny.IsCode(err, tiny.Conflict) {
			// A conflict the store's checks did not foresee (an id already
			// used) fails the whole batch: each link then on its own.
			results, err = make([]error, len(batch)), nil
			for j, l := range batch {
				results[j] = s.insert(ctx, l)
				if code := tiny.ErrorCodeOf(results[j]); code == tiny.Internal || code == tiny.Unavailable {
					err = results[j]
					break
				}
			}
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil, stoppedFrom(errs, 0, ctx.Err()), nil
			}
			return nil, nil, s.storeErr(err)
		}
		// A link whose generated code is an existing alias takes the next
		// id, as in insert; the others are done.
		retry := todo[:0:0]
		for j, i := range todo {
			switch err := results[j]; {
			case err == nil:
				s.Invalidate(links[i].Code, links[i].Alias)
				s.followed(links[i])
			case tiny.IsCode(err, tiny.Conflict) && tiny.ErrorFieldOf(err) == "code":
				retry = append(retry, i)
			default:
				links[i], errs[i] = nil, err
			}
		}
		todo = retry
	}
	return links, errs, nil
}

// stoppedFrom gives every input from the ith on that has no error yet the
// error err of a stopped request, and returns errs.
func stoppedFrom(errs []error, i int, err error) []error {
	for ; i < len(errs); i++ {
		if errs[i] == nil {
			errs[i] = err
		}
	}
	return errs
}

// prepare validates in, hashes its password and screens its destination:
// the new link of owner, without id and code.
func (s *Service) prepare(ctx context.Context, owner *tiny.User, in CreateInput) (*tiny.Link, error) {
	v := validator{policy: s.cfg.URLPolicy, now: s.cfg.Now()}
	l, err := v.newLink(owner, in.URL, in.Alias, in.ForwardQuery)
	if err != nil {
		return nil, err
	}
	if l.Title, err = validateTitle(in.Title); err != nil {
		return nil, err
	}
	if l.Tags, err = normalizeTags(in.Tags); err != nil {
		return nil, err
	}
	if in.ExpiresAt != nil {
		if l.ExpiresAt, err = v.expiresAt(*in.ExpiresAt); err != nil {
			return nil, err
		}
	}
	if in.MaxClicks != nil {
		if err := validateMaxClicks(*in.MaxClicks); err != nil {
			return nil, err
		}
		l.MaxClicks = *in.MaxClicks
	}
	if in.Redirect != nil {
		if err := validateRedirect(*in.Redirect); err != nil {
			return nil, err
		}
		l.Redirect = *in.Redirect
	}
	if in.CacheSeconds != nil {
		if err := validateCacheSeconds(*in.CacheSeconds); err != nil {
			return nil, err
		}
		cs := *in.CacheSeconds
		l.CacheSeconds = &cs
	}
	if in.Password != "" {
		if l.PasswordHash, err = s.hashPassword(ctx, in.Password); err != nil {
			return nil, err
		}
	}
	if err := s.screen(ctx, owner, l); err != nil {
		return nil, err
	}
	return l, nil
}

// followed hands a link with a new destination to Config.Followed.
func (s *Service) followed(l *tiny.Link) {
	if s.cfg.Followed != nil && l.Status != tiny.StatusBlocked {
		s.cfg.Followed(l)
	}
}

// Screener is the link-safety check. Screen must not call other services:
// it runs on the create path.
type Screener interface {
	Screen(ctx context.Context, creator *tiny.User, url string) (tiny.Screening, error)
}

// screen runs the safety check on l.URL for a new link. A blocked
// destination is refused with Unsafe and the attempt is kept in the audit
// log; a flagged one is created flagged, in the review queue.
func (s *Service) screen(ctx context.Context, creator *tiny.User, l *tiny.Link) error {
	l.Safety = tiny.Safety{Auto: tiny.StatusActive}
	if s.cfg.Screener == nil {
		return nil
	}
	sc, err := s.cfg.Screener.Screen(ctx, creator, l.URL)
	if err != nil {
		return s.storeErr(err)
	}
	l.Safety.Score, l.Safety.Reason = sc.Score, sc.Reason
	switch sc.Status {
	case tiny.StatusBlocked:
		refused := &tiny.AuditEntry{
			URL: l.URL, ActorID: creator.ID, Action: tiny.ActionRefused,
			Reason: sc.Reason, Score: sc.Score, AutoBefore: tiny.StatusBlocked,
		}
		if err := s.store.AddAudit(ctx, refused); err != nil {
			return s.storeErr(err)
		}
		// The signals go to the audit log, not to the client: listing them
		// would teach an abuser what to change.
		return tiny.FieldErrorf(tiny.Unsafe, "url", "this destination looks unsafe, so no link was made; if that is wrong, contact the operator of this service")
	case tiny.StatusFlagged:
		l.Status = tiny.StatusFlagged
		l.Safety.Auto, l.Safety.Review = tiny.StatusFlagged, tiny.ReviewFlagged
	}
	return nil
}

// insert gives l the next free id and code and stores it. Ids whose code is
// a reserved word or an existing alias are skipped, so a generated code can
// never shadow a route or another link.
func (s *Service) insert(ctx context.Context, l *tiny.Link) error {
	for {
		if err := s.nextID(ctx, l); err != nil {
			return err
		}
		err := s.creates.create(ctx, l)
		if err == nil {
			// A code or alias that was looked up before it existed may be
			// cached as missing by an older node; drop any such entry.
			s.Invalidate(l.Code, l.Alias)
			return nil
		}
		if tiny.IsCode(err, tiny.Conflict) && tiny.ErrorFieldOf(err) == "code" {
			continue
		}
		return s.storeErr(err)
	}
}

// lookup finds the link a short name stands for: a generated code decodes
// to its id, anything else is an alias. Deleted links are returned too.
func (s *Service) lookup(ctx context.Context, name string) (*tiny.Link, error) {
	if id, ok := s.codec.Decode(name); ok {
		l, err := s.store.LinkByID(ctx, id)
		if err == nil && l.Code == name {
			return l, nil
		}
		if err != nil && !tiny.IsCode(err, tiny.NotFound) {
			return nil, s.storeErr(err)
		}
	}
	return s.lookupAlias(ctx, name)
}

// lookupAlias finds the link alias names. Deleted links are returned too.
func (s *Service) lookupAlias(ctx context.Context, alias string) (*tiny.Link, error) {
	if !tiny.IsCodeSyntax(alias) {
		return nil, errNoLink()
	}
	l, err := s.store.LinkByAlias(ctx, alias)
	if tiny.IsCode(err, tiny.NotFound) {
		return nil, errNoLink()
	}
	if err != nil {
		return nil, s.storeErr(err)
	}
	return l, nil
}

// errNoLink is the one answer for a name that leads to no link the caller
// may see. An unknown name, a deleted link and another owner's link get it
// byte for byte, so the answer does not tell whether a link exists; it
// therefore does not echo the name either.
func errNoLink() error { return tiny.Errorf(tiny.NotFound, "no such link") }

// owned returns the live link name stands for if p may take action on
// it. A link p may not even see is reported as not found, the same as an
// unknown name, so nobody can probe for other people's links; one p sees
// but may not act on is Forbidden.
func (s *Service) owned(ctx context.Context, p *accounts.Principal, name string, action accounts.Action) (*tiny.Link, error) {
	l, err := s.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	owner := accounts.Own(l.OwnerID)
	if l.DeletedAt != nil || !p.Can(accounts.ReadLinks, owner) && !p.Can(action, owner) {
		return nil, errNoLink()
	}
	if err := p.Check(action, owner); err != nil {
		return nil, err
	}
	return l, nil
}

// Get returns the link name stands for, if p may see it.
func (s *Service) Get(ctx context.Context, p *accounts.Principal, name string) (*tiny.Link, error) {
	return s.owned(ctx, p, name, accounts.ReadLinks)
}

// GetFor returns the link name stands for, if p may take action on it
// (such as reading its statistics).
func (s *Service) GetFor(ctx context.Context, p *accounts.Principal, name string, action accounts.Action) (*tiny.Link, error) {
	return s.owned(ctx, p, name, action)
}

// Update applies in to the link name stands for.
func (s *Service) Update(ctx context.Context, p *accounts.Principal, name string, in UpdateInput) (*tiny.Link, error) {
	l, err := s.owned(ctx, p, name, accounts.WriteLinks)
	if err != nil {
		return nil, err
	}
	oldURL := l.URL
	if err := s.apply(ctx, l, in); err != nil {
		return nil, err
	}
	// A new destination is screened like a new link. Blocked refuses the
	// edit; flagged holds the link behind the interstitial and reports it,
	// which puts it in the review queue. A blocked link stays blocked
	// whatever its new destination.
	var flagged *tiny.Screening
	if l.URL != oldURL && l.Status != tiny.StatusBlocked {
		probe := &tiny.Link{URL: l.URL}
		if err := s.screen(ctx, p.User, probe); err != nil {
			return nil, err
		}
		if probe.Status == tiny.StatusFlagged {
			l.Status = tiny.StatusFlagged
			flagged = &tiny.Screening{Status: tiny.StatusFlagged, Score: probe.Safety.Score, Reason: probe.Safety.Reason}
		}
	}
	if err := s.store.UpdateLink(ctx, l); err != nil {
		return nil, s.storeErr(err)
	}
	if flagged != nil {
		if err := s.store.ReportLink(ctx, l.ID, "new destination flagged by the safety check: "+flagged.Reason); err != nil {
			return nil, s.storeErr(err)
		}
	}
	s.Invalidate(l.Code, l.Alias)
	if l.URL != oldURL {
		s.followed(l)
	}
	return l, nil
}

func (s *Service) apply(ctx context.Context, l *tiny.Link, in UpdateInput) error {
	if in.Alias.Set {
		return tiny.FieldErrorf(tiny.Invalid, "alias", "an alias cannot be changed; create a new link")
	}
	for _, err := range []error{
		nonNull(in.URL, "url"), nonNull(in.Title, "title"), nonNull(in.Tags, "tags"),
		nonNull(in.Redirect, "redirect"), nonNull(in.ForwardQuery, "forward_query"),
	} {
		if err != nil {
			return err
		}
	}
	v := validator{policy: s.cfg.URLPolicy, now: s.cfg.Now()}
	var err error
	if in.URL.Set {
		if l.URL, err = v.url(in.URL.Value); err != nil {
			return err
		}
	}
	if in.Title.Set {
		if l.Title, err = validateTitle(in.Title.Value); err != nil {
			return err
		}
	}
	if in.Tags.Set {
		if l.Tags, err = normalizeTags(in.Tags.Value); err != nil {
			return err
		}
	}
	if in.ExpiresAt.Set {
		l.ExpiresAt = nil
		if !in.ExpiresAt.Null {
			if l.ExpiresAt, err = v.expiresAt(in.ExpiresAt.Value); err != nil {
				return err
			}
		}
	}
	if in.MaxClicks.Set {
		l.MaxClicks = 0
		if !in.MaxClicks.Null {
			if err := validateMaxClicks(in.MaxClicks.Value); err != nil {
				return err
			}
			l.MaxClicks = in.MaxClicks.Value
		}
	}
	if in.Redirect.Set {
		if err := validateRedirect(in.Redirect.Value); err != nil {
			return err
		}
		l.Redirect = in.Redirect.Value
	}
	if in.CacheSeconds.Set {
		l.CacheSeconds = nil
		if !in.CacheSeconds.Null {
			if err := validateCacheSeconds(in.CacheSeconds.Value); err != nil {
				return err
			}
			cs := in.CacheSeconds.Value
			l.CacheSeconds = &cs
		}
	}
	if in.Password.Set {
		l.PasswordHash = ""
		if !in.Password.Null && in.Password.Value != "" {
			if l.PasswordHash, err = s.hashPassword(ctx, in.Password.Value); err != nil {
				return err
			}
		}
	}
	if in.ForwardQuery.Set {
		l.ForwardQuery = in.ForwardQuery.Value
	}
	return nil
}

// Delete deletes the link name stands for. It then answers 410 forever.
func (s *Service) Delete(ctx context.Context, p *accounts.Principal, name string) error {
	l, err := s.owned(ctx, p, name, accounts.WriteLinks)
	if err != nil {
		return err
	}
	if err := s.store.DeleteLink(ctx, l.ID); err != nil {
		return s.storeErr(err)
	}
	s.Invalidate(l.Code, l.Alias)
	return nil
}

// List returns a page of the links p may see, newest first: those who may
// read other people's links (moderators and admins) see every owner's.
func (s *Service) List(ctx context.Context, p *accounts.Principal, f tiny.LinkFilter) ([]*tiny.Link, error) {
	if err := p.Check(accounts.ReadLinks, accounts.Own(p.User.ID)); err != nil {
		return nil, err
	}
	if !p.Can(accounts.ReadLinks, accounts.Resource{}) {
		f.OwnerID = p.User.ID
	}
	links, err := s.store.ListLinks(ctx, f)
	if err != nil {
		return nil, s.storeErr(err)
	}
	return links, nil
}

// Resolve returns the redirect target of a short name, from the cache when
// it can; a plain link's target holds no Link (ResolveLive's always does).
// Concurrent misses for the same name share one store read.
// NotFound when no link has that name; Unavailable when the store cannot
// be reached.
func (s *Service) Resolve(ctx context.Context, name string) (*Target, error) {
	t, err := s.cache.Get(ctx, name, s.loader)
	if errors.Is(err, otter.ErrNotFound) {
		return nil, errNoLink()
	}
	return t, err
}

// ResolveLive is Resolve for the paths that must not trust a cached click
// count: the 410 of a used-up link, its preview page and what previewers
// see. A click-limited link is read from the store, where ConsumeClick
// keeps the exact count; every node's cache may hold an older one. Links
// without a limit are answered from the cache as by Resolve.
func (s *Service) ResolveLive(ctx context.Context, name string) (*Target, error) {
	t, err := s.Resolve(ctx, name)
	if err != nil || t.Link != nil && t.Link.MaxClicks == 0 {
		return t, err
	}
	// A click-limited link, or a plain one cached without the rest of its
	// row, which the pages of this path show.
	ctx, cancel := context.WithTimeout(ctx, s.cfg.LookupTimeout)
	defer cancel()
	l, err := s.store.LinkByID(ctx, t.ID())
	if tiny.IsCode(err, tiny.NotFound) {
		return nil, errNoLink()
	}
	if err != nil {
		return nil, unavailable(s.storeErr(err))
	}
	return newTarget(l), nil
}

// ResolveMissed is Resolve for a name Cached has just missed. The cache
// counts both calls as misses; Stats counts the pair as one.
func (s *Service) ResolveMissed(ctx context.Context, name string) (*Target, error) {
	s.probeMisses.Add(1)
	return s.Resolve(ctx, name)
}

// Cached returns the cached target of name without touching the store.
// The redirect fast path calls it with a name that may alias a request
// buffer; the cache does not keep the key on a lookup.
func (s *Service) Cached(name string) (*Target, bool) { return s.cache.GetIfPresent(name) }

func (s *Service) load(ctx context.Context, name string) (*Target, error) {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.LookupTimeout)
	defer cancel()
	// A code is read for its redirect alone; only a link that needs more
	// than a redirect (its pages and checks) is then read whole. A name
	// that decodes to no link of that code may still be an alias.
	var (
		l   *tiny.Link
		err error
	)
	if id, ok := s.codec.Decode(name); ok {
		lt, terr := s.store.LinkTargetByID(ctx, id)
		switch {
		case terr == nil && lt.Code == name && lt.Plain:
			return newPlainTarget(id, lt), nil
		case terr == nil && lt.Code == name:
			if l, err = s.store.LinkByID(ctx, id); err != nil {
				err = s.storeErr(err)
			}
		case terr != nil && !tiny.IsCode(terr, tiny.NotFound):
			return nil, unavailable(s.storeErr(terr))
		}
	}
	if l == nil && err == nil {
		l, err = s.lookupAlias(ctx, name)
	}
	if tiny.IsCode(err, tiny.NotFound) {
		return nil, otter.ErrNotFound
	}
	if err != nil {
		return nil, unavailable(err)
	}
	return newTarget(l), nil
}

// unavailable turns a store failure on the redirect path into Unavailable:
// whatever the cause, the visitor can only retry later.
func unavailable(err error) error {
	if code := tiny.ErrorCodeOf(err); code == tiny.Internal || code == tiny.Unavailable {
		return tiny.Errorf(tiny.Unavailable, "the link store is unavailable")
	}
	return err
}

// DestinationRule is where the service lets links lead; tiny's own
// connections on a person's word follow it too.
func (s *Service) DestinationRule() tiny.DestinationRule {
	return s.cfg.URLPolicy.Destinations
}

// Invalidate drops the cached targets of the given names ("" is ignored).
func (s *Service) Invalidate(names ...string) {
	for _, n := range names {
		if n != "" {
			s.cache.Invalidate(n)
		}
	}
}

// ConsumeClick counts one click on a link with a click limit, exactly, in
// the store. Gone when the limit is reached.
func (s *Service) ConsumeClick(ctx context.Context, t *Target) error {
	err := s.store.ConsumeClick(ctx, t.ID())
	if err != nil && !tiny.IsCode(err, tiny.Gone) {
		return s.storeErr(err)
	}
	return err
}

// Close stops the cache's background work.
func (s *Service) Close() { s.cache.StopAllGoroutines() }
