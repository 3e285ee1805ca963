package app

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"

	"tiny/internal/abuse"
	"tiny/internal/accounts"
	"tiny/internal/shortener"
	"tiny/internal/tiny"
)

// Paths of the moderators' pages.
const (
	moderationPath   = "/app/moderation"
	destinationsPath = moderationPath + "/destinations"
	auditPath        = moderationPath + "/audit"
	qualityPath      = moderationPath + "/quality"
)

// Page sizes of the queue and the audit log.
const (
	queuePageSize = 25
	auditPageSize = 50
	// entryHistory bounds the reports and appeals shown with a queue entry.
	entryHistory = 20
)

// moderationRoutes registers the moderators' pages: review queue, reports, appeals, audit log and quality.
func (a *App) moderationRoutes(rt router) {
	rt.page("GET "+moderationPath, a.moderator(a.queuePage))
	rt.page("POST "+moderationPath+"/links/{code}", a.moderator(a.decide))
	rt.page("GET "+destinationsPath, a.moderator(a.destinationsPage))
	rt.page("POST "+destinationsPath, a.moderator(a.addDestinationBlock))
	rt.page("POST "+destinationsPath+"/{id}/remove", a.moderator(a.removeDestinationBlock))
	rt.page("GET "+auditPath, a.moderator(a.auditPage))
	rt.page("GET "+qualityPath, a.moderator(a.qualityPage))
	a.reportRoutes(rt)
}

// moderator serves h only to those the policy lets moderate.
func (a *App) moderator(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
		if err := p.Check(accounts.Moderate, accounts.Resource{}); err != nil {
			return err
		}
		return h(w, r, p)
	}
}

// QueueView is the review queue.
type QueueView struct {
	Page
	Entries []*QueueEntry
	// Offset is where this page starts; Prev and Next are the offsets of
	// the pages around it, -1 when there is none.
	Offset, Prev, Next int
	// DestinationBlocks is set when the server keeps destination blocks.
	DestinationBlocks bool
}

// QueueEntry is one link waiting for review.
type QueueEntry struct {
	Link     *tiny.Link
	ShortURL string
	Owner    string
	// Signals are the reasons the safety check gave, one per signal.
	Signals []string
	// Reports and Appeals are the latest of each, newest first.
	Reports []*tiny.AuditEntry
	Appeals []*tiny.AuditEntry
	// Form is the decision sent back with an error, to show again.
	Form DecisionForm
}

// DecisionForm is a moderator's decision form as sent.
type DecisionForm struct {
	Note             string
	BlockDestination string
	Error            string
}

// ScorePercent is the entry's score as a whole percentage.
func (e *QueueEntry) ScorePercent() int { return int(e.Link.Safety.Score*100 + 0.5) }

func (a *App) queuePage(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
	v, err := a.queueView(r.Context(), max(offset, 0), "", DecisionForm{})
	if err != nil {
		return err
	}
	v.Flash = TakeFlash(w, r)
	a.views.Render(w, r, http.StatusOK, "moderation.html", v)
	return nil
}

// queueView reads a page of the queue from offset; form, when code is
// set, is the refused decision on that link.
func (a *App) queueView(ctx context.Context, offset int, code string, form DecisionForm) (*QueueView, error) {
	links, err := a.store.ReviewQueue(ctx, tiny.ReviewFilter{Limit: queuePageSize, Offset: offset})
	if err != nil {
		return nil, err
	}
	v := &QueueView{Page: Page{Title: "Review queue", Section: "moderation"}, Offset: offset, Prev: -1, Next: -1,
		DestinationBlocks: a.cfg.Destinations != nil}
	if offset > 0 {
		v.Prev = max(offset-queuePageSize, 0)
	}
	if len(links) == queuePageSize {
		v.Next = offset + queuePageSize
	}
	names := a.userNames()
	for _, l := range links {
		e := &QueueEntry{Link: l, ShortURL: a.shortURL(l), Owner: names(ctx, l.OwnerID), Signals: signalsOf(l.Safety.Reason)}
		if l.ShortName() == code || l.Code == code {
			e.Form = form
		}
		if l.Safety.Reports > 0 || l.Safety.Review == tiny.ReviewAppeal {
			history, err := a.store.AuditLog(ctx, tiny.AuditFilter{LinkID: l.ID, Limit: entryHistory})
			if err != nil {
				return nil, err
			}
			for _, h := range history {
				switch h.Action {
				case tiny.ActionReported:
					e.Reports = append(e.Reports, h)
				case tiny.ActionAppealed:
					e.Appeals = append(e.Appeals, h)
				}
			}
		}
		v.Entries = append(v.Entries, e)
	}
	return v, nil
}

