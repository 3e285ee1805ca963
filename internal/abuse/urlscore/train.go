package urlscore

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
)

// Sample is one labelled URL.
type Sample struct {
	URL       string
	Malicious bool
	// Source is the list the row came from, for breaking results down; it
	// is never a feature.
	Source string
}

// ReadLabelled reads a CSV with a header row naming the columns url and
// label (malicious or benign), and optionally source, in any order.
func ReadLabelled(r io.Reader) ([]Sample, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errors.New("urlscore: empty CSV, expected a header with url and label")
	}
	if err != nil {
		return nil, fmt.Errorf("urlscore: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))] = i
	}
	ui, ok1 := col["url"]
	li, ok2 := col["label"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("urlscore: CSV header %q lacks url or label", strings.Join(header, ","))
	}
	si, hasSource := col["source"]
	var out []Sample
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("urlscore: %w", err)
		}
		if len(rec) <= ui || len(rec) <= li || hasSource && len(rec) <= si {
			return nil, fmt.Errorf("urlscore: line %d: %d fields, want %d", line, len(rec), len(header))
		}
		s := Sample{URL: strings.TrimSpace(rec[ui])}
		if s.URL == "" {
			return nil, fmt.Errorf("urlscore: line %d: empty url", line)
		}
		switch strings.TrimSpace(rec[li]) {
		case "malicious":
			s.Malicious = true
		case "benign":
		default:
			return nil, fmt.Errorf("urlscore: line %d: label %q is neither malicious nor benign", line, rec[li])
		}
		if hasSource {
			s.Source = rec[si]
		}
		out = append(out, s)
	}
}

// Options control training. Zero fields take the defaults.
type Options struct {
	Seed   uint64  `json:"seed"`
	Epochs int     `json:"epochs"`
	Rate   float64 `json:"rate"` // AdaGrad base learning rate
	L2     float64 `json:"l2"`
	Folds  int     `json:"folds"`
	// MinRows is the number of training rows a feature slot must occur
	// in to get a weight.
	MinRows int `json:"min_rows"`
	// Trees is the number of boosted trees stacked on the logistic
	// regression (negative: none), TreeRate their shrinkage, and
	// InnerFolds the folds, grouped by domain, that give the trees
	// log-odds from models that did not see the row's domain.
	Trees      int     `json:"trees"`
	TreeRate   float64 `json:"tree_rate"`
	InnerFolds int     `json:"inner_folds"`
	// Bags is the number of logistic regressions, each with its own
	// training order, whose weights are averaged into the one the model
	// keeps. The average of linear models is linear, so scoring costs the
	// same; it only lowers the variance of the weights.
	Bags int `json:"bags"`
}

func (o Options) withDefaults() Options {
	if o.Epochs == 0 {
		o.Epochs = 10
	}
	if o.Rate == 0 {
		o.Rate = 0.1
	}
	if o.L2 == 0 {
		o.L2 = 1e-3
	}
	if o.MinRows == 0 {
		o.MinRows = 3
	}
	if o.Folds == 0 {
		o.Folds = 5
	}
	if o.Trees == 0 {
		o.Trees = 200
	}
	if o.TreeRate == 0 {
		o.TreeRate = 0.1
	}
	if o.InnerFolds == 0 {
		o.InnerFolds = 4
	}
	if o.Bags == 0 {
		o.Bags = 3
	}
	return o
}

// Train chooses thresholds by grouped cross-validation (see CrossValidate)
// and then fits the model on all samples. The same samples and options
// give the same model, bit for bit.
func Train(samples []Sample, opts Options) *Model {
	opts = opts.withDefaults()
	rows := rowsOf(samples)
	rep, curve := crossValidate(samples, rows, opts)
	all := make([]int, len(samples))
	for i := range all {
		all[i] = i
	}
	m := fitModel(samples, rows, all, opts, opts.Seed)
	m.Options = opts
	m.BlockThreshold, m.ReviewThreshold = rep.BlockThreshold, rep.ReviewThreshold
	m.CV, m.Curve = &rep, curve
	return m
}

// CrossValidate scores every sample with a model that did not see its
// registrable domain (see Folds), chooses the thresholds from those
// out-of-fold scores (see ChooseThresholds) and reports the quality at
// them, with the trade-off curve.
func CrossValidate(samples []Sample, opts Options) (Report, Curve) {
	return crossValidate(samples, rowsOf(samples), opts.withDefaults())
}

func crossValidate(samples []Sample, rows *rowData, opts Options) (Report, Curve) {
	scores := outOfFold(samples, rows, opts)
	mal := labels(samples)
	block, review := ChooseThresholds(scores, mal)
	return report(samples, scores, block, review), curveOf(scores, mal)
}

// OutOfFold returns, for every sample, the score of the model trained on
// the other folds.
func OutOfFold(samples []Sample, opts Options) []float64 {
	return outOfFold(samples, rowsOf(samples), opts.withDefaults())
}

