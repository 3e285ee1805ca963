package urlscore

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
)

// Report is the quality of a model at its two thresholds on a labelled set.
// Rates are fractions in [0, 1]; a rate over no rows is 0.
type Report struct {
	Rows            int     `json:"rows"`
	Malicious       int     `json:"malicious"`
	Benign          int     `json:"benign"`
	BlockThreshold  float64 `json:"block_threshold"`
	ReviewThreshold float64 `json:"review_threshold"`

	// At the block threshold: the share of blocked rows that are malicious,
	// of malicious rows blocked, and of benign rows blocked.
	BlockPrecision float64 `json:"block_precision"`
	BlockRecall    float64 `json:"block_recall"`
	BlockFPR       float64 `json:"block_fpr"`
	// At the review threshold (review or block): the share of malicious
	// rows caught and of benign rows flagged.
	ReviewRecall     float64 `json:"review_recall"`
	ReviewBenignRate float64 `json:"review_benign_rate"`

	// The precisions the same recall and benign rates would give if 1% of
	// submitted URLs were malicious instead of the set's own mix (50/50 for
	// the development set).
	BlockPrecisionAt1pct  float64 `json:"block_precision_at_1pct_malicious"`
	ReviewPrecisionAt1pct float64 `json:"review_precision_at_1pct_malicious"`

	// 95% Wilson score intervals of the rates above: how far the
	// figures could move on another sample of the same size. The benign
	// rates rest on few rows at a low threshold (0.1% of 21,000 is 21).
	BlockRecallCI      [2]float64 `json:"block_recall_ci95"`
	BlockFPRCI         [2]float64 `json:"block_fpr_ci95"`
	ReviewRecallCI     [2]float64 `json:"review_recall_ci95"`
	ReviewBenignRateCI [2]float64 `json:"review_benign_rate_ci95"`

	Confusion Confusion      `json:"confusion"`
	BySource  []SourceReport `json:"by_source,omitempty"`
}

// Confusion counts rows by decision and label.
type Confusion struct {
	Allow  Counts `json:"allow"`
	Review Counts `json:"review"`
	Block  Counts `json:"block"`
}

// Counts are rows by label.
type Counts struct {
	Malicious int `json:"malicious"`
	Benign    int `json:"benign"`
}

// SourceReport is the decisions on the rows of one source.
type SourceReport struct {
	Source  string `json:"source"`
	Label   string `json:"label"` // malicious, benign, or mixed
	Rows    int    `json:"rows"`
	Allowed int    `json:"allowed"`
	Review  int    `json:"review"`
	Blocked int    `json:"blocked"`
	// BlockRate and FlagRate are the shares of the rows blocked and blocked
	// or sent to review: recall for a malicious source, the benign rate
	// for a benign one.
	BlockRate float64 `json:"block_rate"`
	FlagRate  float64 `json:"flag_rate"`
	// Their 95% Wilson score intervals.
	BlockRateCI [2]float64 `json:"block_rate_ci95"`
	FlagRateCI  [2]float64 `json:"flag_rate_ci95"`
}

// CurvePoint is one operating point: the lowest threshold that flags at
// most MaxBenignRate of benign rows, and what it catches.
type CurvePoint struct {
	MaxBenignRate float64 `json:"max_benign_rate"`
	Threshold     float64 `json:"threshold"`
	Recall        float64 `json:"recall"`
	BenignRate    float64 `json:"benign_rate"`
}

// Curve is the trade-off between recall and benign rows flagged.
type Curve []CurvePoint

// curveRates are the benign rates the curve is read at.
var curveRates = []float64{0, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.10, 0.20}

// Evaluate scores the samples with the model and reports its quality at
// the model's thresholds.
func Evaluate(m *Model, samples []Sample) Report {
	scores := make([]float64, len(samples))
	for i, s := range samples {
		scores[i] = m.Score(s.URL)
	}
	return report(samples, scores, m.BlockThreshold, m.ReviewThreshold)
}

