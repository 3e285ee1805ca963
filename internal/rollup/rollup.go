// Package rollup turns a batch of click events into the rows that a store
// adds to its click rollups, so that the sqlite and postgres stores count
// alike: which events are kept, what each rollup counts, and the order the
// rows are written in. It also holds the time arithmetic of
// tiny.StatsQuery.
//
// Every count is kept twice: once under the event's link, and once under
// Instance, the link id 0 that no link ever has, so that instance-wide
// statistics read a few rows instead of adding up every link's.
package rollup

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"

	"tiny/internal/tiny"
)

// Instance is the link id of the instance-wide rollup rows. Leased link
// ids start at 1, so no link has it.
const Instance int64 = 0

// The breakdown dimensions, as stored in the dim column of the breakdown
// rollup.
const (
	DimReferrer = "referrer"
	DimCountry  = "country"
	DimBrowser  = "browser"
	DimOS       = "os"
	DimDevice   = "device"
)

// Counts are the events of each kind.
type Counts struct {
	Humans, Bots, Previews int64
}

func (c *Counts) plus(d Counts) {
	c.Humans += d.Humans
	c.Bots += d.Bots
	c.Previews += d.Previews
}

// Hourly is a row of the hourly totals: the events on a link (or
// Instance) in the UTC hour that starts at Hour, in unix milliseconds.
type Hourly struct {
	LinkID int64
	Hour   int64
	Counts
}

// Dim is a row of the hourly breakdowns: the events on a link (or
// Instance) in an hour whose dimension Dim had the value Value.
type Dim struct {
	LinkID     int64
	Hour       int64
	Dim, Value string
	Counts
}

// DayDim is a row of the daily breakdowns: the hourly breakdowns of a link
// (or Instance) added up over the UTC day that starts at Day, in unix
// milliseconds. A year of statistics reads 365 days of these rather than
// 8,760 hours of Dim rows.
type DayDim struct {
	LinkID     int64
	Day        int64
	Dim, Value string
	Counts
}

// Visitor is a row of the visitor sets: a human visitor hash seen on a link
// (or Instance) on the UTC day that starts at Day, in unix milliseconds.
type Visitor struct {
	LinkID  int64
	Day     int64
	Visitor uint64
}

// Counter is what a batch adds to a link's click counter.
type Counter struct {
	LinkID int64
	Clicks int64
}

// Batch is a batch of events aggregated for writing. Each slice is sorted
// by its key, with the Instance rows last, so that concurrent writers lock
// rows in one order (and never deadlock), and take the instance rows, which
// every batch shares, as late as possible. Keys are unique within a slice.
type Batch struct {
	Events   []tiny.ClickEvent // the events kept, in their given order
	Hourly   []Hourly
	Dims     []Dim
	DayDims  []DayDim // Dims added up by UTC day
	Visitors []Visitor
	Counters []Counter // only links whose counter changes
}

// Aggregate returns the rows that events add. It keeps the events whose
// link known reports (events of unknown links are dropped) and whose Kind
// is one of tiny's visitor kinds (an event of any other kind would count
// nowhere, so it is dropped too). Every kind is added to the totals and the
// breakdowns; only humans to the visitor sets and, when not Counted
// already, to the link's counter.
//
// The breakdowns are gathered per (link, hour) in a short list rather than
// in one map of every row: a link has few values of each dimension in a
// batch, and when the clicks of a batch are spread over many links (a node
// below saturation) a map of every row, its growth and a sort of all the
// rows cost more than the store's writes of them.
func Aggregate(events []tiny.ClickEvent, known func(linkID int64) bool) *Batch {
	a := newAggregator()
	a.b.Events = make([]tiny.ClickEvent, 0, len(events))
	for _, e := range events {
		one, ok := countsOf(e.Kind)
		if !ok || e.LinkID == Instance || !known(e.LinkID) {
			continue
		}
		a.b.Events = append(a.b.Events, e)
		a.add(&e, one)
	}
	return a.finish()
}

