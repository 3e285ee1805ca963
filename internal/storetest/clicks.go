package storetest

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// clickBase is the hour the click tests start at: two hours before a UTC
// midnight, so their events span two days.
var clickBase = time.Date(2025, 3, 9, 22, 0, 0, 0, time.UTC)

// cnt returns a breakdown entry.
func cnt(value string, clicks int64) tiny.Count { return tiny.Count{Value: value, Clicks: clicks} }

// click returns an event with every field set.
func click(linkID int64, at time.Time, kind tiny.VisitorKind, visitor uint64) tiny.ClickEvent {
	return tiny.ClickEvent{LinkID: linkID, At: at, Kind: kind, Visitor: visitor,
		Referrer: "direct", Country: "unknown", Browser: "unknown", OS: "unknown", Device: "unknown"}
}

// record stores events in batches of at most size events.
func (e *env) record(t *testing.T, size int, events []tiny.ClickEvent) {
	t.Helper()
	for chunk := range slices.Chunk(events, size) {
		if err := e.s.RecordClicks(t.Context(), chunk); err != nil {
			t.Fatalf("RecordClicks(%d events) = %v, want nil", len(chunk), err)
		}
	}
}

// stats returns the statistics q selects, and fails the test on an error.
func (e *env) stats(t *testing.T, q tiny.StatsQuery) *tiny.ClickStats {
	t.Helper()
	st, err := e.s.ClickStats(t.Context(), q)
	if err != nil {
		t.Fatalf("ClickStats(%s) = %v, want nil", queryString(q), err)
	}
	if st == nil {
		t.Fatalf("ClickStats(%s) = nil, nil; want statistics", queryString(q))
	}
	for _, h := range st.Hours {
		if h.Hour.Location() != time.UTC {
			t.Errorf("ClickStats(%s).Hours: hour %v not in UTC", queryString(q), h.Hour)
			break
		}
	}
	return st
}