func report(samples []Sample, scores []float64, block, review float64) Report {
	r := Report{Rows: len(samples), BlockThreshold: block, ReviewThreshold: review}
	bySource := map[string]*SourceReport{}
	for i, s := range samples {
		d := Allow
		switch {
		case scores[i] >= block:
			d = Block
		case scores[i] >= review:
			d = Review
		}
		c := map[Decision]*Counts{Allow: &r.Confusion.Allow, Review: &r.Confusion.Review, Block: &r.Confusion.Block}[d]
		label := "benign"
		if s.Malicious {
			r.Malicious++
			c.Malicious++
			label = "malicious"
		} else {
			r.Benign++
			c.Benign++
		}
		if s.Source == "" {
			continue
		}
		sr := bySource[s.Source]
		if sr == nil {
			sr = &SourceReport{Source: s.Source, Label: label}
			bySource[s.Source] = sr
		}
		if sr.Label != label {
			sr.Label = "mixed"
		}
		sr.Rows++
		switch d {
		case Allow:
			sr.Allowed++
		case Review:
			sr.Review++
		case Block:
			sr.Blocked++
		}
	}
	cm := r.Confusion
	r.BlockPrecision = rate(cm.Block.Malicious, cm.Block.Malicious+cm.Block.Benign)
	r.BlockRecall = rate(cm.Block.Malicious, r.Malicious)
	r.BlockFPR = rate(cm.Block.Benign, r.Benign)
	r.ReviewRecall = rate(cm.Block.Malicious+cm.Review.Malicious, r.Malicious)
	r.ReviewBenignRate = rate(cm.Block.Benign+cm.Review.Benign, r.Benign)
	r.BlockRecallCI = wilson(cm.Block.Malicious, r.Malicious)
	r.BlockFPRCI = wilson(cm.Block.Benign, r.Benign)
	r.ReviewRecallCI = wilson(cm.Block.Malicious+cm.Review.Malicious, r.Malicious)
	r.ReviewBenignRateCI = wilson(cm.Block.Benign+cm.Review.Benign, r.Benign)
	r.BlockPrecisionAt1pct = precisionAt(0.01, r.BlockRecall, r.BlockFPR)
	r.ReviewPrecisionAt1pct = precisionAt(0.01, r.ReviewRecall, r.ReviewBenignRate)
	for _, sr := range bySource {
		sr.BlockRate = rate(sr.Blocked, sr.Rows)
		sr.FlagRate = rate(sr.Blocked+sr.Review, sr.Rows)
		sr.BlockRateCI = wilson(sr.Blocked, sr.Rows)
		sr.FlagRateCI = wilson(sr.Blocked+sr.Review, sr.Rows)
		r.BySource = append(r.BySource, *sr)
	}
	// Malicious sources first, then by name, so the table reads the same
	// every time.
	slices.SortFunc(r.BySource, func(a, b SourceReport) int {
		if a.Label != b.Label {
			return map[string]int{"malicious": 0, "mixed": 1, "benign": 2}[a.Label] -
				map[string]int{"malicious": 0, "mixed": 1, "benign": 2}[b.Label]
		}
		if a.Source < b.Source {
			return -1
		}
		return 1
	})
	return r
}

func rate(n, of int) float64 {
	if of == 0 {
		return 0
	}
	return float64(n) / float64(of)
}

// wilson is the 95% Wilson score interval of the proportion k of n; unlike
// the normal approximation it stays inside [0, 1] and is usable for k near
// 0, as the benign rows at the block threshold are.
func wilson(k, n int) [2]float64 {
	if n == 0 {
		return [2]float64{0, 1}
	}
	const z = 1.959963984540054
	p, nf := float64(k)/float64(n), float64(n)
	d := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / d
	h := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / d
	return [2]float64{max(0, c-h), min(1, c+h)}
}

