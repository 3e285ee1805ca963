package rollup

import (
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"tiny/internal/tiny"
)

func event(link int64, at time.Time, kind tiny.VisitorKind, visitor uint64, referrer string) tiny.ClickEvent {
	return tiny.ClickEvent{LinkID: link, At: at, Kind: kind, Visitor: visitor, Referrer: referrer,
		Country: "DE", Browser: "Firefox", OS: "Linux", Device: "desktop"}
}

func TestAggregate(t *testing.T) {
	h := time.Date(2025, 3, 9, 23, 0, 0, 0, time.UTC)
	zone := time.FixedZone("UTC-3", -3*3600)
	counted := event(1, h.Add(time.Minute), tiny.VisitorHuman, 7, "a")
	counted.Counted = true
	events := []tiny.ClickEvent{
		event(2, h.Add(90*time.Minute).In(zone), tiny.VisitorHuman, 5, "b"), // the next day, in UTC
		event(1, h.Add(5*time.Minute), tiny.VisitorHuman, 7, "a"),
		counted,
		event(1, h.Add(6*time.Minute), tiny.VisitorBot, 8, "a"),
		event(1, h.Add(7*time.Minute), tiny.VisitorPreview, 9, "b"),
		event(1, h, "", 1, "a"),                // no kind: dropped
		event(1, h, "robot", 1, "a"),           // unknown kind: dropped
		event(3, h, tiny.VisitorHuman, 1, "a"), // unknown link: dropped
		event(0, h, tiny.VisitorHuman, 1, "a"), // the instance is no link
	}
	b := Aggregate(events, func(id int64) bool { return id == 1 || id == 2 })
	kept, counters := Keep(events, func(id int64) bool { return id == 1 || id == 2 })
	if !slices.Equal(kept, b.Events) || !slices.Equal(counters, b.Counters) {
		t.Errorf("Keep = %v, %v; want Aggregate's events and counters %v, %v", kept, counters, b.Events, b.Counters)
	}
	// Rolled up later, in two parts, the kept events give the same rows.
	later := Rollups(kept[:2], kept[2:])
	if later.Events != nil || later.Counters != nil || !reflect.DeepEqual([]any{later.Hourly, later.Dims, later.DayDims, later.Visitors}, []any{b.Hourly, b.Dims, b.DayDims, b.Visitors}) {
		t.Errorf("Rollups of the kept events = %+v, want Aggregate's rows without events and counters %+v", later, b)
	}

	if len(b.Events) != 5 {
		t.Errorf("Aggregate kept %d events, want 5", len(b.Events))
	}
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	h1 := h.Add(time.Hour)
	wantHourly := []Hourly{
		{1, ms(h), Counts{2, 1, 1}},
		{2, ms(h1), Counts{1, 0, 0}},
		{Instance, ms(h), Counts{2, 1, 1}},
		{Instance, ms(h1), Counts{1, 0, 0}},
	}
	if !slices.Equal(b.Hourly, wantHourly) {
		t.Errorf("Aggregate().Hourly = %v, want %v", b.Hourly, wantHourly)
	}
	var referrers []Dim
	for _, d := range b.Dims {
		if d.Dim == DimReferrer {
			referrers = append(referrers, d)
		}
	}
	wantReferrers := []Dim{
		{1, ms(h), DimReferrer, "a", Counts{2, 1, 0}},
		{1, ms(h), DimReferrer, "b", Counts{0, 0, 1}},
		{2, ms(h1), DimReferrer, "b", Counts{1, 0, 0}},
		{Instance, ms(h), DimReferrer, "a", Counts{2, 1, 0}},
		{Instance, ms(h), DimReferrer, "b", Counts{0, 0, 1}},
		{Instance, ms(h1), DimReferrer, "b", Counts{1, 0, 0}},
	}
	if !slices.Equal(referrers, wantReferrers) {
		t.Errorf("Aggregate().Dims of referrers = %v, want %v", referrers, wantReferrers)
	}
	if len(b.Dims) != 2*(5+1+5) {
		t.Errorf("Aggregate() = %d dimension rows, want 22 (5 dimensions of 2 link-hours, one with 2 referrers, twice)", len(b.Dims))
	}
	day1, day2 := ms(h.Truncate(24*time.Hour)), ms(h1)
	wantVisitors := []Visitor{{1, day1, 7}, {2, day2, 5}, {Instance, day1, 7}, {Instance, day2, 5}}
	if !slices.Equal(b.Visitors, wantVisitors) {
		t.Errorf("Aggregate().Visitors = %v, want %v", b.Visitors, wantVisitors)
	}
	wantCounters := []Counter{{1, 1}, {2, 1}}
	if !slices.Equal(b.Counters, wantCounters) {
		t.Errorf("Aggregate().Counters = %v, want %v (human clicks not Counted)", b.Counters, wantCounters)
	}
	if i := FirstInstance(b.Hourly, func(r Hourly) int64 { return r.LinkID }); i != 2 {
		t.Errorf("FirstInstance(Hourly) = %d, want 2", i)
	}
	if i := FirstInstance(b.Counters, func(r Counter) int64 { return r.LinkID }); i != 2 {
		t.Errorf("FirstInstance(Counters) = %d, want 2 (none)", i)
	}
}

