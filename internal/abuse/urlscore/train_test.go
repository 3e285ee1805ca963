package urlscore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

func fixture(t testing.TB) []Sample {
	t.Helper()
	f, err := os.Open("testdata/labelled.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s, err := ReadLabelled(f)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestReadLabelled(t *testing.T) {
	s, err := ReadLabelled(strings.NewReader("source,label,url\nfeed,malicious,https://a.example/x\n,benign,\"https://b.example/?q=1,2\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []Sample{{"https://a.example/x", true, "feed"}, {"https://b.example/?q=1,2", false, ""}}
	if !slices.Equal(s, want) {
		t.Errorf("got %+v, want %+v", s, want)
	}

	for _, tt := range []struct{ csv, want string }{
		{"url,label\nhttps://a.example/,malicious\nhttps://b.example/,spam\n", "line 3"},
		{"url,label\nhttps://a.example/,benign\n,benign\n", "line 3: empty url"},
		{"url,source\nhttps://a.example/,x\n", "lacks url or label"},
		{"url,label,source\nhttps://a.example/,benign\n", "line 2"},
		{"", "empty CSV"},
	} {
		_, err := ReadLabelled(strings.NewReader(tt.csv))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ReadLabelled(%q) error %v, want it to mention %q", tt.csv, err, tt.want)
		}
	}
}

func TestFoldsKeepDomainsWhole(t *testing.T) {
	samples := fixture(t)
	// Add many rows on few domains, including hosts that differ only below
	// the registrable domain and sites under a private public suffix.
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 300 {
		host := []string{"a.example.com", "b.example.com", "example.com", "x.github.io", "y.github.io", "shop.example.co.uk", "203.0.113.9"}[r.IntN(7)]
		samples = append(samples, Sample{URL: fmt.Sprintf("https://%s/p%d", host, i), Malicious: i%2 == 0})
	}
	fold := Folds(samples, 5, 7)
	foldOf := map[string]int{}
	rows := make([]int, 5)
	for i, s := range samples {
		g := GroupKey(s.URL)
		if f, ok := foldOf[g]; ok && f != fold[i] {
			t.Fatalf("domain %s is in folds %d and %d", g, f, fold[i])
		}
		foldOf[g] = fold[i]
		rows[fold[i]]++
	}
	for k, n := range rows {
		if n == 0 {
			t.Errorf("fold %d is empty", k)
		}
	}
	if GroupKey("https://a.example.com/") != GroupKey("http://www.b.example.com/x") {
		t.Error("subdomains of one registrable domain got different groups")
	}
	if GroupKey("https://x.github.io/") == GroupKey("https://y.github.io/") {
		t.Error("two github.io sites share a group; github.io is a public suffix")
	}
	if !slices.Equal(fold, Folds(samples, 5, 7)) {
		t.Error("Folds is not deterministic")
	}
}

func TestChooseThresholdsFPR(t *testing.T) {
	check := func(name string, scores []float64, mal []bool) {
		t.Helper()
		block, review := ChooseThresholds(scores, mal)
		var nBen, blockedBen, reviewBen int
		var below []float64 // distinct scores below block
		for i, s := range scores {
			if mal[i] {
				continue
			}
			nBen++
			if s >= block {
				blockedBen++
			}
			if s >= review {
				reviewBen++
			}
		}
		for _, s := range scores {
			if s < block {
				below = append(below, s)
			}
		}
		if float64(blockedBen) > 0.001*float64(nBen) {
			t.Errorf("%s: block %.4f flags %d of %d benign rows, more than 0.1%%", name, block, blockedBen, nBen)
		}
		if review > block {
			t.Errorf("%s: review %.4f above block %.4f", name, review, block)
		}
		if float64(reviewBen) > 0.05*float64(nBen)+1e-9 {
			t.Errorf("%s: review flags %d of %d benign rows, more than 5%%", name, reviewBen, nBen)
		}
		// Lowest: the next observed score below block breaks the limit.
		if len(below) > 0 {
			next := slices.Max(below)
			n := 0
			for i, s := range scores {
				if !mal[i] && s >= next {
					n++
				}
			}
			if float64(n) <= 0.001*float64(nBen) {
				t.Errorf("%s: block %.4f is not the lowest; %.4f flags only %d benign rows", name, block, next, n)
			}
		}
	}

	// Synthetic: benign around 0.3, malicious around 0.7, overlapping.
	r := rand.New(rand.NewPCG(3, 4))
	var scores []float64
	var mal []bool
	for i := range 20000 {
		m := i%2 == 0
		c := 0.3
		if m {
			c = 0.7
		}
		scores = append(scores, min(1, max(0, c+0.15*r.NormFloat64())))
		mal = append(mal, m)
	}
	check("synthetic", scores, mal)

	// The out-of-fold scores of the fixture.
	samples := fixture(t)
	check("fixture", OutOfFold(samples, Options{Seed: 1}), labels(samples))
}

func TestTrainDeterministic(t *testing.T) {
	samples := fixture(t)
	a, err := json.Marshal(Train(samples, Options{Seed: 1}))
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(Train(samples, Options{Seed: 1}))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Fatal("two trainings on the same data and seed wrote different bytes")
	}
	c, _ := json.Marshal(Train(samples, Options{Seed: 2}))
	if bytes.Equal(a, c) {
		t.Error("the seed changes nothing")
	}
}

// The model must learn something from a few dozen URLs: every held-out
// score of the fixture is better than a coin toss for most rows.
func TestTrainLearns(t *testing.T) {
	samples := fixture(t)
	m := Train(samples, Options{Seed: 1})
	right := 0
	for _, s := range samples {
		if (m.Score(s.URL) >= 0.5) == s.Malicious {
			right++
		}
	}
	if right < len(samples)*9/10 {
		t.Errorf("the model trained on the fixture gets %d of its %d rows right", right, len(samples))
	}
	if m.CV == nil || m.CV.Rows != len(samples) || len(m.Curve) == 0 {
		t.Errorf("Train did not record its cross-validation: %+v", m.CV)
	}
}

func TestEvaluateJSONKeys(t *testing.T) {
	samples := fixture(t)
	rep := Evaluate(Train(samples, Options{Seed: 1}), samples)
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"block_precision", "block_recall", "block_fpr", "review_recall", "review_benign_rate"} {
		v, ok := got[k].(float64)
		if !ok || v < 0 || v > 1 {
			t.Errorf("key %s = %v, want a rate", k, got[k])
		}
	}
	c := rep.Confusion
	if n := c.Allow.Malicious + c.Allow.Benign + c.Review.Malicious + c.Review.Benign + c.Block.Malicious + c.Block.Benign; n != len(samples) {
		t.Errorf("confusion matrix counts %d rows, want %d", n, len(samples))
	}
	sources := map[string]int{}
	for _, s := range samples {
		sources[s.Source]++
	}
	if len(rep.BySource) != len(sources) {
		t.Errorf("%d sources in the report, want %d", len(rep.BySource), len(sources))
	}
	for _, s := range rep.BySource {
		if s.Rows != sources[s.Source] || s.Allowed+s.Review+s.Blocked != s.Rows {
			t.Errorf("source %+v, want %d rows", s, sources[s.Source])
		}
	}
	var text bytes.Buffer
	if err := rep.WriteText(&text); err != nil || !strings.Contains(text.String(), "handmade-phish") {
		t.Errorf("text report lacks the sources: %v\n%s", err, text.String())
	}
}

