package main

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"tiny/internal/abuse/urlscore"
)

// abuseCommand trains and evaluates the URL model of the link-safety check.
func abuseCommand(std streams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "abuse <train|eval|cv|check>",
		Short: "train and evaluate the URL model of the link-safety check",
		Args:  positional(cobra.NoArgs),
	}
	cmd.AddCommand(abuseTrainCommand(std), abuseEvalCommand(std), abuseCVCommand(std), abuseCheckCommand(std))
	return cmd
}

func abuseTrainCommand(std streams) *cobra.Command {
	var data, out string
	var seed uint64
	cmd := &cobra.Command{
		Use:   "train --data FILE [--out FILE] [--seed N]",
		Short: "cross-validate, choose thresholds, train on all rows and write the model",
		Long: "Runs 5-fold cross-validation grouped by registrable domain, chooses the block\n" +
			"and review thresholds from the out-of-fold scores, trains on every row and\n" +
			"writes the model. The same data and seed give the same file, byte for byte.",
		Args: positional(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			samples, err := readSamples(data)
			if err != nil {
				return err
			}
			m := urlscore.Train(samples, urlscore.Options{Seed: seed})
			b, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, append(b, '\n'), 0o644); err != nil {
				return err
			}
			stdout := std.stdout
			fmt.Fprintf(stdout, "grouped %d-fold cross-validation on %s:\n", m.Options.Folds, data)
			if err := m.CV.WriteText(stdout); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "\nout-of-fold trade-off:")
			if err := m.Curve.WriteText(stdout); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "\nwrote %s (%d bytes)\n", out, len(b)+1)
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&data, "data", "", "labelled CSV with columns url,label[,source] (required)")
	fs.StringVar(&out, "out", "internal/abuse/urlscore/model.json", "where to write the model")
	fs.Uint64Var(&seed, "seed", 1, "seed of the folds and of the training order")
	return cmd
}