func TestAggregateDayDims(t *testing.T) {
	day := time.Date(2025, 3, 9, 0, 0, 0, 0, time.UTC)
	at := func(hour int) time.Time { return day.Add(time.Duration(hour) * time.Hour) }
	events := []tiny.ClickEvent{
		event(1, at(10), tiny.VisitorHuman, 1, "a"),
		event(1, at(11), tiny.VisitorHuman, 2, "a"), // another hour of the same day
		event(1, at(11), tiny.VisitorBot, 3, "b"),
		event(1, at(23), tiny.VisitorPreview, 4, "a"),
		event(1, at(24), tiny.VisitorHuman, 5, "a"), // the next day
		event(2, at(-1), tiny.VisitorHuman, 6, "a"), // the day before
	}
	b := Aggregate(events, func(int64) bool { return true })
	var got []DayDim
	for _, d := range b.DayDims {
		if d.Dim == DimReferrer {
			got = append(got, d)
		}
	}
	ms := func(t time.Time) int64 { return t.UnixMilli() }
	want := []DayDim{
		{1, ms(day), DimReferrer, "a", Counts{2, 0, 1}},
		{1, ms(day), DimReferrer, "b", Counts{0, 1, 0}},
		{1, ms(at(24)), DimReferrer, "a", Counts{1, 0, 0}},
		{2, ms(at(-24)), DimReferrer, "a", Counts{1, 0, 0}},
		{Instance, ms(at(-24)), DimReferrer, "a", Counts{1, 0, 0}},
		{Instance, ms(day), DimReferrer, "a", Counts{2, 0, 1}},
		{Instance, ms(day), DimReferrer, "b", Counts{0, 1, 0}},
		{Instance, ms(at(24)), DimReferrer, "a", Counts{1, 0, 0}},
	}
	if !slices.Equal(got, want) {
		t.Errorf("Aggregate().DayDims of referrers = %v, want %v", got, want)
	}
	// Every dimension adds up: the days hold what their hours hold.
	var hours, days Counts
	for _, d := range b.Dims {
		hours.plus(d.Counts)
	}
	for _, d := range b.DayDims {
		days.plus(d.Counts)
	}
	if hours != days || hours != (Counts{40, 10, 10}) {
		t.Errorf("Aggregate() adds up to %v in DayDims and %v in Dims, want both {40 10 10}", days, hours)
	}
	if i := FirstInstance(b.DayDims, func(r DayDim) int64 { return r.LinkID }); b.DayDims[i].LinkID != Instance || b.DayDims[i-1].LinkID == Instance {
		t.Errorf("FirstInstance(DayDims) = %d, not the first instance row", i)
	}
}

