// Command tiny is the tiny URL shortener: `tiny serve` runs the service;
// other subcommands administer it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/peterbourgon/ff/v3/ffcli"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "tiny:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	root := &ffcli.Command{
		ShortUsage: "tiny <command> [flags]",
		LongHelp:   "tiny is a self-hosted URL shortener and link-safety service.",
		Subcommands: []*ffcli.Command{
			serveCommand(stdout, stderr),
			abuseCommand(stdout, stderr),
			adminCommand(os.Stdin, stdout, stderr),
		},
		Exec: func(context.Context, []string) error { return flag.ErrHelp },
	}
	return root.ParseAndRun(ctx, args)
}
