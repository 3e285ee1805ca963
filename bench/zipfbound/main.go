// Command zipfbound says what the draws of bench/zipf.lua leave any cache
// to answer: the share of a measured window's requests that ask for a link
// never asked for before (misses no cache can avoid), and the share that a
// cache holding exactly the K most requested links would answer. It draws
// ranks the way zipf.lua does and simulates the warm-up and the measured
// requests in order, so bench/scale.sh can set its measured hit ratio
// beside the best one possible for the same number of requests.
//
//	zipfbound -n 10000000 -s 1.0 -warmup 700000 -measured 800000 -cache 100000
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
)

func main() {
	n := flag.Int("n", 10_000_000, "links (ranks 1..n)")
	s := flag.Float64("s", 1.0, "Zipf exponent, as zipf.lua's (0: uniform)")
	warmup := flag.Int("warmup", 0, "requests before the measured window")
	measured := flag.Int("measured", 1_000_000, "requests in the measured window")
	cache := flag.Int("cache", 100_000, "links a cache holds")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *n < 1 || *s < 0 || *warmup < 0 || *measured < 1 || *cache < 0 {
		fmt.Fprintln(os.Stderr, "zipfbound: -n and -measured must be positive; -s, -warmup and -cache not negative")
		os.Exit(2)
	}
	d := newDraw(*n, *s, *seed)
	fmt.Printf("unseen %.4f\n", unseenShare(d, *n, *warmup, *measured))
	fmt.Printf("top %.4f\n", topShare(*n, *s, *cache))
}

// draw returns ranks as zipf.lua's rank() does: the continuous power law
// on [1, n+1) inverted and rounded down.
type draw struct {
	n    int
	s    float64
	rand *rand.Rand
}

func newDraw(n int, s float64, seed uint64) *draw {
	return &draw{n: n, s: s, rand: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (d *draw) rank() int {
	u := d.rand.Float64()
	var x float64
	switch {
	case d.s == 0:
		return int(u*float64(d.n)) + 1
	case d.s == 1:
		x = math.Pow(float64(d.n+1), u)
	default:
		e := 1 - d.s
		x = math.Pow((math.Pow(float64(d.n+1), e)-1)*u+1, 1/e)
	}
	return min(int(x), d.n)
}

// unseenShare draws warmup ranks, then measured ones, and returns the share
// of the measured ones drawn for the first time.
func unseenShare(d *draw, n, warmup, measured int) float64 {
	seen := make([]uint64, n/64+1)
	see := func() bool {
		r := d.rank() - 1
		w, b := r/64, uint64(1)<<(r%64)
		fresh := seen[w]&b == 0
		seen[w] |= b
		return fresh
	}
	for range warmup {
		see()
	}
	fresh := 0
	for range measured {
		if see() {
			fresh++
		}
	}
	return float64(fresh) / float64(measured)
}

// topShare is the probability that a draw falls on ranks 1..k, exactly as
// rank() draws: rank <= k exactly when the continuous x < k+1.
func topShare(n int, s float64, k int) float64 {
	if k >= n {
		return 1
	}
	switch {
	case s == 0:
		return float64(k) / float64(n)
	case s == 1:
		return math.Log(float64(k+1)) / math.Log(float64(n+1))
	default:
		e := 1 - s
		return (math.Pow(float64(k+1), e) - 1) / (math.Pow(float64(n+1), e) - 1)
	}
}