// signalsOf splits the safety check's reason into its signals.
func signalsOf(reason string) []string {
	var out []string
	for _, s := range strings.Split(reason, ";") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// userNames returns a lookup of users' emails by id for one page, each
// read once. Moderators see who owns a link and who decided.
func (a *App) userNames() func(ctx context.Context, id int64) string {
	seen := map[int64]string{}
	return func(ctx context.Context, id int64) string {
		if id == tiny.SystemActor {
			return ""
		}
		if n, ok := seen[id]; ok {
			return n
		}
		n := "user " + strconv.FormatInt(id, 10)
		if u, err := a.store.UserByID(ctx, id); err == nil {
			n = u.Email
		}
		seen[id] = n
		return n
	}
}

func (a *App) shortURL(l *tiny.Link) string {
	return strings.TrimSuffix(a.cfg.BaseURL.String(), "/") + "/" + l.ShortName()
}

// decide takes a moderator's decision form; it calls the use case the API
// calls. A refused decision shows the queue again with the error by the
// link's form.
func (a *App) decide(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	code := r.PathValue("code")
	form := DecisionForm{Note: r.PostForm.Get("note"), BlockDestination: r.PostForm.Get("block_destination")}
	offset, _ := strconv.Atoi(r.PostForm.Get("offset"))
	offset = max(offset, 0)
	l, block, err := a.links.Moderate(r.Context(), p, code, shortener.Moderation{
		Decision: r.PostForm.Get("decision"), Note: form.Note, BlockDestination: tiny.DestinationKind(form.BlockDestination),
	}, a.cfg.Destinations)
	if err != nil {
		if tiny.ErrorFieldOf(err) == "" {
			return err
		}
		form.Error = tiny.ErrorMessageOf(err)
		v, verr := a.queueView(r.Context(), offset, code, form)
		if verr != nil {
			return verr
		}
		a.views.Render(w, r, tiny.HTTPStatus(tiny.ErrorCodeOf(err)), "moderation.html", v)
		return nil
	}
	msg := "Approved " + l.ShortName() + "; it works again."
	if l.Status == tiny.StatusBlocked {
		msg = "Blocked " + l.ShortName() + "; its visitors now get the warning page."
	}
	if block != nil {
		msg += " Its destination is blocked too (" + string(block.Kind) + " " + block.Value + ")."
	}
	to := moderationPath
	if offset > 0 {
		to += "?offset=" + strconv.Itoa(offset)
	}
	seeOther(w, r, to, msg)
	return nil
}

// DestinationsView lists the destination blocks, with the form to add one.
type DestinationsView struct {
	Page
	// Enabled is false when the server keeps no destination blocks.
	Enabled bool
	Blocks  []*DestinationBlockRow
	Form    DestinationForm
}

// DestinationBlockRow is a block with the name of who made it.
type DestinationBlockRow struct {
	*tiny.DestinationBlock
	Actor string
}

// DestinationForm is the form to block a destination, as sent.
type DestinationForm struct {
	Kind, Value, Note string
	Errors            map[string]string
}

func (a *App) destinationsPage(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	return a.renderDestinations(w, r, http.StatusOK, DestinationForm{Kind: string(tiny.DestinationDomain)})
}

func (a *App) renderDestinations(w http.ResponseWriter, r *http.Request, status int, form DestinationForm) error {
	v := &DestinationsView{Page: Page{Title: "Blocked destinations", Section: "moderation", Flash: TakeFlash(w, r)},
		Enabled: a.cfg.Destinations != nil, Form: form}
	if v.Enabled {
		blocks, err := a.cfg.Destinations.List(r.Context())
		if err != nil {
			return err
		}
		names := a.userNames()
		for _, b := range blocks {
			v.Blocks = append(v.Blocks, &DestinationBlockRow{DestinationBlock: b, Actor: names(r.Context(), b.ActorID)})
		}
	}
	a.views.Render(w, r, status, "moderation_destinations.html", v)
	return nil
}

// destinations returns the destination blocklist, Unavailable when the
// server keeps none.
func (a *App) destinations() (*abuse.Destinations, error) {
	if a.cfg.Destinations == nil {
		return nil, tiny.Errorf(tiny.Unavailable, "destination blocks are not enabled on this server")
	}
	return a.cfg.Destinations, nil
}

func (a *App) addDestinationBlock(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	d, err := a.destinations()
	if err != nil {
		return err
	}
	form := DestinationForm{Kind: r.PostForm.Get("kind"), Value: r.PostForm.Get("value"), Note: r.PostForm.Get("note")}
	n, err := shortener.Note("note", form.Note, false)
	if err == nil {
		var b *tiny.DestinationBlock
		if b, err = d.Add(r.Context(), p.User, tiny.DestinationKind(form.Kind), form.Value, n); err == nil {
			seeOther(w, r, destinationsPath, "Blocked the "+string(b.Kind)+" "+b.Value+". New links there are refused, and links already there are being blocked.")
			return nil
		}
	}
	field := tiny.ErrorFieldOf(err)
	if field == "" {
		if !tiny.IsCode(err, tiny.Conflict) {
			return err
		}
		field = "value"
	}
	form.Errors = map[string]string{field: tiny.ErrorMessageOf(err)}
	return a.renderDestinations(w, r, tiny.HTTPStatus(tiny.ErrorCodeOf(err)), form)
}

func (a *App) removeDestinationBlock(w http.ResponseWriter, r *http.Request, p *accounts.Principal) error {
	d, err := a.destinations()
	if err != nil {
		return err
	}
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return tiny.Errorf(tiny.NotFound, "no such destination block")
	}
	if err := d.Remove(r.Context(), p.User, id); err != nil {
		return err
	}
	seeOther(w, r, destinationsPath, "The block is removed: new links there may be made again. Links it blocked stay blocked.")
	return nil
}

