package storetest

import (
	"testing"
	"time"

	"tiny/internal/tiny"
)

// createLinksTests check CreateLinks, the batch of new links.
var createLinksTests = []struct {
	name string
	fn   func(t *testing.T, e *env)
}{
	{"CreateLinksRoundTrip", testCreateLinksRoundTrip},
	{"CreateLinksConflicts", testCreateLinksConflicts},
	{"CreateLinksCodeConflict", testCreateLinksCodeConflict},
}

// createLinks creates links in one batch and fails t on a batch error.
func createLinks(t *testing.T, e *env, links []*tiny.Link) []error {
	t.Helper()
	results, err := e.s.CreateLinks(t.Context(), links)
	if err != nil {
		t.Fatalf("CreateLinks = %v, want nil", err)
	}
	if len(results) != len(links) {
		t.Fatalf("CreateLinks returned %d results for %d links", len(results), len(links))
	}
	return results
}

func testCreateLinksRoundTrip(t *testing.T, e *env) {
	plain := e.newLink()
	plain.Alias, plain.Title, plain.Tags = "batch-slug", "A batch", []string{"b", "a", "b"}
	plain.CreatedAt = ms(2019, time.March, 4, 123) // not kept: a new link is made now
	flagged := e.newLink()
	flagged.Status = tiny.StatusFlagged
	flagged.Safety = tiny.Safety{Auto: tiny.StatusFlagged, Review: tiny.ReviewFlagged, Score: 0.7, Reason: "looks odd"}
	bare := e.newLink()

	before := time.Now().Add(-time.Second)
	for i, err := range createLinks(t, e, []*tiny.Link{plain, flagged, bare}) {
		if err != nil {
			t.Errorf("CreateLinks result %d = %v, want nil", i, err)
		}
	}
	plain.Tags = []string{"b", "a"} // stored without repeats
	for _, want := range []*tiny.Link{plain, flagged, bare} {
		if want.CreatedAt.Before(before) || want.CreatedAt.After(time.Now().Add(time.Second)) || !want.UpdatedAt.Equal(want.CreatedAt) {
			t.Errorf("CreateLinks set link %d CreatedAt, UpdatedAt = %v, %v, want both about now", want.ID, want.CreatedAt, want.UpdatedAt)
		}
		got, err := e.s.LinkByID(t.Context(), want.ID)
		if err != nil {
			t.Fatalf("LinkByID(%d) = %v, want nil", want.ID, err)
		}
		if d := linkDiff(got, want); d != "" {
			t.Errorf("LinkByID(%d) after CreateLinks: %s", want.ID, d)
		}
	}
	if got, err := e.s.LinkByAlias(t.Context(), "batch-slug"); err != nil || got.ID != plain.ID {
		t.Errorf("LinkByAlias(batch-slug) = %v, %v, want link %d", got, err, plain.ID)
	}
	log, err := e.s.AuditLog(t.Context(), tiny.AuditFilter{LinkID: flagged.ID, Limit: 10})
	if err != nil || len(log) != 1 || log[0].Action != tiny.ActionFlagged || log[0].ActorID != tiny.SystemActor {
		t.Errorf("AuditLog of the flagged link = %+v, %v, want the system's flagged entry", log, err)
	}
	if log, err := e.s.AuditLog(t.Context(), tiny.AuditFilter{LinkID: bare.ID, Limit: 10}); err != nil || len(log) != 0 {
		t.Errorf("AuditLog of an active link = %+v, %v, want none", log, err)
	}
}

func testCreateLinksConflicts(t *testing.T, e *env) {
	existing := e.create(t, func(l *tiny.Link) { l.Alias = "taken" })
	batch := []*tiny.Link{e.newLink(), e.newLink(), e.newLink(), e.newLink(), e.newLink(), e.newLink()}
	batch[0].Alias = "taken"       // an existing alias
	batch[1].Alias = existing.Code // an existing link's code
	batch[2].Alias = "fresh"       // fine
	batch[3].Alias = "fresh"       // taken by the link before it in the batch
	batch[4].Alias = batch[2].Code // the code of a link earlier in the batch
	batch[5].Alias = batch[5].Code // its own code
	results := createLinks(t, e, batch)
	want := []tiny.ErrorCode{tiny.Conflict, tiny.Conflict, "", tiny.Conflict, tiny.Conflict, tiny.Conflict}
	for i, err := range results {
		if got := tiny.ErrorCodeOf(err); err == nil && want[i] != "" || err != nil && (got != want[i] || tiny.ErrorFieldOf(err) != "alias") {
			t.Errorf("CreateLinks result %d (alias %q) = %v, want %s on alias", i, batch[i].Alias, err, want[i])
		}
	}
	for i, l := range batch {
		_, err := e.s.LinkByID(t.Context(), l.ID)
		if inserted := err == nil; inserted != (results[i] == nil) {
			t.Errorf("after CreateLinks, link %d stored = %t, want %t", i, inserted, results[i] == nil)
		}
	}
	if got, err := e.s.LinkByAlias(t.Context(), "fresh"); err != nil || got.ID != batch[2].ID {
		t.Errorf("LinkByAlias(fresh) = %v, %v, want link %d, the first in the batch to ask", got, err, batch[2].ID)
	}
}

func testCreateLinksCodeConflict(t *testing.T, e *env) {
	next := e.newLink()
	e.create(t, func(l *tiny.Link) { l.Alias = e.codec.Encode(next.ID + 3) })
	ok, clash := e.newLink(), e.newLink()
	if clash.Code != e.codec.Encode(next.ID+3) {
		t.Fatalf("test setup: clash code %q, want the existing alias", clash.Code)
	}
	results := createLinks(t, e, []*tiny.Link{ok, clash})
	if results[0] != nil || !tiny.IsCode(results[1], tiny.Conflict) || tiny.ErrorFieldOf(results[1]) != "code" {
		t.Fatalf("CreateLinks = %v, want [nil, Conflict on code]", results)
	}
	if _, err := e.s.LinkByID(t.Context(), clash.ID); !tiny.IsCode(err, tiny.NotFound) {
		t.Errorf("LinkByID of the link left out = %v, want NotFound", err)
	}
}
