package shortener

import (
	"context"

	"tiny/internal/accounts"
	"tiny/internal/tiny"
)

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
