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
	check("fixture", OutOfFold(samples, testOptions), labels(samples))
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

// The model must learn what generalises: trained on the rows of half the
// domains of a set whose label follows the words of the path, it must get
// the rows of the other half right. Rows it was trained on would say
// nothing: any model that remembers its training rows passes on those.
func TestTrainLearns(t *testing.T) {
	samples := wordLabelled(160, 4, 11)
	fold := Folds(samples, 2, 5)
	var train, test []Sample
	for i, s := range samples {
		if fold[i] == 0 {
			train = append(train, s)
		} else {
			test = append(test, s)
		}
	}
	seen := map[string]bool{}
	for _, s := range train {
		seen[GroupKey(s.URL)] = true
	}
	m := Train(train, testOptions)
	right := 0
	for _, s := range test {
		if seen[GroupKey(s.URL)] {
			t.Fatalf("held-out row %s is on a training domain", s.URL)
		}
		if (m.Score(s.URL) >= 0.5) == s.Malicious {
			right++
		}
	}
	if right < len(test)*9/10 {
		t.Errorf("the model gets %d of %d held-out rows right", right, len(test))
	}
	if m.CV == nil || m.CV.Rows != len(train) || len(m.Curve) == 0 {
		t.Errorf("Train did not record its cross-validation: %+v", m.CV)
	}
}

// testOptions train quickly: fewer trees than the shipped model.
var testOptions = Options{Seed: 1, Trees: 40}

// randomName is n random lower-case letters.
func randomName(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte('a' + r.IntN(26))
	}
	return string(b)
}