// Rollups aggregates events that Keep kept, in several slices, into the
// rows they add, like Aggregate but without Events and Counters: for a
// store that wrote the events and their counters already.
func Rollups(events ...[]tiny.ClickEvent) *Batch {
	acc := NewAccumulator()
	for _, batch := range events {
		acc.Add(batch)
	}
	return acc.Batch()
}

// Accumulator is Rollups batch by batch: a store that writes each batch's
// events and counters at once, and their rollups later for many batches
// together, adds each batch as it is written, and keeps only the rows
// they add up to rather than the events.
type Accumulator struct {
	a      *aggregator
	events int
}

// NewAccumulator returns an empty Accumulator.
func NewAccumulator() *Accumulator { return &Accumulator{a: newAggregator()} }

// Add adds the rows of events that Keep kept. It keeps nothing of events
// but their strings.
func (acc *Accumulator) Add(events []tiny.ClickEvent) {
	for i := range events {
		if one, ok := countsOf(events[i].Kind); ok && events[i].LinkID != Instance {
			acc.a.add(&events[i], one)
		}
	}
	acc.events += len(events)
}

// Events is how many events were added.
func (acc *Accumulator) Events() int { return acc.events }

// Batch returns the rows of every event added, as Rollups of them all
// would. The Accumulator is used up.
func (acc *Accumulator) Batch() *Batch {
	b := acc.a.finish()
	b.Counters = nil
	acc.a = nil
	return b
}

// aggregator gathers a batch's rows event by event.
type aggregator struct {
	b        *Batch
	groups   []hourGroup
	index    map[hourKey]int
	visitors map[dayKey]struct{}
	counters map[int64]int64
}

type dayKey struct {
	link, day int64
	visitor   uint64
}

func newAggregator() *aggregator {
	return &aggregator{b: &Batch{}, index: make(map[hourKey]int), visitors: make(map[dayKey]struct{}), counters: make(map[int64]int64)}
}

func (a *aggregator) group(k hourKey) int {
	i, ok := a.index[k]
	if !ok {
		i = len(a.groups)
		a.index[k] = i
		a.groups = append(a.groups, hourGroup{key: k})
	}
	return i
}

func (a *aggregator) addVisitor(k dayKey) {
	if _, ok := a.visitors[k]; !ok {
		a.visitors[k] = struct{}{}
		a.b.Visitors = append(a.b.Visitors, Visitor{k.link, k.day, k.visitor})
	}
}

// add adds the rows of a link's event, which counts one.
func (a *aggregator) add(e *tiny.ClickEvent, one Counts) {
	g := &a.groups[a.group(hourKey{e.LinkID, HourOf(e.At).UnixMilli()})]
	g.counts.plus(one)
	g.dims.add(dimBrowser, e.Browser, one)
	g.dims.add(dimCountry, e.Country, one)
	g.dims.add(dimDevice, e.Device, one)
	g.dims.add(dimOS, e.OS, one)
	g.dims.add(dimReferrer, e.Referrer, one)
	if e.Kind == tiny.VisitorHuman {
		a.addVisitor(dayKey{e.LinkID, DayOf(e.At).UnixMilli(), e.Visitor})
		if !e.Counted {
			a.counters[e.LinkID]++
		}
	}
}

