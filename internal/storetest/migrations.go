package storetest

import (
	"encoding/hex"
	"slices"
	"testing"
	"time"

	"tiny/internal/rollup"
	"tiny/internal/tiny"
)

// OldAPIKey is an API key as stores kept it before migration 00004, with
// the prefix that migration must leave.
type OldAPIKey struct {
	Name, Secret, Prefix string
	Want                 string
}

// OldAPIKeys are the keys a store test inserts into a store migrated up to
// version 3, for the user "admin", before it opens the store (which applies
// 00004) and calls CheckMigratedAPIKeys.
func OldAPIKeys() []OldAPIKey {
	const generated1 = "tiny_0123456789abcdefghijABCDEFGHIJklmnopqrstuvw"
	const generated2 = "tiny_ZYXWVUTSRQPONMLKJIHGFEDCBAzyxwvutsrqponmlkj"
	const chosen = "tiny_e2e_test_key_0123456789"
	fingerprint := func(secret string) string { return "#" + hex.EncodeToString(tiny.HashAPIKey(secret)[:4]) }
	return []OldAPIKey{
		// An operator's TINY_INITIAL_API_KEY: none of it stays.
		{Name: "initial admin key", Secret: chosen, Prefix: chosen[:11], Want: fingerprint(chosen)},
		// A generated initial key looks the same in the store as a chosen
		// one that starts with "tiny_", so it gets a fingerprint too.
		{Name: "initial admin key", Secret: generated1, Prefix: generated1[:11], Want: fingerprint(generated1)},
		// Keys made through the API are generated: 4 random characters.
		{Name: "laptop", Secret: generated2, Prefix: generated2[:11], Want: generated2[:9]},
	}
}

// CheckMigratedAPIKeys checks the prefixes s holds for OldAPIKeys after
// migration 00004.
func CheckMigratedAPIKeys(t *testing.T, s tiny.Store) {
	t.Helper()
	for _, k := range OldAPIKeys() {
		got, _, err := s.APIKeyByHash(t.Context(), tiny.HashAPIKey(k.Secret))
		if err != nil {
			t.Errorf("APIKeyByHash(%s) after migration = %v, want the key", k.Name, err)
			continue
		}
		if got.Prefix != k.Want {
			t.Errorf("prefix of %s %q after migration = %q, want %q", k.Name, k.Prefix, got.Prefix, k.Want)
		}
	}
}

// OldClickDim is a row of click_dims, the hourly breakdowns, as a store
// kept it before migration 00010 added their daily rollup.
type OldClickDim struct {
	LinkID                 int64
	Hour                   time.Time
	Dim, Value             string
	Humans, Bots, Previews int64
}

// migratedLink is the link of OldClickDims. The breakdowns need no link
// row.
const migratedLink = 5

// OldClickDims are the rows a store test inserts into click_dims of a store
// migrated up to version 9, before it opens the store (which applies
// 00010) and calls CheckMigratedClickDims. One hour is before 1970, whose
// unix milliseconds are negative.
func OldClickDims() []OldClickDim {
	day := func(d, h int) time.Time { return time.Date(2025, 3, d, h, 0, 0, 0, time.UTC) }
	return []OldClickDim{
		{migratedLink, time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), rollup.DimReferrer, "old.example", 2, 0, 0},
		{migratedLink, day(9, 10), rollup.DimReferrer, "a.example", 3, 1, 0},
		{migratedLink, day(9, 10), rollup.DimReferrer, "b.example", 0, 0, 4},
		{migratedLink, day(9, 23), rollup.DimReferrer, "b.example", 2, 5, 0},
		{migratedLink, day(10, 0), rollup.DimReferrer, "a.example", 1, 0, 0},
		{migratedLink, day(10, 5), rollup.DimReferrer, "c.example", 4, 0, 1},
		{migratedLink, day(10, 5), rollup.DimCountry, "NL", 5, 1, 1},
		{migratedLink, day(11, 12), rollup.DimReferrer, "a.example", 6, 2, 0},
		{migratedLink + 1, day(10, 5), rollup.DimReferrer, "other.example", 9, 9, 9},
	}
}

