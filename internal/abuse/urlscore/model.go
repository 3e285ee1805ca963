package urlscore

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// Model is a logistic regression on the hashed features of a URL, with
// small gradient-boosted trees stacked on it that weigh its log-odds
// together with a few dozen dense features of the URL's form, and the
// thresholds chosen for it by grouped cross-validation.
type Model struct {
	// BlockThreshold: a score at or above it blocks the link.
	BlockThreshold float64
	// ReviewThreshold: a score at or above it (and below BlockThreshold)
	// keeps the link active but queues it for review.
	ReviewThreshold float64
	// Options are the training options the model was fitted with.
	Options Options
	// CV is the grouped cross-validation report the thresholds were chosen
	// from, and Curve its trade-off between recall and benign rows
	// flagged; both are nil for a model that was not cross-validated.
	CV    *Report
	Curve Curve

	bias    float64
	weights []float32 // Buckets entries
	// trees re-score the logistic regression's log-odds with the dense
	// features; none in a model trained with Options.Trees < 0.
	trees []tree
	// trainedOn are the rows of the training samples the model was fitted
	// on, kept so that tests can check that cross-validation never scores
	// a row with a model that saw it; nil in a loaded model.
	trainedOn []int
}

// Decision is what a score means for a new link.
type Decision string

// Decisions, from least to most severe.
const (
	Allow  Decision = "allow"
	Review Decision = "review"
	Block  Decision = "block"
)

// Decide maps a score to a decision with the model's thresholds.
func (m *Model) Decide(score float64) Decision {
	switch {
	case score >= m.BlockThreshold:
		return Block
	case score >= m.ReviewThreshold:
		return Review
	}
	return Allow
}

var extractors = sync.Pool{New: func() any {
	return &extractor{idx: make([]uint32, 0, 1024), val: make([]float32, 0, 1024), buf: make([]byte, 0, maxRest+2)}
}}

// Score returns the probability, in [0, 1], that u is malicious. u should
// be a normalised URL; any string gets a score.
func (m *Model) Score(u string) float64 {
	e := extractors.Get().(*extractor)
	e.reset()
	e.extract(u, nil)
	p := m.scoreOf(e)
	extractors.Put(e)
	return p
}

// ScoreExplain returns Score(u) and Explain(u) from one pass over u, for
// callers that want both: the features are extracted once.
func (m *Model) ScoreExplain(u string) (float64, []Signal) {
	e := extractors.Get().(*extractor)
	e.reset()
	var f findings
	e.extract(u, &f)
	p := m.scoreOf(e)
	extractors.Put(e)
	return p, m.weigh(f.signals)
}

// scoreOf is the score of the features e extracted.
func (m *Model) scoreOf(e *extractor) float64 {
	z := m.bias
	for i, ix := range e.idx {
		z += float64(m.weights[ix]) * float64(e.val[i])
	}
	if len(m.trees) > 0 {
		z = m.treeMargin(z, &e.dense)
	}
	return sigmoid(z)
}

// Explain returns the heuristic signals that fired on u with their
// contribution to the logistic regression's log-odds, largest first. (The
// trees then re-weigh those log-odds as a whole with the URL's form.)
func (m *Model) Explain(u string) []Signal { return m.weigh(Heuristics(u)) }

// weigh sets the weight of each signal and sorts them, largest first.
func (m *Model) weigh(sigs []Signal) []Signal {
	for i := range sigs {
		sigs[i].Weight = float64(m.weights[slot(hashString(hashByte(offset32, nsSignal), sigs[i].Name))])
	}
	slices.SortStableFunc(sigs, func(a, b Signal) int {
		switch {
		case a.Weight > b.Weight:
			return -1
		case a.Weight < b.Weight:
			return 1
		}
		return 0
	})
	return sigs
}

func sigmoid(z float64) float64 {
	if z >= 0 {
		return 1 / (1 + math.Exp(-z))
	}
	ez := math.Exp(z)
	return ez / (1 + ez)
}

// weightScale is the fixed-point unit of the stored weights: 1/10000 keeps
// scores identical to four decimals and the file small.
const weightScale = 10000

