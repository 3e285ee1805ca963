package urlscore

import (
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
)

// Study is grouped cross-validation repeated over several seeds (each
// deals the domains into other folds and trains in another order), of the
// model trained on all of each fold's training rows and, when BaseRows is
// set, of the same recipe trained only on those of them among the first
// BaseRows rows of the file: the older, smaller set. Both models of a fold
// are scored on the same test fold, so the difference is the data's.
type Study struct {
	Rows      int      `json:"rows"`
	Malicious int      `json:"malicious"`
	Benign    int      `json:"benign"`
	BaseRows  int      `json:"base_rows,omitempty"`
	Seeds     []uint64 `json:"seeds"`
	// BlockBenignRows is how many benign rows the 0.1% of the block
	// threshold allows: the figure at that point rests on them.
	BlockBenignRows int        `json:"block_benign_rows"`
	Runs            []StudyRun `json:"runs"`
	Summary         []Summary  `json:"summary"`
}

// StudyRun is one model on one seed. Its thresholds are chosen on its own
// out-of-fold scores.
type StudyRun struct {
	Model  string `json:"model"` // "all" or "base"
	Seed   uint64 `json:"seed"`
	Report Report `json:"report"`
	Curve  Curve  `json:"curve"`
	// BenignFor90 is the share of benign rows flagged by the lowest
	// threshold that catches 90% of malicious rows.
	BenignFor90 float64 `json:"benign_rate_for_90pct_recall"`
	// Scores are the out-of-fold scores, row by row, for breakdowns the
	// report does not make (by length, scheme, bare host, …).
	Scores []float64 `json:"-"`
}

// Summary is one model's figures over the seeds.
type Summary struct {
	Model string `json:"model"`
	// Each is the mean, min and max over the seeds.
	BlockRecall      Spread `json:"block_recall"`
	BlockFPR         Spread `json:"block_fpr"`
	ReviewRecall     Spread `json:"review_recall"`
	ReviewBenignRate Spread `json:"review_benign_rate"`
	BenignFor90      Spread `json:"benign_rate_for_90pct_recall"`
	// RecallAt is the curve: recall at each benign rate of Curve.
	RecallAt []RateSpread    `json:"recall_at"`
	BySource []SourceSummary `json:"by_source"`
}

// Spread is a figure's mean, lowest and highest value over the seeds.
type Spread struct {
	Mean float64 `json:"mean"`
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
}

// RateSpread is the recall at one benign rate over the seeds.
type RateSpread struct {
	MaxBenignRate float64 `json:"max_benign_rate"`
	Recall        Spread  `json:"recall"`
}

// SourceSummary is one source's blocked and flagged shares over the seeds.
type SourceSummary struct {
	Source    string `json:"source"`
	Label     string `json:"label"`
	Rows      int    `json:"rows"`
	BlockRate Spread `json:"block_rate"`
	FlagRate  Spread `json:"flag_rate"`
}

// RunStudy runs the study; opts.Seed is ignored for the seeds. The rows'
// features are extracted once for all seeds and models.
func RunStudy(samples []Sample, seeds []uint64, baseRows int, opts Options) Study {
	opts = opts.withDefaults()
	rows := rowsOf(samples)
	mal := labels(samples)
	st := Study{Rows: len(samples), BaseRows: baseRows, Seeds: seeds}
	for _, m := range mal {
		if m {
			st.Malicious++
		} else {
			st.Benign++
		}
	}
	st.BlockBenignRows = atMost(st.Benign, BlockMaxBenignRate)
	models := []string{"all"}
	if baseRows > 0 && baseRows < len(samples) {
		models = append(models, "base")
	} else {
		st.BaseRows = 0
	}
	for _, seed := range seeds {
		o := opts
		o.Seed = seed
		for _, name := range models {
			var keep func(int) bool
			if name == "base" {
				keep = func(i int) bool { return i < baseRows }
			}
			scores, _, _ := crossFit(samples, rows, o, keep)
			block, review := ChooseThresholds(scores, mal)
			st.Runs = append(st.Runs, StudyRun{
				Model: name, Seed: seed,
				Report:      report(samples, scores, block, review),
				Curve:       curveOf(scores, mal),
				BenignFor90: benignForRecall(scores, mal, ReviewRecall),
				Scores:      scores,
			})
		}
	}
	for _, name := range models {
		st.Summary = append(st.Summary, summarise(name, st.Runs))
	}
	return st
}

// benignForRecall is the share of benign rows at or above the highest
// threshold that catches the share recall of malicious rows.
func benignForRecall(scores []float64, malicious []bool, recall float64) float64 {
	var ben, mal []float64
	for i, s := range scores {
		if malicious[i] {
			mal = append(mal, s)
		} else {
			ben = append(ben, s)
		}
	}
	if len(mal) == 0 || len(ben) == 0 {
		return 0
	}
	slices.SortFunc(mal, descending)
	t := mal[max(1, int(math.Ceil(float64(len(mal))*recall-1e-9)))-1]
	n := 0
	for _, b := range ben {
		if b >= t {
			n++
		}
	}
	return rate(n, len(ben))
}