// clicks returns the raw events Clicks gives, and fails the test on an
// error.
func (e *env) clicks(t *testing.T, linkID int64, from, to time.Time) []tiny.ClickEvent {
	t.Helper()
	var got []tiny.ClickEvent
	err := e.s.Clicks(t.Context(), linkID, from, to, func(c tiny.ClickEvent) error {
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatalf("Clicks(%d, %s, %s) = %v, want nil", linkID, timeString(from), timeString(to), err)
	}
	return got
}

func timeString(t time.Time) string {
	if t.IsZero() {
		return "0"
	}
	return t.UTC().Format("2006-01-02T15:04:05.999999Z")
}

func queryString(q tiny.StatsQuery) string {
	return fmt.Sprintf("{LinkID:%d From:%s To:%s IncludeBots:%t Top:%d}",
		q.LinkID, timeString(q.From), timeString(q.To), q.IncludeBots, q.Top)
}

func statsString(s *tiny.ClickStats) string {
	if s == nil {
		return "<nil>"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "{Clicks:%d BotClicks:%d Previews:%d UniqueVisitors:%d Hours:[", s.Clicks, s.BotClicks, s.Previews, s.UniqueVisitors)
	for i, h := range s.Hours {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s=%d", h.Hour.UTC().Format("01-02T15"), h.Clicks)
	}
	b.WriteString("]")
	for _, d := range []struct {
		name   string
		counts []tiny.Count
	}{{"Referrers", s.Referrers}, {"Countries", s.Countries}, {"Browsers", s.Browsers}, {"OS", s.OS}, {"Devices", s.Devices}} {
		fmt.Fprintf(&b, " %s:%v", d.name, d.counts)
	}
	b.WriteString("}")
	return b.String()
}

// statsDiff returns how got differs from want, "" when it does not. Hours
// compare as instants; nil and empty slices are equal.
func statsDiff(got, want *tiny.ClickStats) string {
	var d []string
	add := func(field string, g, w any) { d = append(d, fmt.Sprintf("%s: got %v, want %v", field, g, w)) }
	if got.Clicks != want.Clicks {
		add("Clicks", got.Clicks, want.Clicks)
	}
	if got.BotClicks != want.BotClicks {
		add("BotClicks", got.BotClicks, want.BotClicks)
	}
	if got.Previews != want.Previews {
		add("Previews", got.Previews, want.Previews)
	}
	if got.UniqueVisitors != want.UniqueVisitors {
		add("UniqueVisitors", got.UniqueVisitors, want.UniqueVisitors)
	}
	if !slices.EqualFunc(got.Hours, want.Hours, func(a, b tiny.HourCount) bool {
		return a.Hour.Equal(b.Hour) && a.Clicks == b.Clicks
	}) {
		add("Hours", got.Hours, want.Hours)
	}
	for _, c := range []struct {
		name      string
		got, want []tiny.Count
	}{
		{"Referrers", got.Referrers, want.Referrers},
		{"Countries", got.Countries, want.Countries},
		{"Browsers", got.Browsers, want.Browsers},
		{"OS", got.OS, want.OS},
		{"Devices", got.Devices, want.Devices},
	} {
		if !slices.Equal(c.got, c.want) {
			add(c.name, c.got, c.want)
		}
	}
	return strings.Join(d, "; ")
}

// wantStats computes what ClickStats(q) must return after events were
// recorded, straight from the events: those of links that known reports,
// in the hours [q.From, q.To) rounded down to the hour (a zero bound is
// open), totals by kind, the series and breakdowns of humans (and bots
// with IncludeBots), the breakdowns by clicks, largest first, ties in
// value order, at most q.Top entries (all of them when q.Top <= 0), and the
// distinct (UTC day, visitor) pairs of human events on the UTC days that
// the range touches.
func wantStats(events []tiny.ClickEvent, known func(int64) bool, q tiny.StatsQuery) *tiny.ClickStats {
	st := &tiny.ClickStats{}
	from, to := q.From.UTC().Truncate(time.Hour), q.To.UTC().Truncate(time.Hour)
	if !q.From.IsZero() && !q.To.IsZero() && !from.Before(to) {
		return st
	}
	inHours := func(at time.Time) bool {
		return (q.From.IsZero() || !at.Before(from)) && (q.To.IsZero() || at.Before(to))
	}
	dayTouched := func(day time.Time) bool {
		return (q.From.IsZero() || day.Add(24*time.Hour).After(from)) && (q.To.IsZero() || day.Before(to))
	}
	type pair struct {
		day     time.Time
		visitor uint64
	}
	pairs := make(map[pair]bool)
	hours := make(map[time.Time]int64)
	dims := make([]map[string]int64, 5)
	for i := range dims {
		dims[i] = make(map[string]int64)
	}
	for _, e := range events {
		if !known(e.LinkID) || q.LinkID != 0 && e.LinkID != q.LinkID {
			continue
		}
		at := e.At.UTC()
		if e.Kind == tiny.VisitorHuman {
			if day := at.Truncate(24 * time.Hour); dayTouched(day) {
				pairs[pair{day, e.Visitor}] = true
			}
		}
		if !inHours(at) {
			continue
		}
		switch e.Kind {
		case tiny.VisitorHuman:
			st.Clicks++
		case tiny.VisitorBot:
			st.BotClicks++
		case tiny.VisitorPreview:
			st.Previews++
		}
		if e.Kind == tiny.VisitorHuman || e.Kind == tiny.VisitorBot && q.IncludeBots {
			hours[at.Truncate(time.Hour)]++
			for i, v := range []string{e.Referrer, e.Country, e.Browser, e.OS, e.Device} {
				dims[i][v]++
			}
		}
	}
	st.UniqueVisitors = int64(len(pairs))
	for h, n := range hours {
		st.Hours = append(st.Hours, tiny.HourCount{Hour: h, Clicks: n})
	}
	slices.SortFunc(st.Hours, func(a, b tiny.HourCount) int { return a.Hour.Compare(b.Hour) })
	breakdown := func(m map[string]int64) []tiny.Count {
		var counts []tiny.Count
		for v, n := range m {
			counts = append(counts, tiny.Count{Value: v, Clicks: n})
		}
		slices.SortFunc(counts, byClicks)
		if q.Top > 0 && len(counts) > q.Top {
			counts = counts[:q.Top]
		}
		return counts
	}
	st.Referrers, st.Countries, st.Browsers, st.OS, st.Devices =
		breakdown(dims[0]), breakdown(dims[1]), breakdown(dims[2]), breakdown(dims[3]), breakdown(dims[4])
	return st
}

// byClicks orders the entries of a breakdown as ClickStats does: largest
// first, ties in value order.
func byClicks(a, b tiny.Count) int {
	return cmp.Or(cmp.Compare(b.Clicks, a.Clicks), strings.Compare(a.Value, b.Value))
}

// checkStats fails t unless ClickStats(q) returns what wantStats computes.
func (e *env) checkStats(t *testing.T, events []tiny.ClickEvent, known func(int64) bool, q tiny.StatsQuery) {
	t.Helper()
	got := e.stats(t, q)
	want := wantStats(events, known, q)
	if d := statsDiff(got, want); d != "" {
		t.Errorf("ClickStats(%s) = %s, want %s\ndiff: %s", queryString(q), statsString(got), statsString(want), d)
	}
}

// linkSet returns a known func that reports the ids of links.
func linkSet(links ...*tiny.Link) func(int64) bool {
	ids := make(map[int64]bool)
	for _, l := range links {
		ids[l.ID] = true
	}
	return func(id int64) bool { return ids[id] }
}

// checkLinkClicks fails t unless the click counter of link id is want.
func (e *env) checkLinkClicks(t *testing.T, id, want int64, why string) {
	t.Helper()
	l, err := e.s.LinkByID(t.Context(), id)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", id, err)
	}
	if l.Clicks != want {
		t.Errorf("LinkByID(%d).Clicks = %d, want %d (%s)", id, l.Clicks, want, why)
	}
}

