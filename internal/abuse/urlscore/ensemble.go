package urlscore

// The trees are stacked on the logistic regression: they take its
// log-odds as one of the dense features and give the final log-odds. To
// learn what the log-odds of a URL from an unseen domain mean, they are
// fitted on log-odds from logistic regressions that did not see the row's
// registrable domain (inner folds grouped like the outer ones), and
// Model.Score then feeds them the full model's.

// rowData is what training needs of every sample: its sparse vector and
// its dense features without the log-odds.
type rowData struct {
	vecs  [][]Feature
	dense [][numDense]float32
}

func rowsOf(samples []Sample) *rowData {
	d := &rowData{vecs: make([][]Feature, len(samples)), dense: make([][numDense]float32, len(samples))}
	var e extractor
	for i, s := range samples {
		d.vecs[i] = Features(s.URL)
		e.reset()
		e.extract(s.URL, nil)
		d.dense[i] = e.dense
	}
	return d
}

// denseWith completes the dense features of row i with the log-odds of
// the logistic regression m.
func (d *rowData) denseWith(i int, m *Model) [numDense]float32 {
	x := d.dense[i]
	x[dLRMargin] = float32(m.margin(d.vecs[i]))
	return x
}

// margin is the logistic regression's log-odds.
func (m *Model) margin(x []Feature) float64 {
	z := m.bias
	for _, f := range x {
		z += float64(m.weights[f.Index]) * float64(f.Value)
	}
	return z
}

// fitModel fits the logistic regression on the rows idx and then, unless
// opts.Trees is negative, the trees on top of it.
func fitModel(samples []Sample, d *rowData, idx []int, opts Options, seed uint64) *Model {
	m := fit(d.vecs, samples, idx, opts, seed)
	m.trainedOn = idx
	if opts.Trees < 0 {
		return m
	}
	sub := make([]Sample, len(idx))
	for j, i := range idx {
		sub[j] = samples[i]
	}
	fold := Folds(sub, opts.InnerFolds, seed^0x1a2b)
	x := make([][numDense]float32, len(idx))
	y := make([]bool, len(idx))
	for k := 0; k < opts.InnerFolds; k++ {
		var tr []int
		for j, f := range fold {
			if f != k {
				tr = append(tr, idx[j])
			}
		}
		inner := fit(d.vecs, samples, tr, opts, seed*31+uint64(k)+7)
		for j, f := range fold {
			if f == k {
				x[j] = d.denseWith(idx[j], inner)
			}
		}
	}
	for j, i := range idx {
		y[j] = samples[i].Malicious
	}
	m.trees = boost(x, y, make([]float64, len(idx)), boostOptions{
		Trees: opts.Trees, Rate: opts.TreeRate, Lambda: 1, MinHess: 2, MaxBins: 32,
	})
	return m
}

// scoreRow is Score for a training row.
func (m *Model) scoreRow(d *rowData, i int) float64 {
	z := m.margin(d.vecs[i])
	if len(m.trees) == 0 {
		return sigmoid(z)
	}
	x := d.dense[i]
	return sigmoid(m.treeMargin(z, &x))
}

// treeMargin is the trees' log-odds for the dense features x, whose
// log-odds slot it fills with the logistic regression's z.
func (m *Model) treeMargin(z float64, x *[numDense]float32) float64 {
	x[dLRMargin] = float32(z)
	var t float64
	for k := range m.trees {
		t += m.trees[k].eval(x)
	}
	return t
}