func summarise(name string, runs []StudyRun) Summary {
	var mine []StudyRun
	for _, r := range runs {
		if r.Model == name {
			mine = append(mine, r)
		}
	}
	over := func(f func(StudyRun) float64) Spread {
		s := Spread{Min: math.Inf(1), Max: math.Inf(-1)}
		for _, r := range mine {
			v := f(r)
			s.Mean += v / float64(len(mine))
			s.Min, s.Max = min(s.Min, v), max(s.Max, v)
		}
		return s
	}
	sum := Summary{
		Model:            name,
		BlockRecall:      over(func(r StudyRun) float64 { return r.Report.BlockRecall }),
		BlockFPR:         over(func(r StudyRun) float64 { return r.Report.BlockFPR }),
		ReviewRecall:     over(func(r StudyRun) float64 { return r.Report.ReviewRecall }),
		ReviewBenignRate: over(func(r StudyRun) float64 { return r.Report.ReviewBenignRate }),
		BenignFor90:      over(func(r StudyRun) float64 { return r.BenignFor90 }),
	}
	if len(mine) == 0 {
		return sum
	}
	for j, p := range mine[0].Curve {
		sum.RecallAt = append(sum.RecallAt, RateSpread{MaxBenignRate: p.MaxBenignRate,
			Recall: over(func(r StudyRun) float64 { return r.Curve[j].Recall })})
	}
	// Every run reports the same sources in the same order.
	for j, s := range mine[0].Report.BySource {
		sum.BySource = append(sum.BySource, SourceSummary{Source: s.Source, Label: s.Label, Rows: s.Rows,
			BlockRate: over(func(r StudyRun) float64 { return r.Report.BySource[j].BlockRate }),
			FlagRate:  over(func(r StudyRun) float64 { return r.Report.BySource[j].FlagRate }),
		})
	}
	return sum
}

// WriteText prints the study for people: a line per seed and model, the
// summaries side by side, and the sources.
func (st Study) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	p := func(format string, args ...any) { fmt.Fprintf(tw, format, args...) }
	pct := func(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }
	p("rows %d (malicious %d, benign %d); 0.1%% of the benign rows is %d rows\n", st.Rows, st.Malicious, st.Benign, st.BlockBenignRows)
	if st.BaseRows > 0 {
		p("model \"all\" trains on every training row of a fold, \"base\" on those among the first %d rows\n", st.BaseRows)
	}
	p("\nmodel\tseed\tblock recall\t95%% CI\tbenign blocked\treview recall\tbenign flagged\tbenign for 90%%\t\n")
	for _, r := range st.Runs {
		ci := r.Report.BlockRecallCI
		p("%s\t%d\t%s\t%s–%s\t%d (%.2f%%)\t%s\t%.2f%%\t%.2f%%\t\n", r.Model, r.Seed, pct(r.Report.BlockRecall),
			pct(ci[0]), pct(ci[1]), r.Report.Confusion.Block.Benign, 100*r.Report.BlockFPR,
			pct(r.Report.ReviewRecall), 100*r.Report.ReviewBenignRate, 100*r.BenignFor90)
	}
	sp := func(s Spread) string { return fmt.Sprintf("%s (%s–%s)", pct(s.Mean), pct(s.Min), pct(s.Max)) }
	p("\nmean (min–max) over seeds\t")
	for _, s := range st.Summary {
		p("%s\t", s.Model)
	}
	p("\n")
	line := func(name string, f func(Summary) Spread) {
		p("%s\t", name)
		for _, s := range st.Summary {
			p("%s\t", sp(f(s)))
		}
		p("\n")
	}
	line("block recall", func(s Summary) Spread { return s.BlockRecall })
	line("review recall", func(s Summary) Spread { return s.ReviewRecall })
	line("review benign rate", func(s Summary) Spread { return s.ReviewBenignRate })
	line("benign rate for 90% recall", func(s Summary) Spread { return s.BenignFor90 })
	if len(st.Summary) > 0 {
		for j, r := range st.Summary[0].RecallAt {
			line(fmt.Sprintf("recall at ≤ %.1f%% benign", 100*r.MaxBenignRate), func(s Summary) Spread { return s.RecallAt[j].Recall })
		}
		p("\nsource\tlabel\trows\t")
		for _, s := range st.Summary {
			p("blocked (%s)\tflagged (%s)\t", s.Model, s.Model)
		}
		p("\n")
		for j, src := range st.Summary[0].BySource {
			p("%s\t%s\t%d\t", src.Source, src.Label, src.Rows)
			for _, s := range st.Summary {
				p("%s\t%s\t", pct(s.BySource[j].BlockRate.Mean), pct(s.BySource[j].FlagRate.Mean))
			}
			p("\n")
		}
	}
	return tw.Flush()
}
