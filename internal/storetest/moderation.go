package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// moderator is the ActorID of the moderator in the moderation tests.
const moderator int64 = 7

// link returns the stored link, and fails the test on an error.
func (e *env) link(t *testing.T, id int64) *tiny.Link {
	t.Helper()
	l, err := e.s.LinkByID(t.Context(), id)
	if err != nil {
		t.Fatalf("LinkByID(%d) = %v, want nil", id, err)
	}
	return l
}

// audit returns the entries f selects, and fails the test on an error or
// when they are not newest first or not in UTC.
func (e *env) audit(t *testing.T, f tiny.AuditFilter) []*tiny.AuditEntry {
	t.Helper()
	got, err := e.s.AuditLog(t.Context(), f)
	if err != nil {
		t.Fatalf("AuditLog(%+v) = %v, want nil", f, err)
	}
	for i, a := range got {
		if i > 0 && a.ID >= got[i-1].ID {
			t.Errorf("AuditLog(%+v) = %s, want the highest ID first", f, auditString(got))
			break
		}
		if a.CreatedAt.Location() != time.UTC {
			t.Errorf("AuditLog(%+v): entry %d CreatedAt location = %v, want UTC", f, a.ID, a.CreatedAt.Location())
		}
	}
	return got
}

// decide makes d, and fails the test when that fails.
func (e *env) decide(t *testing.T, d tiny.Decision) *tiny.Link {
	t.Helper()
	l, err := e.s.Decide(t.Context(), d)
	if err != nil {
		t.Fatalf("Decide(%+v) = %v, want nil", d, err)
	}
	return l
}

// report reports the link n times, and fails the test when that fails.
func (e *env) report(t *testing.T, id int64, n int) {
	t.Helper()
	for i := range n {
		if err := e.s.ReportLink(t.Context(), id, fmt.Sprintf("report %d", i)); err != nil {
			t.Fatalf("ReportLink(%d) = %v, want nil", id, err)
		}
	}
}

// flagged makes a link flagged by the system, waiting for review with
// score.
func flagged(score float64) func(l *tiny.Link) {
	return func(l *tiny.Link) {
		l.Status = tiny.StatusFlagged
		l.Safety = tiny.Safety{Score: score, Auto: tiny.StatusFlagged, Reason: "ambiguous", Review: tiny.ReviewFlagged}
	}
}

func auditString(entries []*tiny.AuditEntry) string {
	s := "["
	for i, a := range entries {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%d:%s(link %d by %d)", a.ID, a.Action, a.LinkID, a.ActorID)
	}
	return s + "]"
}

// auditDiff returns how got differs from want, ID and CreatedAt left out.
func auditDiff(got, want *tiny.AuditEntry) string {
	g, w := *got, *want
	g.ID, g.CreatedAt, w.ID, w.CreatedAt = 0, time.Time{}, 0, time.Time{}
	if g != w {
		return fmt.Sprintf("got %+v, want %+v", g, w)
	}
	return ""
}

func testSafetyRoundTrip(t *testing.T, e *env) {
	ctx := t.Context()
	safety := tiny.Safety{Score: 0.4375, Auto: tiny.StatusFlagged, Reason: "young domain; shortener chain",
		Review: tiny.ReviewFlagged, Reports: 2}
	l := e.create(t, func(l *tiny.Link) { l.Alias = "safe-rt"; l.Safety = safety })
	if l.Safety != safety {
		t.Errorf("CreateLink changed Safety to %+v, want %+v", l.Safety, safety)
	}
	got := e.link(t, l.ID)
	if got.Safety != safety || got.Status != tiny.StatusActive {
		t.Errorf("LinkByID(%d) = Status %s, Safety %+v; want %s, %+v", l.ID, got.Status, got.Safety, tiny.StatusActive, safety)
	}
	byAlias, err := e.s.LinkByAlias(ctx, "safe-rt")
	if err != nil || byAlias.Safety != safety {
		t.Errorf(`LinkByAlias("safe-rt") = %s, %v; want Safety %+v`, linkString(byAlias), err, safety)
	}
	list, err := e.s.ListLinks(ctx, tiny.LinkFilter{})
	if err != nil || len(list) != 1 || list[0].Safety != safety {
		t.Errorf("ListLinks() = %d links, %v; want the link with Safety %+v", len(list), err, safety)
	}

	// Without a Safety, Auto is the link's status, and the rest is zero.
	for _, status := range []tiny.LinkStatus{tiny.StatusActive, tiny.StatusFlagged, tiny.StatusBlocked} {
		l := e.create(t, func(l *tiny.Link) { l.Status = status })
		want := tiny.Safety{Auto: status}
		if l.Safety != want {
			t.Errorf("CreateLink(Status %s, no Safety) set Safety %+v, want %+v", status, l.Safety, want)
		}
		if got := e.link(t, l.ID); got.Safety != want || got.Status != status {
			t.Errorf("LinkByID(%d) = Status %s, Safety %+v; want %s, %+v", l.ID, got.Status, got.Safety, status, want)
		}
	}
}