// modelFile is the serialised model. Weights are stored sparsely: Index
// holds the slots of the non-zero weights in ascending order, each as the
// difference from the previous one, and Weight their values in units of
// 1/weightScale.
type modelFile struct {
	Version         int     `json:"version"`
	Features        string  `json:"features"`
	Buckets         int     `json:"buckets"`
	BlockThreshold  float64 `json:"block_threshold"`
	ReviewThreshold float64 `json:"review_threshold"`
	Options         Options `json:"options"`
	CV              *Report `json:"cv,omitempty"`
	Curve           Curve   `json:"curve,omitempty"`
	Bias            int64   `json:"bias"`
	Index           []int   `json:"index"`
	Weight          []int64 `json:"weight"`
	// Dense names the dense features the trees' feature numbers refer to.
	Dense []string `json:"dense,omitempty"`
	Trees []tree   `json:"trees,omitempty"`
}

// MarshalJSON writes the model in the committed file format; the same
// model always gives the same bytes.
func (m *Model) MarshalJSON() ([]byte, error) {
	f := modelFile{
		Version:         2,
		Features:        featureVersion,
		Buckets:         Buckets,
		BlockThreshold:  m.BlockThreshold,
		ReviewThreshold: m.ReviewThreshold,
		Options:         m.Options,
		CV:              m.CV,
		Curve:           m.Curve,
		Bias:            fixed(m.bias),
		Index:           []int{},
		Weight:          []int64{},
		Trees:           m.trees,
	}
	if len(m.trees) > 0 {
		f.Dense = denseNames[:]
	}
	prev := 0
	for i, w := range m.weights {
		q := fixed(float64(w))
		if q == 0 {
			continue
		}
		f.Index = append(f.Index, i-prev)
		f.Weight = append(f.Weight, q)
		prev = i
	}
	return json.Marshal(f)
}

// UnmarshalJSON reads a model written by MarshalJSON.
func (m *Model) UnmarshalJSON(b []byte) error {
	var f modelFile
	if err := json.Unmarshal(b, &f); err != nil {
		return err
	}
	if f.Features != featureVersion || f.Buckets != Buckets {
		return fmt.Errorf("urlscore: model for features %q with %d buckets; this build computes %q with %d",
			f.Features, f.Buckets, featureVersion, Buckets)
	}
	if len(f.Trees) > 0 && !slices.Equal(f.Dense, denseNames[:]) {
		return errors.New("urlscore: the model's trees are for other dense features")
	}
	for i, t := range f.Trees {
		if len(t.Feat) != 1<<treeDepth-1 || len(t.Thr) != len(t.Feat) || len(t.Leaf) != 1<<treeDepth {
			return fmt.Errorf("urlscore: model tree %d is not of depth %d", i, treeDepth)
		}
		for _, ft := range t.Feat {
			if int(ft) >= numDense {
				return fmt.Errorf("urlscore: model tree %d splits on feature %d of %d", i, ft, numDense)
			}
		}
	}
	if len(f.Index) != len(f.Weight) {
		return errors.New("urlscore: model has a different number of indexes and weights")
	}
	*m = Model{
		BlockThreshold:  f.BlockThreshold,
		ReviewThreshold: f.ReviewThreshold,
		Options:         f.Options,
		CV:              f.CV,
		Curve:           f.Curve,
		bias:            float64(f.Bias) / weightScale,
		weights:         make([]float32, Buckets),
		trees:           f.Trees,
	}
	ix := 0
	for i, d := range f.Index {
		ix += d
		if d < 0 || ix >= Buckets || i > 0 && d == 0 {
			return fmt.Errorf("urlscore: model weight %d has a bad index", i)
		}
		m.weights[ix] = float32(float64(f.Weight[i]) / weightScale)
	}
	return nil
}

func fixed(w float64) int64 { return int64(math.Round(w * weightScale)) }

// Load reads a model file.
func Load(b []byte) (*Model, error) {
	m := new(Model)
	if err := json.Unmarshal(b, m); err != nil {
		return nil, err
	}
	return m, nil
}

//go:embed model.json
var embedded []byte

// Default returns the model committed with this package, trained on the
// labelled set abuse-train.csv with `tiny abuse train` (docs/safety.md).
// It is loaded once.
func Default() *Model { return loadDefault() }

var loadDefault = sync.OnceValue(func() *Model {
	m, err := Load(embedded)
	if err != nil {
		panic("urlscore: the embedded model.json does not load: " + err.Error())
	}
	return m
})
