package main

import (
	"context"
	"fmt"
	"io"
	"path"

	"github.com/pressly/goose/v3"
	"github.com/spf13/cobra"

	"tiny/internal/postgres"
	"tiny/internal/sqlite"
)

func migrateCommand(std streams) *cobra.Command {
	var database string
	status := func(cmd *cobra.Command, _ []string) error {
		st, err := schemaStatus(cmd.Context(), database)
		if err != nil {
			return err
		}
		return printSchema(std.stdout, database, st)
	}
	cmd := &cobra.Command{
		Use:   "migrate [status|up] --database DB",
		Short: "show the database's schema version, or upgrade it (OFFLINE, on the database)",
		Long: "OFFLINE: opens the database given by --database directly. `tiny migrate` and\n" +
			"`tiny migrate status` show the schema version and the migrations still to apply,\n" +
			"changing nothing; `tiny migrate up` applies them, as tiny serve does when it starts.\n" +
			"Back the database up first (docs/operations.md).",
		Args: positional(cobra.NoArgs),
		RunE: status,
	}
	statusCmd := &cobra.Command{
		Use:   "status --database DB",
		Short: "show the schema version and the pending migrations (OFFLINE)",
		Long:  "OFFLINE: shows the schema version of the database and the migrations still to apply; changes nothing.",
		Args:  positional(cobra.NoArgs),
		RunE:  status,
	}
	upCmd := &cobra.Command{
		Use:   "up --database DB",
		Short: "apply the pending migrations (OFFLINE)",
		Long:  "OFFLINE: applies the migrations the database does not have yet, then shows its status.",
		Args:  positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			before, err := schemaStatus(ctx, database)
			if err != nil {
				return err
			}
			store, err := openStore(ctx, database) // applies every pending migration
			if err != nil {
				return fmt.Errorf("opening the database %s: %w", redactDSN(database), err)
			}
			if err := store.Close(); err != nil {
				return err
			}
			after, err := schemaStatus(ctx, database)
			if err != nil {
				return err
			}
			fmt.Fprintf(std.stdout, "Applied %d migrations.\n", countPending(before)-countPending(after))
			return printSchema(std.stdout, database, after)
		},
	}
	for _, c := range []*cobra.Command{cmd, statusCmd, upCmd} {
		c.Flags().StringVar(&database, "database", DefaultConfig().Database, "SQLite file path, or a postgres:// URL, as for tiny serve")
		withEnv(c)
	}
	cmd.AddCommand(statusCmd, upCmd)
	return cmd
}

// schemaStatus asks the store of database for its migrations' status.
func schemaStatus(ctx context.Context, database string) ([]*goose.MigrationStatus, error) {
	var st []*goose.MigrationStatus
	var err error
	if isPostgresURL(database) {
		st, err = postgres.SchemaStatus(ctx, database)
	} else {
		st, err = sqlite.SchemaStatus(ctx, database)
	}
	if err != nil {
		return nil, fmt.Errorf("reading the schema of %s: %w", redactDSN(database), err)
	}
	return st, nil
}

func countPending(st []*goose.MigrationStatus) int {
	n := 0
	for _, s := range st {
		if s.State == goose.StatePending {
			n++
		}
	}
	return n
}

// printSchema prints the current version, then every migration with its
// state, as a table.
func printSchema(w io.Writer, database string, st []*goose.MigrationStatus) error {
	var current int64
	for _, s := range st {
		if s.State == goose.StateApplied {
			current = max(current, s.Source.Version)
		}
	}
	pending := countPending(st)
	fmt.Fprintf(w, "Database:       %s\n", redactDSN(database))
	fmt.Fprintf(w, "Schema version: %d\n", current)
	if pending == 0 {
		fmt.Fprintln(w, "Pending:        none, up to date")
	} else {
		fmt.Fprintf(w, "Pending:        %d (tiny migrate up, or tiny serve, applies them)\n", pending)
	}
	fmt.Fprintln(w)
	tw := table(w)
	fmt.Fprintln(tw, "VERSION\tMIGRATION\tSTATE\tAPPLIED")
	for _, s := range st {
		applied := "-"
		if !s.AppliedAt.IsZero() {
			applied = s.AppliedAt.Local().Format("2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", s.Source.Version, path.Base(s.Source.Path), s.State, applied)
	}
	return tw.Flush()
}
