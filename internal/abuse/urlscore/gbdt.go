package urlscore

import (
	"math"
	"slices"
)

// treeDepth is the depth of every tree: a complete binary tree of
// 2^treeDepth-1 splits and 2^treeDepth leaves.
const treeDepth = 3

// tree is one regression tree over the dense features, stored as a
// complete binary tree: node i has children 2i+1 and 2i+2, and a row goes
// left when its feature is at most the threshold. A split that was not
// worth making has the largest float32 as threshold, so every row goes
// left.
type tree struct {
	Feat []uint8   `json:"f"`
	Thr  []float32 `json:"t"`
	Leaf []int64   `json:"v"` // in units of 1/weightScale
}

func (t *tree) eval(x *[numDense]float32) float64 {
	i := 0
	for range treeDepth {
		if x[t.Feat[i]] <= t.Thr[i] {
			i = 2*i + 1
		} else {
			i = 2*i + 2
		}
	}
	return float64(t.Leaf[i-(1<<treeDepth-1)]) / weightScale
}

// boostOptions control the trees.
type boostOptions struct {
	Trees   int
	Rate    float64 // shrinkage
	Lambda  float64 // L2 on leaf values
	MinHess float64 // least hessian in a child
	MaxBins int
}

// boost fits trees by gradient boosting with logistic loss, starting from
// the margins init, on the dense rows x with labels y.
func boost(x [][numDense]float32, y []bool, init []float64, o boostOptions) []tree {
	n := len(x)
	if n == 0 {
		return nil
	}
	// Candidate thresholds per feature: the distinct values, or quantiles
	// of them when there are more than MaxBins.
	cuts := make([][]float32, numDense)
	bins := make([][]uint8, numDense)
	features := make([]int, numDense)
	for f := range features {
		features[f] = f
	}
	for _, f := range features {
		vals := make([]float32, n)
		for i := range x {
			vals[i] = x[i][f]
		}
		slices.Sort(vals)
		var c []float32
		distinct := slices.Compact(slices.Clone(vals))
		if len(distinct) <= o.MaxBins {
			c = distinct[:len(distinct)-1]
		} else {
			for q := 1; q < o.MaxBins; q++ {
				v := vals[q*n/o.MaxBins]
				if len(c) == 0 || v > c[len(c)-1] {
					c = append(c, v)
				}
			}
			if len(c) > 0 && c[len(c)-1] == vals[n-1] {
				c = c[:len(c)-1]
			}
		}
		cuts[f] = c
		b := make([]uint8, n)
		for i := range x {
			k, _ := slices.BinarySearch(c, x[i][f])
			b[i] = uint8(k)
		}
		bins[f] = b
	}
	margin := slices.Clone(init)
	g := make([]float64, n)
	h := make([]float64, n)
	node := make([]int, n)
	const nNodes = 1<<treeDepth - 1
	var trees []tree
	type hist struct{ g, h float64 }
	hs := make([]hist, 256)
	for range o.Trees {
		for i := range x {
			p := sigmoid(margin[i])
			yy := 0.0
			if y[i] {
				yy = 1
			}
			g[i] = p - yy
			h[i] = max(p*(1-p), 1e-6)
			node[i] = 0
		}
		t := tree{Feat: make([]uint8, nNodes), Thr: make([]float32, nNodes), Leaf: make([]int64, 1<<treeDepth)}
		for nd := 0; nd < nNodes; nd++ {
			var G, H float64
			for i := range x {
				if node[i] == nd {
					G += g[i]
					H += h[i]
				}
			}
			bestGain, bestF, bestK := 0.0, -1, 0
			for _, f := range features {
				nc := len(cuts[f])
				if nc == 0 {
					continue
				}
				clear(hs[:nc+1])
				b := bins[f]
				for i := range x {
					if node[i] == nd {
						hs[b[i]].g += g[i]
						hs[b[i]].h += h[i]
					}
				}
				var GL, HL float64
				for k := 0; k < nc; k++ {
					GL += hs[k].g
					HL += hs[k].h
					GR, HR := G-GL, H-HL
					if HL < o.MinHess || HR < o.MinHess {
						continue
					}
					gain := GL*GL/(HL+o.Lambda) + GR*GR/(HR+o.Lambda) - G*G/(H+o.Lambda)
					if gain > bestGain+1e-12 {
						bestGain, bestF, bestK = gain, f, k
					}
				}
			}
			if bestF < 0 {
				t.Feat[nd], t.Thr[nd] = 0, math.MaxFloat32
				for i := range x {
					if node[i] == nd {
						node[i] = 2*nd + 1
					}
				}
				continue
			}
			t.Feat[nd], t.Thr[nd] = uint8(bestF), cuts[bestF][bestK]
			for i := range x {
				if node[i] == nd {
					if int(bins[bestF][i]) <= bestK {
						node[i] = 2*nd + 1
					} else {
						node[i] = 2*nd + 2
					}
				}
			}
		}
		var G, H [1 << treeDepth]float64
		for i := range x {
			l := node[i] - nNodes
			G[l] += g[i]
			H[l] += h[i]
		}
		for l := range t.Leaf {
			t.Leaf[l] = fixed(-o.Rate * G[l] / (H[l] + o.Lambda))
		}
		for i := range x {
			margin[i] += float64(t.Leaf[node[i]-nNodes]) / weightScale
		}
		trees = append(trees, t)
	}
	return trees
}
