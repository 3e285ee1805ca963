package main

import (
	"math"
	"testing"
)

// The drawn ranks follow the law topShare states, for the exponents
// zipf.lua takes.
func TestDrawsFollowTopShare(t *testing.T) {
	const n, draws = 1000, 200_000
	for _, s := range []float64{0, 0.8, 1, 1.2} {
		d := newDraw(n, s, 7)
		counts := make([]int, n+1)
		for range draws {
			r := d.rank()
			if r < 1 || r > n {
				t.Fatalf("s=%v: rank %d outside 1..%d", s, r, n)
			}
			counts[r]++
		}
		for _, k := range []int{1, 10, 100, 500} {
			got := 0
			for r := 1; r <= k; r++ {
				got += counts[r]
			}
			share, want := float64(got)/draws, topShare(n, s, k)
			if math.Abs(share-want) > 0.01 {
				t.Errorf("s=%v: share of ranks <= %d = %.4f, want %.4f", s, k, share, want)
			}
		}
	}
}

// Nothing is unseen once every link has been drawn many times; everything
// is while the links far outnumber the draws.
func TestUnseenShare(t *testing.T) {
	if got := unseenShare(newDraw(10, 1, 1), 10, 10_000, 10_000); got != 0 {
		t.Errorf("10 links after 10,000 draws: unseen share %v, want 0", got)
	}
	if got := unseenShare(newDraw(100_000_000, 0, 1), 100_000_000, 0, 1000); got < 0.99 {
		t.Errorf("1000 uniform draws over 100 million links: unseen share %v, want about 1", got)
	}
	// Between the two, the share falls as the warm-up grows.
	short := unseenShare(newDraw(1_000_000, 1, 3), 1_000_000, 10_000, 50_000)
	long := unseenShare(newDraw(1_000_000, 1, 3), 1_000_000, 500_000, 50_000)
	if !(0 < long && long < short && short < 1) {
		t.Errorf("unseen share after a 10,000 warm-up %v, after 500,000 %v: want 0 < long < short < 1", short, long)
	}
}
