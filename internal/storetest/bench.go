package storetest

import (
	"fmt"
	"math/rand/v2"
	"time"

	"tiny/internal/tiny"
)

// ClickBatches returns batches of size click events on the links linkIDs,
// shaped like real traffic, for the stores' benchmarks: link popularity
// and every dimension follow Zipf-like distributions (50 referrers, 20
// countries, 12 browsers, 8 systems, 5 devices, 200 cities), 80% of the
// events are people, 15% bots and 5% link previews, a pool of 20,000
// visitors comes back, and 10% of the human clicks are Counted already.
// Batch i covers the second start+i, at size events per second.
func ClickBatches(seed uint64, linkIDs []int64, batches, size int, start time.Time) [][]tiny.ClickEvent {
	r := rand.New(rand.NewPCG(seed, seed^0x5eed))
	zipf := func(n int) func() int {
		z := rand.NewZipf(r, 1.2, 1, uint64(n-1))
		return func() int { return int(z.Uint64()) }
	}
	names := func(prefix string, n int) []string {
		s := make([]string, n)
		for i := range s {
			s[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		return s
	}
	referrers := []string{"direct"}
	for i := 1; i < 50; i++ {
		referrers = append(referrers, fmt.Sprintf("www.site-%d.example", i))
	}
	countries := []string{"US", "DE", "GB", "FR", "IN", "BR", "JP", "CA", "unknown", "NL",
		"ES", "IT", "PL", "SE", "AU", "MX", "KR", "TR", "ID", "CH"}
	cities := names("City ", 200)
	browsers := []string{"Chrome", "Safari", "Firefox", "Edge", "Samsung Internet", "Opera",
		"unknown", "Brave", "Vivaldi", "Yandex", "UC Browser", "Chromium"}
	systems := []string{"Android", "iOS", "Windows", "macOS", "Linux", "ChromeOS", "unknown", "FreeBSD"}
	devices := []string{"mobile", "desktop", "tablet", "unknown", "tv"}
	link, ref, country, city := zipf(len(linkIDs)), zipf(len(referrers)), zipf(len(countries)), zipf(len(cities))
	browser, system, device := zipf(len(browsers)), zipf(len(systems)), zipf(len(devices))

	out := make([][]tiny.ClickEvent, batches)
	for i := range out {
		second := start.Add(time.Duration(i) * time.Second)
		batch := make([]tiny.ClickEvent, size)
		for j := range batch {
			e := tiny.ClickEvent{
				LinkID:   linkIDs[link()],
				At:       second.Add(time.Duration(j) * time.Second / time.Duration(size)),
				Kind:     tiny.VisitorHuman,
				Visitor:  r.Uint64N(20_000) * 0x9e3779b97f4a7c15,
				Referrer: referrers[ref()],
				Country:  countries[country()],
				Browser:  browsers[browser()],
				OS:       systems[system()],
				Device:   devices[device()],
			}
			if e.Country != "unknown" {
				e.City = cities[city()]
			}
			switch x := r.IntN(100); {
			case x < 15:
				e.Kind, e.Device = tiny.VisitorBot, "bot"
			case x < 20:
				e.Kind = tiny.VisitorPreview
			default:
				e.Counted = r.IntN(10) == 0
			}
			batch[j] = e
		}
		out[i] = batch
	}
	return out
}

// ShiftBatch copies batch into dst (grown as needed) with every time moved
// by d, and returns it: a benchmark replays a few batches as new traffic.
func ShiftBatch(dst, batch []tiny.ClickEvent, d time.Duration) []tiny.ClickEvent {
	dst = append(dst[:0], batch...)
	for i := range dst {
		dst[i].At = dst[i].At.Add(d)
	}
	return dst
}

// YearOfClicks returns a few clicks of each kind in every hour of the year
// before end (8,761 hours): people by day, more in the evening and as the
// year goes on; bots round the clock; previews now and then; five
// referrers and countries, three browsers.
func YearOfClicks(linkID int64, end time.Time) []tiny.ClickEvent {
	end = end.UTC().Truncate(time.Hour)
	referrers := []string{"direct", "news.ycombinator.com", "t.co", "www.google.com", "lobste.rs"}
	countries := []string{"NL", "DE", "US", "FR", "unknown"}
	browsers := []string{"Firefox", "Chrome", "Safari"}
	var events []tiny.ClickEvent
	for h, i := end.AddDate(-1, 0, 0), 0; !h.After(end); h, i = h.Add(time.Hour), i+1 {
		kinds := []tiny.VisitorKind{tiny.VisitorBot}
		for range 1 + (h.Hour()/6)*(1+i/4380) {
			kinds = append(kinds, tiny.VisitorHuman)
		}
		if i%5 == 0 {
			kinds = append(kinds, tiny.VisitorPreview)
		}
		for k, kind := range kinds {
			events = append(events, tiny.ClickEvent{
				LinkID: linkID, At: h.Add(time.Duration(k) * time.Minute), Kind: kind, Visitor: uint64(i*16 + k),
				Referrer: referrers[(i+k)%len(referrers)], Country: countries[(i*3+k)%len(countries)],
				Browser: browsers[(i+k)%len(browsers)], OS: "Linux", Device: "desktop", Counted: true,
			})
		}
	}
	return events
}
