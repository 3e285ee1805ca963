package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/peterbourgon/ff/v3/ffcli"

	"tiny/internal/abuse/urlscore"
)

// abuseCommand trains and evaluates the URL model of the link-safety check.
func abuseCommand(stdout, stderr io.Writer) *ffcli.Command {
	return &ffcli.Command{
		Name:       "abuse",
		ShortUsage: "tiny abuse <train|eval|check> [flags]",
		ShortHelp:  "train and evaluate the URL model of the link-safety check",
		Subcommands: []*ffcli.Command{
			abuseTrainCommand(stdout, stderr),
			abuseEvalCommand(stdout, stderr),
			abuseCheckCommand(stdout, stderr),
		},
		Exec: func(context.Context, []string) error { return flag.ErrHelp },
	}
}

func abuseTrainCommand(stdout, stderr io.Writer) *ffcli.Command {
	fs := flag.NewFlagSet("tiny abuse train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "labelled CSV with columns url,label[,source] (required)")
	out := fs.String("out", "internal/abuse/urlscore/model.json", "where to write the model")
	seed := fs.Uint64("seed", 1, "seed of the folds and of the training order")
	return &ffcli.Command{
		Name:       "train",
		ShortUsage: "tiny abuse train --data FILE [--out FILE] [--seed N]",
		ShortHelp:  "cross-validate, choose thresholds, train on all rows and write the model",
		LongHelp: "Runs 5-fold cross-validation grouped by registrable domain, chooses the block\n" +
			"and review thresholds from the out-of-fold scores, trains on every row and\n" +
			"writes the model. The same data and seed give the same file, byte for byte.",
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("abuse train: unexpected arguments %q", args)
			}
			samples, err := readSamples(*data)
			if err != nil {
				return err
			}
			m := urlscore.Train(samples, urlscore.Options{Seed: *seed})
			b, err := json.Marshal(m)
			if err != nil {
				return err
			}
			if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "grouped %d-fold cross-validation on %s:\n", m.Options.Folds, *data)
			if err := m.CV.WriteText(stdout); err != nil {
				return err
			}
			fmt.Fprintln(stdout, "\nout-of-fold trade-off:")
			if err := m.Curve.WriteText(stdout); err != nil {
				return err
			}
			fmt.Fprintf(stdout, "\nwrote %s (%d bytes)\n", *out, len(b)+1)
			return nil
		},
	}
}

func abuseEvalCommand(stdout, stderr io.Writer) *ffcli.Command {
	fs := flag.NewFlagSet("tiny abuse eval", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "", "labelled CSV with columns url,label[,source] (required)")
	asJSON := fs.Bool("json", false, "print the report as one JSON object")
	modelPath := fs.String("model", "", "model file (default: the model built into this binary)")
	return &ffcli.Command{
		Name:       "eval",
		ShortUsage: "tiny abuse eval --data FILE [--json] [--model FILE]",
		ShortHelp:  "score a labelled CSV with the model and its thresholds",
		FlagSet:    fs,
		Exec: func(_ context.Context, args []string) error {
			if len(args) > 0 {
				return fmt.Errorf("abuse eval: unexpected arguments %q", args)
			}
			samples, err := readSamples(*data)
			if err != nil {
				return err
			}
			m, err := loadModel(*modelPath)
			if err != nil {
				return err
			}
			rep := urlscore.Evaluate(m, samples)
			if *asJSON {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			return rep.WriteText(stdout)
		},
	}
}

func abuseCheckCommand(stdout, stderr io.Writer) *ffcli.Command {
	fs := flag.NewFlagSet("tiny abuse check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modelPath := fs.String("model", "", "model file (default: the model built into this binary)")
	return &ffcli.Command{
		Name:       "check",
		ShortUsage: "tiny abuse check [--model FILE] URL...",
		ShortHelp:  "print the model's score, decision and signals for each URL",
		LongHelp: "Scores each URL as the model and its thresholds would at create time, without\n" +
			"blocklists or creator signals, and lists the heuristic signals that fired with\n" +
			"their weight. The URLs are treated as text: nothing is fetched.",
		FlagSet: fs,
		Exec: func(_ context.Context, args []string) error {
			if len(args) == 0 {
				return errors.New("abuse check: give at least one URL")
			}
			m, err := loadModel(*modelPath)
			if err != nil {
				return err
			}
			for _, u := range args {
				score := m.Score(u)
				fmt.Fprintf(stdout, "%.4f  %-6s  %s\n", score, m.Decide(score), u)
				for _, sig := range m.Explain(u) {
					fmt.Fprintf(stdout, "        %+.2f  %s %s\n", sig.Weight, sig.Name, sig.Detail)
				}
			}
			return nil
		},
	}
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