// finish adds the instance's rows and returns the batch, sorted.
func (a *aggregator) finish() *Batch {
	b, groups := a.b, a.groups
	// The rows of the links come from the events; the instance's from
	// the links' rows, which are fewer.
	for i, n := 0, len(groups); i < n; i++ {
		j := a.group(hourKey{Instance, groups[i].key.hour}) // may move groups
		groups = a.groups
		groups[j].counts.plus(groups[i].counts)
		for _, d := range groups[i].dims.entries {
			groups[j].dims.add(d.dim, d.value, d.Counts)
		}
	}
	for _, r := range b.Visitors[:len(b.Visitors):len(b.Visitors)] {
		a.addVisitor(dayKey{Instance, r.Day, r.Visitor})
	}

	// Sorted by link and hour, the groups give the hourly rows in order,
	// each group's breakdown the rows of its hour in order, and the groups
	// of one link and day follow each other: their sum is the day's row.
	slices.SortFunc(groups, func(x, y hourGroup) int {
		if c := linkOrder(x.key.link, y.key.link); c != 0 {
			return c
		}
		return cmp.Compare(x.key.hour, y.key.hour)
	})
	// The rows are made at their final size: grown by append, the
	// breakdowns of a roll-up of many links cost the click writer a tenth
	// of its CPU in copies with ten million links
	// (BenchmarkRecordClicksTenMillion).
	dims := 0
	for i := range groups {
		dims += len(groups[i].dims.entries)
	}
	b.Hourly = make([]Hourly, 0, len(groups))
	b.Dims = make([]Dim, 0, dims)
	b.DayDims = make([]DayDim, 0, dims) // at most one a breakdown row
	var day dimSet
	for i := range groups {
		g := &groups[i]
		b.Hourly = append(b.Hourly, Hourly{LinkID: g.key.link, Hour: g.key.hour, Counts: g.counts})
		g.dims.sort()
		for _, d := range g.dims.entries {
			b.Dims = append(b.Dims, Dim{LinkID: g.key.link, Hour: g.key.hour, Dim: dimNames[d.dim], Value: d.value, Counts: d.Counts})
		}
		link, today := g.key.link, DayOfMillis(g.key.hour)
		if i > 0 && groups[i-1].key.link == link && DayOfMillis(groups[i-1].key.hour) == today {
			for _, d := range g.dims.entries {
				day.add(d.dim, d.value, d.Counts)
			}
		} else {
			day = dimSet{entries: slices.Clone(g.dims.entries)}
			day.reindex()
		}
		if i+1 == len(groups) || groups[i+1].key.link != link || DayOfMillis(groups[i+1].key.hour) != today {
			day.sort()
			for _, d := range day.entries {
				b.DayDims = append(b.DayDims, DayDim{LinkID: link, Day: today, Dim: dimNames[d.dim], Value: d.value, Counts: d.Counts})
			}
		}
	}

	slices.SortFunc(b.Visitors, func(x, y Visitor) int {
		if c := linkOrder(x.LinkID, y.LinkID); c != 0 {
			return c
		}
		if x.Day != y.Day {
			return cmp.Compare(x.Day, y.Day)
		}
		// int64 order, the order of the stores' signed columns.
		return cmp.Compare(int64(x.Visitor), int64(y.Visitor))
	})
	b.Counters = sortedCounters(a.counters)
	return b
}

// countsOf is the count one event of kind adds; false for a kind that is
// none of tiny's.
func countsOf(kind tiny.VisitorKind) (Counts, bool) {
	switch kind {
	case tiny.VisitorHuman:
		return Counts{Humans: 1}, true
	case tiny.VisitorBot:
		return Counts{Bots: 1}, true
	case tiny.VisitorPreview:
		return Counts{Previews: 1}, true
	}
	return Counts{}, false
}

func sortedCounters(counters map[int64]int64) []Counter {
	out := make([]Counter, 0, len(counters))
	for id, n := range counters {
		out = append(out, Counter{id, n})
	}
	slices.SortFunc(out, func(x, y Counter) int { return cmp.Compare(x.LinkID, y.LinkID) })
	return out
}

