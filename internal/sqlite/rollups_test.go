package sqlite

import (
	"path/filepath"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// rollupEvents are n human clicks of link 1, a visitor each, an hour apart
// in pairs.
func rollupEvents(n int) []tiny.ClickEvent {
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	events := make([]tiny.ClickEvent, n)
	for i := range events {
		events[i] = tiny.ClickEvent{LinkID: 1, At: at.Add(time.Duration(i/2) * time.Hour), Kind: tiny.VisitorHuman,
			Visitor: uint64(i + 1), Referrer: "direct", Country: "DE", Browser: "Firefox", OS: "Linux", Device: "desktop"}
	}
	return events
}

// checkClickStats checks link 1's statistics and click counter: want
// clicks of want visitors.
func checkClickStats(t *testing.T, db *DB, want int64) {
	t.Helper()
	checkClicksVisitors(t, db, want, want)
}

func checkClicksVisitors(t *testing.T, db *DB, want, visitors int64) {
	t.Helper()
	st, err := db.ClickStats(t.Context(), tiny.StatsQuery{LinkID: 1})
	if err != nil {
		t.Fatalf("ClickStats() = %v", err)
	}
	var countries int64
	for _, c := range st.Countries {
		countries += c.Clicks
	}
	if st.Clicks != want || st.UniqueVisitors != visitors || countries != want {
		t.Errorf("ClickStats: clicks %d, visitors %d, by country %d; want %d, %d, %d", st.Clicks, st.UniqueVisitors, countries, want, visitors, want)
	}
	l, err := db.LinkByID(t.Context(), 1)
	if err != nil || l.Clicks != want {
		t.Errorf("link's click counter = %v, %v; want %d", l, err, want)
	}
}

func createRollupLink(t *testing.T, db *DB) {
	t.Helper()
	l := &tiny.Link{ID: 1, Code: "aaaaaaa", URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
	if err := db.CreateLink(t.Context(), l); err != nil {
		t.Fatal(err)
	}
}

// TestRollupsSurviveACrash records clicks whose rollups are not written
// yet and loses them from memory, as a crash would: the next Open rolls
// them up from the packs, once.
func TestRollupsSurviveACrash(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.db")
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	createRollupLink(t, db)
	events := rollupEvents(10)
	for i := 0; i < len(events); i += 2 {
		if err := db.RecordClicks(t.Context(), events[i:i+2]); err != nil {
			t.Fatal(err)
		}
	}
	var rolled, last int64
	if err := db.reader.QueryRow(`SELECT (SELECT id FROM click_packs_rolled), (SELECT max(id) FROM click_packs)`).Scan(&rolled, &last); err != nil || rolled >= last {
		t.Fatalf("packs rolled up to %d of %d (%v): want some not rolled up, to test", rolled, last, err)
	}
	db.unrolled.take() // the crash: memory is lost
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkClickStats(t, db, int64(len(events)))
	if err := db.RecordClicks(t.Context(), rollupEvents(2)[:1]); err != nil {
		t.Fatal(err)
	}
	// The same visitor and time as the first: a click, not a visitor.
	checkClicksVisitors(t, db, int64(len(events))+1, int64(len(events)))
}

// TestRollupsTwoProcesses opens the file twice, as tiny serve and a
// command beside it do: the second reads statistics that count the
// first's clicks not rolled up yet, by rolling them up from the packs, and
// the first then does not add them again.
func TestRollupsTwoProcesses(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tiny.db")
	serve, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	createRollupLink(t, serve)
	events := rollupEvents(6)
	if err := serve.RecordClicks(t.Context(), events[:4]); err != nil {
		t.Fatal(err)
	}
	cli, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	checkClickStats(t, cli, 4)
	if err := serve.RecordClicks(t.Context(), events[4:]); err != nil {
		t.Fatal(err)
	}
	checkClickStats(t, serve, 6)
	checkClickStats(t, cli, 6)
	if err := cli.Close(); err != nil {
		t.Fatal(err)
	}
}