func outOfFold(samples []Sample, rows *rowData, opts Options) []float64 {
	scores, _, _ := crossFit(samples, rows, opts, nil)
	return scores
}

// crossFit fits one model per fold (see Folds) on the rows of the other
// folds that keep accepts (every one when keep is nil), scores the fold's
// rows with it and returns the scores, the models and the fold of every row.
func crossFit(samples []Sample, rows *rowData, opts Options, keep func(int) bool) ([]float64, []*Model, []int) {
	fold := Folds(samples, opts.Folds, opts.Seed)
	scores := make([]float64, len(samples))
	models := make([]*Model, opts.Folds)
	for k := range opts.Folds {
		var train []int
		for i, f := range fold {
			if f != k && (keep == nil || keep(i)) {
				train = append(train, i)
			}
		}
		m := fitModel(samples, rows, train, opts, opts.Seed+uint64(k)+1)
		for i, f := range fold {
			if f == k {
				scores[i] = m.scoreRow(rows, i)
			}
		}
		models[k] = m
	}
	return scores, models, fold
}

// GroupKey is the unit that cross-validation keeps whole: the registrable
// domain of the URL's host (public-suffix rules, so every github.io site is
// its own group), or the address of an IP host.
func GroupKey(u string) string { return parseURL(u).domain }

// Folds assigns each sample to one of k folds so that no registrable
// domain is in two folds: the test fold then holds only domains the model
// has not seen, as the held-out set and real traffic do. Groups are dealt
// in a seeded random order to the fold with the fewest rows so far.
func Folds(samples []Sample, k int, seed uint64) []int {
	k = max(k, 1)
	size := map[string]int{}
	keys := make([]string, len(samples))
	for i, s := range samples {
		keys[i] = GroupKey(s.URL)
		size[keys[i]]++
	}
	groups := make([]string, 0, len(size))
	for g := range size {
		groups = append(groups, g)
	}
	slices.Sort(groups)
	shuffle(rand.NewPCG(seed, 0x5eed), groups)
	rows := make([]int, k)
	foldOf := make(map[string]int, len(groups))
	for _, g := range groups {
		f := 0
		for j := 1; j < k; j++ {
			if rows[j] < rows[f] {
				f = j
			}
		}
		foldOf[g] = f
		rows[f] += size[g]
	}
	out := make([]int, len(samples))
	for i, key := range keys {
		out[i] = foldOf[key]
	}
	return out
}

// shuffle is Fisher-Yates on PCG's raw output, written out so that the
// order cannot change with the standard library's algorithms.
func shuffle[T any](r *rand.PCG, s []T) {
	for i := len(s) - 1; i > 0; i-- {
		j := int(r.Uint64() % uint64(i+1))
		s[i], s[j] = s[j], s[i]
	}
}

func labels(samples []Sample) []bool {
	y := make([]bool, len(samples))
	for i, s := range samples {
		y[i] = s.Malicious
	}
	return y
}

// fit trains opts.Bags logistic regressions on the rows idx (see fitOne),
// each in another order, in parallel, and returns the average of their
// weights, rounded to the stored precision.
func fit(vecs [][]Feature, samples []Sample, idx []int, opts Options, seed uint64) *Model {
	// A slot seen in fewer than minRows training rows is left at zero: it
	// cannot generalise (mostly it names one host) and would only
	// memorise, and the stored model stays small. The others are numbered
	// densely, so that the regressions work on arrays of the slots in use
	// rather than of all Buckets.
	rows := make([]uint16, Buckets)
	for _, i := range idx {
		for _, f := range vecs[i] {
			if rows[f.Index] < math.MaxUint16 {
				rows[f.Index]++
			}
		}
	}
	pos := make([]int32, Buckets) // 1 + the dense number of a slot; 0 if pruned
	var slots []uint32
	local := make([][]localFeature, len(vecs))
	for _, i := range idx {
		x := make([]localFeature, 0, len(vecs[i]))
		for _, f := range vecs[i] {
			if int(rows[f.Index]) < opts.MinRows {
				continue
			}
			if pos[f.Index] == 0 {
				slots = append(slots, f.Index)
				pos[f.Index] = int32(len(slots))
			}
			x = append(x, localFeature{pos[f.Index] - 1, f.Value})
		}
		local[i] = x
	}

	bags := max(opts.Bags, 1)
	ws := make([][]float64, bags)
	bs := make([]float64, bags)
	var wg sync.WaitGroup
	for b := range bags {
		wg.Go(func() { ws[b], bs[b] = fitOne(local, len(slots), samples, idx, opts, seed+uint64(b)*7919) })
	}
	wg.Wait()
	// Summed in bag order, so the result does not depend on which
	// goroutine finished first.
	w, bias := ws[0], bs[0]
	for b := 1; b < bags; b++ {
		for j, x := range ws[b] {
			w[j] += x
		}
		bias += bs[b]
	}
	// Round to the stored precision now, so the model in hand scores
	// exactly as the one read back from its file.
	m := &Model{bias: float64(fixed(bias/float64(bags))) / weightScale, weights: make([]float32, Buckets)}
	for j, x := range w {
		m.weights[slots[j]] = float32(float64(fixed(x/float64(bags))) / weightScale)
	}
	return m
}

