package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"tiny/internal/tiny"
)

// auditCut waits until the store's clock has passed every entry so far and
// returns a time between them and the entries to come.
func (e *env) auditCut(t *testing.T) time.Time {
	t.Helper()
	all := e.audit(t, tiny.AuditFilter{Limit: 1})
	time.Sleep(20 * time.Millisecond)
	cut := time.Now()
	if len(all) > 0 && !cut.After(all[0].CreatedAt) {
		t.Fatalf("the clock did not pass the newest entry's %v", all[0].CreatedAt)
	}
	time.Sleep(20 * time.Millisecond)
	return cut
}

func auditIDs(entries []*tiny.AuditEntry) []int64 {
	ids := make([]int64, len(entries))
	for i, a := range entries {
		ids[i] = a.ID
	}
	return ids
}

// makeDecisions makes five moderators' decisions, one of each kind
// QualityOf tells apart (flagged links approved by two moderators and
// blocked, a reported link blocked, an appeal granted), and entries that
// are not moderators' decisions (the system's block, a refusal, reports,
// appeals). mid, when not nil, runs after the first two decisions.
func (e *env) makeDecisions(t *testing.T, mid func()) {
	t.Helper()
	ctx := t.Context()
	decide := func(l *tiny.Link, status tiny.LinkStatus, actor int64) {
		t.Helper()
		e.decide(t, tiny.Decision{LinkID: l.ID, Status: status, ActorID: actor})
	}
	decide(e.create(t, flagged(0.5)), tiny.StatusActive, moderator)
	decide(e.create(t, flagged(0.5)), tiny.StatusBlocked, moderator)
	if mid != nil {
		mid()
	}
	decide(e.create(t, flagged(0.5)), tiny.StatusActive, moderator+1)
	// Active and reported, then blocked.
	r := e.create(t, nil)
	e.report(t, r.ID, 1)
	decide(r, tiny.StatusBlocked, moderator)
	// Blocked by the system, appealed, then approved.
	ap := e.create(t, func(l *tiny.Link) { l.Status = tiny.StatusBlocked })
	if err := e.s.AppealLink(ctx, ap.ID, 42, "mine"); err != nil {
		t.Fatalf("AppealLink(%d) = %v, want nil", ap.ID, err)
	}
	decide(ap, tiny.StatusActive, moderator)
	// Not moderators' decisions.
	decide(e.create(t, flagged(0.5)), tiny.StatusBlocked, tiny.SystemActor)
	if err := e.s.AddAudit(ctx, &tiny.AuditEntry{URL: "https://x.example/", ActorID: 9, Action: tiny.ActionRefused}); err != nil {
		t.Fatalf("AddAudit() = %v, want nil", err)
	}
}

