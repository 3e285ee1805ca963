package urlscore

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
)

func TestDefaultModel(t *testing.T) {
	m := Default()
	if m != Default() {
		t.Error("Default loads the model more than once")
	}
	if !(0 < m.ReviewThreshold && m.ReviewThreshold <= m.BlockThreshold && m.BlockThreshold <= 1) {
		t.Errorf("thresholds review %v, block %v", m.ReviewThreshold, m.BlockThreshold)
	}
	if m.CV == nil || m.CV.Rows == 0 {
		t.Fatal("the committed model has no cross-validation report")
	}
	// Written hand-made URLs, not rows of the training set.
	bad := m.Score("https://paypal.com.account-verify.secure-login.top/signin")
	good := m.Score("https://en.wikipedia.org/wiki/Logistic_regression")
	if !(bad > good) || bad < m.ReviewThreshold || good >= m.ReviewThreshold {
		t.Errorf("phishing-like URL scores %.3f, Wikipedia %.3f (review at %.3f)", bad, good, m.ReviewThreshold)
	}
	if d := m.Decide(bad); d == Allow {
		t.Errorf("phishing-like URL: %s", d)
	}
}

func TestExplain(t *testing.T) {
	m := Default()
	sigs := m.Explain("http://192.0.2.7/paypal/login.php")
	if len(sigs) < 2 || !hasSignal(sigs, SigIPHost) {
		t.Fatalf("Explain = %+v", sigs)
	}
	for i := 1; i < len(sigs); i++ {
		if sigs[i].Weight > sigs[i-1].Weight {
			t.Errorf("signals not ordered by contribution: %+v", sigs)
		}
	}
	if sigs[0].Weight <= 0 {
		t.Errorf("the top signal does not raise the score: %+v", sigs[0])
	}
}

// TestScoreExplain: the one-pass ScoreExplain gives what Score and
// Explain give apart, on every labelled URL.
func TestScoreExplain(t *testing.T) {
	m := Default()
	for _, s := range fixture(t) {
		p, sigs := m.ScoreExplain(s.URL)
		if want := m.Score(s.URL); p != want {
			t.Fatalf("ScoreExplain(%s) score = %v, want Score's %v", s.URL, p, want)
		}
		if want := m.Explain(s.URL); fmt.Sprint(sigs) != fmt.Sprint(want) {
			t.Fatalf("ScoreExplain(%s) signals = %v, want Explain's %v", s.URL, sigs, want)
		}
	}
}

func TestModelRoundTrip(t *testing.T) {
	m := Train(fixture(t), Options{Seed: 1})
	if len(m.trees) == 0 {
		t.Fatal("the trained model has no trees")
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(b)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fixture(t) {
		if a, b := m.Score(s.URL), back.Score(s.URL); a != b {
			t.Fatalf("%s: %v before saving, %v after", s.URL, a, b)
		}
	}
	b2, _ := json.Marshal(back)
	if !bytes.Equal(b, b2) {
		t.Error("a loaded model does not save to the same bytes")
	}
	if _, err := Load(bytes.Replace(b, []byte(featureVersion), []byte("other-features"), 1)); err == nil {
		t.Error("a model for other features loaded")
	}
	if _, err := Load(bytes.Replace(b, []byte(`"lr-margin"`), []byte(`"other"`), 1)); err == nil {
		t.Error("a model whose trees name other dense features loaded")
	}

	// Without trees the model is the logistic regression alone.
	lr := Train(fixture(t), Options{Seed: 1, Trees: -1})
	if len(lr.trees) != 0 {
		t.Errorf("Trees: -1 fitted %d trees", len(lr.trees))
	}
	b, _ = json.Marshal(lr)
	back, err = Load(b)
	if err != nil {
		t.Fatal(err)
	}
	u := fixture(t)[0].URL
	if a, b := lr.Score(u), back.Score(u); a != b {
		t.Errorf("logistic regression alone: %v before saving, %v after", a, b)
	}
}

var benchURLs = []string{
	"https://en.wikipedia.org/wiki/Logistic_regression",
	"https://paypal.com.account-verify.secure-login.top/signin?session=8f7e6d5c4b3a",
	"http://192.0.2.10/office365/login.php",
	"https://blog.example-gardening.com/how-to-grow-tomatoes-on-a-balcony-in-a-small-city-flat?utm_source=newsletter&utm_medium=email",
	"https://bit.ly/3xFakeLnk",
}

func BenchmarkScore(b *testing.B) {
	m := Default()
	b.ReportAllocs()
	var sink float64
	for i := 0; b.Loop(); i++ {
		sink += m.Score(benchURLs[i%len(benchURLs)])
	}
	_ = sink
}

// BenchmarkScoreLong is a URL at the limit the features read (maxRest).
func BenchmarkScoreLong(b *testing.B) {
	m := Default()
	u := "https://example.com/" + string(bytes.Repeat([]byte("abcdefghij/"), 800))
	b.ReportAllocs()
	for b.Loop() {
		m.Score(u)
	}
}
