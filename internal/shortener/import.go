package shortener

import (
	"context"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// ImportInput is one link brought over from another shortener.
type ImportInput struct {
	URL   string
	Alias string // the foreign slug; "" when the link had none
	Title string
	Tags  []string
	// CreatedAt is when the foreign link was made (zero: now).
	CreatedAt time.Time
	// ExpiresAt is kept even when it is past: the old link had expired,
	// and its slug should answer 410 rather than 404.
	ExpiresAt *time.Time
	MaxClicks int64 // 0: no limit; the foreign clicks count against it
	Redirect  int   // 0: tiny.DefaultRedirect
	// ImportedClicks is the foreign click total, kept apart from Clicks.
	ImportedClicks int64
	ForwardQuery   bool
	// Banned is set when the old shortener had blocked the link; it
	// arrives blocked whatever the safety check says.
	Banned bool
}

// ImportBatch is a batch of an import job, applied in one store
// transaction with the job's checkpoint.
type ImportBatch struct {
	Links    []ImportInput
	Job      string // the job whose checkpoint Position becomes; "": none
	Position int64
	DryRun   bool // validate, screen and look up names, write nothing
}

// ImportOutcome is what became of one ImportInput.
type ImportOutcome string

// The outcomes of an imported link.
const (
	Imported        ImportOutcome = "imported"         // created (or, in a dry run, would be)
	AlreadyImported ImportOutcome = "already_imported" // the alias is the owner's and leads to the same URL
	Refused         ImportOutcome = "refused"          // invalid, or its alias is taken; Err says why
)

// ImportResult is the outcome of one ImportInput. Link is the link
// created (in a dry run: as it would be, without id) or the one already
// there; its Status says whether the safety check flagged or blocked it.
type ImportResult struct {
	Outcome ImportOutcome
	Link    *tiny.Link
	Err     error // for Refused: Invalid or Conflict, with the field at fault
}

// Import creates the links of a batch, owned by p's user, and advances the
// batch's job checkpoint in the same transaction. Unlike Create it never
// refuses a destination for safety: a blocked one arrives blocked and a
// flagged one flagged, in the review queue, because the link exists
// already and people follow it. Aliases are never changed: one the alias
// rules refuse, or one taken by another link, is Refused. Forbidden when
// p may not write links. Import is PrepareImport then ApplyImport.
func (s *Service) Import(ctx context.Context, p *accounts.Principal, b ImportBatch) ([]ImportResult, error) {
	prep, err := s.PrepareImport(ctx, p, b)
	if err != nil {
		return nil, err
	}
	return s.ApplyImport(ctx, prep)
}

// PreparedImport is a batch that PrepareImport validated and screened.
type PreparedImport struct {
	p       *accounts.Principal
	b       ImportBatch
	results []ImportResult
	links   []*tiny.Link // the links that passed, in order
	at      []int        // the index in results of each of links
}

// PrepareImport validates and screens a batch for ApplyImport. It writes
// nothing, so a bulk import can prepare one batch while the one before is
// being applied. Forbidden when p may not write links.
func (s *Service) PrepareImport(ctx context.Context, p *accounts.Principal, b ImportBatch) (*PreparedImport, error) {
	if err := p.Check(accounts.WriteLinks, accounts.Own(p.User.ID)); err != nil {
		return nil, err
	}
	prep := &PreparedImport{p: p, b: b, results: make([]ImportResult, len(b.Links))}
	for i, in := range b.Links {
		l, err := s.importLink(p.User, in)
		if err == nil {
			err = s.screenImport(ctx, p.User, l, in.Banned)
		}
		if tiny.ErrorCodeOf(err) == tiny.Invalid {
			prep.results[i] = ImportResult{Outcome: Refused, Err: err}
			continue
		}
		if err != nil {
			return nil, err
		}
		prep.results[i] = ImportResult{Outcome: Imported, Link: l}
		prep.links, prep.at = append(prep.links, l), append(prep.at, i)
	}
	return prep, nil
}

// ApplyImport stores a prepared batch (in a dry run: looks its aliases
// up) and returns the outcome of each of its links. Batches of one job
// must be applied in order.
func (s *Service) ApplyImport(ctx context.Context, prep *PreparedImport) ([]ImportResult, error) {
	results, owner := prep.results, prep.p.User
	if prep.b.DryRun {
		return results, s.dryRunNames(ctx, owner, results)
	}
	refused, err := s.insertImported(ctx, prep.links, prep.b.Job, prep.b.Position)
	if err != nil {
		return nil, err
	}
	for j, err := range refused {
		if err != nil {
			results[prep.at[j]] = s.aliasConflict(ctx, owner, prep.links[j], err)
		}
	}
	return results, nil
}

// ImportCheckpoint returns the position the import job reached, 0 when it
// never applied a batch. Forbidden when p may not write links.
func (s *Service) ImportCheckpoint(ctx context.Context, p *accounts.Principal, job string) (int64, error) {
	if err := p.Check(accounts.WriteLinks, accounts.Own(p.User.ID)); err != nil {
		return 0, err
	}
	pos, err := s.store.ImportCheckpoint(ctx, job)
	return pos, s.storeErr(err)
}

// importLink validates in as a link of owner. The alias and the URL must
// pass as they are; the title and tags are fitted to tiny's limits, since
// they only describe the link.
func (s *Service) importLink(owner *tiny.User, in ImportInput) (*tiny.Link, error) {
	v := validator{policy: s.cfg.URLPolicy, now: s.cfg.Now()}
	l, err := v.newLink(owner, in.URL, in.Alias, in.ForwardQuery)
	if err != nil {
		return nil, err
	}
	l.Title, l.Tags, l.ImportedClicks = fitTitle(in.Title), fitTags(in.Tags), max(in.ImportedClicks, 0)
	if in.Redirect != 0 {
		if err := validateRedirect(in.Redirect); err != nil {
			return nil, err
		}
		l.Redirect = in.Redirect
	}
	if !in.CreatedAt.IsZero() {
		l.CreatedAt = in.CreatedAt.UTC().Truncate(time.Millisecond)
	}
	if in.ExpiresAt != nil {
		t := in.ExpiresAt.UTC().Truncate(time.Millisecond)
		l.ExpiresAt = &t
	}
	if in.MaxClicks > 0 {
		// The limit counts the foreign clicks too. A link that used it up
		// keeps its limit and expires now, so it answers 410 as it did.
		l.MaxClicks = in.MaxClicks - l.ImportedClicks
		if l.MaxClicks < 1 {
			now := v.now.UTC().Truncate(time.Millisecond)
			l.MaxClicks = in.MaxClicks
			if l.ExpiresAt == nil || l.ExpiresAt.After(now) {
				l.ExpiresAt = &now
			}
		}
	}
	return l, nil
}

// fitTitle makes a foreign title a valid one: invalid UTF-8 and control
// characters dropped, cut to MaxTitleLength characters.
func fitTitle(title string) string {
	title = strings.ToValidUTF8(title, "")
	title = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, title)
	if utf8.RuneCountInString(title) > MaxTitleLength {
		title = string([]rune(title)[:MaxTitleLength])
	}
	return strings.TrimSpace(title)
}