func testCreateLinkAudit(t *testing.T, e *env) {
	active := e.create(t, nil)
	fl := e.create(t, flagged(0.55))
	bl := e.create(t, func(l *tiny.Link) {
		l.Status = tiny.StatusBlocked
		l.Safety = tiny.Safety{Score: 0.98, Auto: tiny.StatusBlocked, Reason: "on a blocklist"}
	})

	if got := e.audit(t, tiny.AuditFilter{LinkID: active.ID}); len(got) != 0 {
		t.Errorf("AuditLog of an active new link = %s, want no entry", auditString(got))
	}
	for _, tt := range []struct {
		l      *tiny.Link
		action tiny.AuditAction
	}{{fl, tiny.ActionFlagged}, {bl, tiny.ActionBlocked}} {
		got := e.audit(t, tiny.AuditFilter{LinkID: tt.l.ID})
		if len(got) != 1 {
			t.Errorf("AuditLog of a new %s link = %s, want one entry", tt.l.Status, auditString(got))
			continue
		}
		want := &tiny.AuditEntry{LinkID: tt.l.ID, URL: tt.l.URL, ActorID: tiny.SystemActor, Action: tt.action,
			Reason: tt.l.Safety.Reason, Score: tt.l.Safety.Score}
		if d := auditDiff(got[0], want); d != "" {
			t.Errorf("AuditLog of a new %s link: %s", tt.l.Status, d)
		}
		if got[0].ID == 0 {
			t.Errorf("AuditLog of a new %s link: entry ID 0, want it set", tt.l.Status)
		}
		e.checkRecent(t, "audit entry CreatedAt", got[0].CreatedAt)
	}
	if got := e.audit(t, tiny.AuditFilter{}); len(got) != 2 {
		t.Errorf("AuditLog() = %s, want the 2 entries of the flagged and the blocked link", auditString(got))
	}
}

func testUpdateLinkKeepsSafety(t *testing.T, e *env) {
	ctx := t.Context()
	l := e.create(t, flagged(0.6))
	e.report(t, l.ID, 1)
	want := e.link(t, l.ID).Safety
	if want.Reports != 1 {
		t.Fatalf("LinkByID(%d).Safety.Reports after a report = %d, want 1", l.ID, want.Reports)
	}

	upd := *l
	upd.URL = "https://example.com/edited"
	upd.Status = tiny.StatusActive
	upd.Safety = tiny.Safety{} // UpdateLink must not store it
	if err := e.s.UpdateLink(ctx, &upd); err != nil {
		t.Fatalf("UpdateLink(%s) = %v, want nil", linkString(&upd), err)
	}
	got := e.link(t, l.ID)
	if got.Safety != want {
		t.Errorf("LinkByID(%d).Safety after UpdateLink = %+v, want %+v (unchanged)", l.ID, got.Safety, want)
	}
	if got.Status != tiny.StatusActive || got.URL != upd.URL {
		t.Errorf("LinkByID(%d) after UpdateLink = Status %s URL %q, want %s %q", l.ID, got.Status, got.URL, tiny.StatusActive, upd.URL)
	}
}

