package storetest

import (
	"fmt"
	"testing"

	"tiny/internal/tiny"
)

// testFlagBySystem: the system flags an active link found unsafe after its
// create (a redirect chain, its landing page): the link enters the review
// queue with the new score and reason, and the entry records the flag.
// A moderator may not flag, and a blocked link is not flagged.
func testFlagBySystem(t *testing.T, e *env) {
	ctx := t.Context()
	l := e.create(t, func(l *tiny.Link) { l.Safety = tiny.Safety{Score: 0.05, Reason: "clean"} })
	d := tiny.Decision{LinkID: l.ID, Status: tiny.StatusFlagged, ActorID: tiny.SystemActor,
		Reason: "landing page: password field", Score: 0.7}
	got := e.decide(t, d)
	want := tiny.Safety{Score: 0.7, Auto: tiny.StatusFlagged, Reason: "landing page: password field", Review: tiny.ReviewFlagged}
	if got.Status != tiny.StatusFlagged || got.Safety != want {
		t.Errorf("Decide(system flag %d) = %s, want Status flagged and Safety %+v", l.ID, linkString(got), want)
	}
	if stored := e.link(t, l.ID); stored.Status != tiny.StatusFlagged || stored.Safety != want {
		t.Errorf("LinkByID(%d) after a system flag = %s, want Status flagged and Safety %+v", l.ID, linkString(stored), want)
	}
	queue, err := e.s.ReviewQueue(ctx, tiny.ReviewFilter{})
	if err != nil || len(queue) != 1 || queue[0].ID != l.ID {
		t.Errorf("ReviewQueue() after a system flag = %d links, %v; want link %d", len(queue), err, l.ID)
	}
	entries := e.audit(t, tiny.AuditFilter{LinkID: l.ID})
	wantEntry := &tiny.AuditEntry{LinkID: l.ID, URL: l.URL, ActorID: tiny.SystemActor, Action: tiny.ActionFlagged,
		Reason: "landing page: password field", Score: 0.7, AutoBefore: tiny.StatusActive, ReviewBefore: tiny.ReviewNone}
	if len(entries) != 1 {
		t.Fatalf("AuditLog(link %d) = %s, want the system's flag only", l.ID, auditString(entries))
	}
	if d := auditDiff(entries[0], wantEntry); d != "" {
		t.Errorf("AuditLog(link %d)[0] after a system flag: %s", l.ID, d)
	}

	// A moderator's approval takes it out of the queue; the system's view
	// (Auto, Score, Reason) stays, so a later scan can tell it was seen.
	got = e.decide(t, tiny.Decision{LinkID: l.ID, Status: tiny.StatusActive, ActorID: moderator})
	if got.Status != tiny.StatusActive || got.Safety.Review != tiny.ReviewNone || got.Safety.Auto != tiny.StatusFlagged {
		t.Errorf("Decide(approve %d) after a system flag = %s, want active, out of review, Auto flagged", l.ID, linkString(got))
	}

	// Only the system flags.
	d = tiny.Decision{LinkID: l.ID, Status: tiny.StatusFlagged, ActorID: moderator}
	_, err = e.s.Decide(ctx, d)
	wantCode(t, fmt.Sprintf("Decide(%+v)", d), err, tiny.Invalid, "")

	// A blocked link stays blocked.
	b := e.create(t, nil)
	e.decide(t, tiny.Decision{LinkID: b.ID, Status: tiny.StatusBlocked, ActorID: moderator})
	d = tiny.Decision{LinkID: b.ID, Status: tiny.StatusFlagged, ActorID: tiny.SystemActor, Reason: "page", Score: 0.7}
	_, err = e.s.Decide(ctx, d)
	wantCode(t, fmt.Sprintf("Decide(%+v) of a blocked link", d), err, tiny.Conflict, "")
	if got := e.link(t, b.ID); got.Status != tiny.StatusBlocked || got.Safety.Review != tiny.ReviewNone {
		t.Errorf("LinkByID(%d) after a refused flag = %s, want it blocked, out of review", b.ID, linkString(got))
	}
}