// Keep returns the events Aggregate keeps and the Counters they add, and
// nothing else: for a store that writes the events and counters with each
// batch and aggregates the rest later, over many batches. When it keeps
// every event, the events it returns are events itself, not a copy: a
// batch is megabytes, and the click writer's fresh pages for a copy of
// each were a third of its page faults.
func Keep(events []tiny.ClickEvent, known func(linkID int64) bool) ([]tiny.ClickEvent, []Counter) {
	var kept []tiny.ClickEvent // nil while every event so far is kept
	counters := make(map[int64]int64)
	for i, e := range events {
		if _, ok := countsOf(e.Kind); !ok || e.LinkID == Instance || !known(e.LinkID) {
			if kept == nil {
				kept = append(make([]tiny.ClickEvent, 0, len(events)-1), events[:i]...)
			}
			continue
		}
		if kept != nil {
			kept = append(kept, e)
		}
		if e.Kind == tiny.VisitorHuman && !e.Counted {
			counters[e.LinkID]++
		}
	}
	if kept == nil {
		kept = events
	}
	return kept, sortedCounters(counters)
}

// hourKey is a link (or Instance) and the start of an hour.
type hourKey struct{ link, hour int64 }

// hourGroup gathers the events of a link (or Instance) in an hour.
type hourGroup struct {
	key    hourKey
	counts Counts
	dims   dimSet
}

// The indexes of the dimensions in dimNames, which lists them in the order
// of their names, the order of the rows.
const (
	dimBrowser uint8 = iota
	dimCountry
	dimDevice
	dimOS
	dimReferrer
)

var dimNames = [...]string{DimBrowser, DimCountry, DimDevice, DimOS, DimReferrer}

// dimSet adds up counts by dimension and value. Its entries are few for a
// link (a value or two of each dimension), so a linear scan finds them,
// and cheaper than a map; past dimSetScan entries (the instance's rows,
// which gather every link's values) a map indexes them.
type dimSet struct {
	entries []dimEntry
	index   map[dimValue]int
}

const dimSetScan = 32

type dimValue struct {
	dim   uint8
	value string
}

type dimEntry struct {
	dim   uint8
	value string
	Counts
}

func (s *dimSet) add(dim uint8, value string, c Counts) {
	if s.index != nil {
		if i, ok := s.index[dimValue{dim, value}]; ok {
			s.entries[i].Counts.plus(c)
			return
		}
		s.index[dimValue{dim, value}] = len(s.entries)
		s.entries = append(s.entries, dimEntry{dim, value, c})
		return
	}
	for i := range s.entries {
		if e := &s.entries[i]; e.dim == dim && e.value == value {
			e.Counts.plus(c)
			return
		}
	}
	s.entries = append(s.entries, dimEntry{dim, value, c})
	s.reindex()
}

// reindex makes the index once the entries are too many to scan.
func (s *dimSet) reindex() {
	if s.index != nil || len(s.entries) <= dimSetScan {
		return
	}
	s.index = make(map[dimValue]int, 2*len(s.entries))
	for i, e := range s.entries {
		s.index[dimValue{e.dim, e.value}] = i
	}
}

// sort orders the entries by dimension and value; the index, if any, is
// stale after it.
func (s *dimSet) sort() {
	slices.SortFunc(s.entries, func(x, y dimEntry) int {
		if x.dim != y.dim {
			return cmp.Compare(x.dim, y.dim)
		}
		return strings.Compare(x.value, y.value)
	})
	s.index = nil
}

// linkOrder orders link ids ascending, with Instance after every link.
func linkOrder(a, b int64) int {
	switch {
	case a == b:
		return 0
	case a == Instance:
		return 1
	case b == Instance:
		return -1
	}
	return cmp.Compare(a, b)
}

// dimOrder orders the rows of a breakdown rollup by link (Instance last),
// time, dimension and value.
func dimOrder(xLink, xTime int64, xDim, xValue string, yLink, yTime int64, yDim, yValue string) int {
	if c := linkOrder(xLink, yLink); c != 0 {
		return c
	}
	if xTime != yTime {
		return cmp.Compare(xTime, yTime)
	}
	if xDim != yDim {
		return strings.Compare(xDim, yDim)
	}
	return strings.Compare(xValue, yValue)
}