func testDecide(t *testing.T, e *env) {
	l := e.create(t, flagged(0.6))
	before := time.Now()

	got := e.decide(t, tiny.Decision{LinkID: l.ID, Status: tiny.StatusActive, ActorID: moderator, Reason: "a recipe blog"})
	want := tiny.Safety{Score: 0.6, Auto: tiny.StatusFlagged, Reason: "ambiguous", Review: tiny.ReviewNone}
	if got.ID != l.ID || got.Status != tiny.StatusActive || got.Safety != want || got.URL != l.URL {
		t.Errorf("Decide(approve %d) = %s, want Status active and Safety %+v", l.ID, linkString(got), want)
	}
	if got.UpdatedAt.Before(before.Add(-time.Second)) {
		t.Errorf("Decide(approve %d).UpdatedAt = %v, want about %v", l.ID, got.UpdatedAt, before)
	}
	if stored := e.link(t, l.ID); linkDiff(stored, got) != "" {
		t.Errorf("LinkByID(%d) after Decide = %s, want what Decide returned, %s", l.ID, linkString(stored), linkString(got))
	}
	entries := e.audit(t, tiny.AuditFilter{LinkID: l.ID})
	if len(entries) != 2 {
		t.Fatalf("AuditLog(link %d) after a flagged create and an approval = %s, want 2 entries", l.ID, auditString(entries))
	}
	wantEntry := &tiny.AuditEntry{LinkID: l.ID, URL: l.URL, ActorID: moderator, Action: tiny.ActionApproved,
		Reason: "a recipe blog", Score: 0.6, AutoBefore: tiny.StatusFlagged, ReviewBefore: tiny.ReviewFlagged}
	if d := auditDiff(entries[0], wantEntry); d != "" {
		t.Errorf("AuditLog(link %d)[0] after an approval: %s", l.ID, d)
	}
	e.checkRecent(t, "approval CreatedAt", entries[0].CreatedAt)

	// Blocked later, out of the queue: the entry says it was not queued.
	got = e.decide(t, tiny.Decision{LinkID: l.ID, Status: tiny.StatusBlocked, ActorID: moderator, Reason: "phishing after all"})
	if got.Status != tiny.StatusBlocked || got.Safety != want {
		t.Errorf("Decide(block %d) = %s, want Status blocked and Safety %+v", l.ID, linkString(got), want)
	}
	entries = e.audit(t, tiny.AuditFilter{LinkID: l.ID})
	wantEntry = &tiny.AuditEntry{LinkID: l.ID, URL: l.URL, ActorID: moderator, Action: tiny.ActionBlocked,
		Reason: "phishing after all", Score: 0.6, AutoBefore: tiny.StatusFlagged, ReviewBefore: tiny.ReviewNone}
	if len(entries) != 3 {
		t.Fatalf("AuditLog(link %d) after a block = %s, want 3 entries", l.ID, auditString(entries))
	}
	if d := auditDiff(entries[0], wantEntry); d != "" {
		t.Errorf("AuditLog(link %d)[0] after a block: %s", l.ID, d)
	}

	// A reported active link, blocked: it leaves the queue.
	r := e.create(t, nil)
	e.report(t, r.ID, 2)
	got = e.decide(t, tiny.Decision{LinkID: r.ID, Status: tiny.StatusBlocked, ActorID: moderator})
	if got.Status != tiny.StatusBlocked || got.Safety.Review != tiny.ReviewNone || got.Safety.Reports != 2 || got.Safety.Auto != tiny.StatusActive {
		t.Errorf("Decide(block reported %d) = %s, want Status blocked, no review, Reports 2, Auto active", r.ID, linkString(got))
	}
	if entries := e.audit(t, tiny.AuditFilter{LinkID: r.ID, Limit: 1}); len(entries) != 1 ||
		entries[0].Action != tiny.ActionBlocked || entries[0].ReviewBefore != tiny.ReviewReported || entries[0].AutoBefore != tiny.StatusActive {
		t.Errorf("AuditLog(link %d, limit 1) = %s, want the block, with ReviewBefore reported and AutoBefore active", r.ID, auditString(entries))
	}
}

func testDecideBySystem(t *testing.T, e *env) {
	l := e.create(t, func(l *tiny.Link) { l.Safety = tiny.Safety{Score: 0.1, Reason: "clean"} })
	got := e.decide(t, tiny.Decision{LinkID: l.ID, Status: tiny.StatusBlocked, ActorID: tiny.SystemActor,
		Reason: "feed: urlhaus", Score: 0.97})
	want := tiny.Safety{Score: 0.97, Auto: tiny.StatusBlocked, Reason: "feed: urlhaus"}
	if got.Status != tiny.StatusBlocked || got.Safety != want {
		t.Errorf("Decide(system block %d) = %s, want Status blocked and Safety %+v", l.ID, linkString(got), want)
	}
	if stored := e.link(t, l.ID); stored.Status != tiny.StatusBlocked || stored.Safety != want {
		t.Errorf("LinkByID(%d) after a system block = %s, want Status blocked and Safety %+v", l.ID, linkString(stored), want)
	}
	entries := e.audit(t, tiny.AuditFilter{LinkID: l.ID})
	wantEntry := &tiny.AuditEntry{LinkID: l.ID, URL: l.URL, ActorID: tiny.SystemActor, Action: tiny.ActionBlocked,
		Reason: "feed: urlhaus", Score: 0.97, AutoBefore: tiny.StatusActive, ReviewBefore: tiny.ReviewNone}
	if len(entries) != 1 {
		t.Fatalf("AuditLog(link %d) = %s, want the system's block only", l.ID, auditString(entries))
	}
	if d := auditDiff(entries[0], wantEntry); d != "" {
		t.Errorf("AuditLog(link %d)[0] after a system block: %s", l.ID, d)
	}

	// The feed drops the URL: the system makes it active again.
	got = e.decide(t, tiny.Decision{LinkID: l.ID, Status: tiny.StatusActive, ActorID: tiny.SystemActor, Reason: "", Score: 0.2})
	want = tiny.Safety{Score: 0.2, Auto: tiny.StatusActive}
	if got.Status != tiny.StatusActive || got.Safety != want {
		t.Errorf("Decide(system approve %d) = %s, want Status active and Safety %+v", l.ID, linkString(got), want)
	}
}