// localFeature is a Feature whose slot is renumbered densely for fitOne.
type localFeature struct {
	j int32
	v float32
}

// fitOne trains logistic regression on the rows idx of x, whose features
// are numbered 0 to n-1, by per-coordinate AdaGrad with L2 applied to the
// weights a row touches, and returns the weights averaged over the later
// epochs.
func fitOne(x [][]localFeature, n int, samples []Sample, idx []int, opts Options, seed uint64) ([]float64, float64) {
	w := make([]float64, n)
	g2 := make([]float64, n)
	var bias, biasG2 float64
	// The weights averaged over the second half of the epochs: smoother
	// than the last iterate, which depends more on the last rows seen.
	avg := make([]float64, n)
	var avgB, navg float64
	order := slices.Clone(idx)
	r := rand.NewPCG(seed, 0x7a11)
	for epoch := 0; epoch < opts.Epochs; epoch++ {
		shuffle(r, order)
		for _, i := range order {
			xi := x[i]
			z := bias
			for _, f := range xi {
				z += w[f.j] * float64(f.v)
			}
			y := 0.0
			if samples[i].Malicious {
				y = 1
			}
			g := sigmoid(z) - y
			for _, f := range xi {
				grad := g*float64(f.v) + opts.L2*w[f.j]
				g2[f.j] += grad * grad
				w[f.j] -= opts.Rate * grad / math.Sqrt(g2[f.j]+1e-8)
			}
			biasG2 += g * g
			bias -= opts.Rate * g / math.Sqrt(biasG2+1e-8)
		}
		if epoch >= opts.Epochs/2 {
			for j, v := range w {
				avg[j] += v
			}
			avgB += bias
			navg++
		}
	}
	if navg > 0 {
		for j := range w {
			w[j] = avg[j] / navg
		}
		bias = avgB / navg
	}
	return w, bias
}

// Targets of the thresholds (issue 5).
const (
	// BlockMaxBenignRate: at most 0.1% of benign rows may be blocked.
	BlockMaxBenignRate = 0.001
	// ReviewRecall is the share of malicious rows review should catch …
	ReviewRecall = 0.90
	// … as long as it flags at most ReviewMaxBenignRate of benign rows.
	ReviewMaxBenignRate = 0.05
)

// ChooseThresholds picks the thresholds from out-of-fold scores. Block is
// the lowest threshold that flags at most 0.1% of benign rows. Review is
// the threshold that catches 90% of malicious rows if that flags at most
// 5% of benign rows, and otherwise the lowest that flags at most 5%.
// A row is flagged when its score is at or above the threshold.
func ChooseThresholds(scores []float64, malicious []bool) (block, review float64) {
	var ben, mal []float64
	for i, s := range scores {
		if malicious[i] {
			mal = append(mal, s)
		} else {
			ben = append(ben, s)
		}
	}
	slices.SortFunc(ben, descending)
	slices.SortFunc(mal, descending)
	sorted := slices.Clone(scores)
	slices.Sort(sorted)

	block = lowestThreshold(ben, sorted, atMost(len(ben), BlockMaxBenignRate))
	maxReview := atMost(len(ben), ReviewMaxBenignRate)
	review = lowestThreshold(ben, sorted, maxReview)
	if len(mal) > 0 {
		need := max(1, int(math.Ceil(float64(len(mal))*ReviewRecall-1e-9)))
		t := mal[need-1]
		flagged := 0
		for _, b := range ben {
			if b >= t {
				flagged++
			}
		}
		if flagged <= maxReview {
			review = t
		}
	}
	return block, min(review, block)
}

// atMost is how many of n rows a rate allows, rounded down; the epsilon
// keeps 0.001×4000 at 4 despite binary floating point.
func atMost(n int, rate float64) int { return int(math.Floor(float64(n)*rate + 1e-9)) }

// lowestThreshold returns the lowest threshold that flags at most k benign
// rows: the smallest score above the (k+1)-th highest benign score. ben is
// the benign scores in descending order, sorted all scores ascending.
func lowestThreshold(ben, sorted []float64, k int) float64 {
	if k >= len(ben) {
		if len(sorted) == 0 {
			return 1
		}
		return sorted[0]
	}
	b := ben[k]
	i, found := slices.BinarySearch(sorted, b)
	for found && i < len(sorted) && sorted[i] == b {
		i++
	}
	if i < len(sorted) {
		return sorted[i]
	}
	return math.Nextafter(b, math.Inf(1))
}

// descending orders scores from highest to lowest.
func descending(a, b float64) int { return cmp.Compare(b, a) }
