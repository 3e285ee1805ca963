package sqlite

import (
	"database/sql/driver"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// TestPackEventsGroupsByLinkInOrder checks that interleaved events of
// several links become a pack per link, in the order the links first
// appear, each holding its link's events in batch order, with its count
// and time span, and that tiny_pack_json reads them back, a string JSON
// must escape included.
func TestPackEventsGroupsByLinkInOrder(t *testing.T) {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	links := []int64{7, 3, 7, 9, 3, 7, 9, 7}
	events := make([]tiny.ClickEvent, len(links))
	for i, id := range links {
		events[i] = tiny.ClickEvent{LinkID: id, At: at.Add(time.Duration(len(links)-i) * time.Minute), Kind: tiny.VisitorHuman,
			Visitor: uint64(i), Referrer: "ref-" + string(rune('a'+i)), Country: "DE", Browser: `Quote"Browser`, OS: "Linux", Device: "desktop"}
	}
	packs := packEvents(events)
	wantLinks := []int64{7, 3, 9}
	if len(packs) != len(wantLinks) {
		t.Fatalf("packEvents made %d packs, want %d", len(packs), len(wantLinks))
	}
	for k, p := range packs {
		if p.linkID != wantLinks[k] {
			t.Errorf("pack %d is link %d, want %d", k, p.linkID, wantLinks[k])
		}
		text, err := sqlPackJSON(nil, []driver.Value{p.events})
		if err != nil {
			t.Fatalf("pack %d: %v", k, err)
		}
		var got [][]any
		if err := json.Unmarshal([]byte(text.(string)), &got); err != nil {
			t.Fatalf("pack %d: %v in %s", k, err, text)
		}
		var want []int
		for i, id := range links {
			if id == p.linkID {
				want = append(want, i)
			}
		}
		if len(got) != len(want) || p.n != int64(len(want)) {
			t.Fatalf("pack of link %d: %d events, n %d; want %d", p.linkID, len(got), p.n, len(want))
		}
		first, last := millis(events[want[len(want)-1]].At), millis(events[want[0]].At)
		if p.firstAt != first || p.lastAt != last {
			t.Errorf("pack of link %d spans %d-%d, want %d-%d", p.linkID, p.firstAt, p.lastAt, first, last)
		}
		for j, i := range want {
			e := events[i]
			if got[j][0] != float64(millis(e.At)) || got[j][2] != float64(e.Visitor) || got[j][3] != e.Referrer || got[j][6] != e.Browser {
				t.Errorf("pack of link %d, event %d = %v, want event %d of the batch", p.linkID, j, got[j], i)
			}
		}
	}
}

// FuzzDecodePack: no input makes decodePack panic or claim more than it
// holds, and what it decodes, packed again, decodes to the same events.
func FuzzDecodePack(f *testing.F) {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	events := []tiny.ClickEvent{
		{LinkID: 1, At: at, Kind: tiny.VisitorHuman, Visitor: 1 << 63, Referrer: "direct", Country: "DE", Browser: "Firefox", OS: "Linux", Device: "desktop"},
		{LinkID: 1, At: at.Add(-time.Hour), Kind: tiny.VisitorBot, Visitor: 7, Referrer: "t.co", Country: "unknown", City: "Köln", Browser: "x\x00y", OS: "", Device: "bot"},
	}
	f.Add(packEvents(events)[0].events)
	f.Add([]byte{packBinary})
	f.Add([]byte{packBinary, 1, 0, 1, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		var got []tiny.ClickEvent
		err := decodePack(b, func(e *tiny.ClickEvent, at int64) {
			c := *e
			c.LinkID, c.At = 1, fromMillis(at)
			c.Referrer, c.Country, c.City = strings.Clone(c.Referrer), strings.Clone(c.Country), strings.Clone(c.City)
			c.Browser, c.OS, c.Device, c.Kind = strings.Clone(c.Browser), strings.Clone(c.OS), strings.Clone(c.Device), tiny.VisitorKind(strings.Clone(string(c.Kind)))
			got = append(got, c)
		})
		if err != nil {
			return
		}
		if len(got) == 0 {
			return
		}
		var again []tiny.ClickEvent
		if err := decodePack(packEvents(got)[0].events, func(e *tiny.ClickEvent, at int64) {
			c := *e
			c.LinkID, c.At = 1, fromMillis(at)
			again = append(again, c)
		}); err != nil {
			t.Fatalf("a decoded pack, packed again, does not decode: %v", err)
		}
		if !slices.Equal(got, again) {
			t.Fatalf("packed again, %v decodes to %v", got, again)
		}
	})
}