func testDecideErrors(t *testing.T, e *env) {
	ctx := t.Context()
	l := e.create(t, flagged(0.5))
	gone := e.create(t, flagged(0.5))
	if err := e.s.DeleteLink(ctx, gone.ID); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", gone.ID, err)
	}
	for _, status := range []tiny.LinkStatus{tiny.StatusFlagged, "", "deleted"} {
		d := tiny.Decision{LinkID: l.ID, Status: status, ActorID: moderator}
		got, err := e.s.Decide(ctx, d)
		wantCode(t, fmt.Sprintf("Decide(%+v)", d), err, tiny.Invalid, "")
		if got != nil {
			t.Errorf("Decide(%+v) = %s, want nil with the error", d, linkString(got))
		}
	}
	for _, id := range []int64{gone.ID, 9999} {
		d := tiny.Decision{LinkID: id, Status: tiny.StatusBlocked, ActorID: moderator}
		_, err := e.s.Decide(ctx, d)
		wantCode(t, fmt.Sprintf("Decide(%+v)", d), err, tiny.NotFound, "")
	}
	if got := e.link(t, l.ID); got.Status != tiny.StatusFlagged || got.Safety.Review != tiny.ReviewFlagged {
		t.Errorf("LinkByID(%d) after failed decisions = %s, want it flagged and in review", l.ID, linkString(got))
	}
	if got := e.link(t, gone.ID); got.Status != tiny.StatusFlagged {
		t.Errorf("LinkByID(%d) after deciding on it deleted = %s, want it unchanged", gone.ID, linkString(got))
	}
	// Only the two creates wrote entries.
	if got := e.audit(t, tiny.AuditFilter{}); len(got) != 2 {
		t.Errorf("AuditLog() after failed decisions = %s, want only the 2 entries of the creates", auditString(got))
	}
}

func testReportLink(t *testing.T, e *env) {
	ctx := t.Context()
	active := e.create(t, nil)
	e.report(t, active.ID, 2)
	if got := e.link(t, active.ID); got.Safety.Reports != 2 || got.Safety.Review != tiny.ReviewReported || got.Status != tiny.StatusActive {
		t.Errorf("LinkByID(%d) after 2 reports = %s, want Reports 2, Review reported, Status active", active.ID, linkString(got))
	}
	entries := e.audit(t, tiny.AuditFilter{LinkID: active.ID})
	if len(entries) != 2 {
		t.Fatalf("AuditLog(link %d) after 2 reports = %s, want 2 entries", active.ID, auditString(entries))
	}
	// Newest first: the second report saw the link in the queue already.
	for i, want := range []*tiny.AuditEntry{
		{LinkID: active.ID, URL: active.URL, ActorID: tiny.SystemActor, Action: tiny.ActionReported, Reason: "report 1",
			AutoBefore: tiny.StatusActive, ReviewBefore: tiny.ReviewReported},
		{LinkID: active.ID, URL: active.URL, ActorID: tiny.SystemActor, Action: tiny.ActionReported, Reason: "report 0",
			AutoBefore: tiny.StatusActive, ReviewBefore: tiny.ReviewNone},
	} {
		if d := auditDiff(entries[i], want); d != "" {
			t.Errorf("AuditLog(link %d)[%d] after 2 reports: %s", active.ID, i, d)
		}
	}

	// A blocked link counts the report but does not enter the queue.
	blocked := e.create(t, func(l *tiny.Link) { l.Status = tiny.StatusBlocked })
	e.report(t, blocked.ID, 1)
	if got := e.link(t, blocked.ID); got.Safety.Reports != 1 || got.Safety.Review != tiny.ReviewNone {
		t.Errorf("LinkByID(%d) of a reported blocked link = %s, want Reports 1 and no review", blocked.ID, linkString(got))
	}
	// A link in the queue for another reason keeps its reason.
	fl := e.create(t, flagged(0.5))
	e.report(t, fl.ID, 1)
	if got := e.link(t, fl.ID); got.Safety.Reports != 1 || got.Safety.Review != tiny.ReviewFlagged {
		t.Errorf("LinkByID(%d) of a reported flagged link = %s, want Reports 1 and Review flagged", fl.ID, linkString(got))
	}
	queue, err := e.s.ReviewQueue(ctx, tiny.ReviewFilter{})
	if err != nil {
		t.Fatalf("ReviewQueue() = %v, want nil", err)
	}
	if ids := linkIDs(queue); !slices.Contains(ids, active.ID) || slices.Contains(ids, blocked.ID) {
		t.Errorf("ReviewQueue() = links %v, want %d (reported) and not %d (blocked)", ids, active.ID, blocked.ID)
	}

	gone := e.create(t, nil)
	if err := e.s.DeleteLink(ctx, gone.ID); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", gone.ID, err)
	}
	for _, id := range []int64{gone.ID, 9999} {
		wantCode(t, fmt.Sprintf("ReportLink(%d)", id), e.s.ReportLink(ctx, id, "spam"), tiny.NotFound, "")
		if got := e.audit(t, tiny.AuditFilter{LinkID: id}); len(got) != 0 {
			t.Errorf("AuditLog(link %d) after a failed report = %s, want none", id, auditString(got))
		}
	}
	if got := e.link(t, gone.ID); got.Safety.Reports != 0 {
		t.Errorf("LinkByID(%d).Safety.Reports after reporting it deleted = %d, want 0", gone.ID, got.Safety.Reports)
	}
}