func testRecordClicksTotals(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, nil)
	b := e.create(t, nil)
	limited := e.create(t, func(l *tiny.Link) { l.MaxClicks = 10 })
	idle := e.create(t, nil)
	const unknown = 999999
	// The redirect counts the clicks of a click-limited link itself, and
	// says so in the events it records.
	for range 2 {
		if err := e.s.ConsumeClick(ctx, limited.ID); err != nil {
			t.Fatalf("ConsumeClick(%d) = %v, want nil", limited.ID, err)
		}
	}

	h0, h1, h25 := clickBase, clickBase.Add(time.Hour), clickBase.Add(25*time.Hour)
	zone := time.FixedZone("UTC-7", -7*3600)
	var events []tiny.ClickEvent
	add := func(n int, linkID int64, at time.Time, kind tiny.VisitorKind, counted bool) {
		for i := range n {
			c := click(linkID, at.Add(time.Duration(i)*time.Minute).In(zone), kind, uint64(100+len(events)))
			c.Counted = counted
			events = append(events, c)
		}
	}
	add(2, a.ID, h0, tiny.VisitorHuman, false)
	add(1, a.ID, h0, tiny.VisitorHuman, true)
	add(3, a.ID, h0, tiny.VisitorBot, false)
	add(1, a.ID, h1, tiny.VisitorHuman, false)
	add(1, a.ID, h1, tiny.VisitorHuman, true)
	add(2, a.ID, h1, tiny.VisitorPreview, false)
	add(5, unknown, h1, tiny.VisitorHuman, false)
	add(4, b.ID, h25, tiny.VisitorHuman, false)
	add(1, b.ID, h25, tiny.VisitorBot, false)
	add(1, b.ID, h25, tiny.VisitorPreview, false)
	add(2, limited.ID, h1, tiny.VisitorHuman, true)
	add(1, limited.ID, h1, tiny.VisitorHuman, false)
	add(1, a.ID, h25, tiny.VisitorHuman, false)

	if err := e.s.RecordClicks(ctx, nil); err != nil {
		t.Errorf("RecordClicks(nil) = %v, want nil", err)
	}
	// Two batches, so the second adds to the rollup rows the first made.
	half := len(events) / 2
	e.record(t, half, events[:half])
	e.record(t, len(events), events[half:])

	for _, tt := range []struct {
		link                   int64
		clicks, bots, previews int64
	}{
		{a.ID, 6, 3, 2},
		{b.ID, 4, 1, 1},
		{limited.ID, 3, 0, 0},
		{idle.ID, 0, 0, 0},
		{unknown, 0, 0, 0},
		{0, 13, 4, 3},
	} {
		q := tiny.StatsQuery{LinkID: tt.link}
		got := e.stats(t, q)
		if got.Clicks != tt.clicks || got.BotClicks != tt.bots || got.Previews != tt.previews {
			t.Errorf("ClickStats(%s) = %d clicks, %d bot clicks, %d previews; want %d, %d, %d",
				queryString(q), got.Clicks, got.BotClicks, got.Previews, tt.clicks, tt.bots, tt.previews)
		}
		e.checkStats(t, events, linkSet(a, b, limited, idle), q)
		e.checkStats(t, events, linkSet(a, b, limited, idle), tiny.StatsQuery{LinkID: tt.link, IncludeBots: true, Top: 2})
	}

	// Series by hour, by hand.
	got := e.stats(t, tiny.StatsQuery{LinkID: a.ID})
	want := []tiny.HourCount{{Hour: h0, Clicks: 3}, {Hour: h1, Clicks: 2}, {Hour: h25, Clicks: 1}}
	if !slices.EqualFunc(got.Hours, want, func(x, y tiny.HourCount) bool { return x.Hour.Equal(y.Hour) && x.Clicks == y.Clicks }) {
		t.Errorf("ClickStats(link %d).Hours = %v, want %v", a.ID, got.Hours, want)
	}
	got = e.stats(t, tiny.StatsQuery{LinkID: a.ID, IncludeBots: true})
	want = []tiny.HourCount{{Hour: h0, Clicks: 6}, {Hour: h1, Clicks: 2}, {Hour: h25, Clicks: 1}}
	if !slices.EqualFunc(got.Hours, want, func(x, y tiny.HourCount) bool { return x.Hour.Equal(y.Hour) && x.Clicks == y.Clicks }) {
		t.Errorf("ClickStats(link %d, IncludeBots).Hours = %v, want %v", a.ID, got.Hours, want)
	}

	// The counters count human clicks that were not Counted already.
	e.checkLinkClicks(t, a.ID, 4, "4 human clicks not counted before; previews, bots and Counted ones are not added")
	e.checkLinkClicks(t, b.ID, 4, "4 human clicks")
	e.checkLinkClicks(t, limited.ID, 3, "2 consumed by the redirect, whose events are Counted, and 1 not counted")
	e.checkLinkClicks(t, idle.ID, 0, "no clicks")
	if _, err := e.s.LinkByID(ctx, unknown); tiny.ErrorCodeOf(err) != tiny.NotFound {
		t.Errorf("LinkByID(%d) = %v, want NotFound: RecordClicks must not create links", unknown, err)
	}
}

// genClicks returns n pseudo-random events on links, over hours hours from
// clickBase, with skewed referrers, countries and agents as real traffic
// has, and visitors that come back.
func genClicks(r *rand.Rand, n, hours int, links ...int64) []tiny.ClickEvent {
	pick := func(values []string) string {
		// Roughly Zipf: the first values are the most frequent.
		i := int(r.ExpFloat64() * float64(len(values)) / 3)
		return values[min(i, len(values)-1)]
	}
	referrers := []string{"direct", "t.co", "news.ycombinator.com", "www.google.com", "lobste.rs", "example.org", "ünïcode.example"}
	countries := []string{"US", "DE", "FR", "GB", "unknown", "BR", "JP", "IN"}
	browsers := []string{"Chrome", "Safari", "Firefox", "Edge", "unknown"}
	systems := []string{"Android", "iOS", "Windows", "macOS", "Linux"}
	devices := []string{"mobile", "desktop", "tablet", "unknown"}
	events := make([]tiny.ClickEvent, n)
	for i := range events {
		kind := tiny.VisitorHuman
		switch x := r.IntN(10); {
		case x == 0:
			kind = tiny.VisitorPreview
		case x <= 2:
			kind = tiny.VisitorBot
		}
		at := clickBase.Add(time.Duration(r.Int64N(int64(hours) * int64(time.Hour)))).Truncate(time.Millisecond)
		c := click(links[r.IntN(len(links))], at, kind, r.Uint64N(40)*0x9e3779b97f4a7c15)
		c.Referrer, c.Country, c.Browser, c.OS, c.Device = pick(referrers), pick(countries), pick(browsers), pick(systems), pick(devices)
		if c.Country != "unknown" {
			c.City = "City of " + c.Country
		}
		c.Counted = r.IntN(5) == 0
		events[i] = c
	}
	return events
}

