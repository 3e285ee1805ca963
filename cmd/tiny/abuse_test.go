package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const abuseFixture = "../../internal/abuse/urlscore/testdata/labelled.csv"

func TestAbuseEvalJSON(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"abuse", "eval", "--data", abuseFixture, "--json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("abuse eval: %v\n%s", err, stderr.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, stdout.String())
	}
	for _, k := range []string{"block_precision", "block_recall", "block_fpr", "review_recall", "review_benign_rate"} {
		if v, ok := rep[k].(float64); !ok || v < 0 || v > 1 {
			t.Errorf("%s = %v, want a rate", k, rep[k])
		}
	}
	for _, k := range []string{"block_recall_ci95", "block_fpr_ci95", "review_recall_ci95", "review_benign_rate_ci95"} {
		if ci, ok := rep[k].([]any); !ok || len(ci) != 2 {
			t.Errorf("%s = %v, want an interval", k, rep[k])
		}
	}
	sources, _ := rep["by_source"].([]any)
	if len(sources) != 4 {
		t.Errorf("by_source = %v, want the fixture's 4 sources", rep["by_source"])
	}
	for _, s := range sources {
		src, _ := s.(map[string]any)
		for _, k := range []string{"source", "label", "rows", "block_rate", "flag_rate", "block_rate_ci95"} {
			if _, ok := src[k]; !ok {
				t.Errorf("source %v lacks %s", src["source"], k)
			}
		}
	}
	if rows, _ := rep["rows"].(float64); rows != 48 {
		t.Errorf("rows = %v, want the fixture's 48", rep["rows"])
	}
	// The hand-written fixture is easy: the committed model must catch
	// most of its malicious rows at review.
	if r, _ := rep["review_recall"].(float64); r < 0.7 {
		t.Errorf("review recall on the fixture %.2f", r)
	}
}

func TestAbuseTrainThenEval(t *testing.T) {
	out := filepath.Join(t.TempDir(), "model.json")
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"abuse", "train", "--data", abuseFixture, "--out", out, "--seed", "3"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("abuse train: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "block  at score") || !strings.Contains(stdout.String(), "trade-off") {
		t.Errorf("train printed no report:\n%s", stdout.String())
	}
	first, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"abuse", "train", "--data", abuseFixture, "--out", out, "--seed", "3"}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	if second, _ := os.ReadFile(out); !bytes.Equal(first, second) {
		t.Error("training twice wrote different files")
	}

	stdout.Reset()
	if err := run(context.Background(), []string{"abuse", "eval", "--data", abuseFixture, "--model", out}, &stdout, &stderr); err != nil {
		t.Fatalf("abuse eval --model: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stdout.String(), "handmade-phish") {
		t.Errorf("eval text lacks the per-source table:\n%s", stdout.String())
	}
}