func testReportLinkConcurrent(t *testing.T, e *env) {
	ctx := t.Context()
	l := e.create(t, nil)
	const callers = 20
	errs := make([]error, callers)
	together(callers, func(i int) { errs[i] = e.s.ReportLink(ctx, l.ID, fmt.Sprintf("reporter %d", i)) })
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent ReportLink(%d) #%d = %v, want nil", l.ID, i, err)
		}
	}
	if got := e.link(t, l.ID); got.Safety.Reports != callers || got.Safety.Review != tiny.ReviewReported {
		t.Errorf("LinkByID(%d) after %d concurrent reports = %s, want Reports %d and Review reported", l.ID, callers, linkString(got), callers)
	}
	entries := e.audit(t, tiny.AuditFilter{LinkID: l.ID})
	if len(entries) != callers {
		t.Fatalf("AuditLog(link %d) after %d concurrent reports = %d entries, want %d", l.ID, callers, len(entries), callers)
	}
	// Each report saw the one before it: exactly one found the link out of
	// the queue.
	fresh := 0
	for _, a := range entries {
		if a.ReviewBefore == tiny.ReviewNone {
			fresh++
		}
	}
	if fresh != 1 {
		t.Errorf("AuditLog(link %d): %d reports with ReviewBefore none, want exactly 1", l.ID, fresh)
	}
}

func testAppealLink(t *testing.T, e *env) {
	ctx := t.Context()
	const owner = 42
	active := e.create(t, func(l *tiny.Link) { l.OwnerID = owner })
	wantCode(t, "AppealLink of an active link", e.s.AppealLink(ctx, active.ID, owner, "why?"), tiny.Conflict, "")
	fl := e.create(t, flagged(0.5))
	wantCode(t, "AppealLink of a flagged link", e.s.AppealLink(ctx, fl.ID, owner, "why?"), tiny.Conflict, "")

	l := e.create(t, func(l *tiny.Link) {
		l.OwnerID = owner
		l.Status = tiny.StatusBlocked
		l.Safety = tiny.Safety{Score: 0.9, Auto: tiny.StatusBlocked, Reason: "blocklist"}
	})
	if err := e.s.AppealLink(ctx, l.ID, owner, "it is my bakery"); err != nil {
		t.Fatalf("AppealLink(%d) = %v, want nil", l.ID, err)
	}
	got := e.link(t, l.ID)
	if got.Status != tiny.StatusBlocked || got.Safety.Review != tiny.ReviewAppeal || got.Safety.Auto != tiny.StatusBlocked {
		t.Errorf("LinkByID(%d) after an appeal = %s, want Status blocked and Review appeal", l.ID, linkString(got))
	}
	entries := e.audit(t, tiny.AuditFilter{LinkID: l.ID})
	if len(entries) != 2 {
		t.Fatalf("AuditLog(link %d) after a blocked create and an appeal = %s, want 2 entries", l.ID, auditString(entries))
	}
	want := &tiny.AuditEntry{LinkID: l.ID, URL: l.URL, ActorID: owner, Action: tiny.ActionAppealed, Reason: "it is my bakery",
		Score: 0.9, AutoBefore: tiny.StatusBlocked, ReviewBefore: tiny.ReviewNone}
	if d := auditDiff(entries[0], want); d != "" {
		t.Errorf("AuditLog(link %d)[0] after an appeal: %s", l.ID, d)
	}
	queue, err := e.s.ReviewQueue(ctx, tiny.ReviewFilter{})
	if err != nil {
		t.Fatalf("ReviewQueue() = %v, want nil", err)
	}
	if !slices.Contains(linkIDs(queue), l.ID) {
		t.Errorf("ReviewQueue() = links %v, want the appealed link %d among them", linkIDs(queue), l.ID)
	}

	wantCode(t, "AppealLink a second time", e.s.AppealLink(ctx, l.ID, owner, "again"), tiny.Conflict, "")
	// A report on a link with an appeal open counts, and keeps the appeal.
	e.report(t, l.ID, 1)
	if got := e.link(t, l.ID); got.Safety.Review != tiny.ReviewAppeal || got.Safety.Reports != 1 {
		t.Errorf("LinkByID(%d) after a report on an appeal = %s, want Review appeal and Reports 1", l.ID, linkString(got))
	}
	// The moderator upholds the block; the owner may appeal again.
	e.decide(t, tiny.Decision{LinkID: l.ID, Status: tiny.StatusBlocked, ActorID: moderator, Reason: "upheld"})
	if err := e.s.AppealLink(ctx, l.ID, owner, "please look again"); err != nil {
		t.Errorf("AppealLink(%d) after the block was upheld = %v, want nil", l.ID, err)
	}
	if got := e.audit(t, tiny.AuditFilter{LinkID: l.ID}); len(got) != 5 {
		t.Errorf("AuditLog(link %d) = %s, want 5 entries (create, appeal, report, block, appeal)", l.ID, auditString(got))
	}

	gone := e.create(t, func(l *tiny.Link) { l.Status = tiny.StatusBlocked })
	if err := e.s.DeleteLink(ctx, gone.ID); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", gone.ID, err)
	}
	for _, id := range []int64{gone.ID, 9999} {
		wantCode(t, fmt.Sprintf("AppealLink(%d)", id), e.s.AppealLink(ctx, id, owner, "x"), tiny.NotFound, "")
	}
}