func testClickStatsQueries(t *testing.T, e *env) {
	a, b, c, idle := e.create(t, nil), e.create(t, nil), e.create(t, nil), e.create(t, nil)
	r := rand.New(rand.NewPCG(1, 2))
	events := genClicks(r, 900, 30, a.ID, b.ID, b.ID, c.ID, 4242)
	e.record(t, 150, events)
	known := linkSet(a, b, c, idle)

	all := wantStats(events, known, tiny.StatsQuery{IncludeBots: true})
	if all.Clicks < 300 || all.BotClicks < 50 || all.Previews < 20 || len(all.Hours) < 25 || len(all.Referrers) < 5 {
		t.Fatalf("generated clicks = %s, want more of everything", statsString(all))
	}

	h := func(d time.Duration) time.Time { return clickBase.Add(d) }
	ranges := []struct{ from, to time.Time }{
		{},
		{h(0), h(30 * time.Hour)},
		{h(3*time.Hour + 30*time.Minute), h(10*time.Hour + 59*time.Minute)},                      // both rounded down
		{h(2 * time.Hour), h(3 * time.Hour)},                                                     // a single hour
		{h(5 * time.Hour), h(5*time.Hour + 30*time.Minute)},                                      // empty once rounded
		{h(10 * time.Hour), h(5 * time.Hour)},                                                    // reversed
		{h(-48 * time.Hour), h(-24 * time.Hour)},                                                 // before every click
		{time.Time{}, h(7 * time.Hour)},                                                          // open start
		{h(20*time.Hour + time.Second).In(time.FixedZone("UTC+5:30", 5*3600+1800)), time.Time{}}, // open end
	}
	for _, link := range []int64{0, a.ID, b.ID, c.ID, idle.ID} {
		for _, rg := range ranges {
			for _, bots := range []bool{false, true} {
				for _, top := range []int{0, 1, 3} {
					e.checkStats(t, events, known, tiny.StatsQuery{LinkID: link, From: rg.from, To: rg.to, IncludeBots: bots, Top: top})
				}
			}
		}
	}

	// Breakdowns by hand: largest first, ties in value order, bots only
	// with IncludeBots, previews never.
	d := e.create(t, nil)
	var few []tiny.ClickEvent
	for i, ref := range []string{"b.example", "a.example", "c.example", "a.example", "c.example", "c.example"} {
		c := click(d.ID, h(time.Duration(i)*time.Minute), tiny.VisitorHuman, 1)
		c.Referrer = ref
		few = append(few, c)
	}
	bot := click(d.ID, h(10*time.Minute), tiny.VisitorBot, 2)
	bot.Referrer = "bot.example"
	preview := click(d.ID, h(11*time.Minute), tiny.VisitorPreview, 3)
	preview.Referrer = "preview.example"
	few = append(few, bot, bot, bot, preview, preview, preview, preview)
	e.record(t, len(few), few)
	for _, tt := range []struct {
		q    tiny.StatsQuery
		want []tiny.Count
	}{
		{tiny.StatsQuery{LinkID: d.ID}, []tiny.Count{cnt("c.example", 3), cnt("a.example", 2), cnt("b.example", 1)}},
		{tiny.StatsQuery{LinkID: d.ID, Top: 2}, []tiny.Count{cnt("c.example", 3), cnt("a.example", 2)}},
		{tiny.StatsQuery{LinkID: d.ID, IncludeBots: true}, []tiny.Count{cnt("bot.example", 3), cnt("c.example", 3), cnt("a.example", 2), cnt("b.example", 1)}},
		{tiny.StatsQuery{LinkID: d.ID, IncludeBots: true, Top: 1}, []tiny.Count{cnt("bot.example", 3)}},
	} {
		if got := e.stats(t, tt.q).Referrers; !slices.Equal(got, tt.want) {
			t.Errorf("ClickStats(%s).Referrers = %v, want %v", queryString(tt.q), got, tt.want)
		}
	}
}