// testAuditFilters checks that each filter of AuditLog, alone and with
// the others and the cursor, selects exactly the entries it names.
func testAuditFilters(t *testing.T, e *env) {
	ctx := t.Context()
	const owner, user = 1, 3
	add := func(a *tiny.AuditEntry) *tiny.AuditEntry {
		t.Helper()
		if err := e.s.AddAudit(ctx, a); err != nil {
			t.Fatalf("AddAudit(%+v) = %v, want nil", a, err)
		}
		return a
	}
	latest := func() *tiny.AuditEntry {
		t.Helper()
		return e.audit(t, tiny.AuditFilter{Limit: 1})[0]
	}

	// Three periods, each with entries of tiny, moderators and users.
	a := e.create(t, flagged(0.5))
	flaggedA := latest()
	b := e.create(t, nil)
	e.report(t, b.ID, 1)
	report1 := latest()
	refused := add(&tiny.AuditEntry{URL: "https://bad.example/", ActorID: user, Action: tiny.ActionRefused, Score: 1})
	cut1 := e.auditCut(t)

	e.decide(t, tiny.Decision{LinkID: a.ID, Status: tiny.StatusBlocked, ActorID: moderator})
	blockA := latest()
	if err := e.s.AppealLink(ctx, a.ID, owner, "mine"); err != nil {
		t.Fatalf("AppealLink(%d) = %v, want nil", a.ID, err)
	}
	appealA := latest()
	signIn := add(&tiny.AuditEntry{ActorID: moderator, Action: "sign_in", Reason: "password"})
	cut2 := e.auditCut(t)

	e.decide(t, tiny.Decision{LinkID: a.ID, Status: tiny.StatusActive, ActorID: moderator + 1})
	approveA := latest()
	e.report(t, b.ID, 1)
	report2 := latest()
	e.decide(t, tiny.Decision{LinkID: b.ID, Status: tiny.StatusBlocked, ActorID: tiny.SystemActor, Score: 0.9})
	systemBlockB := latest()

	all := e.audit(t, tiny.AuditFilter{})
	if len(all) != 9 {
		t.Fatalf("AuditLog() = %s, want 9 entries", auditString(all))
	}
	sys, mod, mod2, nobody := tiny.SystemActor, moderator, moderator+1, int64(999)
	tests := []struct {
		name string
		f    tiny.AuditFilter
		want []*tiny.AuditEntry // newest first
	}{
		{"actor system", tiny.AuditFilter{ActorID: &sys}, []*tiny.AuditEntry{systemBlockB, report2, report1, flaggedA}},
		{"actor moderator", tiny.AuditFilter{ActorID: &mod}, []*tiny.AuditEntry{signIn, blockA}},
		{"actor user", tiny.AuditFilter{ActorID: ptr(int64(user))}, []*tiny.AuditEntry{refused}},
		{"actor nobody", tiny.AuditFilter{ActorID: &nobody}, nil},
		{"action blocked", tiny.AuditFilter{Actions: []tiny.AuditAction{tiny.ActionBlocked}}, []*tiny.AuditEntry{systemBlockB, blockA}},
		{"actions approved or blocked", tiny.AuditFilter{Actions: []tiny.AuditAction{tiny.ActionApproved, tiny.ActionBlocked}},
			[]*tiny.AuditEntry{systemBlockB, approveA, blockA}},
		{"action account event", tiny.AuditFilter{Actions: []tiny.AuditAction{"sign_in"}}, []*tiny.AuditEntry{signIn}},
		{"action unknown", tiny.AuditFilter{Actions: []tiny.AuditAction{"no_such"}}, nil},
		{"from", tiny.AuditFilter{From: cut2}, []*tiny.AuditEntry{systemBlockB, report2, approveA}},
		{"to", tiny.AuditFilter{To: cut1}, []*tiny.AuditEntry{refused, report1, flaggedA}},
		{"from and to", tiny.AuditFilter{From: cut1, To: cut2}, []*tiny.AuditEntry{signIn, appealA, blockA}},
		{"from the entry's own time", tiny.AuditFilter{From: appealA.CreatedAt, To: appealA.CreatedAt.Add(time.Millisecond)},
			nil}, // filled below: every entry made in that millisecond
		{"empty range", tiny.AuditFilter{From: cut2, To: cut1}, nil},
		{"actor and action", tiny.AuditFilter{ActorID: &sys, Actions: []tiny.AuditAction{tiny.ActionReported}}, []*tiny.AuditEntry{report2, report1}},
		{"actor and time", tiny.AuditFilter{ActorID: &sys, From: cut2}, []*tiny.AuditEntry{systemBlockB, report2}},
		{"moderator 2 before cut 2", tiny.AuditFilter{ActorID: &mod2, To: cut2}, nil},
		{"link, action and time", tiny.AuditFilter{LinkID: a.ID, Actions: []tiny.AuditAction{tiny.ActionBlocked, tiny.ActionApproved}, From: cut1},
			[]*tiny.AuditEntry{approveA, blockA}},
		{"everything", tiny.AuditFilter{LinkID: b.ID, ActorID: &sys, Actions: []tiny.AuditAction{tiny.ActionReported}, From: cut1, To: time.Now().Add(time.Hour)},
			[]*tiny.AuditEntry{report2}},
	}
	for _, x := range all {
		if !x.CreatedAt.Before(appealA.CreatedAt) && x.CreatedAt.Before(appealA.CreatedAt.Add(time.Millisecond)) {
			tests[11].want = append(tests[11].want, x)
		}
	}
	for _, tt := range tests {
		got := e.audit(t, tt.f)
		if !slices.Equal(auditIDs(got), auditIDs(tt.want)) {
			t.Errorf("AuditLog(%s) = %s, want %s", tt.name, auditString(got), auditString(tt.want))
			continue
		}
		// The same entries, one page at a time with the cursor.
		var walked []*tiny.AuditEntry
		for f := tt.f; ; {
			f.Limit = 1
			page := e.audit(t, f)
			if len(page) == 0 {
				break
			}
			walked = append(walked, page...)
			f.BeforeID = page[0].ID
			if len(walked) > len(tt.want) {
				break
			}
		}
		if !slices.Equal(auditIDs(walked), auditIDs(tt.want)) {
			t.Errorf("AuditLog(%s) walked one by one with the cursor = %s, want %s", tt.name, auditString(walked), auditString(tt.want))
		}
		// The cursor after the first leaves the others.
		if len(tt.want) > 1 {
			f := tt.f
			f.BeforeID = tt.want[0].ID
			if got := e.audit(t, f); !slices.Equal(auditIDs(got), auditIDs(tt.want[1:])) {
				t.Errorf("AuditLog(%s, before %d) = %s, want %s", tt.name, f.BeforeID, auditString(got), auditString(tt.want[1:]))
			}
		}
	}
}