func testReviewQueue(t *testing.T, e *env) {
	ctx := t.Context()
	// Created in the order of their ids; the queue's order is by score,
	// then reports, then age.
	d := e.create(t, func(l *tiny.Link) { l.Safety.Score = 0.5 }) // reported once below
	a := e.create(t, flagged(0.9))
	b := e.create(t, flagged(0.5))                            // reported 3 times below
	e.create(t, func(l *tiny.Link) { l.Safety.Score = 0.99 }) // not in the queue
	c := e.create(t, flagged(0.5))                            // reported once below, after d in age
	deleted := e.create(t, flagged(1))
	g := e.create(t, nil) // reported: score 0
	decided := e.create(t, flagged(0.95))
	e.report(t, d.ID, 1)
	e.report(t, b.ID, 3)
	e.report(t, c.ID, 1)
	e.report(t, g.ID, 1)
	if err := e.s.DeleteLink(ctx, deleted.ID); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", deleted.ID, err)
	}
	e.decide(t, tiny.Decision{LinkID: decided.ID, Status: tiny.StatusActive, ActorID: moderator})

	want := []int64{a.ID, b.ID, d.ID, c.ID, g.ID}
	queue := func(f tiny.ReviewFilter) []*tiny.Link {
		t.Helper()
		got, err := e.s.ReviewQueue(ctx, f)
		if err != nil {
			t.Fatalf("ReviewQueue(%+v) = %v, want nil", f, err)
		}
		return got
	}
	all := queue(tiny.ReviewFilter{})
	if got := linkIDs(all); !slices.Equal(got, want) {
		t.Errorf("ReviewQueue() = links %v, want %v (score desc, reports desc, oldest first)", got, want)
	}
	for _, l := range all {
		if stored := e.link(t, l.ID); linkDiff(l, stored) != "" {
			t.Errorf("ReviewQueue() link %d = %s, want it as LinkByID gives it, %s", l.ID, linkString(l), linkString(stored))
		}
	}
	for _, tt := range []struct {
		f    tiny.ReviewFilter
		want []int64
	}{
		{tiny.ReviewFilter{Limit: 2}, want[:2]},
		{tiny.ReviewFilter{Limit: 2, Offset: 2}, want[2:4]},
		{tiny.ReviewFilter{Limit: 2, Offset: 4}, want[4:]},
		{tiny.ReviewFilter{Limit: 2, Offset: 5}, nil},
		{tiny.ReviewFilter{Offset: 3}, want[3:]},
	} {
		if got := linkIDs(queue(tt.f)); !slices.Equal(got, tt.want) {
			t.Errorf("ReviewQueue(%+v) = links %v, want %v", tt.f, got, tt.want)
		}
	}
}

func testAddAudit(t *testing.T, e *env) {
	e0 := &tiny.AuditEntry{URL: "https://phish.example/login", ActorID: 5, Action: tiny.ActionRefused,
		Reason: "blocklist: phish.example", Score: 0.99}
	want := *e0
	if err := e.s.AddAudit(t.Context(), e0); err != nil {
		t.Fatalf("AddAudit(%+v) = %v, want nil", want, err)
	}
	if e0.ID == 0 {
		t.Errorf("AddAudit left ID 0, want it set")
	}
	e.checkRecent(t, "AddAudit().CreatedAt", e0.CreatedAt)
	got := e.audit(t, tiny.AuditFilter{})
	if len(got) != 1 {
		t.Fatalf("AuditLog() after AddAudit = %s, want 1 entry", auditString(got))
	}
	if d := auditDiff(got[0], &want); d != "" {
		t.Errorf("AuditLog()[0] after AddAudit: %s", d)
	}
	if got[0].ID != e0.ID || !got[0].CreatedAt.Equal(e0.CreatedAt) {
		t.Errorf("AuditLog()[0] = ID %d CreatedAt %v, want %d %v as AddAudit set them", got[0].ID, got[0].CreatedAt, e0.ID, e0.CreatedAt)
	}
	// Nothing changed a link.
	if links, err := e.s.ListLinks(t.Context(), tiny.LinkFilter{}); err != nil || len(links) != 0 {
		t.Errorf("ListLinks() after AddAudit = %d links, %v; want none", len(links), err)
	}
}

