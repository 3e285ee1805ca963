package abuse

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"tiny/internal/abuse/feed"
	"tiny/internal/abuse/urlscore"
	"tiny/internal/tiny"
)

// CheckerConfig configures a Checker. Zero thresholds take the model's,
// which grouped cross-validation chose (docs/safety.md).
type CheckerConfig struct {
	Model *urlscore.Model
	// Feeds returns the current blocklists; nil or a nil result: none.
	Feeds func() *feed.Set
	// Destinations returns the moderators' destination blocks
	// (Destinations.Current); nil or a nil result: none. A match blocks
	// like a feed's.
	Destinations func() *DestinationSet
	// Threats is a threat list kept in memory whose matches may need the
	// network to confirm (Google Safe Browsing); nil: none. A confirmed
	// match blocks like a feed's; a match it could not confirm sends the
	// link to review.
	Threats ThreatList
	// Allow returns the operator's allowlist: destinations on it are
	// active whatever their score (a blocklist match still blocks).
	Allow func() *feed.Set
	// History gives the creator's past; nil: creator signals are off.
	History interface {
		CreatorHistory(ctx context.Context, userID int64, since time.Time) (tiny.CreatorHistory, error)
	}
	BlockThreshold  float64
	ReviewThreshold float64
	// HistoryTTL is how long a creator's history is reused before it is read
	// again (30s); creates in between are counted in memory.
	HistoryTTL time.Duration
	Now        func() time.Time
}

// ThreatList is a blocklist such as Google Safe Browsing's
// (safebrowsing.Client).
type ThreatList interface {
	// Match returns why url, a new destination, is listed; an error means
	// a possible match could not be confirmed.
	Match(ctx context.Context, url string) (reason string, listed bool, err error)
	// Blocked is the lookup of rescans, which may confirm only what the
	// list gained lately.
	Blocklist
}

// Checker scores destinations. It is safe for concurrent use; Screen reads
// only memory, except for one store read per creator per HistoryTTL and a
// threat list's confirmation of a hash-prefix hit.
type Checker struct {
	cfg CheckerConfig

	mu      sync.Mutex
	history map[int64]*creator

	active, flagged, blocked atomic.Uint64
}

type creator struct {
	h      tiny.CreatorHistory
	readAt time.Time
}