// precisionAt converts recall and benign rate to the precision at a base
// rate of malicious URLs.
func precisionAt(base, recall, fpr float64) float64 {
	tp, fp := base*recall, (1-base)*fpr
	if tp+fp == 0 {
		return 0
	}
	return tp / (tp + fp)
}

func curveOf(scores []float64, malicious []bool) Curve {
	var nMal, nBen int
	for _, m := range malicious {
		if m {
			nMal++
		} else {
			nBen++
		}
	}
	var c Curve
	for _, target := range curveRates {
		// ChooseThresholds' block rule at another rate.
		t := lowestAt(scores, malicious, atMost(nBen, target))
		var tp, fp int
		for i, s := range scores {
			if s >= t {
				if malicious[i] {
					tp++
				} else {
					fp++
				}
			}
		}
		c = append(c, CurvePoint{MaxBenignRate: target, Threshold: t, Recall: rate(tp, nMal), BenignRate: rate(fp, nBen)})
	}
	return c
}

// lowestAt is the lowest threshold that flags at most k benign rows.
func lowestAt(scores []float64, malicious []bool, k int) float64 {
	var ben []float64
	for i, s := range scores {
		if !malicious[i] {
			ben = append(ben, s)
		}
	}
	slices.SortFunc(ben, descending)
	sorted := slices.Clone(scores)
	slices.Sort(sorted)
	return lowestThreshold(ben, sorted, k)
}

// WriteText prints the report for people.
func (r Report) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	p("rows %d (malicious %d, benign %d)\n", r.Rows, r.Malicious, r.Benign)
	p("block  at score ≥ %.4f: precision %.1f%%, recall %.1f%% (95%% CI %.1f–%.1f%%), benign blocked %.2f%% (%d rows; %.2f–%.2f%%) (precision %.1f%% if 1%% of URLs were malicious)\n",
		r.BlockThreshold, 100*r.BlockPrecision, 100*r.BlockRecall, 100*r.BlockRecallCI[0], 100*r.BlockRecallCI[1],
		100*r.BlockFPR, r.Confusion.Block.Benign, 100*r.BlockFPRCI[0], 100*r.BlockFPRCI[1], 100*r.BlockPrecisionAt1pct)
	p("review at score ≥ %.4f: recall %.1f%% (95%% CI %.1f–%.1f%%), benign flagged %.2f%% (%.2f–%.2f%%) (precision %.1f%% if 1%% of URLs were malicious)\n",
		r.ReviewThreshold, 100*r.ReviewRecall, 100*r.ReviewRecallCI[0], 100*r.ReviewRecallCI[1],
		100*r.ReviewBenignRate, 100*r.ReviewBenignRateCI[0], 100*r.ReviewBenignRateCI[1], 100*r.ReviewPrecisionAt1pct)
	p("\n\tmalicious\tbenign\t\n")
	for _, row := range []struct {
		name string
		c    Counts
	}{{"allow", r.Confusion.Allow}, {"review", r.Confusion.Review}, {"block", r.Confusion.Block}} {
		p("%s\t%d\t%d\t\n", row.name, row.c.Malicious, row.c.Benign)
	}
	if len(r.BySource) > 0 {
		p("\nsource\tlabel\trows\tallow\treview\tblock\tblocked\tflagged\t\n")
		for _, s := range r.BySource {
			p("%s\t%s\t%d\t%d\t%d\t%d\t%.1f%%\t%.1f%%\t\n", s.Source, s.Label, s.Rows, s.Allowed, s.Review, s.Blocked, 100*s.BlockRate, 100*s.FlagRate)
		}
	}
	return tw.Flush()
}

// WriteText prints the curve for people.
func (c Curve) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "benign flagged ≤\tthreshold\trecall\tbenign flagged\t\n")
	for _, p := range c {
		fmt.Fprintf(tw, "%.1f%%\t%.4f\t%.1f%%\t%.2f%%\t\n", 100*p.MaxBenignRate, p.Threshold, 100*p.Recall, 100*p.BenignRate)
	}
	return tw.Flush()
}