func testAuditLog(t *testing.T, e *env) {
	ctx := t.Context()
	a := e.create(t, flagged(0.5)) // 1 entry
	b := e.create(t, nil)
	e.report(t, b.ID, 2)                                                                     // 2 entries
	e.decide(t, tiny.Decision{LinkID: a.ID, Status: tiny.StatusBlocked, ActorID: moderator}) // 1 entry
	e.report(t, b.ID, 1)                                                                     // 1 entry
	if err := e.s.AddAudit(ctx, &tiny.AuditEntry{URL: "https://x.example/", ActorID: 3, Action: tiny.ActionRefused}); err != nil {
		t.Fatalf("AddAudit() = %v, want nil", err)
	}

	all := e.audit(t, tiny.AuditFilter{})
	gotActions := make([]string, 0, len(all))
	for _, x := range all {
		gotActions = append(gotActions, fmt.Sprintf("%d:%s", x.LinkID, x.Action))
	}
	wantActions := []string{"0:refused", fmt.Sprintf("%d:reported", b.ID), fmt.Sprintf("%d:blocked", a.ID),
		fmt.Sprintf("%d:reported", b.ID), fmt.Sprintf("%d:reported", b.ID), fmt.Sprintf("%d:flagged", a.ID)}
	if !slices.Equal(gotActions, wantActions) {
		t.Fatalf("AuditLog() = %v, want %v (newest first)", gotActions, wantActions)
	}

	byLink := e.audit(t, tiny.AuditFilter{LinkID: b.ID})
	if len(byLink) != 3 || byLink[0].ID != all[1].ID || byLink[1].ID != all[3].ID || byLink[2].ID != all[4].ID {
		t.Errorf("AuditLog(link %d) = %s, want its 3 reports, newest first: %s", b.ID, auditString(byLink), auditString(all))
	}
	if got := e.audit(t, tiny.AuditFilter{LinkID: 9999}); len(got) != 0 {
		t.Errorf("AuditLog(link 9999) = %s, want none", auditString(got))
	}

	// Walk the whole log two entries at a time with the cursor.
	var walked []*tiny.AuditEntry
	for f := (tiny.AuditFilter{Limit: 2}); ; {
		page := e.audit(t, f)
		if len(page) > 2 {
			t.Fatalf("AuditLog(%+v) = %d entries, want at most 2", f, len(page))
		}
		if len(page) == 0 {
			break
		}
		walked = append(walked, page...)
		f.BeforeID = page[len(page)-1].ID
		if len(walked) > len(all) {
			t.Fatalf("walking AuditLog by cursor gave more than the %d entries", len(all))
		}
	}
	if d := slices.CompareFunc(walked, all, func(x, y *tiny.AuditEntry) int { return cmp.Compare(x.ID, y.ID) }); d != 0 {
		t.Errorf("AuditLog walked by cursor = %s, want %s", auditString(walked), auditString(all))
	}
	// The cursor and the link together.
	if got := e.audit(t, tiny.AuditFilter{LinkID: b.ID, BeforeID: byLink[0].ID, Limit: 1}); len(got) != 1 || got[0].ID != byLink[1].ID {
		t.Errorf("AuditLog(link %d, before %d, limit 1) = %s, want entry %d", b.ID, byLink[0].ID, auditString(got), byLink[1].ID)
	}
}