// fitTags makes foreign tags valid ones: spaces become '-', other
// characters a tag may not hold are dropped, long tags cut, empty and
// repeated ones left out, at most MaxTags kept.
func fitTags(tags []string) []string {
	var out []string
	for _, t := range tags {
		t = strings.Map(func(r rune) rune {
			switch {
			case unicode.IsSpace(r):
				return '-'
			case r < utf8.RuneSelf && isTagByte(byte(r)):
				return r
			}
			return -1
		}, strings.TrimSpace(t))
		t = t[:min(len(t), MaxTagLength)]
		if t == "" || len(out) == MaxTags {
			continue
		}
		out = append(out, t)
	}
	tags, _ = normalizeTags(out) // fitted tags are valid; this drops repeats
	return tags
}

// screenImport runs the safety check on an imported link. Unlike screen it
// refuses nothing: a blocked destination makes a blocked link (the store
// writes the system's audit entry), a flagged one a flagged link in the
// review queue. A link the old shortener had banned arrives blocked.
func (s *Service) screenImport(ctx context.Context, owner *tiny.User, l *tiny.Link, banned bool) error {
	l.Safety = tiny.Safety{Auto: tiny.StatusActive}
	var sc tiny.Screening
	if s.cfg.Screener != nil {
		var err error
		if sc, err = s.cfg.Screener.Screen(ctx, owner, l.URL); err != nil {
			return s.storeErr(err)
		}
	}
	if banned && sc.Status != tiny.StatusBlocked {
		sc = tiny.Screening{Status: tiny.StatusBlocked, Score: 1, Reason: "banned by the shortener it was imported from"}
	}
	l.Safety.Score, l.Safety.Reason = sc.Score, sc.Reason
	switch sc.Status {
	case tiny.StatusBlocked:
		l.Status, l.Safety.Auto = tiny.StatusBlocked, tiny.StatusBlocked
	case tiny.StatusFlagged:
		l.Status, l.Safety.Auto, l.Safety.Review = tiny.StatusFlagged, tiny.StatusFlagged, tiny.ReviewFlagged
	}
	return nil
}

