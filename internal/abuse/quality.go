package abuse

import (
	"math"
	"strconv"
	"time"

	"tiny/internal/tiny"
)

// Quality measures the automatic decisions against the moderators'.
//
// A link the system flagged or blocked that a moderator then blocked (or
// whose block a moderator upheld) is a true positive; one a moderator
// approved is a false positive. A link the system let through that a
// moderator blocked (found through reports) is a miss. From those:
//
//   - Precision: true positives / reviewed automatic decisions.
//   - Recall (an estimate: misses nobody reported stay unseen): true
//     positives / (true positives + misses).
//   - Appeal-overturn rate: appeals a moderator granted / appeals decided.
//
// A rate is NaN until it has a denominator.
type Quality struct {
	Reviewed       int64 `json:"reviewed"`        // automatic decisions a moderator has decided on
	TruePositives  int64 `json:"true_positives"`  // ... and confirmed
	FalsePositives int64 `json:"false_positives"` // ... and overturned
	Missed         int64 `json:"missed"`          // links a moderator blocked that the system let through
	Appeals        int64 `json:"appeals_decided"`
	Overturned     int64 `json:"appeals_granted"`
	Precision      Rate  `json:"precision"`
	Recall         Rate  `json:"recall"`
	OverturnRate   Rate  `json:"appeal_overturn_rate"`
	// FlagPrecision and BlockPrecision split Precision by what the system did.
	FlagPrecision  Rate `json:"flag_precision"`
	BlockPrecision Rate `json:"block_precision"`
}

// Rate is a share in [0, 1], or NaN (JSON null) while nothing was measured.
type Rate float64

// MarshalJSON writes NaN as null.
func (r Rate) MarshalJSON() ([]byte, error) {
	if math.IsNaN(float64(r)) {
		return []byte("null"), nil
	}
	return strconv.AppendFloat(nil, float64(r), 'g', 6, 64), nil
}

// QualityOf computes Quality from the moderators' decision counts.
func QualityOf(counts []tiny.DecisionCount) Quality {
	var q Quality
	var flagTP, flagAll, blockTP, blockAll int64
	for _, c := range counts {
		auto := c.AutoBefore == tiny.StatusFlagged || c.AutoBefore == tiny.StatusBlocked
		blocked := c.Action == tiny.ActionBlocked
		switch {
		case auto && blocked:
			q.TruePositives += c.Count
		case auto:
			q.FalsePositives += c.Count
		case blocked:
			q.Missed += c.Count
		}
		if auto {
			q.Reviewed += c.Count
		}
		switch c.AutoBefore {
		case tiny.StatusFlagged:
			flagAll += c.Count
			if blocked {
				flagTP += c.Count
			}
		case tiny.StatusBlocked:
			blockAll += c.Count
			if blocked {
				blockTP += c.Count
			}
		}
		if c.ReviewBefore == tiny.ReviewAppeal {
			q.Appeals += c.Count
			if !blocked {
				q.Overturned += c.Count
			}
		}
	}
	q.Precision = ratio(q.TruePositives, q.Reviewed)
	q.Recall = ratio(q.TruePositives, q.TruePositives+q.Missed)
	q.OverturnRate = ratio(q.Overturned, q.Appeals)
	q.FlagPrecision = ratio(flagTP, flagAll)
	q.BlockPrecision = ratio(blockTP, blockAll)
	return q
}

// WeekQuality is the Quality of the decisions of one week.
type WeekQuality struct {
	Start time.Time // Monday, 00:00 UTC
	Quality
}

// Week returns the Monday (00:00 UTC) that starts t's week.
func Week(t time.Time) time.Time {
	d := t.UTC().Truncate(24 * time.Hour)
	return d.AddDate(0, 0, -(int(d.Weekday())+6)%7)
}

// WeeklyQuality computes the Quality of each of n weeks, the first starting
// at Week(from), from counts per day; a week without decisions has NaN
// rates, and days outside the weeks are left out.
func WeeklyQuality(days []tiny.DailyDecisionCount, from time.Time, n int) []WeekQuality {
	start := Week(from)
	byWeek := make([][]tiny.DecisionCount, n)
	for _, d := range days {
		i := int(d.Day.Sub(start) / (7 * 24 * time.Hour))
		if d.Day.Before(start) || i >= n {
			continue
		}
		byWeek[i] = append(byWeek[i], d.DecisionCount)
	}
	out := make([]WeekQuality, n)
	for i, counts := range byWeek {
		out[i] = WeekQuality{Start: start.AddDate(0, 0, 7*i), Quality: QualityOf(counts)}
	}
	return out
}

func ratio(a, b int64) Rate {
	if b == 0 {
		return Rate(math.NaN())
	}
	return Rate(float64(a) / float64(b))
}