func TestAbuseCV(t *testing.T) {
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"abuse", "cv", "--data", abuseFixture, "--seeds", "1,2", "--base-rows", "30", "--json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("abuse cv: %v\n%s", err, stderr.String())
	}
	var st struct {
		Rows            int      `json:"rows"`
		Seeds           []uint64 `json:"seeds"`
		BlockBenignRows *int     `json:"block_benign_rows"`
		Runs            []struct {
			Model  string         `json:"model"`
			Seed   uint64         `json:"seed"`
			Report map[string]any `json:"report"`
		} `json:"runs"`
		Summary []struct {
			Model       string         `json:"model"`
			BlockRecall map[string]any `json:"block_recall"`
			BySource    []any          `json:"by_source"`
		} `json:"summary"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &st); err != nil {
		t.Fatalf("output is not one JSON object: %v\n%s", err, stdout.String())
	}
	if st.Rows != 48 || len(st.Seeds) != 2 || st.BlockBenignRows == nil || len(st.Runs) != 4 || len(st.Summary) != 2 {
		t.Fatalf("study %+v", st)
	}
	for _, r := range st.Runs {
		if _, ok := r.Report["block_recall"].(float64); !ok || r.Report["by_source"] == nil {
			t.Errorf("run %s/%d report %v", r.Model, r.Seed, r.Report)
		}
	}
	if s := st.Summary[1]; s.Model != "base" || s.BlockRecall["mean"] == nil || len(s.BySource) != 4 {
		t.Errorf("base summary %+v", s)
	}

	stdout.Reset()
	scores := filepath.Join(t.TempDir(), "scores.csv")
	if err := run(context.Background(), []string{"abuse", "cv", "--data", abuseFixture, "--seeds", "1", "--scores", scores}, &stdout, &stderr); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(scores)
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 49 || lines[0] != "url,label,source,model,seed,score" ||
		!strings.HasPrefix(lines[1], "https://paypal.com.account-verify.secure-login.top/signin,malicious,handmade-phish,all,1,0.") {
		t.Errorf("scores file: %d lines, starting %q", len(lines), lines[:2])
	}
	if !strings.Contains(stdout.String(), "handmade-phish") || strings.Contains(stdout.String(), "base") {
		t.Errorf("cv text without --base-rows:\n%s", stdout.String())
	}
	for _, args := range [][]string{
		{"abuse", "cv"},
		{"abuse", "cv", "--data", abuseFixture, "--base-rows", "48"},
		{"abuse", "cv", "--data", abuseFixture, "--base-rows", "-1"},
		{"abuse", "cv", "--data", abuseFixture, "--seeds", ""},
	} {
		if err := run(context.Background(), args, &stdout, &stderr); err == nil {
			t.Errorf("%q succeeded", args)
		}
	}
}

// TestAbuseEvalUnseenBy: --unseen-by keeps only the rows whose registrable
// domain the other file lacks.
func TestAbuseEvalUnseenBy(t *testing.T) {
	dir := t.TempDir()
	train := filepath.Join(dir, "train.csv")
	if err := os.WriteFile(train, []byte("url,label\nhttps://paypal.com.account-verify.secure-login.top/x,malicious\nhttp://other.en.wikipedia.org/,benign\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := run(context.Background(), []string{"abuse", "eval", "--data", abuseFixture, "--unseen-by", train, "--json"}, &stdout, &stderr); err != nil {
		t.Fatalf("abuse eval --unseen-by: %v\n%s", err, stderr.String())
	}
	var rep map[string]any
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	// The fixture has one row on secure-login.top and one on wikipedia.org.
	if rows, _ := rep["rows"].(float64); rows != 46 {
		t.Errorf("rows = %v, want the fixture's 48 less the 2 on domains of train.csv", rep["rows"])
	}
	if err := run(context.Background(), []string{"abuse", "eval", "--data", abuseFixture, "--unseen-by", abuseFixture}, &stdout, &stderr); err == nil {
		t.Error("eval with every domain seen succeeded, want an error")
	}
}

func TestAbuseEvalErrors(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte("url,label\nhttps://a.example/,benign\nhttps://b.example/,phishy\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"abuse", "eval"},
		{"abuse", "eval", "--data", bad},
		{"abuse", "eval", "--data", abuseFixture, "--model", bad},
	} {
		var stdout, stderr bytes.Buffer
		if err := run(context.Background(), args, &stdout, &stderr); err == nil {
			t.Errorf("%q succeeded", args)
		}
	}
	var stdout, stderr bytes.Buffer
	err := run(context.Background(), []string{"abuse", "eval", "--data", bad}, &stdout, &stderr)
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Errorf("bad label error %v, want it to name line 3", err)
	}
}

func TestAbuseCheck(t *testing.T) {
	var stdout, stderr bytes.Buffer
	phishing, clean := "https://paypal.com.account-verify.secure-login.top/signin", "https://github.com/golang/go/issues/65432"
	if err := run(context.Background(), []string{"abuse", "check", phishing, clean}, &stdout, &stderr); err != nil {
		t.Fatalf("abuse check: %v\n%s", err, stderr.String())
	}
	var verdicts []string
	for _, line := range strings.Split(stdout.String(), "\n") {
		if f := strings.Fields(line); len(f) == 3 && strings.HasPrefix(f[2], "https://") {
			verdicts = append(verdicts, f[1]+" "+f[2])
		}
	}
	if want := []string{"block " + phishing, "allow " + clean}; strings.Join(verdicts, "|") != strings.Join(want, "|") {
		t.Errorf("verdicts = %q, want %q\n%s", verdicts, want, stdout.String())
	}
	if !strings.Contains(stdout.String(), "brand-in-subdomain") {
		t.Errorf("the phishing URL's signals do not name the brand in its subdomain:\n%s", stdout.String())
	}
	if err := run(context.Background(), []string{"abuse", "check"}, &stdout, &stderr); err == nil {
		t.Error("abuse check without URLs succeeded, want an error")
	}
}