// FirstInstance returns the index of the first row of rows whose link is
// Instance (len(rows) when there is none): rows[:i] are the rows of links,
// rows[i:] the instance-wide ones.
func FirstInstance[T any](rows []T, link func(T) int64) int {
	i, _ := slices.BinarySearchFunc(rows, true, func(r T, _ bool) int {
		if link(r) == Instance {
			return 1
		}
		return -1
	})
	return i
}

// HourOf returns the start of t's UTC hour.
func HourOf(t time.Time) time.Time { return t.UTC().Truncate(time.Hour) }

// DayOf returns the start of t's UTC day. time.Truncate counts from the
// zero time, a UTC midnight, so a multiple of 24h is a UTC midnight.
func DayOf(t time.Time) time.Time { return t.UTC().Truncate(24 * time.Hour) }

// DayOfMillis returns the start of the UTC day of the unix millisecond ms.
func DayOfMillis(ms int64) int64 {
	const day = 24 * 60 * 60 * 1000
	return ms - ((ms%day)+day)%day
}

// MonthOf returns the start of t's UTC month.
func MonthOf(t time.Time) time.Time {
	y, m, _ := t.UTC().Date()
	return time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
}

// The bounds a zero From or To of a StatsQuery stands for.
var (
	minTime = time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	maxTime = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
)

// Range is what a StatsQuery selects, at the resolution of the rollups.
type Range struct {
	// From and To bound the hours, [From, To): q's bounds rounded down to
	// the hour. A zero q.From means no lower bound, a zero q.To no upper
	// bound.
	From, To time.Time
	// FirstDay and EndDay bound the UTC days that [From, To) touches,
	// [FirstDay, EndDay), for the visitor counts.
	FirstDay, EndDay time.Time
	// DaysFrom and DaysTo bound the whole UTC days within [From, To),
	// [DaysFrom, DaysTo): the breakdowns read those from the daily rollup
	// and only the hours [From, DaysFrom) and [DaysTo, To) from the hourly
	// one. Both are To when no whole day fits.
	DaysFrom, DaysTo time.Time
}

// RangeOf returns the range q selects, and false when it is empty.
func RangeOf(q tiny.StatsQuery) (Range, bool) {
	r := Range{From: minTime, To: maxTime}
	if !q.From.IsZero() {
		r.From = HourOf(q.From)
	}
	if !q.To.IsZero() {
		r.To = HourOf(q.To)
	}
	if !r.From.Before(r.To) {
		return r, false
	}
	r.FirstDay = DayOf(r.From)
	r.EndDay = DayOf(r.To)
	if r.EndDay.Before(r.To) {
		r.EndDay = r.EndDay.Add(24 * time.Hour)
	}
	r.DaysFrom, r.DaysTo = r.FirstDay, DayOf(r.To)
	if r.DaysFrom.Before(r.From) {
		r.DaysFrom = r.DaysFrom.Add(24 * time.Hour)
	}
	if !r.DaysFrom.Before(r.DaysTo) {
		r.DaysFrom, r.DaysTo = r.To, r.To
	}
	return r, true
}

// Stats accumulates the rows a store reads into a tiny.ClickStats.
type Stats struct {
	q     tiny.StatsQuery
	st    tiny.ClickStats
	hours hourIndex // of st.Hours
	kinds hourIndex // of st.Kinds
}

// NewStats returns an empty accumulator for q.
func NewStats(q tiny.StatsQuery) *Stats {
	s := &Stats{q: q}
	// The series have at most an entry per hour of the range: room for
	// them all (up to a year and a day) saves growing them, and copying
	// thousands of entries, as rows come.
	if r, ok := RangeOf(q); ok && !q.From.IsZero() && !q.To.IsZero() {
		n := int(min(r.To.Sub(r.From)/time.Hour, 366*24))
		s.st.Hours = make([]tiny.HourCount, 0, n)
		s.st.Kinds = make([]tiny.HourKinds, 0, n)
	}
	return s
}