// insertImported gives the links ids and codes and stores them with the
// checkpoint. A link refused for its code (an existing alias) takes the
// next id, as insert does; the checkpoint is written by the call that
// stores the last of them. It returns the alias conflicts, by link.
func (s *Service) insertImported(ctx context.Context, links []*tiny.Link, job string, pos int64) ([]error, error) {
	refused := make([]error, len(links))
	pending := make([]int, len(links))
	for i := range pending {
		pending[i] = i
	}
	for {
		batch := make([]*tiny.Link, len(pending))
		for j, i := range pending {
			if err := s.nextID(ctx, links[i]); err != nil {
				return nil, err
			}
			batch[j] = links[i]
		}
		errs, err := s.store.ImportLinks(ctx, tiny.ImportBatch{Links: batch, Job: job, Position: pos})
		if err != nil {
			return nil, s.storeErr(err)
		}
		var retry []int
		for j, err := range errs {
			l := batch[j]
			switch {
			case err == nil:
				s.Invalidate(l.Code, l.Alias)
			case tiny.ErrorFieldOf(err) == "code":
				retry = append(retry, pending[j])
			default:
				refused[pending[j]] = err
			}
		}
		if len(retry) == 0 {
			return refused, nil
		}
		pending = retry
	}
}

// nextID gives l the next free id whose code is not a reserved word.
func (s *Service) nextID(ctx context.Context, l *tiny.Link) error {
	for {
		id, err := s.ids.Next(ctx)
		if err != nil {
			return s.storeErr(err)
		}
		if id > tiny.MaxID {
			return tiny.Errorf(tiny.Unavailable, "the id space is exhausted")
		}
		if code := s.codec.Encode(id); !tiny.IsReserved(code) {
			l.ID, l.Code = id, code
			return nil
		}
	}
}

// aliasConflict tells an import whose alias is taken apart from one that
// was imported before: the owner's link under that alias to the same URL.
func (s *Service) aliasConflict(ctx context.Context, owner *tiny.User, l *tiny.Link, conflict error) ImportResult {
	if old, err := s.store.LinkByAlias(ctx, l.Alias); err == nil && sameImport(old, l, owner) {
		return ImportResult{Outcome: AlreadyImported, Link: old}
	}
	return ImportResult{Outcome: Refused, Err: conflict}
}

func sameImport(old, l *tiny.Link, owner *tiny.User) bool {
	return old.DeletedAt == nil && old.OwnerID == owner.ID && old.URL == l.URL
}

// dryRunNames sets the outcome an import would have for each link that
// passed validation, by looking its alias up; aliases repeated within the
// batch count as taken from the second on.
func (s *Service) dryRunNames(ctx context.Context, owner *tiny.User, results []ImportResult) error {
	seen := map[string]bool{}
	for i, r := range results {
		if r.Outcome != Imported || r.Link.Alias == "" {
			continue
		}
		alias := r.Link.Alias
		taken := tiny.FieldErrorf(tiny.Conflict, "alias", "alias %q is taken", alias)
		old, err := s.lookup(ctx, alias)
		switch {
		case err == nil && old.Alias == alias && sameImport(old, r.Link, owner):
			results[i] = ImportResult{Outcome: AlreadyImported, Link: old}
		case err == nil || seen[alias]:
			results[i] = ImportResult{Outcome: Refused, Err: taken}
		case !tiny.IsCode(err, tiny.NotFound):
			return err
		}
		seen[alias] = true
	}
	return nil
}