// TestAggregateManyValues checks the breakdowns against a plain count of
// the events when a link-hour, and the instance, have more values than a
// scan handles (the map-indexed path), over hours that cross a day.
func TestAggregateManyValues(t *testing.T) {
	start := time.Date(2025, 3, 9, 21, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(1, 2))
	kinds := []tiny.VisitorKind{tiny.VisitorHuman, tiny.VisitorBot, tiny.VisitorPreview}
	var events []tiny.ClickEvent
	for i := range 5000 {
		e := event(int64(1+rng.IntN(3)), start.Add(time.Duration(rng.IntN(5*3600))*time.Second), kinds[rng.IntN(3)],
			uint64(rng.IntN(50)), string(rune('a'+rng.IntN(26)))+string(rune('a'+rng.IntN(4))))
		e.Country = []string{"DE", "FR", "US"}[i%3]
		events = append(events, e)
	}
	b := Aggregate(events, func(int64) bool { return true })

	type key struct {
		link, at   int64
		dim, value string
	}
	wantHours, wantDays := map[key]Counts{}, map[key]Counts{}
	for _, e := range events {
		var one Counts
		switch e.Kind {
		case tiny.VisitorHuman:
			one.Humans = 1
		case tiny.VisitorBot:
			one.Bots = 1
		default:
			one.Previews = 1
		}
		for _, link := range []int64{e.LinkID, Instance} {
			for dim, value := range map[string]string{DimReferrer: e.Referrer, DimCountry: e.Country, DimBrowser: e.Browser, DimOS: e.OS, DimDevice: e.Device} {
				h, d := wantHours[key{link, HourOf(e.At).UnixMilli(), dim, value}], wantDays[key{link, DayOf(e.At).UnixMilli(), dim, value}]
				h.plus(one)
				d.plus(one)
				wantHours[key{link, HourOf(e.At).UnixMilli(), dim, value}], wantDays[key{link, DayOf(e.At).UnixMilli(), dim, value}] = h, d
			}
		}
	}
	if len(b.Dims) != len(wantHours) || len(b.DayDims) != len(wantDays) {
		t.Fatalf("Aggregate() = %d hourly and %d daily breakdown rows, want %d and %d", len(b.Dims), len(b.DayDims), len(wantHours), len(wantDays))
	}
	for _, d := range b.Dims {
		if w := wantHours[key{d.LinkID, d.Hour, d.Dim, d.Value}]; d.Counts != w {
			t.Errorf("Dims row %v, want counts %v", d, w)
		}
	}
	for _, d := range b.DayDims {
		if w := wantDays[key{d.LinkID, d.Day, d.Dim, d.Value}]; d.Counts != w {
			t.Errorf("DayDims row %v, want counts %v", d, w)
		}
	}
	if !slices.IsSortedFunc(b.Dims, func(x, y Dim) int {
		return dimOrder(x.LinkID, x.Hour, x.Dim, x.Value, y.LinkID, y.Hour, y.Dim, y.Value)
	}) {
		t.Error("Aggregate().Dims are not in (link, hour, dimension, value) order, instance last")
	}
	if !slices.IsSortedFunc(b.DayDims, func(x, y DayDim) int {
		return dimOrder(x.LinkID, x.Day, x.Dim, x.Value, y.LinkID, y.Day, y.Dim, y.Value)
	}) {
		t.Error("Aggregate().DayDims are not in (link, day, dimension, value) order, instance last")
	}
}

func TestAggregateVisitorOrder(t *testing.T) {
	// Visitors sort as the signed integers the stores keep.
	h := time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC)
	b := Aggregate([]tiny.ClickEvent{
		event(1, h, tiny.VisitorHuman, 1, "a"),
		event(1, h, tiny.VisitorHuman, 1<<63, "a"),
		event(1, h, tiny.VisitorHuman, 0, "a"),
	}, func(int64) bool { return true })
	var got []uint64
	for _, v := range b.Visitors[:3] {
		got = append(got, v.Visitor)
	}
	if want := []uint64{1 << 63, 0, 1}; !slices.Equal(got, want) {
		t.Errorf("Aggregate().Visitors of link 1 = %v, want %v", got, want)
	}
}

