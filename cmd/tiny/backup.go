package main

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"tiny/internal/sqlite"
	"tiny/internal/storemove"
	"tiny/internal/tiny"
)

// backupCommand copies the SQLite store while tiny serves from it.
func backupCommand(std streams) *cobra.Command {
	var database string
	cmd := &cobra.Command{
		Use:   "backup FILE --database tiny.db",
		Short: "take a consistent backup of the SQLite database while tiny serves (OFFLINE, on the database)",
		Long: "OFFLINE: opens the SQLite file given by --database read-only and writes a consistent\n" +
			"copy of it to FILE (SQLite's VACUUM INTO), while tiny keeps serving from it. FILE must\n" +
			"not exist. The copy is checked with SQLite's integrity check. It is also the instance's\n" +
			"full-fidelity archive: `tiny restore` brings it back, `tiny move-to-postgres` moves it.\n" +
			"For PostgreSQL, use pg_dump (docs/operations.md), or `tiny export-archive`.",
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if isPostgresURL(database) {
				return usagef("tiny backup copies a SQLite file; for PostgreSQL use pg_dump, or tiny export-archive")
			}
			info, err := sqlite.Backup(cmd.Context(), database, args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(std.stdout, "Backed up %s to %s: schema %d, %d links, %d users, %d clicks.\n",
				database, args[0], info.SchemaVersion, info.Links, info.Users, info.Clicks)
			return nil
		},
	}
	cmd.Flags().StringVar(&database, "database", DefaultConfig().Database, "the SQLite file to back up")
	return withEnv(cmd)
}

// restoreCommand puts a backup in place of the SQLite store.
func restoreCommand(std streams) *cobra.Command {
	var (
		database string
		force    bool
	)
	cmd := &cobra.Command{
		Use:   "restore FILE --database tiny.db [--force]",
		Short: "check a backup and restore it as the SQLite database (OFFLINE; stop tiny first)",
		Long: "OFFLINE: checks the backup FILE (integrity, schema) and puts a copy of it in place as\n" +
			"the database given by --database. Stop tiny first: a database in use is refused. An\n" +
			"existing database is replaced only with --force.",
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if isPostgresURL(database) {
				return usagef("tiny restore writes a SQLite file; to bring a backup into PostgreSQL use tiny move-to-postgres --from FILE")
			}
			info, err := sqlite.Restore(cmd.Context(), args[0], database, force)
			if err != nil {
				return err
			}
			fmt.Fprintf(std.stdout, "Restored %s as %s: schema %d, %d links, %d users, %d clicks.\n",
				args[0], database, info.SchemaVersion, info.Links, info.Users, info.Clicks)
			return nil
		},
	}
	cmd.Flags().StringVar(&database, "database", DefaultConfig().Database, "the SQLite file to restore into")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing database")
	return withEnv(cmd)
}

// moveCommand copies a SQLite instance into an empty PostgreSQL database.
func moveCommand(std streams) *cobra.Command {
	var from, to string
	cmd := &cobra.Command{
		Use:   "move-to-postgres --from tiny.db --to postgres://…",
		Short: "copy everything from SQLite into an empty PostgreSQL database, verified (OFFLINE)",
		Long: "OFFLINE: copies every table of the SQLite store (or a backup of it) into an empty\n" +
			"PostgreSQL database, the short-code key and the id counters included, so every short\n" +
			"link keeps working; then checks that every table has the same rows (counts and\n" +
			"checksums). Stop tiny on the SQLite file first. Then start the nodes with\n" +
			"--database set to the PostgreSQL URL.",
		Args: positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			if from == "" || !isPostgresURL(to) {
				return usagef("give --from, a SQLite file, and --to, a postgres:// URL")
			}
			rep, err := storemove.Move(cmd.Context(), from, to, progressLine(std.stderr))
			if err != nil {
				return err
			}
			return printMoved(std.stdout, rep, "Moved "+from+" to "+redactDSN(to))
		},
	}
	cmd.Flags().StringVar(&from, "from", "", "the SQLite file (or backup) to move")
	cmd.Flags().StringVar(&to, "to", "", "the postgres:// URL of an empty database")
	return cmd
}

// exportArchiveCommand writes a PostgreSQL instance into a new SQLite file.
func exportArchiveCommand(std streams) *cobra.Command {
	var database string
	cmd := &cobra.Command{
		Use:   "export-archive FILE --database postgres://…",
		Short: "write the whole instance to a new SQLite file: the full-fidelity archive (OFFLINE)",
		Long: "OFFLINE: writes every table of the store given by --database into a new SQLite file,\n" +
			"verified like move-to-postgres: links with their codes, users, keys, moderation and\n" +
			"statistics. From SQLite this is tiny backup; from PostgreSQL it is the way back to one\n" +
			"machine. `tiny restore` or `tiny move-to-postgres` reads the archive back.",
		Args: positional(cobra.ExactArgs(1)),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !isPostgresURL(database) {
				info, err := sqlite.Backup(cmd.Context(), database, args[0])
				if err != nil {
					return err
				}
				fmt.Fprintf(std.stdout, "Archived %s to %s: %d links, %d users, %d clicks.\n", database, args[0], info.Links, info.Users, info.Clicks)
				return nil
			}
			rep, err := storemove.ToSQLite(cmd.Context(), database, args[0], progressLine(std.stderr))
			if err != nil {
				return err
			}
			return printMoved(std.stdout, rep, "Archived "+redactDSN(database)+" to "+args[0])
		},
	}
	cmd.Flags().StringVar(&database, "database", DefaultConfig().Database, "SQLite file path, or a postgres:// URL, as for tiny serve")
	return withEnv(cmd)
}

// progressLine prints one line per table copied.
func progressLine(w io.Writer) storemove.Progress {
	last := ""
	return func(table string, rows int64) {
		if table != last {
			last = table
			fmt.Fprintf(w, "copying %s…\n", table)
		} else if rows > 0 {
			fmt.Fprintf(w, "  %s: %d rows\n", table, rows)
		}
	}
}

func printMoved(w io.Writer, rep *storemove.Report, what string) error {
	fmt.Fprintf(w, "%s in %s; every table verified:\n", what, rep.Took.Round(time.Millisecond))
	tw := table(w)
	fmt.Fprintln(tw, "TABLE\tROWS\tCHECKSUM")
	for _, t := range rep.Tables {
		fmt.Fprintf(tw, "%s\t%d\t%016x\n", t.Name, t.Rows, t.Checksum)
	}
	return tw.Flush()
}

// healthcheckCommand asks a local tiny whether it is ready: the
// container's health check, which has no curl to call.
func healthcheckCommand(std streams) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "healthcheck [--addr 127.0.0.1:8080]",
		Short: "exit 0 when the tiny at --addr answers /readyz (for container health checks)",
		Args:  positional(cobra.NoArgs),
		RunE: func(cmd *cobra.Command, _ []string) error {
			host := addr
			if strings.HasPrefix(host, "0.0.0.0:") || strings.HasPrefix(host, ":") {
				host = "127.0.0.1:" + host[strings.LastIndex(host, ":")+1:]
			}
			c := &http.Client{Timeout: 3 * time.Second}
			resp, err := c.Get("http://" + host + "/readyz")
			if err != nil {
				return tiny.Errorf(tiny.Unavailable, "cannot reach tiny at %s", host)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				return tiny.Errorf(tiny.Unavailable, "tiny at %s is not ready: %s", host, resp.Status)
			}
			fmt.Fprintln(std.stdout, "ready")
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", DefaultConfig().Addr, "the address tiny listens on, as for tiny serve")
	return withEnv(cmd)
}