// AddHourly adds an hourly total. Rows may come in any order, and several
// for the same hour; in hour order, as the stores read them from the
// rollup's key, they cost no lookup (a year by hour is 8,760 rows).
func (s *Stats) AddHourly(hour time.Time, c Counts) {
	s.st.Clicks += c.Humans
	s.st.BotClicks += c.Bots
	s.st.Previews += c.Previews
	ms := hour.UnixMilli()
	if c != (Counts{}) {
		i, ok := s.kinds.find(ms, func(i int) int64 { return s.st.Kinds[i].Hour.UnixMilli() })
		if !ok {
			s.st.Kinds = append(s.st.Kinds, tiny.HourKinds{Hour: hour.UTC()})
		}
		k := &s.st.Kinds[i]
		k.Humans, k.Bots, k.Previews = k.Humans+c.Humans, k.Bots+c.Bots, k.Previews+c.Previews
	}
	n := c.Humans
	if s.q.IncludeBots {
		n += c.Bots
	}
	if n == 0 {
		return
	}
	i, ok := s.hours.find(ms, func(i int) int64 { return s.st.Hours[i].Hour.UnixMilli() })
	if !ok {
		s.st.Hours = append(s.st.Hours, tiny.HourCount{Hour: hour.UTC()})
	}
	s.st.Hours[i].Clicks += n
}

// hourIndex finds the entry of an hour in a series. While the hours come
// in order it only compares with the last one; the first that does not
// builds a map of them all, used from then on.
type hourIndex struct {
	n      int   // the entries
	last   int64 // the hour of the last entry, in unix milliseconds
	byHour map[int64]int
}

// find returns the index of the entry of the hour ms, and false when there
// is none: the caller then appends it, at the index returned. hourAt
// returns the hour of the i-th entry.
func (x *hourIndex) find(ms int64, hourAt func(i int) int64) (int, bool) {
	if x.byHour == nil {
		switch {
		case x.n > 0 && ms == x.last:
			return x.n - 1, true
		case x.n == 0 || ms > x.last:
			x.n, x.last = x.n+1, ms
			return x.n - 1, false
		}
		x.byHour = make(map[int64]int, x.n+1)
		for i := range x.n {
			x.byHour[hourAt(i)] = i
		}
	}
	if i, ok := x.byHour[ms]; ok {
		return i, true
	}
	x.byHour[ms] = x.n
	x.n++
	return x.n - 1, false
}

// sorted reports whether the entries are in hour order.
func (x *hourIndex) sorted() bool { return x.byHour == nil }

// AddCount appends an entry to the breakdown of dim. Entries must come
// largest first.
func (s *Stats) AddCount(dim, value string, clicks int64) {
	c := tiny.Count{Value: value, Clicks: clicks}
	switch dim {
	case DimReferrer:
		s.st.Referrers = append(s.st.Referrers, c)
	case DimCountry:
		s.st.Countries = append(s.st.Countries, c)
	case DimBrowser:
		s.st.Browsers = append(s.st.Browsers, c)
	case DimOS:
		s.st.OS = append(s.st.OS, c)
	case DimDevice:
		s.st.Devices = append(s.st.Devices, c)
	}
}

// SetUniqueVisitors sets the count of unique visitors.
func (s *Stats) SetUniqueVisitors(n int64) { s.st.UniqueVisitors = n }

// Result returns the statistics, with the series in hour order.
func (s *Stats) Result() *tiny.ClickStats {
	st := s.st
	if !s.hours.sorted() {
		slices.SortFunc(st.Hours, func(a, b tiny.HourCount) int { return a.Hour.Compare(b.Hour) })
	}
	if !s.kinds.sorted() {
		slices.SortFunc(st.Kinds, func(a, b tiny.HourKinds) int { return a.Hour.Compare(b.Hour) })
	}
	return &st
}

// Top returns how many entries each breakdown of q keeps: q.Top, or all of
// them (math.MaxInt64) when q.Top <= 0.
func Top(q tiny.StatsQuery) int64 {
	if q.Top <= 0 {
		return math.MaxInt64
	}
	return int64(q.Top)
}
