package storetest

import (
	"testing"
	"time"

	"tiny/internal/tiny"
)

// importTests check ImportLinks and ImportCheckpoint, and CreateLinks,
// which follows the same rules.
var importTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"ImportLinksRoundTrip", testImportLinksRoundTrip},
	{"ImportLinksConflicts", testImportLinksConflicts},
	{"ImportLinksCodeConflictHoldsCheckpoint", testImportLinksCodeConflict},
	{"ImportCheckpoint", testImportCheckpoint},
	{"CreateLinksRoundTrip", testCreateLinksRoundTrip},
	{"CreateLinksConflicts", testCreateLinksConflicts},
	{"CreateLinksCodeConflict", testCreateLinksCodeConflict},
}

// importBatch imports b and fails t on a batch error.
func importBatch(t *testing.T, e *env, b tiny.ImportBatch) []error {
	t.Helper()
	results, err := e.s.ImportLinks(t.Context(), b)
	return batchResults(t, "ImportLinks", len(b.Links), results, err)
}

// batchResults returns the per-link results of a batch of n links written
// by op, and fails t on a batch error or a wrong number of results.
func batchResults(t *testing.T, op string, n int, results []error, err error) []error {
	t.Helper()
	if err != nil {
		t.Fatalf("%s = %v, want nil", op, err)
	}
	if len(results) != n {
		t.Fatalf("%s returned %d results for %d links", op, len(results), n)
	}
	return results
}

// checkStored fails t unless each of links reads back by its id as it is,
// after op wrote it.
func checkStored(t *testing.T, e *env, op string, links ...*tiny.Link) {
	t.Helper()
	for _, want := range links {
		got, err := e.s.LinkByID(t.Context(), want.ID)
		if err != nil {
			t.Fatalf("LinkByID(%d) = %v, want nil", want.ID, err)
		}
		if d := linkDiff(got, want); d != "" {
			t.Errorf("LinkByID(%d) after %s: %s", want.ID, op, d)
		}
	}
}

func checkpoint(t *testing.T, e *env, job string) int64 {
	t.Helper()
	pos, err := e.s.ImportCheckpoint(t.Context(), job)
	if err != nil {
		t.Fatalf("ImportCheckpoint(%q) = %v, want nil", job, err)
	}
	return pos
}

func testImportLinksRoundTrip(t *testing.T, e *env) {
	created := ms(2019, time.March, 4, 123)
	expires := ms(2030, time.January, 2, 0)
	plain := e.newLink()
	plain.Alias, plain.Title, plain.Tags = "old-slug", "From Shlink", []string{"news", "2019"}
	plain.CreatedAt, plain.ExpiresAt, plain.ImportedClicks, plain.Redirect = created, &expires, 4711, 301
	blocked := e.newLink()
	blocked.Alias, blocked.Status = "bad-one", tiny.StatusBlocked
	blocked.Safety = tiny.Safety{Auto: tiny.StatusBlocked, Score: 0.99, Reason: "blocklist test"}
	noAlias := e.newLink() // no CreatedAt: the store's now

	before := time.Now().Add(-time.Second)
	results := importBatch(t, e, tiny.ImportBatch{Links: []*tiny.Link{plain, blocked, noAlias}, Job: "job-1", Position: 3})
	for i, err := range results {
		if err != nil {
			t.Errorf("ImportLinks result %d = %v, want nil", i, err)
		}
	}
	if !plain.CreatedAt.Equal(created) || plain.CreatedAt.Location() != time.UTC {
		t.Errorf("ImportLinks set CreatedAt = %v, want %v in UTC", plain.CreatedAt, created)
	}
	if noAlias.CreatedAt.Before(before) {
		t.Errorf("ImportLinks set CreatedAt of a link without one = %v, want about now", noAlias.CreatedAt)
	}
	checkStored(t, e, "ImportLinks", plain, blocked, noAlias)
	if got, err := e.s.LinkByAlias(t.Context(), "old-slug"); err != nil || got.ID != plain.ID {
		t.Errorf("LinkByAlias(old-slug) = %v, %v, want link %d", got, err, plain.ID)
	}
	log, err := e.s.AuditLog(t.Context(), tiny.AuditFilter{LinkID: blocked.ID, Limit: 10})
	if err != nil || len(log) != 1 || log[0].Action != tiny.ActionBlocked || log[0].ActorID != tiny.SystemActor {
		t.Errorf("AuditLog(blocked import) = %+v, %v, want one system block entry", log, err)
	}
	if log, _ := e.s.AuditLog(t.Context(), tiny.AuditFilter{LinkID: plain.ID, Limit: 10}); len(log) != 0 {
		t.Errorf("AuditLog(active import) has %d entries, want 0", len(log))
	}
	if pos := checkpoint(t, e, "job-1"); pos != 3 {
		t.Errorf("ImportCheckpoint(job-1) = %d, want 3", pos)
	}
}

func testImportLinksConflicts(t *testing.T, e *env) {
	batchConflicts(t, e, "ImportLinks", func(links []*tiny.Link) []error {
		return importBatch(t, e, tiny.ImportBatch{Links: links, Job: "job-c", Position: 6})
	})
	if pos := checkpoint(t, e, "job-c"); pos != 6 {
		t.Errorf("ImportCheckpoint(job-c) = %d, want 6 (alias conflicts do not hold it)", pos)
	}
}

