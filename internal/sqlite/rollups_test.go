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

// TestRecordClicksKeepsNothingOfTheBatch overwrites a batch after
// RecordClicks returns, as the click writer does when it decodes the next
// batch into the same events: the roll-up that comes later must count
// the events as they were recorded.
func TestRecordClicksKeepsNothingOfTheBatch(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "tiny.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.unrolled.every = time.Hour // the roll comes with the statistics, after the overwrite
	createRollupLink(t, db)
	events := rollupEvents(4)
	if err := db.RecordClicks(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	if db.unrolled.empty() {
		t.Fatal("the batch was rolled up at once; want it held, to test")
	}
	for i := range events {
		events[i] = tiny.ClickEvent{LinkID: 1, At: events[i].At.Add(48 * time.Hour), Kind: tiny.VisitorBot, Country: "XX"}
	}
	checkClickStats(t, db, 4)
	st, err := db.ClickStats(t.Context(), tiny.StatsQuery{LinkID: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Countries) != 1 || st.Countries[0].Value != "DE" {
		t.Errorf("countries = %+v; want only DE, as recorded", st.Countries)
	}
}

// TestAFailedRollUpIsReadBackFromThePacks makes a roll-up fail after the
// rollups it took from memory are gone with it: the next batch's roll
// must find those packs not rolled up and read them, so the statistics
// count every click once.
func TestAFailedRollUpIsReadBackFromThePacks(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "tiny.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.unrolled.every = time.Hour // rolls only when asked, or retried
	createRollupLink(t, db)
	events := rollupEvents(6)
	if err := db.RecordClicks(t.Context(), events[:4]); err != nil {
		t.Fatal(err)
	}
	if _, err := db.writer.Exec(`CREATE TRIGGER fail_roll BEFORE INSERT ON click_hourly
		BEGIN SELECT RAISE(FAIL, 'the roll-up fails'); END`); err != nil {
		t.Fatal(err)
	}
	if err := db.rollUp(t.Context()); err == nil {
		t.Fatal("rollUp() = nil with a failing hourly insert; want the error")
	}
	if db.unrolled.empty() {
		t.Error("after a failed roll-up, no roll waits")
	}
	if _, err := db.writer.Exec(`DROP TRIGGER fail_roll`); err != nil {
		t.Fatal(err)
	}
	// The next batch's roll is due at once, and covers both batches.
	if err := db.RecordClicks(t.Context(), events[4:]); err != nil {
		t.Fatal(err)
	}
	if !db.unrolled.empty() {
		t.Error("the batch after a failed roll-up did not roll up")
	}
	checkClickStats(t, db, int64(len(events)))
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

// TestAFailedClickBatchLeavesNothing makes the counters' statement of a
// batch fail after it has updated some of the batch's links. A statement
// that stops with FAIL, as the OR FAIL click statements do on a
// constraint, keeps the rows it wrote before it stopped: the batch's
// transaction must undo them, and the batch's packs with them.
func TestAFailedClickBatchLeavesNothing(t *testing.T) {
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "tiny.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	const links = 3
	for id := int64(1); id <= links; id++ {
		l := &tiny.Link{ID: id, Code: "code" + string(rune('a'+id)), URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}
		if err := db.CreateLink(t.Context(), l); err != nil {
			t.Fatal(err)
		}
	}
	// The counters are updated in link order: the last link's update fails.
	if _, err := db.writer.Exec(`CREATE TRIGGER fail_last BEFORE UPDATE OF clicks ON links
		WHEN NEW.id = 3 BEGIN SELECT RAISE(FAIL, 'the last counter fails'); END`); err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 5, 1, 10, 0, 0, 0, time.UTC)
	var events []tiny.ClickEvent
	for id := int64(1); id <= links; id++ {
		events = append(events, tiny.ClickEvent{LinkID: id, At: at, Kind: tiny.VisitorHuman, Visitor: uint64(id),
			Referrer: "direct", Country: "DE", Browser: "Firefox", OS: "Linux", Device: "desktop"})
	}
	if err := db.RecordClicks(t.Context(), events); err == nil {
		t.Fatal("RecordClicks() = nil with a failing counter; want the error")
	}
	var packs, clicks int64
	if err := db.reader.QueryRow(`SELECT (SELECT count(*) FROM click_packs), (SELECT sum(clicks) FROM links)`).Scan(&packs, &clicks); err != nil {
		t.Fatal(err)
	}
	if packs != 0 || clicks != 0 {
		t.Errorf("after the failed batch: %d packs, %d clicks on the counters; want none of either", packs, clicks)
	}
	if !db.unrolled.empty() {
		t.Error("the failed batch is held for a roll-up")
	}

	// Without the trigger the same batch is written whole.
	if _, err := db.writer.Exec(`DROP TRIGGER fail_last`); err != nil {
		t.Fatal(err)
	}
	if err := db.RecordClicks(t.Context(), events); err != nil {
		t.Fatal(err)
	}
	if err := db.reader.QueryRow(`SELECT (SELECT count(*) FROM click_packs), (SELECT sum(clicks) FROM links)`).Scan(&packs, &clicks); err != nil {
		t.Fatal(err)
	}
	if packs != links || clicks != links {
		t.Errorf("after the batch: %d packs, %d clicks; want %d of each", packs, clicks, links)
	}
}