// testClickStatsDays checks ranges of many days that start and end
// anywhere in a day: the stores read the whole days from a daily rollup of
// the breakdowns and the rest from the hourly one, and must give what the
// hours alone give, which wantStats computes from the events.
func testClickStatsDays(t *testing.T, e *env) {
	a, b := e.create(t, nil), e.create(t, nil)
	r := rand.New(rand.NewPCG(3, 4))
	const days = 12
	// In batches of 100 over 12 days, so most batches add to days that
	// earlier ones wrote.
	events := genClicks(r, 1500, days*24, a.ID, b.ID)
	e.record(t, 100, events)
	known := linkSet(a, b)

	midnight := clickBase.Add(2 * time.Hour) // the first UTC midnight
	at := func(day int, d time.Duration) time.Time { return midnight.Add(time.Duration(day)*24*time.Hour + d) }
	ranges := []struct {
		from, to time.Time
		why      string
	}{
		{at(0, 5*time.Hour+30*time.Minute), at(8, 17*time.Hour+10*time.Minute), "mid-day to mid-day"},
		{at(-1, 22*time.Hour), at(days, 0), "every click"},
		{at(1, 0), at(6, 0), "whole days only"},
		{at(1, 0), at(6, 13*time.Hour), "a midnight to mid-day"},
		{at(1, 23*time.Hour), at(6, 0), "mid-day to a midnight"},
		{at(2, time.Hour), at(3, 0), "one day but its first hour"},
		{at(2, 0), at(3, time.Hour), "one whole day and an hour"},
		{at(2, 23*time.Hour), at(3, time.Hour), "across one midnight, no whole day"},
		{at(4, 3*time.Hour), at(4, 9*time.Hour), "within a day"},
		{at(2, 0).Add(-time.Millisecond), at(5, 0).Add(time.Millisecond), "a millisecond around midnights"},
		{time.Time{}, at(7, 11*time.Hour), "open start"},
		{at(3, 7*time.Hour), time.Time{}, "open end"},
		{at(3, 7*time.Hour).In(time.FixedZone("UTC-9:30", -(9*3600 + 1800))), at(9, 2*time.Hour).In(time.FixedZone("UTC+14", 14*3600)),
			"in zones far from UTC"},
	}
	all := wantStats(events, known, tiny.StatsQuery{})
	if len(all.Hours) < days*24/2 || len(all.Referrers) < 5 {
		t.Fatalf("generated clicks = %d hours, %d referrers; want more", len(all.Hours), len(all.Referrers))
	}
	for _, rg := range ranges {
		for _, link := range []int64{0, a.ID} {
			for _, bots := range []bool{false, true} {
				for _, top := range []int{0, 2} {
					q := tiny.StatsQuery{LinkID: link, From: rg.from, To: rg.to, IncludeBots: bots, Top: top}
					if got, want := e.stats(t, q), wantStats(events, known, q); statsDiff(got, want) != "" {
						t.Errorf("ClickStats(%s) (%s) = %s, want %s\ndiff: %s", queryString(q), rg.why,
							statsString(got), statsString(want), statsDiff(got, want))
					}
				}
			}
		}
	}
}

// testClickStatsRolledDays records clicks in time order, so that the
// first batch of each new day rolls the days before it up by day, and
// checks the breakdowns after every batch (exact before, across and after
// each roll); then late clicks of days already rolled, which are added to
// their days as well as to their hours.
func testClickStatsRolledDays(t *testing.T, e *env) {
	a := e.create(t, nil)
	r := rand.New(rand.NewPCG(5, 6))
	const days = 5
	events := genClicks(r, 600, days*24, a.ID)
	slices.SortStableFunc(events, func(x, y tiny.ClickEvent) int { return x.At.Compare(y.At) })
	late := genClicks(r, 200, (days-1)*24, a.ID)
	known := linkSet(a)
	midnight := clickBase.Add(2 * time.Hour) // the first UTC midnight
	at := func(day int, d time.Duration) time.Time { return midnight.Add(time.Duration(day)*24*time.Hour + d) }
	check := func(recorded []tiny.ClickEvent, why string) {
		t.Helper()
		for _, rg := range [][2]time.Time{{}, {at(0, 0), at(days, 0)}, {at(0, 5*time.Hour), at(3, 7*time.Hour)}, {at(1, 0), at(2, 0)}} {
			for _, link := range []int64{0, a.ID} {
				q := tiny.StatsQuery{LinkID: link, From: rg[0], To: rg[1], IncludeBots: true}
				if got, want := e.stats(t, q), wantStats(recorded, known, q); statsDiff(got, want) != "" {
					t.Fatalf("ClickStats(%s) %s = %s, want %s\ndiff: %s", queryString(q), why,
						statsString(got), statsString(want), statsDiff(got, want))
				}
			}
		}
	}
	for i := 0; i < len(events); i += 40 {
		e.record(t, 40, events[i:min(i+40, len(events))])
		check(events[:min(i+40, len(events))], fmt.Sprintf("after %d clicks in time order", min(i+40, len(events))))
	}
	e.record(t, 50, late)
	check(append(slices.Clone(events), late...), "after late clicks of rolled days")
}