// batchConflicts writes, with write (ImportLinks or CreateLinks, named
// op), a batch of links whose aliases clash with existing names and with
// each other: each of those must be left out alone, with its Conflict.
func batchConflicts(t *testing.T, e *env, op string, write func([]*tiny.Link) []error) {
	t.Helper()
	existing := e.create(t, func(l *tiny.Link) { l.Alias = "taken" })
	batch := []*tiny.Link{e.newLink(), e.newLink(), e.newLink(), e.newLink(), e.newLink(), e.newLink()}
	batch[0].Alias = "taken"       // an existing alias
	batch[1].Alias = existing.Code // an existing link's code
	batch[2].Alias = "fresh"       // fine
	batch[3].Alias = "fresh"       // taken by the link before it in the batch
	batch[4].Alias = batch[2].Code // the code of a link earlier in the batch
	batch[5].Alias = batch[5].Code // its own code
	results := write(batch)
	want := []tiny.ErrorCode{tiny.Conflict, tiny.Conflict, "", tiny.Conflict, tiny.Conflict, tiny.Conflict}
	for i, err := range results {
		if got := tiny.ErrorCodeOf(err); err == nil && want[i] != "" || err != nil && (got != want[i] || tiny.ErrorFieldOf(err) != "alias") {
			t.Errorf("%s result %d (alias %q) = %v, want %s on alias", op, i, batch[i].Alias, err, want[i])
		}
	}
	for i, l := range batch {
		_, err := e.s.LinkByID(t.Context(), l.ID)
		if inserted := err == nil; inserted != (results[i] == nil) {
			t.Errorf("after %s, link %d stored = %t, want %t", op, i, inserted, results[i] == nil)
		}
	}
	if got, err := e.s.LinkByAlias(t.Context(), "fresh"); err != nil || got.ID != batch[2].ID {
		t.Errorf("after %s, LinkByAlias(fresh) = %v, %v, want link %d, the first in the batch to ask", op, got, err, batch[2].ID)
	}
}

func testImportLinksCodeConflict(t *testing.T, e *env) {
	clash := batchCodeConflict(t, e, "ImportLinks", func(links []*tiny.Link) []error {
		return importBatch(t, e, tiny.ImportBatch{Links: links, Job: "job-k", Position: 2})
	})
	if pos := checkpoint(t, e, "job-k"); pos != 0 {
		t.Errorf("ImportCheckpoint after a code conflict = %d, want 0 until the retry", pos)
	}
	retry := e.newLink()
	retry.URL = clash.URL
	results := importBatch(t, e, tiny.ImportBatch{Links: []*tiny.Link{retry}, Job: "job-k", Position: 2})
	if results[0] != nil {
		t.Fatalf("ImportLinks(retry) = %v, want nil", results[0])
	}
	if pos := checkpoint(t, e, "job-k"); pos != 2 {
		t.Errorf("ImportCheckpoint after the retry = %d, want 2", pos)
	}
}

// batchCodeConflict writes, with write (named op), a batch of a link and
// one whose code is an existing alias: the second must be left out with a
// Conflict on its code, which it returns.
func batchCodeConflict(t *testing.T, e *env, op string, write func([]*tiny.Link) []error) (clash *tiny.Link) {
	t.Helper()
	next := e.newLink()
	e.create(t, func(l *tiny.Link) { l.Alias = e.codec.Encode(next.ID + 3) })
	ok, clash := e.newLink(), e.newLink()
	if clash.Code != e.codec.Encode(next.ID+3) {
		t.Fatalf("test setup: clash code %q, want the existing alias", clash.Code)
	}
	results := write([]*tiny.Link{ok, clash})
	if results[0] != nil || !tiny.IsCode(results[1], tiny.Conflict) || tiny.ErrorFieldOf(results[1]) != "code" {
		t.Fatalf("%s = %v, want [nil, Conflict on code]", op, results)
	}
	if _, err := e.s.LinkByID(t.Context(), clash.ID); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("after %s, LinkByID of the link left out = %v, want NotFound", op, err)
	}
	return clash
}

func testImportCheckpoint(t *testing.T, e *env) {
	if pos := checkpoint(t, e, "never"); pos != 0 {
		t.Errorf("ImportCheckpoint(never) = %d, want 0", pos)
	}
	for _, p := range []int64{10, 4} {
		importBatch(t, e, tiny.ImportBatch{Job: "j", Position: p})
	}
	if pos := checkpoint(t, e, "j"); pos != 10 {
		t.Errorf("ImportCheckpoint after positions 10 then 4 = %d, want 10 (it never goes back)", pos)
	}
	importBatch(t, e, tiny.ImportBatch{Links: []*tiny.Link{e.newLink()}, Position: 99})
	if pos := checkpoint(t, e, ""); pos != 0 {
		t.Errorf("ImportCheckpoint(\"\") after a batch without a job = %d, want 0", pos)
	}
}
