package abuse

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"tiny/internal/tiny"
)

func TestQualityOf(t *testing.T) {
	counts := []tiny.DecisionCount{
		// The check flagged 10 links: moderators blocked 8 and approved 2.
		{AutoBefore: tiny.StatusFlagged, ReviewBefore: tiny.ReviewFlagged, Action: tiny.ActionBlocked, Count: 8},
		{AutoBefore: tiny.StatusFlagged, ReviewBefore: tiny.ReviewFlagged, Action: tiny.ActionApproved, Count: 2},
		// The check blocked links whose owners appealed: 3 upheld, 1 lifted.
		{AutoBefore: tiny.StatusBlocked, ReviewBefore: tiny.ReviewAppeal, Action: tiny.ActionBlocked, Count: 3},
		{AutoBefore: tiny.StatusBlocked, ReviewBefore: tiny.ReviewAppeal, Action: tiny.ActionApproved, Count: 1},
		// Reports found 4 bad links the check had let through, and 5 that were fine.
		{AutoBefore: tiny.StatusActive, ReviewBefore: tiny.ReviewReported, Action: tiny.ActionBlocked, Count: 4},
		{AutoBefore: tiny.StatusActive, ReviewBefore: tiny.ReviewReported, Action: tiny.ActionApproved, Count: 5},
	}
	q := QualityOf(counts)
	want := Quality{Reviewed: 14, TruePositives: 11, FalsePositives: 3, Missed: 4, Appeals: 4, Overturned: 1,
		Precision: 11.0 / 14, Recall: 11.0 / 15, OverturnRate: 0.25, FlagPrecision: 0.8, BlockPrecision: 0.75}
	if q != want {
		t.Errorf("QualityOf =\n%+v\nwant\n%+v", q, want)
	}
}

func TestQualityWithoutDecisionsIsNull(t *testing.T) {
	q := QualityOf(nil)
	if !math.IsNaN(float64(q.Precision)) {
		t.Errorf("precision without decisions = %v, want NaN", q.Precision)
	}
	b, err := json.Marshal(q)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"precision", "recall", "appeal_overturn_rate", "flag_precision", "block_precision"} {
		if v, ok := m[k]; !ok || v != nil {
			t.Errorf("%s = %v (present %v), want null", k, v, ok)
		}
	}
	if m["reviewed"] != float64(0) {
		t.Errorf("reviewed = %v, want 0", m["reviewed"])
	}
}

func TestWeek(t *testing.T) {
	for in, want := range map[string]string{
		"2026-12-07T00:00:00Z":      "2026-12-07", // a Monday
		"2026-12-06T23:59:59Z":      "2026-11-30", // a Sunday
		"2026-12-09T12:00:00Z":      "2026-12-07",
		"2026-12-07T01:00:00+02:00": "2026-11-30", // Sunday 23:00 UTC
	} {
		at, _ := time.Parse(time.RFC3339, in)
		if got := Week(at).Format(time.DateOnly); got != want {
			t.Errorf("Week(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestWeeklyQuality(t *testing.T) {
	day := func(s string, auto tiny.LinkStatus, review tiny.ReviewReason, action tiny.AuditAction, n int64) tiny.DailyDecisionCount {
		d, _ := time.Parse(time.DateOnly, s)
		return tiny.DailyDecisionCount{Day: d, DecisionCount: tiny.DecisionCount{AutoBefore: auto, ReviewBefore: review, Action: action, Count: n}}
	}
	days := []tiny.DailyDecisionCount{
		day("2026-11-29", tiny.StatusFlagged, tiny.ReviewFlagged, tiny.ActionBlocked, 9), // before the first week
		// Week of 11-30: flagged 3 blocked (Mon), 1 approved (Sun).
		day("2026-11-30", tiny.StatusFlagged, tiny.ReviewFlagged, tiny.ActionBlocked, 3),
		day("2026-12-06", tiny.StatusFlagged, tiny.ReviewFlagged, tiny.ActionApproved, 1),
		// Week of 12-14: an appeal granted, a miss.
		day("2026-12-15", tiny.StatusBlocked, tiny.ReviewAppeal, tiny.ActionApproved, 1),
		day("2026-12-20", tiny.StatusActive, tiny.ReviewReported, tiny.ActionBlocked, 2),
		day("2026-12-21", tiny.StatusFlagged, tiny.ReviewFlagged, tiny.ActionBlocked, 9), // after the last week
	}
	from, _ := time.Parse(time.RFC3339, "2026-12-02T15:00:00Z")
	got := WeeklyQuality(days, from, 3)
	if len(got) != 3 {
		t.Fatalf("WeeklyQuality = %d weeks, want 3", len(got))
	}
	for i, want := range []string{"2026-11-30", "2026-12-07", "2026-12-14"} {
		if s := got[i].Start.Format(time.DateOnly); s != want || got[i].Start.Location() != time.UTC {
			t.Errorf("week %d starts %v, want %s UTC", i, got[i].Start, want)
		}
	}
	// Each week's figures are QualityOf its own days.
	if q := got[0].Quality; q.TruePositives != 3 || q.FalsePositives != 1 || q.Precision != 0.75 || q.Recall != 1 {
		t.Errorf("week of 11-30 = %+v, want 3 confirmed, 1 overturned, precision 0.75, recall 1", q)
	}
	if q := got[1].Quality; q.Reviewed != 0 || !math.IsNaN(float64(q.Precision)) || !math.IsNaN(float64(q.OverturnRate)) {
		t.Errorf("empty week = %+v, want nothing and NaN rates", q)
	}
	if q := got[2].Quality; q.Missed != 2 || q.Overturned != 1 || q.OverturnRate != 1 || q.Recall != 0 || q.Precision != 0 {
		t.Errorf("week of 12-14 = %+v, want 2 missed, the appeal granted", q)
	}
}
