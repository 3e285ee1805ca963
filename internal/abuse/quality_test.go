package abuse

import (
	"encoding/json"
	"math"
	"testing"

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