func TestRangeOf(t *testing.T) {
	d := func(day, hour, minute int) time.Time { return time.Date(2025, 3, day, hour, minute, 0, 0, time.UTC) }
	ist := time.FixedZone("IST", 5*3600+1800)
	tests := []struct {
		from, to         time.Time
		ok               bool
		wantFrom         time.Time
		wantTo           time.Time
		first, endDay    time.Time
		daysFrom, daysTo time.Time // the whole days
	}{
		{d(9, 10, 30), d(9, 12, 59), true, d(9, 10, 0), d(9, 12, 0), d(9, 0, 0), d(10, 0, 0), d(9, 12, 0), d(9, 12, 0)},
		{d(9, 10, 0), d(10, 0, 0), true, d(9, 10, 0), d(10, 0, 0), d(9, 0, 0), d(10, 0, 0), d(10, 0, 0), d(10, 0, 0)},
		{d(9, 23, 0), d(10, 0, 1), true, d(9, 23, 0), d(10, 0, 0), d(9, 0, 0), d(10, 0, 0), d(10, 0, 0), d(10, 0, 0)},
		{d(9, 23, 0), d(10, 1, 0), true, d(9, 23, 0), d(10, 1, 0), d(9, 0, 0), d(11, 0, 0), d(10, 1, 0), d(10, 1, 0)},
		{d(9, 10, 0).In(ist), d(9, 11, 0).In(ist), true, d(9, 10, 0), d(9, 11, 0), d(9, 0, 0), d(10, 0, 0), d(9, 11, 0), d(9, 11, 0)},
		{d(9, 0, 0), d(10, 0, 0), true, d(9, 0, 0), d(10, 0, 0), d(9, 0, 0), d(10, 0, 0), d(9, 0, 0), d(10, 0, 0)},
		{d(9, 5, 0), d(12, 7, 30), true, d(9, 5, 0), d(12, 7, 0), d(9, 0, 0), d(13, 0, 0), d(10, 0, 0), d(12, 0, 0)},
		{d(9, 0, 30), d(11, 0, 0), true, d(9, 0, 0), d(11, 0, 0), d(9, 0, 0), d(11, 0, 0), d(9, 0, 0), d(11, 0, 0)},
		{d(9, 10, 0), d(9, 10, 59), false, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}},
		{d(9, 11, 0), d(9, 10, 0), false, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}, time.Time{}},
		{time.Time{}, time.Time{}, true, minTime, maxTime, minTime, maxTime, minTime, maxTime},
		{time.Time{}, d(12, 7, 0), true, minTime, d(12, 7, 0), minTime, d(13, 0, 0), minTime, d(12, 0, 0)},
		{d(9, 5, 0), time.Time{}, true, d(9, 5, 0), maxTime, d(9, 0, 0), maxTime, d(10, 0, 0), maxTime},
	}
	for _, tt := range tests {
		r, ok := RangeOf(tiny.StatsQuery{From: tt.from, To: tt.to})
		if ok != tt.ok {
			t.Errorf("RangeOf(%v, %v) ok = %t, want %t", tt.from, tt.to, ok, tt.ok)
			continue
		}
		if !ok {
			continue
		}
		if !r.From.Equal(tt.wantFrom) || !r.To.Equal(tt.wantTo) || !r.FirstDay.Equal(tt.first) || !r.EndDay.Equal(tt.endDay) ||
			!r.DaysFrom.Equal(tt.daysFrom) || !r.DaysTo.Equal(tt.daysTo) {
			t.Errorf("RangeOf(%v, %v) = %+v, want hours [%v, %v) days touched [%v, %v) whole days [%v, %v)",
				tt.from, tt.to, r, tt.wantFrom, tt.wantTo, tt.first, tt.endDay, tt.daysFrom, tt.daysTo)
		}
	}
}

func TestStats(t *testing.T) {
	h := time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC)
	for _, bots := range []bool{false, true} {
		s := NewStats(tiny.StatsQuery{IncludeBots: bots})
		s.AddHourly(h.Add(time.Hour), Counts{1, 2, 3})
		s.AddHourly(h, Counts{0, 4, 0}) // bots only
		s.AddHourly(h.Add(2*time.Hour), Counts{0, 0, 5})
		s.AddHourly(h.Add(time.Hour), Counts{1, 0, 0}) // the same hour again
		st := s.Result()
		if st.Clicks != 2 || st.BotClicks != 6 || st.Previews != 8 {
			t.Errorf("IncludeBots %t: totals %d, %d, %d; want 2, 6, 8", bots, st.Clicks, st.BotClicks, st.Previews)
		}
		want := []tiny.HourCount{{Hour: h.Add(time.Hour), Clicks: 2}}
		if bots {
			want = []tiny.HourCount{{Hour: h, Clicks: 4}, {Hour: h.Add(time.Hour), Clicks: 4}}
		}
		if !slices.Equal(st.Hours, want) {
			t.Errorf("IncludeBots %t: Hours = %v, want %v", bots, st.Hours, want)
		}
		wantKinds := []tiny.HourKinds{{Hour: h, Bots: 4}, {Hour: h.Add(time.Hour), Humans: 2, Bots: 2, Previews: 3}, {Hour: h.Add(2 * time.Hour), Previews: 5}}
		if !slices.Equal(st.Kinds, wantKinds) {
			t.Errorf("IncludeBots %t: Kinds = %v, want %v", bots, st.Kinds, wantKinds)
		}
	}
}