// domainLabelled returns rows whose label is a coin toss per registrable
// domain and nothing else: names and paths are drawn the same way under
// both labels. Only by remembering domains can a model score them, so on
// domains it has not seen it must do no better than chance, and a leak of
// a test row or domain into training shows as a near-perfect score.
func domainLabelled(domains, perDomain int, seed uint64) []Sample {
	r := rand.New(rand.NewPCG(seed, 99))
	words := []string{"about", "news", "team", "blog", "shop", "post", "item", "page", "docs", "help", "cart", "list"}
	var out []Sample
	for range domains {
		host := randomName(r, 10) + ".com"
		mal := r.IntN(2) == 0
		for range perDomain {
			out = append(out, Sample{URL: "https://" + host + "/" + words[r.IntN(len(words))] + "/" + words[r.IntN(len(words))], Malicious: mal})
		}
	}
	// Rows of a domain are spread over the file, as they are in the real
	// sets, so that folds by row index would split every domain.
	r.Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

// wordLabelled returns rows on random domains whose label follows the
// words of their path, which carry over to unseen domains.
func wordLabelled(domains, perDomain int, seed uint64) []Sample {
	r := rand.New(rand.NewPCG(seed, 98))
	bad := []string{"login", "verify", "wallet", "account", "signin", "secure", "update", "confirm"}
	good := []string{"recipes", "garden", "travel", "history", "football", "music", "weather", "poetry"}
	var out []Sample
	for range domains {
		host := randomName(r, 9) + ".net"
		for range perDomain {
			mal := r.IntN(2) == 0
			w := good
			if mal {
				w = bad
			}
			out = append(out, Sample{URL: "https://" + host + "/" + w[r.IntN(len(w))] + "/" + randomName(r, 5), Malicious: mal})
		}
	}
	return out
}

// auc is the chance that a random malicious row scores above a random
// benign one (ties count half).
func auc(scores []float64, malicious []bool) float64 {
	var above, pairs float64
	for i := range scores {
		for j := range scores {
			if malicious[i] && !malicious[j] {
				pairs++
				switch {
				case scores[i] > scores[j]:
					above++
				case scores[i] == scores[j]:
					above += 0.5
				}
			}
		}
	}
	return above / pairs
}

// TestCrossValidationDoesNotLeak: on rows whose label depends only on
// their domain, the out-of-fold scores must be near chance. Folds by row
// index, or a fold's model trained also on its test fold, score them near
// perfectly, as the in-sample scores below show the set allows.
func TestCrossValidationDoesNotLeak(t *testing.T) {
	samples := domainLabelled(150, 8, 21)
	mal := labels(samples)
	rows := rowsOf(samples)
	// The regression alone: the trees are fitted on log-odds of inner
	// folds, which on these labels run against the truth, so the stack
	// would turn a leak into a score below chance rather than above.
	opts := Options{Seed: 1, Trees: -1}.withDefaults()
	oof, models, fold := crossFit(samples, rows, opts, nil)
	t.Logf("out-of-fold AUC %.3f", auc(oof, mal))
	if a := auc(oof, mal); a < 0.3 || a > 0.7 {
		t.Errorf("out-of-fold AUC %.3f on labels that only a domain's name gives away, want near 0.5: "+
			"a test fold's domains leaked into its model's training", a)
	}
	// The control: a model that saw the rows scores them near perfectly,
	// so the check above can fail.
	all := make([]int, len(samples))
	for i := range all {
		all[i] = i
	}
	in := fitModel(samples, rows, all, opts, 1)
	inSample := make([]float64, len(samples))
	for i := range samples {
		inSample[i] = in.scoreRow(rows, i)
	}
	t.Logf("in-sample AUC %.3f", auc(inSample, mal))
	if a := auc(inSample, mal); a < 0.95 {
		t.Errorf("in-sample AUC %.3f: the set does not show a leak", a)
	}

	// No fold's model saw a row, or a domain, of its own test fold.
	for k, m := range models {
		trained := map[int]bool{}
		domains := map[string]bool{}
		for _, i := range m.trainedOn {
			trained[i] = true
			domains[GroupKey(samples[i].URL)] = true
		}
		for i, f := range fold {
			switch {
			case f == k && trained[i]:
				t.Fatalf("fold %d's model was trained on row %d of its test fold", k, i)
			case f == k && domains[GroupKey(samples[i].URL)]:
				t.Fatalf("fold %d's model was trained on the domain of test row %d", k, i)
			case f != k && !trained[i]:
				t.Fatalf("fold %d's model left out training row %d", k, i)
			case f == k && m.scoreRow(rows, i) != oof[i]:
				t.Fatalf("row %d of fold %d was not scored by its fold's model", i, k)
			}
		}
	}
}

// TestThresholdsFromOutOfFoldScores: Train's thresholds and its CV report
// come from the out-of-fold scores, never from the scores of a model on
// its own training rows (which would set the block threshold where
// memorised rows sit).
func TestThresholdsFromOutOfFoldScores(t *testing.T) {
	samples := domainLabelled(100, 8, 22)
	m := Train(samples, testOptions)
	oof := OutOfFold(samples, testOptions)
	block, review := ChooseThresholds(oof, labels(samples))
	if m.BlockThreshold != block || m.ReviewThreshold != review {
		t.Errorf("thresholds block %v, review %v; the out-of-fold scores give %v, %v", m.BlockThreshold, m.ReviewThreshold, block, review)
	}
	if want := report(samples, oof, block, review); m.CV == nil || m.CV.BlockRecall != want.BlockRecall || m.CV.ReviewRecall != want.ReviewRecall {
		t.Errorf("CV report %+v, want the out-of-fold one %+v", m.CV, want)
	}
	// Labels only a domain's name gives away: the out-of-fold report
	// cannot catch 90% of them within 5% of benign rows.
	if m.CV.ReviewRecall > 0.5 {
		t.Errorf("CV review recall %.2f on domain-only labels: the report is not out-of-fold", m.CV.ReviewRecall)
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

// TestStudy: every seed runs both models; the base model of a fold trains
// only on the first rows; the summary spans the runs.
func TestStudy(t *testing.T) {
	samples := wordLabelled(60, 4, 12)
	base := len(samples) / 2
	_, models, _ := crossFit(samples, rowsOf(samples), testOptions.withDefaults(), func(i int) bool { return i < base })
	for k, m := range models {
		if len(m.trainedOn) == 0 || slices.Max(m.trainedOn) >= base {
			t.Fatalf("fold %d's base model trained on rows %v, want only rows below %d", k, m.trainedOn, base)
		}
	}

	st := RunStudy(samples, []uint64{1, 2}, base, testOptions)
	if len(st.Runs) != 4 || len(st.Summary) != 2 || st.Summary[0].Model != "all" || st.Summary[1].Model != "base" {
		t.Fatalf("runs %d, summaries %+v", len(st.Runs), st.Summary)
	}
	if st.Rows != len(samples) || st.Malicious+st.Benign != st.Rows || st.BlockBenignRows != atMost(st.Benign, BlockMaxBenignRate) {
		t.Errorf("study counts %+v", st)
	}
	for _, s := range st.Summary {
		var recalls []float64
		for _, r := range st.Runs {
			if r.Model == s.Model {
				recalls = append(recalls, r.Report.BlockRecall)
			}
		}
		if s.BlockRecall.Min != slices.Min(recalls) || s.BlockRecall.Max != slices.Max(recalls) ||
			s.BlockRecall.Mean < s.BlockRecall.Min-1e-12 || s.BlockRecall.Mean > s.BlockRecall.Max+1e-12 {
			t.Errorf("%s: block recall %+v over runs %v", s.Model, s.BlockRecall, recalls)
		}
		if len(s.RecallAt) != len(curveRates) {
			t.Errorf("%s: curve of %d points", s.Model, len(s.RecallAt))
		}
	}
	// The words generalise to unseen domains.
	if all := st.Summary[0]; all.ReviewRecall.Mean < 0.6 {
		t.Errorf("review recall %.2f on word-labelled rows", all.ReviewRecall.Mean)
	}
	var text bytes.Buffer
	if err := st.WriteText(&text); err != nil || !strings.Contains(text.String(), "benign for 90%") {
		t.Errorf("text %v\n%s", err, text.String())
	}
	if one := RunStudy(samples, []uint64{3}, 0, testOptions); len(one.Runs) != 1 || one.BaseRows != 0 {
		t.Errorf("without base rows: %d runs, base %d", len(one.Runs), one.BaseRows)
	}
}

func TestWilson(t *testing.T) {
	// 21 of 21,000: the benign rows a 0.1% block threshold allows.
	ci := wilson(21, 21000)
	if !(ci[0] < 0.001 && 0.001 < ci[1]) || ci[0] < 0.0006 || ci[1] > 0.0016 {
		t.Errorf("wilson(21, 21000) = %v", ci)
	}
	if ci := wilson(0, 50); ci[0] != 0 || ci[1] <= 0 || ci[1] > 0.1 {
		t.Errorf("wilson(0, 50) = %v", ci)
	}
	if ci := wilson(50, 50); ci[1] != 1 || ci[0] < 0.9 {
		t.Errorf("wilson(50, 50) = %v", ci)
	}
	if ci := wilson(0, 0); ci != [2]float64{0, 1} {
		t.Errorf("wilson(0, 0) = %v", ci)
	}
}
