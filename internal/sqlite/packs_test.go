package sqlite

import (
	"encoding/json"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// TestPackEventsGroupsByLinkInOrder checks that interleaved events of
// several links become a pack per link, in the order the links first
// appear, each holding its link's events in batch order, with its count
// and time span, and that a string JSON must escape survives.
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
		var got [][]any
		if err := json.Unmarshal([]byte(p.events), &got); err != nil {
			t.Fatalf("pack %d: %v in %s", k, err, p.events)
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
