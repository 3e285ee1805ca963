package main

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
)

// exportCommand is `tiny export`: the caller's links through the API.
func exportCommand(std streams) *cobra.Command {
	var format, out string
	var all bool
	cmd := &cobra.Command{
		Use:   "export [--format jsonl|csv] [-o FILE] [--all]",
		Short: "write every link you may read, with every field, as JSON lines or CSV",
		Long: "Streams your links from the server (GET /api/v1/export) to stdout or to FILE: one\n" +
			"link's JSON per line, or a CSV with a header of the same field names, imported_clicks\n" +
			"included. With --all, admins and moderators get every user's links. For a full-\n" +
			"fidelity copy of an instance (users, keys, statistics) use tiny backup or\n" +
			"export-archive on the server.",
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "jsonl" && format != "csv" {
				return usagef("--format must be jsonl or csv")
			}
			c, err := loggedIn()
			if err != nil {
				return err
			}
			q := url.Values{"format": {format}}
			if all {
				q.Set("all", "true")
			}
			if out == "" || out == "-" {
				return c.stream(cmd.Context(), "/api/v1/export", q, std.stdout)
			}
			// Written beside FILE and renamed over it at the end, so a cut
			// export never passes for a whole one.
			f, err := os.CreateTemp(filepath.Dir(out), filepath.Base(out)+".part-*")
			if err != nil {
				return err
			}
			defer os.Remove(f.Name()) // after the rename, a no-op
			err = c.stream(cmd.Context(), "/api/v1/export", q, f)
			if err = errors.Join(err, f.Close()); err != nil {
				return err
			}
			if err := os.Rename(f.Name(), out); err != nil {
				return err
			}
			fmt.Fprintf(std.stderr, "Wrote the links to %s.\n", out)
			return nil
		},
	}
	cmd.Flags().StringVar(&format, "format", "jsonl", "jsonl or csv")
	cmd.Flags().StringVarP(&out, "output", "o", "", "write to this file instead of stdout")
	cmd.Flags().BoolVar(&all, "all", false, "every user's links (admins and moderators)")
	return cmd
}