func abuseEvalCommand(std streams) *cobra.Command {
	var data, modelPath, unseenBy string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "eval --data FILE [--json] [--model FILE] [--unseen-by FILE]",
		Short: "score a labelled CSV with the model and its thresholds",
		Long: "Scores every row of --data with the model and reports the quality at its\n" +
			"thresholds, per source too. With --unseen-by TRAINING.csv only the rows whose\n" +
			"registrable domain is in no row of that file are scored: domains the model\n" +
			"trained on it has never seen.",
		Args: positional(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			samples, err := readSamples(data)
			if err != nil {
				return err
			}
			if unseenBy != "" {
				seen, err := readSamples(unseenBy)
				if err != nil {
					return err
				}
				if samples = unseenDomains(samples, seen); len(samples) == 0 {
					return fmt.Errorf("%s: every row's domain is in %s", data, unseenBy)
				}
			}
			m, err := loadModel(modelPath)
			if err != nil {
				return err
			}
			rep := urlscore.Evaluate(m, samples)
			if asJSON {
				enc := json.NewEncoder(std.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteText(std.stdout)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&data, "data", "", "labelled CSV with columns url,label[,source] (required)")
	fs.BoolVar(&asJSON, "json", false, "print the report as one JSON object")
	fs.StringVar(&modelPath, "model", "", "model file (default: the model built into this binary)")
	fs.StringVar(&unseenBy, "unseen-by", "", "score only rows whose registrable domain is in no row of this labelled CSV")
	return cmd
}

// unseenDomains returns the samples whose registrable domain is in none of
// seen: for a model trained on seen, the rows of domains it never saw.
func unseenDomains(samples, seen []urlscore.Sample) []urlscore.Sample {
	known := make(map[string]bool, len(seen))
	for _, s := range seen {
		known[urlscore.GroupKey(s.URL)] = true
	}
	var out []urlscore.Sample
	for _, s := range samples {
		if !known[urlscore.GroupKey(s.URL)] {
			out = append(out, s)
		}
	}
	return out
}

func abuseCVCommand(std streams) *cobra.Command {
	var data, scoresPath string
	var seeds []uint
	var baseRows int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "cv --data FILE [--seeds 1,2,3] [--base-rows N] [--json] [--scores FILE]",
		Short: "grouped cross-validation over several seeds, against a model of the first N rows",
		Long: "Runs the 5-fold cross-validation of train, grouped by registrable domain, once per\n" +
			"seed (folds and training order change), chooses each run's thresholds on its own\n" +
			"out-of-fold scores and reports each run, the mean and spread over the seeds, and\n" +
			"the sources. With --base-rows N it also trains, in every fold, the same recipe on\n" +
			"only the fold's training rows among the first N rows of the file (an older,\n" +
			"smaller set) and scores it on the same test fold. Writes no model.",
		Args: positional(cobra.NoArgs),
		RunE: func(*cobra.Command, []string) error {
			samples, err := readSamples(data)
			if err != nil {
				return err
			}
			if len(seeds) == 0 {
				return errors.New("--seeds needs at least one seed")
			}
			if baseRows < 0 || baseRows >= len(samples) {
				return fmt.Errorf("--base-rows %d: want 0 (none) or fewer than the file's %d rows", baseRows, len(samples))
			}
			s := make([]uint64, len(seeds))
			for i, v := range seeds {
				s[i] = uint64(v)
			}
			st := urlscore.RunStudy(samples, s, baseRows, urlscore.Options{})
			if scoresPath != "" {
				if err := writeScores(scoresPath, samples, st); err != nil {
					return err
				}
			}
			if asJSON {
				enc := json.NewEncoder(std.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(st)
			}
			return st.WriteText(std.stdout)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&data, "data", "", "labelled CSV with columns url,label[,source] (required)")
	fs.UintSliceVar(&seeds, "seeds", []uint{1, 2, 3}, "seeds of the folds and of the training order")
	fs.IntVar(&baseRows, "base-rows", 0, "also train on only the first N rows of the file, for comparison")
	fs.BoolVar(&asJSON, "json", false, "print the study as one JSON object")
	fs.StringVar(&scoresPath, "scores", "", "also write every run's out-of-fold score of every row to this CSV")
	return cmd
}

// writeScores writes the out-of-fold scores as CSV: url, label, source,
// model, seed, score; a row per sample and run.
func writeScores(path string, samples []urlscore.Sample, st urlscore.Study) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write([]string{"url", "label", "source", "model", "seed", "score"})
	for _, r := range st.Runs {
		for i, s := range samples {
			label := "benign"
			if s.Malicious {
				label = "malicious"
			}
			w.Write([]string{s.URL, label, s.Source, r.Model, strconv.FormatUint(r.Seed, 10), strconv.FormatFloat(r.Scores[i], 'g', -1, 64)})
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func abuseCheckCommand(std streams) *cobra.Command {
	var modelPath string
	cmd := &cobra.Command{
		Use:   "check [--model FILE] URL...",
		Short: "print the model's score, decision and signals for each URL",
		Long: "Scores each URL as the model and its thresholds would at create time, without\n" +
			"blocklists or creator signals, and lists the heuristic signals that fired with\n" +
			"their weight. The URLs are treated as text: nothing is fetched.",
		Args: positional(cobra.MinimumNArgs(1)),
		RunE: func(_ *cobra.Command, args []string) error {
			m, err := loadModel(modelPath)
			if err != nil {
				return err
			}
			for _, u := range args {
				score := m.Score(u)
				fmt.Fprintf(std.stdout, "%.4f  %-6s  %s\n", score, m.Decide(score), u)
				for _, sig := range m.Explain(u) {
					fmt.Fprintf(std.stdout, "        %+.2f  %s %s\n", sig.Weight, sig.Name, sig.Detail)
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&modelPath, "model", "", "model file (default: the model built into this binary)")
	return cmd
}

// loadModel reads a model file, or returns the built-in model for "".
func loadModel(path string) (*urlscore.Model, error) {
	if path == "" {
		return urlscore.Default(), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	m, err := urlscore.Load(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func readSamples(path string) ([]urlscore.Sample, error) {
	if path == "" {
		return nil, errors.New("--data is required")
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	samples, err := urlscore.ReadLabelled(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(samples) == 0 {
		return nil, fmt.Errorf("%s: no rows", path)
	}
	return samples, nil
}