func TestReportFigures(t *testing.T) {
	samples := []Sample{
		{URL: "m1", Malicious: true}, {URL: "m2", Malicious: true}, {URL: "m3", Malicious: true}, {URL: "m4", Malicious: true},
		{URL: "b1"}, {URL: "b2"}, {URL: "b3"}, {URL: "b4"},
	}
	scores := []float64{0.95, 0.9, 0.6, 0.1, 0.92, 0.55, 0.2, 0.1}
	r := report(samples, scores, 0.9, 0.5)
	if r.BlockPrecision != 2.0/3 || r.BlockRecall != 0.5 || r.BlockFPR != 0.25 || r.ReviewRecall != 0.75 || r.ReviewBenignRate != 0.5 {
		t.Errorf("report %+v", r)
	}
	want := Confusion{Allow: Counts{1, 2}, Review: Counts{1, 1}, Block: Counts{2, 1}}
	if r.Confusion != want {
		t.Errorf("confusion %+v, want %+v", r.Confusion, want)
	}
	// At a 1% base rate: 0.01×0.5 / (0.01×0.5 + 0.99×0.25).
	if got, want := r.BlockPrecisionAt1pct, 0.005/(0.005+0.2475); got < want-1e-12 || got > want+1e-12 {
		t.Errorf("precision at 1%% = %v, want %v", got, want)
	}
}
