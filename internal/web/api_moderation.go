package web

import (
	"net/http"
	"strings"
	"time"

	"tiny/internal/abuse"
	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// moderationBodyLimit bounds the body of a moderation endpoint: a
// reason or note is short text.
const moderationBodyLimit = 8 << 10

// safetyJSON is the safety state of a link, shown to its owner and to
// moderators.
type safetyJSON struct {
	Score   float64 `json:"score"`
	Auto    string  `json:"auto"`
	Reason  string  `json:"reason"`
	Review  string  `json:"review,omitempty"`
	Reports int64   `json:"reports"`
}

func safetyJSONOf(s tiny.Safety) *safetyJSON {
	return &safetyJSON{Score: s.Score, Auto: string(s.Auto), Reason: s.Reason, Review: string(s.Review), Reports: s.Reports}
}

// shortName returns the code or alias of a short URL, or name itself when
// it is not one of this instance's short URLs.
func (s *Server) shortName(name string) string {
	base := strings.TrimSuffix(s.cfg.BaseURL.String(), "/") + "/"
	if rest, ok := strings.CutPrefix(name, base); ok {
		name = rest
	}
	return strings.TrimSuffix(name, "+")
}

// report lets anyone report a link, by code, alias or short URL.
func (s *Server) report(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Link   string `json:"link"`
		Reason string `json:"reason"`
	}
	if err := decodeJSON(w, r, &in, moderationBodyLimit); err != nil {
		return err
	}
	if err := s.limitReports(w, r); err != nil {
		return err
	}
	reason, err := shortener.Note("reason", in.Reason, true)
	if err != nil {
		return err
	}
	name := s.shortName(strings.TrimSpace(in.Link))
	if name == "" {
		return tiny.FieldErrorf(tiny.Invalid, "link", "link is required: the short URL or code to report")
	}
	if _, err := s.links.Report(r.Context(), name, reason); err != nil {
		if tiny.IsCode(err, tiny.NotFound) {
			return tiny.FieldErrorf(tiny.NotFound, "link", "no link named %q", name)
		}
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "received"})
	return nil
}

// appeal lets a link's owner ask for its block to be lifted.
func (s *Server) appeal(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Message string `json:"message"`
	}
	if err := decodeJSON(w, r, &in, moderationBodyLimit); err != nil {
		return err
	}
	msg, err := shortener.Note("message", in.Message, true)
	if err != nil {
		return err
	}
	if err := s.links.Appeal(r.Context(), currentPrincipal(r), r.PathValue("code"), msg); err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "in review"})
	return nil
}

// requireModerator asks the policy whether the request may moderate.
func requireModerator(r *http.Request) error {
	return currentPrincipal(r).Check(accounts.Moderate, accounts.Resource{})
}

// reviewItemJSON is one link of the review queue.
type reviewItemJSON struct {
	Link   linkJSON    `json:"link"`
	Safety *safetyJSON `json:"safety"`
}