func testCreatorHistory(t *testing.T, e *env) {
	ctx := t.Context()
	const user, other = 5, 6
	owned := func(owner int64, mod func(l *tiny.Link)) func(l *tiny.Link) {
		return func(l *tiny.Link) {
			if mod != nil {
				mod(l)
			}
			l.OwnerID = owner
		}
	}
	refuse := func(actor int64) *tiny.AuditEntry {
		t.Helper()
		a := &tiny.AuditEntry{URL: "https://bad.example/", ActorID: actor, Action: tiny.ActionRefused, Score: 1}
		if err := e.s.AddAudit(ctx, a); err != nil {
			t.Fatalf("AddAudit(refused by %d) = %v, want nil", actor, err)
		}
		return a
	}
	history := func(userID int64, since time.Time, want tiny.CreatorHistory) {
		t.Helper()
		got, err := e.s.CreatorHistory(ctx, userID, since)
		if err != nil {
			t.Fatalf("CreatorHistory(%d, %v) = %v, want nil", userID, since, err)
		}
		if got != want {
			t.Errorf("CreatorHistory(%d, %v) = %+v, want %+v", userID, since, got, want)
		}
	}
	blockedMod := func(l *tiny.Link) { l.Status = tiny.StatusBlocked }

	// Before the cut: 2 links (1 blocked by the system at create) and 1
	// refused create of the user.
	early := e.create(t, owned(user, nil))
	lastEarly := e.create(t, owned(user, blockedMod)).CreatedAt
	lastEarly = maxTime(lastEarly, refuse(user).CreatedAt)
	time.Sleep(20 * time.Millisecond)
	cut := lastEarly.Add(10 * time.Millisecond)
	time.Sleep(20 * time.Millisecond)

	// After it: 3 links of the user (one deleted, one blocked later by a
	// moderator), 2 refused creates; and others' links and refusals.
	e.create(t, owned(user, nil))
	late := e.create(t, owned(user, nil))
	gone := e.create(t, owned(user, nil))
	if err := e.s.DeleteLink(ctx, gone.ID); err != nil {
		t.Fatalf("DeleteLink(%d) = %v, want nil", gone.ID, err)
	}
	refuse(user)
	refuse(user)
	if first := e.link(t, late.ID).CreatedAt; !first.After(cut) {
		t.Fatalf("link created after the cut %v has CreatedAt %v: the clock did not advance", cut, first)
	}
	otherLink := e.create(t, owned(other, blockedMod))
	e.create(t, owned(other, nil))
	refuse(other)
	refuse(tiny.SystemActor)
	// Entries of the user that are not refusals do not count.
	if err := e.s.AddAudit(ctx, &tiny.AuditEntry{LinkID: early.ID, URL: early.URL, ActorID: user, Action: tiny.ActionAppealed}); err != nil {
		t.Fatalf("AddAudit(appealed) = %v, want nil", err)
	}
	e.decide(t, tiny.Decision{LinkID: late.ID, Status: tiny.StatusBlocked, ActorID: moderator})
	e.decide(t, tiny.Decision{LinkID: otherLink.ID, Status: tiny.StatusActive, ActorID: moderator})

	history(user, cut, tiny.CreatorHistory{LinksSince: 3, RefusedSince: 2, Blocked: 2})
	history(user, e.start.Add(-time.Hour), tiny.CreatorHistory{LinksSince: 5, RefusedSince: 3, Blocked: 2})
	history(user, time.Now().Add(time.Hour), tiny.CreatorHistory{Blocked: 2})
	history(other, e.start.Add(-time.Hour), tiny.CreatorHistory{LinksSince: 2, RefusedSince: 1, Blocked: 0})
	history(99, e.start.Add(-time.Hour), tiny.CreatorHistory{})
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func testDecisionCounts(t *testing.T, e *env) {
	ctx := t.Context()
	if got, err := e.s.DecisionCounts(ctx); err != nil || len(got) != 0 {
		t.Errorf("DecisionCounts() on an empty store = %v, %v; want none, nil", got, err)
	}
	e.makeDecisions(t, nil)

	got, err := e.s.DecisionCounts(ctx)
	if err != nil {
		t.Fatalf("DecisionCounts() = %v, want nil", err)
	}
	want := []tiny.DecisionCount{
		{AutoBefore: tiny.StatusActive, ReviewBefore: tiny.ReviewReported, Action: tiny.ActionBlocked, Count: 1},
		{AutoBefore: tiny.StatusBlocked, ReviewBefore: tiny.ReviewAppeal, Action: tiny.ActionApproved, Count: 1},
		{AutoBefore: tiny.StatusFlagged, ReviewBefore: tiny.ReviewFlagged, Action: tiny.ActionApproved, Count: 2},
		{AutoBefore: tiny.StatusFlagged, ReviewBefore: tiny.ReviewFlagged, Action: tiny.ActionBlocked, Count: 1},
	}
	byKey := func(a, b tiny.DecisionCount) int {
		return cmp.Or(cmp.Compare(a.AutoBefore, b.AutoBefore), cmp.Compare(a.ReviewBefore, b.ReviewBefore), cmp.Compare(a.Action, b.Action))
	}
	slices.SortFunc(got, byKey)
	if !slices.Equal(got, want) {
		t.Errorf("DecisionCounts() = %+v, want %+v (in any order)", got, want)
	}
}

func testLinkURLs(t *testing.T, e *env) {
	ctx := t.Context()
	var want []tiny.LinkURL
	for i := range 7 {
		l := e.create(t, func(l *tiny.Link) {
			if i == 4 {
				l.Status = tiny.StatusBlocked
			}
		})
		if i == 2 {
			if err := e.s.DeleteLink(ctx, l.ID); err != nil {
				t.Fatalf("DeleteLink(%d) = %v, want nil", l.ID, err)
			}
			continue
		}
		want = append(want, tiny.LinkURL{ID: l.ID, URL: l.URL, Status: l.Status})
	}
	var got []tiny.LinkURL
	var after int64
	for pages := 0; ; pages++ {
		page, err := e.s.LinkURLs(ctx, after, 2)
		if err != nil {
			t.Fatalf("LinkURLs(%d, 2) = %v, want nil", after, err)
		}
		if len(page) > 2 {
			t.Fatalf("LinkURLs(%d, 2) = %d links, want at most 2", after, len(page))
		}
		if len(page) == 0 || pages > len(want) {
			break
		}
		got = append(got, page...)
		after = page[len(page)-1].ID
	}
	if !slices.Equal(got, want) {
		t.Errorf("LinkURLs walked 2 at a time = %+v, want %+v (lowest id first, the deleted link left out)", got, want)
	}
	if page, err := e.s.LinkURLs(ctx, want[1].ID, 1); err != nil || len(page) != 1 || page[0] != want[2] {
		t.Errorf("LinkURLs(%d, 1) = %+v, %v; want [%+v]: the deleted link skipped", want[1].ID, page, err, want[2])
	}
	if page, err := e.s.LinkURLs(ctx, want[len(want)-1].ID, 10); err != nil || len(page) != 0 {
		t.Errorf("LinkURLs(last id, 10) = %+v, %v; want none", page, err)
	}
}