func testUniqueVisitors(t *testing.T, e *env) {
	a, b := e.create(t, nil), e.create(t, nil)
	day1 := time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC)
	day2 := day1.Add(24 * time.Hour)
	at := func(day time.Time, hour int) time.Time { return day.Add(time.Duration(hour) * time.Hour) }
	const big = math.MaxUint64 // a hash with the top bit set
	counted := click(a.ID, at(day1, 20), tiny.VisitorHuman, 7)
	counted.Counted = true
	events := []tiny.ClickEvent{
		click(a.ID, at(day1, 10), tiny.VisitorHuman, 1),
		click(a.ID, at(day1, 11), tiny.VisitorHuman, 1), // the same visitor, the same day
		click(a.ID, at(day2, 9), tiny.VisitorHuman, 1),  // the same hash, another day
		click(a.ID, at(day1, 15), tiny.VisitorHuman, 2),
		click(a.ID, at(day1, 12), tiny.VisitorBot, 3),     // bots are no visitors
		click(a.ID, at(day1, 12), tiny.VisitorPreview, 4), // nor are previews
		counted, // a click the redirect counted is a visitor all the same
		click(b.ID, at(day1, 10), tiny.VisitorHuman, 1), // visitor 1 of day 1 again, on another link
		click(b.ID, at(day2, 23), tiny.VisitorHuman, big),
		click(b.ID, at(day2, 23), tiny.VisitorHuman, big-1),
	}
	// One event per batch, and then all of them again: a visitor already
	// stored is not counted twice.
	e.record(t, 1, events)
	e.record(t, len(events), events)

	for _, tt := range []struct {
		q    tiny.StatsQuery
		want int64
		why  string
	}{
		{tiny.StatsQuery{LinkID: a.ID}, 4, "(day1, 1), (day2, 1), (day1, 2), (day1, 7)"},
		{tiny.StatsQuery{LinkID: b.ID}, 3, "(day1, 1), (day2, big), (day2, big-1)"},
		{tiny.StatsQuery{}, 6, "instance-wide, (day1, 1) once for both links"},
		{tiny.StatsQuery{LinkID: a.ID, From: at(day1, 10), To: at(day1, 11)}, 3,
			"the range touches day1 only, and every visitor of day1 counts, also outside its hours"},
		{tiny.StatsQuery{LinkID: a.ID, From: day2, To: at(day2, 1)}, 1, "day2 only"},
		{tiny.StatsQuery{LinkID: a.ID, From: at(day1, 23), To: at(day2, 1)}, 4, "both days"},
		{tiny.StatsQuery{LinkID: a.ID, To: day2}, 3, "a range that ends at midnight does not touch the next day"},
		{tiny.StatsQuery{From: day2}, 3, "instance-wide on day2: (day2, 1), (day2, big), (day2, big-1)"},
		{tiny.StatsQuery{From: at(day2, 24)}, 0, "no clicks after day2"},
	} {
		if got := e.stats(t, tt.q).UniqueVisitors; got != tt.want {
			t.Errorf("ClickStats(%s).UniqueVisitors = %d, want %d: %s", queryString(tt.q), got, tt.want, tt.why)
		}
		e.checkStats(t, slices.Concat(events, events), linkSet(a, b), tt.q)
	}
}

func testRecordClicksUnknownLinks(t *testing.T, e *env) {
	a := e.create(t, nil)
	unknown := []tiny.ClickEvent{
		click(a.ID+1000, clickBase, tiny.VisitorHuman, 1),
		click(0, clickBase, tiny.VisitorHuman, 2),
		click(-5, clickBase, tiny.VisitorBot, 3),
	}
	e.record(t, len(unknown), unknown)
	if got := e.stats(t, tiny.StatsQuery{IncludeBots: true}); statsDiff(got, &tiny.ClickStats{}) != "" {
		t.Errorf("ClickStats(instance) after events of unknown links only = %s, want zero", statsString(got))
	}
	for _, id := range []int64{a.ID + 1000, 0, -5} {
		if got := e.clicks(t, id, time.Time{}, time.Time{}); len(got) != 0 {
			t.Errorf("Clicks(%d) = %d events, want none: the events of unknown links are dropped", id, len(got))
		}
	}

	mixed := append(slices.Clone(unknown), click(a.ID, clickBase, tiny.VisitorHuman, 4))
	e.record(t, len(mixed), mixed)
	want := &tiny.ClickStats{Clicks: 1, UniqueVisitors: 1, Hours: []tiny.HourCount{{Hour: clickBase, Clicks: 1}},
		Referrers: []tiny.Count{cnt("direct", 1)}, Countries: []tiny.Count{cnt("unknown", 1)},
		Browsers: []tiny.Count{cnt("unknown", 1)}, OS: []tiny.Count{cnt("unknown", 1)}, Devices: []tiny.Count{cnt("unknown", 1)}}
	for _, link := range []int64{0, a.ID} {
		if got := e.stats(t, tiny.StatsQuery{LinkID: link}); statsDiff(got, want) != "" {
			t.Errorf("ClickStats(link %d) after a batch with one known event = %s, want %s", link, statsString(got), statsString(want))
		}
	}
	e.checkLinkClicks(t, a.ID, 1, "the one human click of a known link")
	if got := e.clicks(t, a.ID, time.Time{}, time.Time{}); len(got) != 1 {
		t.Errorf("Clicks(%d) = %d events, want 1", a.ID, len(got))
	}
}

// clickDiff returns how got differs from want, "" when it does not. Times
// compare as instants; Counted is not compared (stores need not keep it).
func clickDiff(got, want tiny.ClickEvent) string {
	got.Counted, want.Counted = false, false
	if !got.At.Equal(want.At) {
		return fmt.Sprintf("At: got %v, want %v", got.At, want.At)
	}
	got.At, want.At = time.Time{}, time.Time{}
	if got != want {
		return fmt.Sprintf("got %+v, want %+v", got, want)
	}
	return ""
}