// NewChecker returns a Checker.
func NewChecker(cfg CheckerConfig) *Checker {
	if cfg.BlockThreshold == 0 {
		cfg.BlockThreshold = cfg.Model.BlockThreshold
	}
	if cfg.ReviewThreshold == 0 {
		cfg.ReviewThreshold = cfg.Model.ReviewThreshold
	}
	if cfg.HistoryTTL <= 0 {
		cfg.HistoryTTL = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Checker{cfg: cfg, history: map[int64]*creator{}}
}

// Thresholds returns the block and review thresholds in use.
func (c *Checker) Thresholds() (block, review float64) {
	return c.cfg.BlockThreshold, c.cfg.ReviewThreshold
}

// Verdict is a scored destination with the reasons behind its score.
type Verdict struct {
	tiny.Screening
	ModelScore float64  // the URL model alone
	Signals    []string // what raised the score, most important first
}

// Screen implements shortener.Screener, and counts the verdicts.
func (c *Checker) Screen(ctx context.Context, u *tiny.User, url string) (tiny.Screening, error) {
	v, err := c.Check(ctx, u, url)
	if err != nil {
		return v.Screening, err
	}
	switch v.Status {
	case tiny.StatusBlocked:
		c.blocked.Add(1)
	case tiny.StatusFlagged:
		c.flagged.Add(1)
	default:
		c.active.Add(1)
	}
	return v.Screening, nil
}

// Counts returns how many destinations Screen has given each verdict.
func (c *Checker) Counts() map[tiny.LinkStatus]uint64 {
	return map[tiny.LinkStatus]uint64{
		tiny.StatusActive: c.active.Load(), tiny.StatusFlagged: c.flagged.Load(), tiny.StatusBlocked: c.blocked.Load(),
	}
}

// Check scores url as a destination created by u (nil: no creator
// signals). A destination block or blocklist match blocks outright;
// otherwise the model's score, moved by the creator's signals, is compared
// with the thresholds.
func (c *Checker) Check(ctx context.Context, u *tiny.User, url string) (Verdict, error) {
	m, ok, unconfirmed := c.blockReason(ctx, url)
	if ok {
		v := Verdict{Screening: tiny.Screening{Status: tiny.StatusBlocked, Score: 1}, Signals: []string{m}}
		v.Reason = m
		c.counted(u)
		return v, nil
	}
	if m, ok := match(c.cfg.Allow, url); ok {
		c.counted(u)
		return Verdict{Screening: tiny.Screening{Status: tiny.StatusActive, Reason: "allowlist " + m.Feed + ": " + m.Entry}}, nil
	}
	p, signals := c.cfg.Model.ScoreExplain(url)
	v := Verdict{ModelScore: p}
	for _, s := range signals {
		if s.Weight <= 0 {
			continue // signals that lowered the score do not explain it
		}
		if s.Detail != "" {
			v.Signals = append(v.Signals, s.Name+" ("+s.Detail+")")
		} else {
			v.Signals = append(v.Signals, s.Name)
		}
	}
	v.Signals = append([]string{fmt.Sprintf("url model %.2f", p)}, v.Signals...)
	shift, creatorSignals, err := c.creatorShift(ctx, u)
	if err != nil {
		return Verdict{}, err
	}
	v.Signals = append(v.Signals, creatorSignals...)
	v.Score = shiftLogit(p, shift)
	switch {
	case v.Score >= c.cfg.BlockThreshold:
		v.Status = tiny.StatusBlocked
	case v.Score >= c.cfg.ReviewThreshold:
		v.Status = tiny.StatusFlagged
	default:
		v.Status = tiny.StatusActive
	}
	if unconfirmed != nil {
		// A threat list's prefix matched but its server did not answer:
		// neither block on a maybe nor let it pass unseen.
		v.Signals = append(v.Signals, "threat list match not confirmed")
		if v.Status == tiny.StatusActive {
			v.Status = tiny.StatusFlagged
		}
	}
	v.Reason = strings.Join(v.Signals, "; ")
	c.counted(u)
	return v, nil
}

// Blocked implements Blocklist with what blocks outright now: the
// moderators' destination blocks, the feeds, then the threat list's
// confirmed matches (what rescans check every link against).
func (c *Checker) Blocked(url string) (string, bool) {
	if reason, ok := c.listed(url); ok {
		return reason, true
	}
	if c.cfg.Threats == nil {
		return "", false
	}
	return c.cfg.Threats.Blocked(url)
}

// blockReason is Blocked for a new destination, with the error of a
// threat-list match that could not be confirmed.
func (c *Checker) blockReason(ctx context.Context, url string) (string, bool, error) {
	if reason, ok := c.listed(url); ok {
		return reason, true, nil
	}
	if c.cfg.Threats == nil {
		return "", false, nil
	}
	return c.cfg.Threats.Match(ctx, url)
}

// listed looks url up in the destination blocks and the feeds.
func (c *Checker) listed(url string) (string, bool) {
	if c.cfg.Destinations != nil {
		if reason, ok := c.cfg.Destinations().Blocked(url); ok {
			return reason, true
		}
	}
	if c.cfg.Feeds == nil {
		return "", false
	}
	return FeedBlocklist{c.cfg.Feeds()}.Blocked(url)
}

// FeedBlocklist is the Blocklist of a set of blocklist feeds.
type FeedBlocklist struct{ Set *feed.Set }

// Blocked implements Blocklist: the reason names the feed and its entry.
func (f FeedBlocklist) Blocked(url string) (string, bool) {
	m, ok := f.Set.MatchString(url) // a nil *Set matches nothing
	if !ok {
		return "", false
	}
	return fmt.Sprintf("blocklist %s: %s", m.Feed, m.Entry), true
}

// match looks url up in the set current returns, if any.
func match(current func() *feed.Set, url string) (feed.Match, bool) {
	if current == nil {
		return feed.Match{}, false
	}
	return current().MatchString(url) // a nil *Set matches nothing
}

// Creator signals move the model's score on the logit scale. They are
// bounded by maxCreatorShift so that an account's past can tip an
// ambiguous URL over a threshold but never condemn a clean one: a URL the
// model scores 0.1 stays under 0.5, below the review threshold, whatever
// its creator did.
const (
	shiftPerPastBlock  = 0.6
	shiftRefusedRecent = 0.8
	shiftHighVelocity  = 0.5
	shiftNewAccount    = 0.3
	maxCreatorShift    = 2.0
	highVelocity       = 100 // links in the last hour
	newAccountAge      = 24 * time.Hour
)

// creatorShift returns the logit shift of u's history and the signals
// behind it. Admins are trusted: their links are scored on the URL alone.
func (c *Checker) creatorShift(ctx context.Context, u *tiny.User) (float64, []string, error) {
	if u == nil || u.IsAdmin() || c.cfg.History == nil {
		return 0, nil, nil
	}
	h, err := c.creatorHistory(ctx, u.ID)
	if err != nil {
		return 0, nil, err
	}
	var shift float64
	var signals []string
	now := c.cfg.Now()
	if h.Blocked > 0 {
		shift += shiftPerPastBlock * float64(min(h.Blocked, 3))
		signals = append(signals, fmt.Sprintf("creator has %d blocked links", h.Blocked))
	}
	if h.RefusedSince > 0 {
		shift += shiftRefusedRecent
		signals = append(signals, fmt.Sprintf("creator had %d unsafe links refused in the last hour", h.RefusedSince))
	}
	if h.LinksSince >= highVelocity {
		shift += shiftHighVelocity
		signals = append(signals, fmt.Sprintf("creator made %d links in the last hour", h.LinksSince))
	}
	if !u.CreatedAt.IsZero() && now.Sub(u.CreatedAt) < newAccountAge {
		shift += shiftNewAccount
		signals = append(signals, "account is less than a day old")
	}
	return min(shift, maxCreatorShift), signals, nil
}

// creatorHistory returns u's history of the last hour, read from the store
// at most once per HistoryTTL.
func (c *Checker) creatorHistory(ctx context.Context, userID int64) (tiny.CreatorHistory, error) {
	now := c.cfg.Now()
	c.mu.Lock()
	if cr, ok := c.history[userID]; ok && now.Sub(cr.readAt) < c.cfg.HistoryTTL {
		h := cr.h
		c.mu.Unlock()
		return h, nil
	}
	c.mu.Unlock()
	h, err := c.cfg.History.CreatorHistory(ctx, userID, now.Add(-time.Hour))
	if err != nil {
		return tiny.CreatorHistory{}, err
	}
	c.mu.Lock()
	if len(c.history) > 100_000 {
		clear(c.history) // bounded: it refills with the active creators
	}
	c.history[userID] = &creator{h: h, readAt: now}
	c.mu.Unlock()
	return h, nil
}

// counted adds a screened create to u's cached history, so velocity is
// seen between store reads.
func (c *Checker) counted(u *tiny.User) {
	if u == nil {
		return
	}
	c.mu.Lock()
	if cr, ok := c.history[u.ID]; ok {
		cr.h.LinksSince++
	}
	c.mu.Unlock()
}

// shiftLogit moves probability p by shift on the logit scale.
func shiftLogit(p, shift float64) float64 {
	if shift == 0 {
		return p
	}
	p = min(max(p, 1e-9), 1-1e-9)
	l := math.Log(p/(1-p)) + shift
	return 1 / (1 + math.Exp(-l))
}