// utcDay is the midnight (UTC) that starts t's day.
func utcDay(t time.Time) time.Time {
	return t.UTC().Truncate(24 * time.Hour)
}

func testDailyDecisionCounts(t *testing.T, e *env) {
	ctx := t.Context()
	daily := func(from, to time.Time) []tiny.DailyDecisionCount {
		t.Helper()
		got, err := e.s.DailyDecisionCounts(ctx, from, to)
		if err != nil {
			t.Fatalf("DailyDecisionCounts(%v, %v) = %v, want nil", from, to, err)
		}
		for i, c := range got {
			if c.Day.Location() != time.UTC || !c.Day.Equal(utcDay(c.Day)) {
				t.Errorf("DailyDecisionCounts(%v, %v)[%d].Day = %v, want a midnight in UTC", from, to, i, c.Day)
			}
			if i > 0 && c.Day.Before(got[i-1].Day) {
				t.Errorf("DailyDecisionCounts(%v, %v) = %+v, want the oldest day first", from, to, got)
			}
		}
		return got
	}
	wide := e.start.Add(-48 * time.Hour)
	if got := daily(wide, time.Now().Add(48*time.Hour)); len(got) != 0 {
		t.Errorf("DailyDecisionCounts() on an empty store = %+v, want none", got)
	}
	// Two decisions before the cut, three after it.
	var cut time.Time
	e.makeDecisions(t, func() { cut = e.auditCut(t) })
	end := time.Now().Add(time.Second)

	// What the days hold, from the entries themselves.
	want := func(from, to time.Time) []tiny.DailyDecisionCount {
		counts := map[tiny.DailyDecisionCount]int64{}
		for _, x := range e.audit(t, tiny.AuditFilter{From: from, To: to,
			Actions: []tiny.AuditAction{tiny.ActionApproved, tiny.ActionBlocked}}) {
			if x.ActorID == tiny.SystemActor {
				continue
			}
			counts[tiny.DailyDecisionCount{Day: utcDay(x.CreatedAt), DecisionCount: tiny.DecisionCount{
				AutoBefore: x.AutoBefore, ReviewBefore: x.ReviewBefore, Action: x.Action}}]++
		}
		var out []tiny.DailyDecisionCount
		for k, n := range counts {
			k.Count = n
			out = append(out, k)
		}
		slices.SortFunc(out, cmpDaily)
		return out
	}
	check := func(name string, from, to time.Time, total int64) {
		t.Helper()
		got := daily(from, to)
		slices.SortFunc(got, cmpDaily)
		w := want(from, to)
		if fmt.Sprint(got) != fmt.Sprint(w) {
			t.Errorf("DailyDecisionCounts(%s) = %+v, want %+v", name, got, w)
		}
		var n int64
		for _, c := range got {
			n += c.Count
		}
		if n != total {
			t.Errorf("DailyDecisionCounts(%s) counts %d decisions, want %d", name, n, total)
		}
	}
	check("everything", wide, end, 5)
	check("before the cut", wide, cut, 2)
	check("after the cut", cut, end, 3)
	check("before any", wide, e.start.Add(-time.Hour), 0)
	// The days together hold what DecisionCounts holds.
	total, err := e.s.DecisionCounts(ctx)
	if err != nil {
		t.Fatalf("DecisionCounts() = %v, want nil", err)
	}
	sum := map[tiny.DecisionCount]int64{}
	for _, c := range daily(wide, end) {
		k := c.DecisionCount
		k.Count = 0
		sum[k] += c.Count
	}
	for _, c := range total {
		k := c
		k.Count = 0
		if sum[k] != c.Count {
			t.Errorf("DailyDecisionCounts summed over days: %+v counts %d, DecisionCounts %d", k, sum[k], c.Count)
		}
	}
}

func cmpDaily(a, b tiny.DailyDecisionCount) int {
	return cmp.Or(a.Day.Compare(b.Day), cmp.Compare(a.AutoBefore, b.AutoBefore),
		cmp.Compare(a.ReviewBefore, b.ReviewBefore), cmp.Compare(a.Action, b.Action))
}
