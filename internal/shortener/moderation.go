package shortener

import (
	"context"
	"strings"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

// MaxNoteLength bounds free text about a link: a moderator's note, a
// report's reason, an appeal's message.
const MaxNoteLength = 2000

// Note trims a free-text note and bounds its length; the error is on
// field, which also names it in the message.
func Note(field, s string, required bool) (string, error) {
	s = strings.TrimSpace(s)
	if required && s == "" {
		return "", tiny.FieldErrorf(tiny.Invalid, field, "%s is required", field)
	}
	if len(s) > MaxNoteLength {
		return "", tiny.FieldErrorf(tiny.Invalid, field, "%s is longer than %d bytes", field, MaxNoteLength)
	}
	return s, nil
}

// Moderation is a moderator's decision on a link, as the API and the web
// app take it.
type Moderation struct {
	// Decision is "approve" (the link becomes active) or "block".
	Decision string
	// Note is the moderator's optional note, kept in the audit log.
	Note string
	// BlockDestination, with a block, also blocks the link's destination
	// as a url, host or domain, so that no other link leads there; "" does
	// not.
	BlockDestination tiny.DestinationKind
}

// DestinationBlocker blocks destinations for moderators; abuse.Destinations
// is one. Enabled is false when the server has none (a nil
// *abuse.Destinations).
type DestinationBlocker interface {
	Enabled() bool
	Ensure(ctx context.Context, moderator *tiny.User, kind tiny.DestinationKind, value, note string) (*tiny.DestinationBlock, error)
}

// Moderate applies moderator's decision m to the link name stands for and
// returns the link as decided and, when m asked for one, the block of its
// destination (dests; nil when the server has none). Everything is checked
// before anything changes. Errors are on fields decision, note and
// block_destination.
func (s *Service) Moderate(ctx context.Context, moderator *accounts.Principal, name string, m Moderation, dests DestinationBlocker) (*tiny.Link, *tiny.DestinationBlock, error) {
	if err := moderator.Check(accounts.Moderate, accounts.Resource{}); err != nil {
		return nil, nil, err
	}
	var status tiny.LinkStatus
	switch m.Decision {
	case "approve":
		status = tiny.StatusActive
	case "block":
		status = tiny.StatusBlocked
	default:
		return nil, nil, tiny.FieldErrorf(tiny.Invalid, "decision", "decision must be approve or block")
	}
	n, err := Note("note", m.Note, false)
	if err != nil {
		return nil, nil, err
	}
	if m.BlockDestination != "" {
		if err := s.checkBlockDestination(ctx, moderator, name, status, m.BlockDestination, dests); err != nil {
			return nil, nil, err
		}
	}
	// The link first, then its destination: the rescan the destination
	// block starts then finds the link blocked by the moderator, not by
	// the system, which keeps the quality figures honest.
	l, err := s.Decide(ctx, moderator, name, status, n)
	if err != nil || m.BlockDestination == "" {
		return l, nil, err
	}
	why := "with link " + l.ShortName()
	if n != "" {
		why += ": " + n
	}
	b, err := dests.Ensure(ctx, moderator.User, m.BlockDestination, l.URL, why)
	if err != nil {
		return nil, nil, err
	}
	return l, b, nil
}

// checkBlockDestination checks that the link name stands for may have its
// destination blocked as kind with a decision of status. Errors are on
// field block_destination.
func (s *Service) checkBlockDestination(ctx context.Context, moderator *accounts.Principal, name string, status tiny.LinkStatus, kind tiny.DestinationKind, dests DestinationBlocker) error {
	if status != tiny.StatusBlocked {
		return tiny.FieldErrorf(tiny.Invalid, "block_destination", "only a block can block the destination too")
	}
	if dests == nil || !dests.Enabled() {
		return tiny.Errorf(tiny.Unavailable, "destination blocks are not enabled on this server")
	}
	l, err := s.GetFor(ctx, moderator, name, accounts.Moderate)
	if err != nil {
		return err
	}
	if _, err := tiny.NormalizeDestination(kind, l.URL); err != nil {
		msg := tiny.ErrorMessageOf(err)
		if tiny.ErrorFieldOf(err) == "kind" {
			msg = "block_destination must be url, host or domain"
		}
		return &tiny.Error{Code: tiny.Invalid, Field: "block_destination", Message: msg}
	}
	return nil
}

// Report counts a report on the link name stands for; anyone may make one.
// The link enters the review queue unless it is blocked already. NotFound
// when there is no live link of that name.
func (s *Service) Report(ctx context.Context, name, reason string) (*tiny.Link, error) {
	l, err := s.live(ctx, name)
	if err != nil {
		return nil, err
	}
	if err := s.store.ReportLink(ctx, l.ID, reason); err != nil {
		return nil, s.storeErr(err)
	}
	return l, nil
}

// Appeal asks the moderators to lift the block of a link p may write.
// NotFound when p may not see it, Forbidden when p may not write it;
// Conflict when it is not blocked or has an appeal open.
func (s *Service) Appeal(ctx context.Context, p *accounts.Principal, name, message string) error {
	l, err := s.owned(ctx, p, name, accounts.WriteLinks)
	if err != nil {
		return err
	}
	return s.storeErr(s.store.AppealLink(ctx, l.ID, p.User.ID, message))
}

// Decide applies a moderator's (or, with moderator nil, the system's)
// decision to the link name stands for and drops it from every node's
// cache. status is StatusActive (approve) or StatusBlocked. The policy
// decides who is a moderator, here as well as in the handlers, so no
// caller (the CLI included) can skip it. Forbidden when moderator may not
// moderate (by role, or a key's scopes).
func (s *Service) Decide(ctx context.Context, moderator *accounts.Principal, name string, status tiny.LinkStatus, note string) (*tiny.Link, error) {
	if moderator != nil {
		if err := moderator.Check(accounts.Moderate, accounts.Resource{}); err != nil {
			return nil, err
		}
	}
	l, err := s.live(ctx, name)
	if err != nil {
		return nil, err
	}
	d := tiny.Decision{LinkID: l.ID, Status: status, Reason: note, ActorID: tiny.SystemActor}
	if moderator != nil {
		d.ActorID = moderator.User.ID
	}
	return s.decide(ctx, d)
}

// Block blocks a link by id on behalf of the system (a rescan found its
// destination on a blocklist), with the score and reason the check gave.
func (s *Service) Block(ctx context.Context, id int64, score float64, reason string) (*tiny.Link, error) {
	return s.decide(ctx, tiny.Decision{LinkID: id, Status: tiny.StatusBlocked, ActorID: tiny.SystemActor, Score: score, Reason: reason})
}

// Flag puts a link in the review queue on behalf of the system (its
// destination was found doubtful after the create: a redirect chain that
// could not be followed, or its landing page), with the score and reason
// of that check, and drops it from every node's cache: visitors see the
// interstitial until a moderator decides. Conflict when the link is
// blocked; NotFound when it was deleted.
func (s *Service) Flag(ctx context.Context, id int64, score float64, reason string) (*tiny.Link, error) {
	return s.decide(ctx, tiny.Decision{LinkID: id, Status: tiny.StatusFlagged, ActorID: tiny.SystemActor, Score: score, Reason: reason})
}

func (s *Service) decide(ctx context.Context, d tiny.Decision) (*tiny.Link, error) {
	l, err := s.store.Decide(ctx, d)
	if err != nil {
		return nil, s.storeErr(err)
	}
	s.Invalidate(l.Code, l.Alias)
	return l, nil
}

// live returns the link name stands for unless it was deleted.
func (s *Service) live(ctx context.Context, name string) (*tiny.Link, error) {
	l, err := s.lookup(ctx, name)
	if err != nil {
		return nil, err
	}
	if l.DeletedAt != nil {
		return nil, errNoLink()
	}
	return l, nil
}
