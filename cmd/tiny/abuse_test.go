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