// CheckMigratedClickDims checks the breakdowns s gives after migration
// 00010 for ranges of whole days, which it reads from the daily rollup
// that 00010 filled from OldClickDims, and of parts of days: they must add
// up the hours as before.
func CheckMigratedClickDims(t *testing.T, s tiny.Store) {
	t.Helper()
	day := func(d, h int) time.Time { return time.Date(2025, 3, d, h, 0, 0, 0, time.UTC) }
	for _, rg := range []struct{ from, to time.Time }{
		{},
		{day(9, 0), day(12, 0)},
		{day(9, 11), day(11, 0)},
		{day(10, 0), day(10, 12)},
		{time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)},
	} {
		for _, bots := range []bool{false, true} {
			q := tiny.StatsQuery{LinkID: migratedLink, From: rg.from, To: rg.to, IncludeBots: bots}
			want := map[string]map[string]int64{}
			for _, r := range OldClickDims() {
				if r.LinkID != q.LinkID || !rg.from.IsZero() && r.Hour.Before(rg.from) || !rg.to.IsZero() && !r.Hour.Before(rg.to) {
					continue
				}
				if want[r.Dim] == nil {
					want[r.Dim] = map[string]int64{}
				}
				want[r.Dim][r.Value] += r.Humans
				if bots {
					want[r.Dim][r.Value] += r.Bots
				}
			}
			st, err := s.ClickStats(t.Context(), q)
			if err != nil {
				t.Fatalf("ClickStats(%s) after migration = %v, want nil", queryString(q), err)
			}
			for dim, got := range map[string][]tiny.Count{rollup.DimReferrer: st.Referrers, rollup.DimCountry: st.Countries} {
				var counts []tiny.Count
				for v, n := range want[dim] {
					if n > 0 {
						counts = append(counts, tiny.Count{Value: v, Clicks: n})
					}
				}
				slices.SortFunc(counts, byClicks)
				if !slices.Equal(got, counts) {
					t.Errorf("ClickStats(%s) after migration: %s = %v, want %v", queryString(q), dim, got, counts)
				}
			}
		}
	}
}

// CheckRolledDaysMigrated checks a store that held OldClickDims in both
// click_dims and click_dims_daily, as RecordClicks wrote them before
// migration 00012 (the store test inserts them at version 10), once it is
// migrated: the breakdowns are those of the hours, and stay exact when
// clicks come in for a day of the old rows (written to both tables, as the
// days up to the last old one count as rolled) and for a later day (whose
// first batch rolls the days between up).
func CheckRolledDaysMigrated(t *testing.T, s tiny.Store) {
	t.Helper()
	CheckMigratedClickDims(t, s)
	ctx := t.Context()
	id, err := s.LeaseIDs(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.CreateLink(ctx, &tiny.Link{ID: id, Code: "migrated", URL: "https://example.com/", Redirect: 302, Status: tiny.StatusActive}); err != nil {
		t.Fatal(err)
	}
	var events []tiny.ClickEvent
	for _, at := range []time.Time{
		time.Date(2025, 3, 11, 20, 0, 0, 0, time.UTC), // the last old day
		time.Date(2025, 3, 10, 3, 0, 0, 0, time.UTC),  // an earlier one
		time.Date(2025, 3, 14, 1, 0, 0, 0, time.UTC),  // rolls Mar 12 and 13
		time.Date(2025, 3, 12, 9, 0, 0, 0, time.UTC),  // now a rolled day
		time.Date(2025, 3, 14, 2, 0, 0, 0, time.UTC),  // not rolled yet
	} {
		e := click(id, at, tiny.VisitorHuman, 1)
		events = append(events, e)
		if err := s.RecordClicks(ctx, []tiny.ClickEvent{e}); err != nil {
			t.Fatalf("RecordClicks(%s) after migration = %v, want nil", timeString(at), err)
		}
		for _, rg := range [][2]time.Time{{}, {time.Date(2025, 3, 10, 0, 0, 0, 0, time.UTC), time.Date(2025, 3, 15, 0, 0, 0, 0, time.UTC)}} {
			q := tiny.StatsQuery{LinkID: id, From: rg[0], To: rg[1]}
			if got, want := statsOf(t, s, q), wantStats(events, func(int64) bool { return true }, q); statsDiff(got, want) != "" {
				t.Errorf("ClickStats(%s) after migration and %d clicks = %s, want %s", queryString(q), len(events), statsString(got), statsString(want))
			}
		}
	}
	CheckMigratedClickDims(t, s)
}

func statsOf(t *testing.T, s tiny.Store, q tiny.StatsQuery) *tiny.ClickStats {
	t.Helper()
	st, err := s.ClickStats(t.Context(), q)
	if err != nil {
		t.Fatalf("ClickStats(%s) = %v, want nil", queryString(q), err)
	}
	return st
}