// TestStatsAnyOrder adds the same rows in hour order, the stores' order,
// which needs no lookup, and shuffled (in order at first, so that the
// lookup begins half-way): the statistics are the same, and right.
func TestStatsAnyOrder(t *testing.T) {
	h := time.Date(2025, 3, 9, 12, 0, 0, 0, time.UTC)
	r := rand.New(rand.NewPCG(5, 6))
	type row struct {
		hour time.Time
		c    Counts
	}
	var rows []row
	for i := range 300 {
		rows = append(rows, row{h.Add(time.Duration(r.IntN(60)) * time.Hour), Counts{int64(i % 3), int64(i % 2), int64(i % 5)}})
	}
	sorted := slices.Clone(rows)
	slices.SortStableFunc(sorted, func(a, b row) int { return a.hour.Compare(b.hour) })
	shuffled := slices.Clone(sorted)
	r.Shuffle(len(shuffled)-100, func(i, j int) { shuffled[100+i], shuffled[100+j] = shuffled[100+j], shuffled[100+i] })
	want := make(map[time.Time]Counts)
	for _, x := range rows {
		c := want[x.hour]
		c.plus(x.c)
		want[x.hour] = c
	}
	for _, order := range [][]row{sorted, shuffled} {
		s := NewStats(tiny.StatsQuery{IncludeBots: true})
		for _, x := range order {
			s.AddHourly(x.hour, x.c)
		}
		st := s.Result()
		if len(st.Kinds) != len(want) || !slices.IsSortedFunc(st.Kinds, func(a, b tiny.HourKinds) int { return a.Hour.Compare(b.Hour) }) {
			t.Fatalf("Kinds = %d entries, sorted %t; want %d in hour order", len(st.Kinds), slices.IsSortedFunc(st.Kinds, func(a, b tiny.HourKinds) int { return a.Hour.Compare(b.Hour) }), len(want))
		}
		hours := make(map[time.Time]int64)
		for _, x := range st.Hours {
			hours[x.Hour] = x.Clicks
		}
		if len(hours) != len(st.Hours) || !slices.IsSortedFunc(st.Hours, func(a, b tiny.HourCount) int { return a.Hour.Compare(b.Hour) }) {
			t.Errorf("Hours = %v, want each hour once, in order", st.Hours)
		}
		for _, k := range st.Kinds {
			w := want[k.Hour]
			if (Counts{k.Humans, k.Bots, k.Previews}) != w || hours[k.Hour] != w.Humans+w.Bots {
				t.Errorf("hour %v: Kinds %v and Hours %d, want %v", k.Hour, k, hours[k.Hour], w)
			}
		}
	}
}

// BenchmarkAggregateFewPerLink aggregates a batch whose 2,000 clicks are
// spread over 1,000 links, the shape of a node paced below saturation
// (BenchmarkAggregate has 10 clicks a link).
func BenchmarkAggregateFewPerLink(b *testing.B) {
	h := time.Now().Truncate(time.Hour)
	events := make([]tiny.ClickEvent, 2000)
	referrers := []string{"direct", "t.co", "a.example", "b.example", "c.example"}
	browsers := []string{"Chrome", "Firefox", "Safari"}
	for i := range events {
		kind := tiny.VisitorHuman
		if i%7 == 0 {
			kind = tiny.VisitorBot
		}
		events[i] = event(int64(1+i*7%1000), h.Add(time.Duration(i)*time.Millisecond), kind, uint64(i*7919), referrers[i%5])
		events[i].Browser = browsers[i%3]
	}
	b.ReportAllocs()
	for b.Loop() {
		Aggregate(events, func(int64) bool { return true })
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(len(events))/1000, "µs/event")
}

func BenchmarkAggregate(b *testing.B) {
	h := time.Now().Truncate(time.Hour)
	events := make([]tiny.ClickEvent, 1000)
	referrers := []string{"direct", "t.co", "a.example", "b.example", "c.example"}
	for i := range events {
		kind := tiny.VisitorHuman
		if i%7 == 0 {
			kind = tiny.VisitorBot
		}
		events[i] = event(int64(1+i%100), h.Add(time.Duration(i)*time.Millisecond), kind, uint64(i*7919%3000), referrers[i%5])
	}
	b.ReportAllocs()
	for b.Loop() {
		Aggregate(events, func(int64) bool { return true })
	}
}