func (s *Server) reviewQueue(w http.ResponseWriter, r *http.Request) error {
	if err := requireModerator(r); err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 50, 1, 500)
	if err != nil {
		return err
	}
	offset, err := intParam(r, "offset", 0, 0, 1<<30)
	if err != nil {
		return err
	}
	links, err := s.store.ReviewQueue(r.Context(), tiny.ReviewFilter{Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := struct {
		Items      []reviewItemJSON `json:"items"`
		NextOffset *int             `json:"next_offset"`
	}{Items: make([]reviewItemJSON, 0, len(links))}
	for _, l := range links {
		out.Items = append(out.Items, reviewItemJSON{Link: s.linkJSON(l), Safety: safetyJSONOf(l.Safety)})
	}
	if len(links) == limit {
		next := offset + limit
		out.NextOffset = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// decisionJSON is a moderator's decision on a link: the link as decided,
// and the block of its destination when one was asked for.
type decisionJSON struct {
	reviewItemJSON
	DestinationBlock *destinationBlockJSON `json:"destination_block,omitempty"`
}

// decide applies a moderator's decision: approve makes the link active,
// block blocks it. Either takes it out of the queue. A block may also
// block the link's destination (block_destination: url, host or domain),
// so that no other link leads there.
func (s *Server) decide(w http.ResponseWriter, r *http.Request) error {
	if err := requireModerator(r); err != nil {
		return err
	}
	var in struct {
		Decision         string `json:"decision"`
		Note             string `json:"note"`
		BlockDestination string `json:"block_destination"`
	}
	if err := decodeJSON(w, r, &in, moderationBodyLimit); err != nil {
		return err
	}
	l, block, err := s.links.Moderate(r.Context(), currentPrincipal(r), r.PathValue("code"),
		shortener.Moderation{Decision: in.Decision, Note: in.Note, BlockDestination: tiny.DestinationKind(in.BlockDestination)}, s.cfg.Destinations)
	if err != nil {
		return err
	}
	out := decisionJSON{reviewItemJSON: reviewItemJSON{Link: s.linkJSON(l), Safety: safetyJSONOf(l.Safety)}}
	if block != nil {
		out.DestinationBlock = destinationBlockJSONOf(block)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

type auditJSON struct {
	ID           int64     `json:"id"`
	Link         string    `json:"link,omitempty"` // code; empty for a refused create
	URL          string    `json:"url"`
	ActorID      int64     `json:"actor_id"` // 0: tiny itself, or an anonymous report
	Action       string    `json:"action"`
	Reason       string    `json:"reason"`
	Score        float64   `json:"score"`
	AutoBefore   string    `json:"auto_before,omitempty"`
	ReviewBefore string    `json:"review_before,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
}

func (s *Server) auditLog(w http.ResponseWriter, r *http.Request) error {
	if err := requireModerator(r); err != nil {
		return err
	}
	limit, err := intParam(r, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	before, err := intParam(r, "before", 0, 0, 1<<62)
	if err != nil {
		return err
	}
	f := tiny.AuditFilter{Limit: limit, BeforeID: int64(before)}
	q := r.URL.Query()
	if f.ActorID, err = accounts.ParseAuditActor(q.Get("actor")); err != nil {
		return err
	}
	if f.Actions, err = accounts.ParseAuditActions(q["action"]); err != nil {
		return err
	}
	if f.From, err = timeParam(r, "from"); err != nil {
		return err
	}
	if f.To, err = timeParam(r, "to"); err != nil {
		return err
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return tiny.FieldErrorf(tiny.Invalid, "from", "from must be before to")
	}
	if name := q.Get("link"); name != "" {
		l, err := s.links.GetFor(r.Context(), currentPrincipal(r), name, accounts.Moderate)
		if err != nil {
			return err
		}
		f.LinkID = l.ID
	}
	entries, err := s.store.AuditLog(r.Context(), f)
	if err != nil {
		return err
	}
	out := struct {
		Entries []auditJSON `json:"entries"`
		Next    *int64      `json:"next_before"`
	}{Entries: make([]auditJSON, 0, len(entries))}
	for _, e := range entries {
		j := auditJSON{ID: e.ID, URL: e.URL, ActorID: e.ActorID, Action: string(e.Action), Reason: e.Reason,
			Score: e.Score, AutoBefore: string(e.AutoBefore), ReviewBefore: string(e.ReviewBefore), CreatedAt: e.CreatedAt}
		if e.LinkID != 0 {
			j.Link = s.links.Codec().Encode(e.LinkID)
		}
		out.Entries = append(out.Entries, j)
	}
	if len(entries) == limit {
		next := entries[len(entries)-1].ID
		out.Next = &next
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// timeParam reads an RFC 3339 time from the query; zero when absent,
// Invalid with the parameter as field when not a time.
func timeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, tiny.FieldErrorf(tiny.Invalid, name, "%s must be an RFC 3339 time, like 2026-11-01T00:00:00Z", name)
	}
	return t, nil
}

// moderationQuality reports how the automatic decisions fare against the
// moderators' (abuse.Quality).
func (s *Server) moderationQuality(w http.ResponseWriter, r *http.Request) error {
	if err := requireModerator(r); err != nil {
		return err
	}
	counts, err := s.store.DecisionCounts(r.Context())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, abuse.QualityOf(counts))
	return nil
}
