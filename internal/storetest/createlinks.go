package storetest

import (
	"testing"
	"time"

	"tiny/internal/tiny"
)

// createLinks creates links in one batch and fails t on a batch error.
func createLinks(t *testing.T, e *env, links []*tiny.Link) []error {
	t.Helper()
	results, err := e.s.CreateLinks(t.Context(), links)
	return batchResults(t, "CreateLinks", len(links), results, err)
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
	for _, l := range []*tiny.Link{plain, flagged, bare} {
		if l.CreatedAt.Before(before) || l.CreatedAt.After(time.Now().Add(time.Second)) || !l.UpdatedAt.Equal(l.CreatedAt) {
			t.Errorf("CreateLinks set link %d CreatedAt, UpdatedAt = %v, %v, want both about now", l.ID, l.CreatedAt, l.UpdatedAt)
		}
	}
	checkStored(t, e, "CreateLinks", plain, flagged, bare)
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
	batchConflicts(t, e, "CreateLinks", func(links []*tiny.Link) []error { return createLinks(t, e, links) })
}

func testCreateLinksCodeConflict(t *testing.T, e *env) {
	batchCodeConflict(t, e, "CreateLinks", func(links []*tiny.Link) []error { return createLinks(t, e, links) })
}