func testClicks(t *testing.T, e *env) {
	ctx := t.Context()
	a, b := e.create(t, nil), e.create(t, nil)
	zone := time.FixedZone("UTC+2", 2*3600)
	t0 := clickBase.Add(17*time.Minute + 123*time.Millisecond).In(zone)
	offsets := []time.Duration{5 * time.Minute, time.Minute, 3 * time.Hour, 59 * time.Minute, 2 * time.Hour, 26 * time.Hour}
	var wantA []tiny.ClickEvent
	var batch1, batch2 []tiny.ClickEvent
	for i, off := range offsets {
		c := tiny.ClickEvent{
			LinkID: a.ID, At: t0.Add(off), Kind: []tiny.VisitorKind{tiny.VisitorHuman, tiny.VisitorBot, tiny.VisitorPreview}[i%3],
			Visitor:  []uint64{0, 1, math.MaxUint64, 1 << 63, 0x0123456789abcdef, 42}[i],
			Referrer: []string{"direct", "t.co", "ünïcode.example", "news.ycombinator.com", "direct", "x"}[i],
			Country:  []string{"BR", "unknown", "DE", "US", "FR", "JP"}[i],
			City:     []string{"São Paulo", "", "Köln", "New York", "Paris", "東京"}[i],
			Browser:  "Chrome", OS: []string{"Android", "iOS", "Linux", "Windows", "macOS", ""}[i],
			Device:  []string{"mobile", "tablet", "desktop", "bot", "tv", "unknown"}[i],
			Counted: i == 1,
		}
		wantA = append(wantA, c)
		other := c
		other.LinkID = b.ID
		if i%2 == 0 {
			batch1 = append(batch1, c, other)
		} else {
			batch2 = append(batch2, other, c)
		}
	}
	e.record(t, 100, batch1)
	e.record(t, 100, batch2)
	slices.SortFunc(wantA, func(x, y tiny.ClickEvent) int { return x.At.Compare(y.At) })

	check := func(from, to time.Time, want []tiny.ClickEvent) {
		t.Helper()
		got := e.clicks(t, a.ID, from, to)
		call := fmt.Sprintf("Clicks(%d, %s, %s)", a.ID, timeString(from), timeString(to))
		if len(got) != len(want) {
			t.Errorf("%s = %d events, want %d", call, len(got), len(want))
			return
		}
		for i := range got {
			if d := clickDiff(got[i], want[i]); d != "" {
				t.Errorf("%s event #%d: %s", call, i, d)
			}
			if got[i].At.Location() != time.UTC {
				t.Errorf("%s event #%d: At %v not in UTC", call, i, got[i].At)
			}
		}
	}
	check(time.Time{}, time.Time{}, wantA)
	// wantA's times, in order: +1m, +5m, +59m, +2h, +3h, +26h.
	check(t0.Add(time.Minute), t0.Add(2*time.Hour), wantA[0:3])                                           // [from, to)
	check(t0.Add(time.Minute+500*time.Microsecond), t0.Add(2*time.Hour+500*time.Microsecond), wantA[1:4]) // finer than stored
	check(t0.Add(time.Minute), t0.Add(time.Minute), nil)
	check(t0.Add(3*time.Hour), t0.Add(time.Hour), nil)
	check(time.Time{}, t0.Add(59*time.Minute), wantA[0:2])
	check(t0.Add(2*time.Hour), time.Time{}, wantA[3:])
	if got := e.clicks(t, 424242, time.Time{}, time.Time{}); len(got) != 0 {
		t.Errorf("Clicks(424242) = %d events, want none", len(got))
	}

	// Clicks stops at f's first error and returns it.
	errStop := errors.New("stop here")
	calls := 0
	err := e.s.Clicks(ctx, a.ID, time.Time{}, time.Time{}, func(tiny.ClickEvent) error {
		calls++
		if calls == 2 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) || calls != 2 {
		t.Errorf("Clicks(%d) with f failing on the 2nd event = %v after %d calls, want %v after 2", a.ID, err, calls, errStop)
	}
	// f may call the store.
	err = e.s.Clicks(ctx, a.ID, time.Time{}, time.Time{}, func(c tiny.ClickEvent) error {
		_, err := e.s.LinkByID(ctx, c.LinkID)
		return err
	})
	if err != nil {
		t.Errorf("Clicks(%d) with f calling LinkByID = %v, want nil", a.ID, err)
	}
}

func testDeleteClicksBefore(t *testing.T, e *env) {
	ctx := t.Context()
	a, b := e.create(t, nil), e.create(t, nil)
	day := func(month time.Month, d int) time.Time { return time.Date(2025, month, d, 12, 0, 0, 0, time.UTC) }
	cut := time.Date(2025, 2, 15, 0, 0, 0, 0, time.UTC)
	events := []tiny.ClickEvent{
		click(a.ID, day(1, 15), tiny.VisitorHuman, 1),
		click(b.ID, day(1, 31), tiny.VisitorPreview, 2),
		click(a.ID, day(2, 10), tiny.VisitorBot, 3),
		click(a.ID, day(2, 10), tiny.VisitorHuman, 4),
		click(b.ID, cut.Add(-time.Millisecond), tiny.VisitorHuman, 5),
		click(a.ID, cut, tiny.VisitorHuman, 6), // not older than the cut
		click(b.ID, day(2, 20), tiny.VisitorHuman, 7),
		click(a.ID, day(3, 5), tiny.VisitorHuman, 8),
		click(b.ID, day(3, 5), tiny.VisitorBot, 9),
	}
	e.record(t, len(events), events)
	// The last query spans whole days, which come from the daily
	// breakdowns: those are kept as well as the hourly ones.
	queries := []tiny.StatsQuery{{IncludeBots: true}, {LinkID: a.ID}, {LinkID: b.ID, IncludeBots: true},
		{From: day(1, 1), To: day(2, 20)}}
	before := make([]*tiny.ClickStats, len(queries))
	for i, q := range queries {
		e.checkStats(t, events, linkSet(a, b), q)
		before[i] = e.stats(t, q)
	}
	checkKept := func(when string) {
		t.Helper()
		for i, q := range queries {
			if got := e.stats(t, q); statsDiff(got, before[i]) != "" {
				t.Errorf("ClickStats(%s) %s = %s, want %s as before: the rollups are kept", queryString(q), when, statsString(got), statsString(before[i]))
			}
		}
	}
	remaining := func() []time.Time {
		var times []time.Time
		for _, l := range []*tiny.Link{a, b} {
			for _, c := range e.clicks(t, l.ID, time.Time{}, time.Time{}) {
				times = append(times, c.At)
			}
		}
		slices.SortFunc(times, time.Time.Compare)
		return times
	}

	n, err := e.s.DeleteClicksBefore(ctx, cut)
	if err != nil || n != 5 {
		t.Errorf("DeleteClicksBefore(%s) = %d, %v; want 5, nil", timeString(cut), n, err)
	}
	want := []time.Time{cut, day(2, 20), day(3, 5), day(3, 5)}
	if got := remaining(); !slices.EqualFunc(got, want, time.Time.Equal) {
		t.Errorf("Clicks after DeleteClicksBefore(%s) = %v, want %v", timeString(cut), got, want)
	}
	checkKept("after DeleteClicksBefore")
	if n, err := e.s.DeleteClicksBefore(ctx, cut); err != nil || n != 0 {
		t.Errorf("DeleteClicksBefore(%s) again = %d, %v; want 0, nil", timeString(cut), n, err)
	}

	// Late events of a month already cleared are recorded all the same.
	late := []tiny.ClickEvent{click(a.ID, day(1, 20), tiny.VisitorHuman, 10)}
	e.record(t, 1, late)
	events = append(events, late...)
	for i, q := range queries {
		before[i] = wantStats(events, linkSet(a, b), q)
	}
	checkKept("after a late event")
	if got := remaining(); len(got) != 5 || !got[0].Equal(day(1, 20)) {
		t.Errorf("Clicks after a late event = %v, want it first of 5", got)
	}

	far := time.Date(2100, 1, 1, 0, 0, 0, 0, time.UTC)
	if n, err := e.s.DeleteClicksBefore(ctx, far); err != nil || n != 5 {
		t.Errorf("DeleteClicksBefore(%s) = %d, %v; want 5, nil", timeString(far), n, err)
	}
	if got := remaining(); len(got) != 0 {
		t.Errorf("Clicks after DeleteClicksBefore(%s) = %v, want none", timeString(far), got)
	}
	checkKept("after deleting every event")

	// The store records clicks again after everything was deleted.
	again := []tiny.ClickEvent{click(a.ID, day(3, 6), tiny.VisitorHuman, 11), click(a.ID, time.Now(), tiny.VisitorHuman, 12)}
	e.record(t, 2, again)
	if got := remaining(); len(got) != 2 {
		t.Errorf("Clicks after recording 2 events = %v, want 2 events", got)
	}
}

func testRecordClicksConcurrent(t *testing.T, e *env) {
	var links []*tiny.Link
	var ids []int64
	for range 10 {
		l := e.create(t, nil)
		links = append(links, l)
		ids = append(ids, l.ID)
	}
	const workers, batches, size = 6, 8, 150
	all := make([][]tiny.ClickEvent, workers)
	for w := range workers {
		r := rand.New(rand.NewPCG(uint64(w), 7))
		for range batches {
			// Every batch has every link, over the same three hours: the
			// workers write the same rollup rows, in different orders.
			batch := genClicks(r, size, 3, ids...)
			r.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
			all[w] = append(all[w], batch...)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	start := make(chan struct{})
	for w := range workers {
		wg.Go(func() {
			<-start
			for batch := range slices.Chunk(all[w], size) {
				if err := e.s.RecordClicks(t.Context(), batch); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	for w, err := range errs {
		if err != nil {
			t.Errorf("worker %d: RecordClicks() = %v, want nil", w, err)
		}
	}
	events := slices.Concat(all...)
	known := linkSet(links...)
	e.checkStats(t, events, known, tiny.StatsQuery{IncludeBots: true})
	for _, l := range links {
		e.checkStats(t, events, known, tiny.StatsQuery{LinkID: l.ID, IncludeBots: true})
		var want int64
		for _, c := range events {
			if c.LinkID == l.ID && c.Kind == tiny.VisitorHuman && !c.Counted {
				want++
			}
		}
		e.checkLinkClicks(t, l.ID, want, "every human click of every worker not Counted")
	}
	if got := len(e.clicks(t, ids[0], time.Time{}, time.Time{})); got != countLink(events, ids[0]) {
		t.Errorf("Clicks(%d) = %d events, want %d", ids[0], got, countLink(events, ids[0]))
	}
}

func countLink(events []tiny.ClickEvent, id int64) int {
	n := 0
	for _, c := range events {
		if c.LinkID == id {
			n++
		}
	}
	return n
}

func testDeleteSetting(t *testing.T, e *env) {
	ctx := t.Context()
	if _, err := e.s.Setting(ctx, "kept", []byte("k")); err != nil {
		t.Fatalf("Setting(kept) = %v, want nil", err)
	}
	if _, err := e.s.Setting(ctx, "gone", []byte("first")); err != nil {
		t.Fatalf("Setting(gone) = %v, want nil", err)
	}
	if err := e.s.DeleteSetting(ctx, "gone"); err != nil {
		t.Fatalf("DeleteSetting(gone) = %v, want nil", err)
	}
	if v, err := e.s.Setting(ctx, "gone", []byte("second")); err != nil || string(v) != "second" {
		t.Errorf("Setting(gone, second) after DeleteSetting = %q, %v; want the new value, nil", v, err)
	}
	for _, name := range []string{"never-set", "gone-twice"} {
		if err := e.s.DeleteSetting(ctx, name); err != nil {
			t.Errorf("DeleteSetting(%q) of a missing setting = %v, want nil", name, err)
		}
	}
	if v, err := e.s.Setting(ctx, "kept", []byte("other")); err != nil || string(v) != "k" {
		t.Errorf("Setting(kept) after deleting another = %q, %v; want %q, nil", v, err, "k")
	}
}