// QualityView is how the automatic decisions fare against the moderators'.
type QualityView struct {
	Page
	Q abuse.Quality
	// Bars are the counts behind the rates, for the figure and the table.
	Bars []QualityBar
	// Max is the largest count, the scale of the bars (at least 1).
	Max int64
	// Weeks are the figures of each of the last qualityWeeks weeks, oldest
	// first; Chart is the same for the script that draws them.
	Weeks []abuse.WeekQuality
	Chart QualityChart
}

// QualityBar is one count of the quality figure.
type QualityBar struct {
	Label string
	Hint  string
	Count int64
}

// QualityChart is the data of the chart of rates over time: the weeks'
// starts (Unix seconds) and each rate per week (null when not measured).
type QualityChart struct {
	Weeks     []int64      `json:"weeks"`
	Precision []abuse.Rate `json:"precision"`
	Recall    []abuse.Rate `json:"recall"`
	Overturn  []abuse.Rate `json:"overturn"`
}

// qualityWeeks is how far back the chart goes: half a year.
const qualityWeeks = 26

func (a *App) qualityPage(w http.ResponseWriter, r *http.Request, _ *accounts.Principal) error {
	counts, err := a.store.DecisionCounts(r.Context())
	if err != nil {
		return err
	}
	now := time.Now()
	from := abuse.Week(now).AddDate(0, 0, -7*(qualityWeeks-1))
	days, err := a.store.DailyDecisionCounts(r.Context(), from, now.Add(time.Minute))
	if err != nil {
		return err
	}
	v := qualityViewOf(abuse.QualityOf(counts), abuse.WeeklyQuality(days, from, qualityWeeks))
	a.views.Render(w, r, http.StatusOK, "moderation_quality.html", v)
	return nil
}

func qualityViewOf(q abuse.Quality, weeks []abuse.WeekQuality) *QualityView {
	v := &QualityView{Page: Page{Title: "Moderation quality", Section: "moderation"}, Q: q, Max: 1, Bars: []QualityBar{
		{"Confirmed", "flagged or blocked by tiny, then blocked by a moderator", q.TruePositives},
		{"Overturned", "flagged or blocked by tiny, then approved by a moderator", q.FalsePositives},
		{"Missed", "let through by tiny, then blocked by a moderator", q.Missed},
		{"Appeals decided", "owners' appeals a moderator decided", q.Appeals},
		{"Appeals granted", "appeals that lifted the block", q.Overturned},
	}, Weeks: weeks}
	for _, b := range v.Bars {
		v.Max = max(v.Max, b.Count)
	}
	c := &v.Chart
	for _, w := range weeks {
		c.Weeks = append(c.Weeks, w.Start.Unix())
		c.Precision = append(c.Precision, w.Precision)
		c.Recall = append(c.Recall, w.Recall)
		c.Overturn = append(c.Overturn, w.OverturnRate)
	}
	return v
}

// Pct shows a rate as a percentage, or a dash while nothing was measured.
func (*QualityView) Pct(r abuse.Rate) string {
	f := float64(r)
	if f != f {
		return "—"
	}
	return strconv.FormatFloat(f*100, 'f', 1, 64) + " %"
}
